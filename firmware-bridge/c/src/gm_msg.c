/* Payload encode / decode of PROTOCOL.md section 4, checked field by field against the code tables. */
#include <string.h>
#include "gm_msg.h"
#include "gm_frame.h"

#define NAMES(fn, ...)                                                      \
  const char *fn(uint8_t v) {                                               \
    static const char *const t[] = {__VA_ARGS__};                           \
    return v < sizeof t / sizeof t[0] ? t[v] : NULL;                        \
  }

NAMES(gm_nak_name, NULL, "unknown-type", "bad-payload", "no-session", "version", "emergency", "mode", "busy")
NAMES(gm_direction_name, NULL, "entry", "exit")
NAMES(gm_mode_name, "normal", "free", "locked", "maintenance")
NAMES(gm_fail_mode_name, "locked", "free")
NAMES(gm_sound_name, "off", "accept", "reject", "alarm")
NAMES(gm_display_name, "idle", "checking", "open", "reject", "closed", "emergency", "free", "fault-storage", "fault-link", "look-at-camera")
NAMES(gm_door_fault_name, NULL, "jammed-open", "jammed-closed", "motor", "sensor")
NAMES(gm_power_name, "mains", "battery", "battery-low")
NAMES(gm_reset_name, "power-on", "watchdog", "brown-out", "software", "pin")

static const char *const REASONS[] = {
  "ok", "unreadable", "document-invalid", "document-expired", "not-verified", "verification-pending",
  "verification-rejected", "identity-mismatch", "no-ticket", "wrong-station", "too-early", "too-late",
  "already-used", "ticket-refunded", "cache-stale", "gate-mode", "emergency",
  /* 0x11..0x16: the passengers of issue 17; 0x17..0x1A: the details of staffed-check, sent in its place. */
  "staffed-check", "no-onward-ticket", "transfer-window", "fare-adjustment", "present-passport-page",
  "present-resident-card", "child-ticket-on-document", "student-not-verified", "student-outside-journey",
  "concession-check",
  /* 0x1B: the face check failed (issue 21). */
  "face-mismatch",
};

const char *gm_reason_name(uint8_t v) {
  if (v == GM_REASON_NONE) return "none";
  return v <= GM_REASON_MAX ? REASONS[v] : NULL;
}

const char *gm_type_name(uint8_t type) {
  switch (type) {
    case GM_T_ACK: return "ack";
    case GM_T_NAK: return "nak";
    case GM_T_HELLO: return "hello";
    case GM_T_HEARTBEAT: return "heartbeat";
    case GM_T_AUTHORISE: return "authorise";
    case GM_T_CANCEL: return "cancel";
    case GM_T_SET_MODE: return "set-mode";
    case GM_T_DISPLAY: return "display";
    case GM_T_SOUND: return "sound";
    case GM_T_HELLO_REPLY: return "hello-reply";
    case GM_T_STATUS: return "status";
    case GM_T_PASSAGE_STARTED: return "passage-started";
    case GM_T_PASSAGE: return "passage";
    case GM_T_PASSAGE_TIMEOUT: return "passage-timeout";
    case GM_T_TAILGATING: return "tailgating";
    case GM_T_FORCED_ENTRY: return "forced-entry";
    case GM_T_REVERSE_PASSAGE: return "reverse-passage";
    case GM_T_INTRUSION: return "intrusion";
    case GM_T_DOOR_FAULT: return "door-fault";
    case GM_T_EMERGENCY: return "emergency";
    case GM_T_POWER: return "power";
    case GM_T_MCU_RESET: return "mcu-reset";
    case GM_T_WATCHDOG_EXPIRED: return "watchdog-expired";
    default: return NULL;
  }
}

int gm_code_of(const char *(*table)(uint8_t), const char *name) {
  unsigned v;
  for (v = 0; v < 256; v++) {
    const char *n = table((uint8_t)v);
    if (n && strcmp(n, name) == 0) return (int)v;
  }
  return -1;
}

/* A reader over the payload that remembers the first malformed field. */
typedef struct {
  const uint8_t *p;
  uint8_t len, at, bad;
} cursor;

