#include <stdio.h>
#include <string.h>
#include "fake_daemon.h"

static void hal_write(void *ctx, const uint8_t *p, size_t n) {
  fake *f = ctx;
  if (f->out_len + n > sizeof f->out) n = sizeof f->out - f->out_len; /* a test that overflows fails its checks */
  memcpy(f->out + f->out_len, p, n);
  f->out_len += n;
}
static uint32_t hal_millis(void *ctx) { return ((fake *)ctx)->clock; }
static void hal_flaps(void *ctx, gm_flaps fl) { ((fake *)ctx)->flaps = fl; }
static void hal_show(void *ctx, const gm_display *d) { ((fake *)ctx)->shown = *d; }

static void hal_event(void *ctx, const gm_event *ev) {
  fake *f = ctx;
  if (ev->kind == GM_EV_QUEUED && ev->msg->type == GM_T_PASSAGE && f->passages_queued) f->passages_queued[ev->msg->u.auth_report.auth_id]++;
}

gm_config fake_config(void) {
  gm_config c;
  memset(&c, 0, sizeof c);
  c.boot_id = 0x2a;
  c.reset_cause = GM_RESET_SOFTWARE;
  c.fail_mode = GM_FAIL_LOCKED;
  c.power = GM_POWER_MAINS;
  c.status_ms = 500;
  c.firmware = "gm-test";
  return c;
}

void fake_boot(fake *f, const gm_config *cfg) {
  gm_hal hal;
  uint32_t clock = f->clock;
  memset(f, 0, sizeof *f);
  f->clock = clock ? clock : 1000;
  f->auto_ack = 1;
  f->heartbeats = 1;
  f->heartbeat_ms = 500;
  f->retransmissions_identical = 1;
  gm_rx_init(&f->rx);
  memset(&hal, 0, sizeof hal);
  hal.ctx = f;
  hal.uart_write = hal_write;
  hal.millis = hal_millis;
  hal.set_flaps = hal_flaps;
  hal.show = hal_show;
  hal.event = hal_event;
  gm_mcu_init(&f->mcu, &hal, cfg);
  fake_pump(f);
}

static void append(char *buf, size_t cap, const char *s) {
  size_t n = strlen(buf);
  if (n && n + 2 < cap) strcat(buf, ", "), n += 2;
  strncat(buf, s, cap - n - 1);
}

void fmt_msg(const gm_msg *m, char *out, size_t cap) {
  const char *k = gm_type_name(m->type);
  switch (m->type) {
    case GM_T_ACK: snprintf(out, cap, "ack %u", m->seq); break;
    case GM_T_NAK: snprintf(out, cap, "nak %u %s", m->seq, gm_nak_name(m->u.nak.reason)); break;
    case GM_T_HELLO_REPLY:
      snprintf(out, cap, "hello-reply %u %s%s%s", m->seq, gm_mode_name(m->u.hello_reply.mode), m->u.hello_reply.failsafe ? " failsafe" : "",
               m->u.hello_reply.emergency ? " emergency" : "");
      break;
    case GM_T_STATUS:
      snprintf(out, cap, "status %s session=%u emergency=%u failsafe=%u remaining=%u", gm_mode_name(m->u.status.mode), m->u.status.session,
               m->u.status.emergency, m->u.status.failsafe, m->u.status.remaining);
      break;
    case GM_T_PASSAGE: case GM_T_PASSAGE_TIMEOUT:
      snprintf(out, cap, "%s %u %s %u", k, m->u.auth_report.auth_id, gm_direction_name(m->u.auth_report.direction), m->u.auth_report.n);
      break;
    case GM_T_PASSAGE_STARTED: case GM_T_TAILGATING: case GM_T_REVERSE_PASSAGE:
      snprintf(out, cap, "%s %u %s", k, m->u.auth_report.auth_id, gm_direction_name(m->u.auth_report.direction));
      break;
    case GM_T_FORCED_ENTRY: case GM_T_INTRUSION: snprintf(out, cap, "%s %s", k, gm_direction_name(m->u.dir_report.direction)); break;
    case GM_T_DOOR_FAULT: snprintf(out, cap, "door-fault %s %u", gm_door_fault_name(m->u.door_fault.fault), m->u.door_fault.active); break;
    case GM_T_EMERGENCY: snprintf(out, cap, "emergency %u", m->u.emergency.active); break;
    case GM_T_POWER: snprintf(out, cap, "power %s", gm_power_name(m->u.power.state)); break;
    case GM_T_MCU_RESET: snprintf(out, cap, "mcu-reset %s", gm_reset_name(m->u.mcu_reset.cause)); break;
    case GM_T_WATCHDOG_EXPIRED: snprintf(out, cap, "watchdog-expired %s", gm_fail_mode_name(m->u.watchdog_expired.fail_mode)); break;
    default: snprintf(out, cap, "%s", k ? k : "?");
  }
}

