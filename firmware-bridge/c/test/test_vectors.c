/* Every vector in firmware-bridge/vectors through this library: the CRC check values, the framing streams (frames
 * and discards in order), and every message decoded field by field and re-encoded byte for byte, both from the
 * decoded form and built afresh from the vector's fields. Usage: test_vectors VECTORS_DIR */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "json.h"
#include "gm_frame.h"
#include "gm_msg.h"

int check_failures, check_passes;

static size_t unhex(const char *s, uint8_t *out, size_t cap) {
  size_t n = 0;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s += 2;
  while (s[0] && s[1] && n < cap) {
    char b[3] = {s[0], s[1], 0};
    out[n++] = (uint8_t)strtol(b, NULL, 16);
    s += 2;
  }
  return n;
}

static void hexstr(const uint8_t *p, size_t n, char *out) {
  size_t i;
  for (i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", p[i]);
  out[2 * n] = '\0';
}

/* ---- building a message from a vector's fields; every field must be used ---- */

typedef struct {
  const json *fields;
  int used, bad;
} reader;

static const json *field(reader *r, const char *name) {
  const json *f = json_get(r->fields, name);
  if (!f) {
    r->bad = 1;
    fprintf(stderr, "  missing field %s\n", name);
    return NULL;
  }
  r->used++;
  return f;
}
static uint32_t num(reader *r, const char *name) {
  const json *f = field(r, name);
  return f && (f->kind == J_NUM || f->kind == J_BOOL) ? (uint32_t)f->num : 0;
}
static uint8_t code(reader *r, const char *name, const char *(*table)(uint8_t)) {
  const json *f = field(r, name);
  int c = f && f->kind == J_STR ? gm_code_of(table, f->str) : -1;
  if (c < 0) {
    r->bad = 1;
    fprintf(stderr, "  field %s: not in its table\n", name);
    return 0;
  }
  return (uint8_t)c;
}
static void str(reader *r, const char *name, char *out) {
  const json *f = field(r, name);
  out[0] = '\0';
  if (f && f->kind == J_STR && strlen(f->str) <= GM_STR8_MAX) strcpy(out, f->str);
  else r->bad = 1;
}

static int from_fields(const json *fields, uint8_t seq, gm_msg *m) {
  reader r = {fields, 0, 0};
  const json *kind = field(&r, "kind");
  int type = -1;
  unsigned t;
  memset(m, 0, sizeof *m);
  for (t = 0; t < 256 && kind; t++)
    if (gm_type_name((uint8_t)t) && strcmp(gm_type_name((uint8_t)t), kind->str) == 0) type = (int)t;
  if (type < 0) return 0;
  m->type = (uint8_t)type;
  m->seq = seq;
  switch (m->type) {
    case GM_T_ACK: case GM_T_HEARTBEAT: break;
    case GM_T_NAK: m->u.nak.reason = code(&r, "reason", gm_nak_name); break;
    case GM_T_HELLO:
      m->u.hello.major = (uint8_t)num(&r, "major");
      m->u.hello.minor = (uint8_t)num(&r, "minor");
      m->u.hello.heartbeat_ms = (uint16_t)num(&r, "heartbeatMs");
      m->u.hello.watchdog_ms = (uint16_t)num(&r, "watchdogMs");
      m->u.hello.ack_timeout_ms = (uint16_t)num(&r, "ackTimeoutMs");
      m->u.hello.retries = (uint8_t)num(&r, "retries");
      m->u.hello.fail_mode = code(&r, "failMode", gm_fail_mode_name);
      break;
    case GM_T_AUTHORISE:
      m->u.authorise.auth_id = (uint16_t)num(&r, "authId");
      m->u.authorise.direction = code(&r, "direction", gm_direction_name);
      m->u.authorise.count = (uint8_t)num(&r, "count");
      m->u.authorise.timeout_ms = num(&r, "timeoutMs");
      break;
    case GM_T_CANCEL: m->u.cancel.auth_id = (uint16_t)num(&r, "authId"); break;
    case GM_T_SET_MODE: m->u.set_mode.mode = code(&r, "mode", gm_mode_name); break;
    case GM_T_DISPLAY:
      m->u.display.code = code(&r, "code", gm_display_name);
      m->u.display.reason = code(&r, "reason", gm_reason_name);
      str(&r, "train", m->u.display.train);
      str(&r, "car", m->u.display.car);
      str(&r, "seat", m->u.display.seat);
      /* 1.1 vectors carry a language; the 1.0 ones have no such key (and are the 1.0 bytes). */
      if (json_get(fields, "language")) {
        m->u.display.has_language = 1;
        str(&r, "language", m->u.display.language);
      }
      break;
    case GM_T_SOUND:
      m->u.sound.pattern = code(&r, "pattern", gm_sound_name);
      m->u.sound.duration_ms = (uint16_t)num(&r, "durationMs");
      break;
    case GM_T_HELLO_REPLY:
      m->u.hello_reply.major = (uint8_t)num(&r, "major");
      m->u.hello_reply.minor = (uint8_t)num(&r, "minor");
      m->u.hello_reply.boot_id = num(&r, "bootId");
      m->u.hello_reply.mode = code(&r, "mode", gm_mode_name);
      m->u.hello_reply.emergency = (uint8_t)num(&r, "emergency");
      m->u.hello_reply.failsafe = (uint8_t)num(&r, "failsafe");
      m->u.hello_reply.power = code(&r, "power", gm_power_name);
      str(&r, "firmware", m->u.hello_reply.firmware);
      break;
    case GM_T_STATUS:
      m->u.status.mode = code(&r, "mode", gm_mode_name);
      m->u.status.session = (uint8_t)num(&r, "session");
      m->u.status.emergency = (uint8_t)num(&r, "emergency");
      m->u.status.failsafe = (uint8_t)num(&r, "failsafe");
      m->u.status.power = code(&r, "power", gm_power_name);
      m->u.status.remaining = (uint8_t)num(&r, "remaining");
      break;
    case GM_T_PASSAGE_STARTED: case GM_T_TAILGATING: case GM_T_REVERSE_PASSAGE: case GM_T_PASSAGE: case GM_T_PASSAGE_TIMEOUT:
      m->u.auth_report.auth_id = (uint16_t)num(&r, "authId");
      m->u.auth_report.direction = code(&r, "direction", gm_direction_name);
      if (m->type == GM_T_PASSAGE) m->u.auth_report.n = (uint8_t)num(&r, "remaining");
      if (m->type == GM_T_PASSAGE_TIMEOUT) m->u.auth_report.n = (uint8_t)num(&r, "unused");
      break;
    case GM_T_FORCED_ENTRY: case GM_T_INTRUSION: m->u.dir_report.direction = code(&r, "direction", gm_direction_name); break;
    case GM_T_DOOR_FAULT:
      m->u.door_fault.fault = code(&r, "fault", gm_door_fault_name);
      m->u.door_fault.active = (uint8_t)num(&r, "active");
      break;
    case GM_T_EMERGENCY: m->u.emergency.active = (uint8_t)num(&r, "active"); break;
    case GM_T_POWER: m->u.power.state = code(&r, "state", gm_power_name); break;
    case GM_T_MCU_RESET:
      m->u.mcu_reset.cause = code(&r, "cause", gm_reset_name);
      m->u.mcu_reset.boot_id = num(&r, "bootId");
      break;
    case GM_T_WATCHDOG_EXPIRED: m->u.watchdog_expired.fail_mode = code(&r, "failMode", gm_fail_mode_name); break;
    default: return 0;
  }
  if (r.used != json_count(fields)) {
    fprintf(stderr, "  %d of %d fields used: the vector has a field this test does not know\n", r.used, json_count(fields));
    return 0;
  }
  return !r.bad;
}

static int messages(const char *dir) {
  char path[512];
  json *root, *v;
  int n = 0;
  snprintf(path, sizeof path, "%s/messages.json", dir);
  if (!(root = json_load(path))) return -1;
  for (v = root->child; v; v = v->next, n++) {
    const char *name = json_get(v, "name")->str;
    uint8_t wire[GM_WIRE_MAX], again[GM_WIRE_MAX], built_wire[GM_WIRE_MAX];
    size_t len = unhex(json_get(v, "hex")->str, wire, sizeof wire), i, n_again, n_built;
    uint8_t seq = (uint8_t)json_get(v, "seq")->num;
    gm_rx rx;
    gm_frame f;
    gm_msg decoded, built;
    int frames = 0, drops = 0;
    char got[2 * GM_WIRE_MAX + 1];
    gm_rx_init(&rx);
    memset(&f, 0, sizeof f);
    for (i = 0; i < len; i++) {
      gm_rx_result r = gm_rx_byte(&rx, wire[i], &f);
      if (r == GM_RX_FRAME) {
        frames++;
        CHECK(i == len - 1, "%s: frame ended at byte %u of %u", name, (unsigned)i, (unsigned)len);
        CHECK(gm_msg_decode(f.type, f.seq, f.payload, f.len, &decoded) == GM_DECODE_OK, "%s: does not decode", name);
      }
      if (r == GM_RX_DROP) drops++;
    }
    CHECK(frames == 1 && drops == 0, "%s: %d frames, %d drops", name, frames, drops);
    if (frames != 1) continue;
    CHECK(f.seq == seq, "%s: seq %u, vector says %u", name, f.seq, seq);
    CHECK(gm_type_name(decoded.type) && strcmp(gm_type_name(decoded.type), json_get(json_get(v, "fields"), "kind")->str) == 0,
          "%s: decoded as type 0x%02x", name, decoded.type);
    CHECK(from_fields(json_get(v, "fields"), seq, &built), "%s: the vector's fields do not build a message", name);
    /* Field by field: the decoded message equals the one built from the vector's fields. */
    CHECK(memcmp(&decoded, &built, sizeof decoded) == 0, "%s: decoded fields differ from the vector's", name);
    n_again = gm_msg_encode(&decoded, again, sizeof again);
    hexstr(again, n_again, got);
    CHECK(n_again == len && memcmp(again, wire, len) == 0, "%s: re-encoded as %s", name, got);
    n_built = gm_msg_encode(&built, built_wire, sizeof built_wire);
    hexstr(built_wire, n_built, got);
    CHECK(n_built == len && memcmp(built_wire, wire, len) == 0, "%s: built from fields as %s", name, got);
  }
  return n;
}

static int framing(const char *dir) {
  char path[512];
  json *root, *s, *crc;
  uint8_t covered[8];
  int n = 0;
  size_t cn;
  snprintf(path, sizeof path, "%s/framing.json", dir);
  if (!(root = json_load(path))) return -1;
  crc = json_get(root, "crc");
  {
    const char *input = json_get(json_get(crc, "check"), "input")->str;
    unsigned long want = strtoul(json_get(json_get(crc, "check"), "crc")->str, NULL, 16);
    CHECK(gm_crc16((const uint8_t *)input, strlen(input)) == want, "CRC check value of %s", input);
    cn = unhex(json_get(json_get(crc, "ackBody"), "covered")->str, covered, sizeof covered);
    want = strtoul(json_get(json_get(crc, "ackBody"), "crc")->str, NULL, 16);
    CHECK(gm_crc16(covered, cn) == want, "CRC of the ACK body");
  }
  for (s = json_get(root, "streams")->child; s; s = s->next, n++) {
    const char *name = json_get(s, "name")->str;
    static uint8_t bytes[4096];
    size_t len = unhex(json_get(s, "hex")->str, bytes, sizeof bytes), i;
    gm_rx rx;
    gm_frame f;
    int frames = 0, nd = 0, k;
    const char *got[32];
    json *d;
    gm_rx_init(&rx);
    for (i = 0; i < len; i++) {
      gm_rx_result r = gm_rx_byte(&rx, bytes[i], &f);
      if (r == GM_RX_FRAME) frames++;
      if (r == GM_RX_DROP && nd < 32) got[nd++] = gm_drop_name(rx.last_drop);
    }
    CHECK(frames == (int)json_get(s, "frames")->num, "%s: %d frames", name, frames);
    CHECK(nd == json_count(json_get(s, "discards")), "%s: %d discards, vector lists %d", name, nd, json_count(json_get(s, "discards")));
    for (d = json_get(s, "discards")->child, k = 0; d && k < nd; d = d->next, k++)
      CHECK(strcmp(got[k], d->str) == 0, "%s: discard %d is %s, vector says %s", name, k, got[k], d->str);
  }
  return n;
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "../vectors";
  int nm = messages(dir), ns = framing(dir);
  if (nm <= 0 || ns <= 0) {
    fprintf(stderr, "vectors: no vectors read from %s\n", dir);
    return 1;
  }
  printf("vectors: %d messages and %d streams from %s: %d checks, %d failed\n", nm, ns, dir, check_passes + check_failures, check_failures);
  return check_failures ? 1 : 0;
}