static uint8_t u8(cursor *c) {
  if (c->at >= c->len) {
    c->bad = 1;
    return 0;
  }
  return c->p[c->at++];
}
static uint16_t u16(cursor *c) {
  uint16_t hi = u8(c);
  return (uint16_t)((hi << 8) | u8(c));
}
static uint32_t u32(cursor *c) {
  uint32_t hi = u16(c);
  return (hi << 16) | u16(c);
}
static uint8_t in_table(cursor *c, const char *(*table)(uint8_t)) {
  uint8_t v = u8(c);
  if (!c->bad && table(v) == NULL) c->bad = 1;
  return v;
}
static uint8_t boolean(cursor *c) {
  uint8_t v = u8(c);
  if (v > 1) c->bad = 1;
  return v;
}
static void str8(cursor *c, char *out) {
  uint8_t n = u8(c), i;
  out[0] = '\0';
  if (c->bad) return;
  if (n > GM_STR8_MAX) {
    c->bad = 1;
    return;
  }
  for (i = 0; i < n; i++) {
    uint8_t ch = u8(c);
    if (c->bad) return;
    if (ch < 0x20u || ch > 0x7Eu) c->bad = 1;
    out[i] = (char)ch;
  }
  out[n] = '\0';
}

gm_decode_result gm_msg_decode(uint8_t type, uint8_t seq, const uint8_t *payload, uint8_t len, gm_msg *m) {
  cursor c;
  c.p = payload;
  c.len = len;
  c.at = 0;
  c.bad = 0;
  memset(m, 0, sizeof *m);
  m->type = type;
  m->seq = seq;
  switch (type) {
    case GM_T_ACK:
    case GM_T_HEARTBEAT:
      break;
    case GM_T_NAK:
      m->u.nak.reason = in_table(&c, gm_nak_name);
      break;
    case GM_T_HELLO:
      m->u.hello.major = u8(&c);
      m->u.hello.minor = u8(&c);
      m->u.hello.heartbeat_ms = u16(&c);
      m->u.hello.watchdog_ms = u16(&c);
      m->u.hello.ack_timeout_ms = u16(&c);
      m->u.hello.retries = u8(&c);
      m->u.hello.fail_mode = in_table(&c, gm_fail_mode_name);
      break;
    case GM_T_AUTHORISE:
      m->u.authorise.auth_id = u16(&c);
      m->u.authorise.direction = in_table(&c, gm_direction_name);
      m->u.authorise.count = u8(&c);
      m->u.authorise.timeout_ms = u32(&c);
      /* authId is 1..65535 (0 means "none" in cancel and reverse-passage); count is 1..255. */
      if (m->u.authorise.count == 0 || m->u.authorise.auth_id == 0) c.bad = 1;
      break;
    case GM_T_CANCEL:
      m->u.cancel.auth_id = u16(&c);
      break;
    case GM_T_SET_MODE:
      m->u.set_mode.mode = in_table(&c, gm_mode_name);
      break;
    case GM_T_DISPLAY:
      m->u.display.code = in_table(&c, gm_display_name);
      m->u.display.reason = in_table(&c, gm_reason_name);
      str8(&c, m->u.display.train);
      str8(&c, m->u.display.car);
      str8(&c, m->u.display.seat);
      /* 1.1 added `language` at the end: a payload may end after seat (a 1.0 daemon) or after a str8 language.
       * Any str8 is a valid language (4.4: the MCU never refuses a DISPLAY for it); bytes after it are bad-payload. */
      if (!c.bad && c.at < len) {
        m->u.display.has_language = 1;
        str8(&c, m->u.display.language);
      }
      break;
    case GM_T_SOUND:
      m->u.sound.pattern = in_table(&c, gm_sound_name);
      m->u.sound.duration_ms = u16(&c);
      break;
    case GM_T_HELLO_REPLY:
      m->u.hello_reply.major = u8(&c);
      m->u.hello_reply.minor = u8(&c);
      m->u.hello_reply.boot_id = u32(&c);
      m->u.hello_reply.mode = in_table(&c, gm_mode_name);
      m->u.hello_reply.emergency = boolean(&c);
      m->u.hello_reply.failsafe = boolean(&c);
      m->u.hello_reply.power = in_table(&c, gm_power_name);
      str8(&c, m->u.hello_reply.firmware);
      break;
    case GM_T_STATUS:
      m->u.status.mode = in_table(&c, gm_mode_name);
      m->u.status.session = boolean(&c);
      m->u.status.emergency = boolean(&c);
      m->u.status.failsafe = boolean(&c);
      m->u.status.power = in_table(&c, gm_power_name);
      m->u.status.remaining = u8(&c);
      break;
    case GM_T_PASSAGE_STARTED:
    case GM_T_TAILGATING:
    case GM_T_REVERSE_PASSAGE:
    case GM_T_PASSAGE:
    case GM_T_PASSAGE_TIMEOUT:
      m->u.auth_report.auth_id = u16(&c);
      m->u.auth_report.direction = in_table(&c, gm_direction_name);
      if (type == GM_T_PASSAGE || type == GM_T_PASSAGE_TIMEOUT) m->u.auth_report.n = u8(&c);
      break;
    case GM_T_FORCED_ENTRY:
    case GM_T_INTRUSION:
      m->u.dir_report.direction = in_table(&c, gm_direction_name);
      break;
    case GM_T_DOOR_FAULT:
      m->u.door_fault.fault = in_table(&c, gm_door_fault_name);
      m->u.door_fault.active = boolean(&c);
      break;
    case GM_T_EMERGENCY:
      m->u.emergency.active = boolean(&c);
      break;
    case GM_T_POWER:
      m->u.power.state = in_table(&c, gm_power_name);
      break;
    case GM_T_MCU_RESET:
      m->u.mcu_reset.cause = in_table(&c, gm_reset_name);
      m->u.mcu_reset.boot_id = u32(&c);
      break;
    case GM_T_WATCHDOG_EXPIRED:
      m->u.watchdog_expired.fail_mode = in_table(&c, gm_fail_mode_name);
      break;
    default:
      return GM_DECODE_UNKNOWN_TYPE;
  }
  /* "A payload MUST be exactly as long as its fields": short (c.bad) or with bytes left over. */
  return (c.bad || c.at != len) ? GM_DECODE_BAD_PAYLOAD : GM_DECODE_OK;
}