static void on_report(fake *f, const gm_msg *m, const uint8_t *wire, size_t len) {
  char text[128];
  if (f->report_frames < 64) f->report_times[f->report_frames] = f->clock;
  f->report_frames++;
  if (f->have_report_seq && m->seq == f->last_report_seq) {
    /* A retransmission: the daemon answers again and stores nothing twice. */
    f->duplicates++;
    if (len != f->last_report_len || memcmp(wire, f->last_report_wire, len) != 0) f->retransmissions_identical = 0;
  } else {
    fmt_msg(m, text, sizeof text);
    append(f->reports, sizeof f->reports, text);
    memcpy(f->last_report_wire, wire, len);
    f->last_report_len = len;
    if (f->auto_ack) {
      f->have_report_seq = 1;
      f->last_report_seq = m->seq;
    }
  }
  if (f->auto_ack) {
    gm_msg ack;
    memset(&ack, 0, sizeof ack);
    ack.type = GM_T_ACK;
    ack.seq = m->seq;
    fake_send(f, &ack);
  }
}

void fake_pump(fake *f) {
  static int depth;
  depth++;
  while (f->out_len) {
    uint8_t chunk[sizeof f->out];
    size_t n = f->out_len, i, start = 0;
    memcpy(chunk, f->out, n);
    f->out_len = 0;
    for (i = 0; i < n; i++) {
      gm_frame fr;
      gm_msg m;
      char text[128];
      if (chunk[i] == GM_SOF) start = i;
      if (gm_rx_byte(&f->rx, chunk[i], &fr) != GM_RX_FRAME) continue;
      if (gm_msg_decode(fr.type, fr.seq, fr.payload, fr.len, &m) != GM_DECODE_OK) {
        append(f->answers, sizeof f->answers, "UNDECODABLE");
        continue;
      }
      if (m.type == GM_T_STATUS) {
        f->status = m;
        f->statuses++;
      } else if (m.type >= GM_T_PASSAGE_STARTED && m.type <= GM_T_WATCHDOG_EXPIRED) {
        on_report(f, &m, chunk + start, i + 1 - start);
      } else {
        /* A new session: the MCU numbers its reports from 1 again. */
        if (m.type == GM_T_HELLO_REPLY) f->have_report_seq = 0;
        fmt_msg(&m, text, sizeof text);
        append(f->answers, sizeof f->answers, text);
      }
    }
    if (depth > 1) break; /* the outer pump reads what an ACK sent from inside on_report set off */
  }
  depth--;
}

void fake_bytes(fake *f, const uint8_t *p, size_t n) {
  gm_mcu_rx(&f->mcu, p, n);
  fake_pump(f);
}

void fake_send(fake *f, const gm_msg *m) {
  uint8_t wire[GM_WIRE_MAX];
  size_t n = gm_msg_encode(m, wire, sizeof wire);
  gm_mcu_rx(&f->mcu, wire, n);
  fake_pump(f);
}

uint8_t fake_request(fake *f, gm_msg *m) {
  f->seq = (uint8_t)(f->seq == 255 ? 1 : f->seq + 1);
  m->seq = f->seq;
  fake_send(f, m);
  return f->seq;
}

void fake_advance(fake *f, uint32_t ms) {
  uint32_t i;
  for (i = 0; i < ms; i++) {
    f->clock++;
    if (f->heartbeats && f->clock % f->heartbeat_ms == 0) {
      gm_msg hb;
      memset(&hb, 0, sizeof hb);
      hb.type = GM_T_HEARTBEAT;
      fake_send(f, &hb);
    }
    gm_mcu_poll(&f->mcu);
    fake_pump(f);
  }
}

static const char *take(char *buf, char *keep, size_t cap) {
  size_t n = strlen(buf);
  if (n >= cap) n = cap - 1;
  memcpy(keep, buf, n);
  keep[n] = '\0';
  buf[0] = '\0';
  return keep;
}
const char *fake_take_answers(fake *f) {
  static char keep[2048];
  return take(f->answers, keep, sizeof keep);
}
const char *fake_take_reports(fake *f) {
  static char keep[4096];
  return take(f->reports, keep, sizeof keep);
}