/* The writing side of cursor. */
typedef struct {
  uint8_t *p;
  int at, bad;
} sink;

static void w8(sink *s, uint8_t v) {
  if (s->at >= (int)GM_MAX_PAYLOAD) {
    s->bad = 1;
    return;
  }
  s->p[s->at++] = v;
}
static void w16(sink *s, uint16_t v) {
  w8(s, (uint8_t)(v >> 8));
  w8(s, (uint8_t)v);
}
static void w32(sink *s, uint32_t v) {
  w16(s, (uint16_t)(v >> 16));
  w16(s, (uint16_t)v);
}
static void wcode(sink *s, const char *(*table)(uint8_t), uint8_t v) {
  if (table(v) == NULL) s->bad = 1;
  w8(s, v);
}
static void wbool(sink *s, uint8_t v) {
  if (v > 1) s->bad = 1;
  w8(s, v);
}
static void wstr8(sink *s, const char *str) {
  size_t n = strlen(str), i;
  if (n > GM_STR8_MAX) {
    s->bad = 1;
    return;
  }
  w8(s, (uint8_t)n);
  for (i = 0; i < n; i++) {
    uint8_t ch = (uint8_t)str[i];
    if (ch < 0x20u || ch > 0x7Eu) s->bad = 1;
    w8(s, ch);
  }
}

int gm_msg_payload(const gm_msg *m, uint8_t *out) {
  sink s;
  s.p = out;
  s.at = 0;
  s.bad = 0;
  switch (m->type) {
    case GM_T_ACK:
    case GM_T_HEARTBEAT:
      break;
    case GM_T_NAK: wcode(&s, gm_nak_name, m->u.nak.reason); break;
    case GM_T_HELLO:
      w8(&s, m->u.hello.major);
      w8(&s, m->u.hello.minor);
      w16(&s, m->u.hello.heartbeat_ms);
      w16(&s, m->u.hello.watchdog_ms);
      w16(&s, m->u.hello.ack_timeout_ms);
      w8(&s, m->u.hello.retries);
      wcode(&s, gm_fail_mode_name, m->u.hello.fail_mode);
      break;
    case GM_T_AUTHORISE:
      if (m->u.authorise.count == 0 || m->u.authorise.auth_id == 0) s.bad = 1;
      w16(&s, m->u.authorise.auth_id);
      wcode(&s, gm_direction_name, m->u.authorise.direction);
      w8(&s, m->u.authorise.count);
      w32(&s, m->u.authorise.timeout_ms);
      break;
    case GM_T_CANCEL: w16(&s, m->u.cancel.auth_id); break;
    case GM_T_SET_MODE: wcode(&s, gm_mode_name, m->u.set_mode.mode); break;
    case GM_T_DISPLAY:
      wcode(&s, gm_display_name, m->u.display.code);
      wcode(&s, gm_reason_name, m->u.display.reason);
      wstr8(&s, m->u.display.train);
      wstr8(&s, m->u.display.car);
      wstr8(&s, m->u.display.seat);
      if (m->u.display.has_language) wstr8(&s, m->u.display.language);
      else if (m->u.display.language[0]) s.bad = 1; /* a language the payload would not carry */
      break;
    case GM_T_SOUND:
      wcode(&s, gm_sound_name, m->u.sound.pattern);
      w16(&s, m->u.sound.duration_ms);
      break;
    case GM_T_HELLO_REPLY:
      w8(&s, m->u.hello_reply.major);
      w8(&s, m->u.hello_reply.minor);
      w32(&s, m->u.hello_reply.boot_id);
      wcode(&s, gm_mode_name, m->u.hello_reply.mode);
      wbool(&s, m->u.hello_reply.emergency);
      wbool(&s, m->u.hello_reply.failsafe);
      wcode(&s, gm_power_name, m->u.hello_reply.power);
      wstr8(&s, m->u.hello_reply.firmware);
      break;
    case GM_T_STATUS:
      wcode(&s, gm_mode_name, m->u.status.mode);
      wbool(&s, m->u.status.session);
      wbool(&s, m->u.status.emergency);
      wbool(&s, m->u.status.failsafe);
      wcode(&s, gm_power_name, m->u.status.power);
      w8(&s, m->u.status.remaining);
      break;
    case GM_T_PASSAGE_STARTED:
    case GM_T_TAILGATING:
    case GM_T_REVERSE_PASSAGE:
    case GM_T_PASSAGE:
    case GM_T_PASSAGE_TIMEOUT:
      w16(&s, m->u.auth_report.auth_id);
      wcode(&s, gm_direction_name, m->u.auth_report.direction);
      if (m->type == GM_T_PASSAGE || m->type == GM_T_PASSAGE_TIMEOUT) w8(&s, m->u.auth_report.n);
      break;
    case GM_T_FORCED_ENTRY:
    case GM_T_INTRUSION: wcode(&s, gm_direction_name, m->u.dir_report.direction); break;
    case GM_T_DOOR_FAULT:
      wcode(&s, gm_door_fault_name, m->u.door_fault.fault);
      wbool(&s, m->u.door_fault.active);
      break;
    case GM_T_EMERGENCY: wbool(&s, m->u.emergency.active); break;
    case GM_T_POWER: wcode(&s, gm_power_name, m->u.power.state); break;
    case GM_T_MCU_RESET:
      wcode(&s, gm_reset_name, m->u.mcu_reset.cause);
      w32(&s, m->u.mcu_reset.boot_id);
      break;
    case GM_T_WATCHDOG_EXPIRED: wcode(&s, gm_fail_mode_name, m->u.watchdog_expired.fail_mode); break;
    default: return -1;
  }
  return s.bad ? -1 : s.at;
}

size_t gm_msg_encode(const gm_msg *m, uint8_t *wire, size_t cap) {
  uint8_t payload[GM_MAX_PAYLOAD];
  int n = gm_msg_payload(m, payload);
  if (n < 0) return 0;
  return gm_frame_encode(m->seq, m->type, payload, (uint8_t)n, wire, cap);
}
