/* The MCU side of PROTOCOL.md sections 3 and 5-8. Every function runs to completion (no blocking, no
 * allocation); time comes only from hal.millis, so the host tests drive it with a fake clock. */
#include <string.h>
#include "gm_mcu.h"

static uint32_t now(gm_mcu *m) { return m->hal.millis(m->hal.ctx); }
/* Wrap-safe "t is at or after deadline" for a 32-bit millisecond counter. */
static int reached(uint32_t t, uint32_t deadline) { return (int32_t)(t - deadline) >= 0; }

static void emit(gm_mcu *m, gm_event_kind kind, const gm_msg *msg, uint32_t value) {
  gm_event ev;
  if (!m->hal.event) return;
  ev.kind = kind;
  ev.msg = msg;
  ev.value = value;
  m->hal.event(m->hal.ctx, &ev);
}

/* Encode and write one frame; returns its length (0 if it could not be encoded: a bug, nothing is sent). */
static size_t send_msg(gm_mcu *m, const gm_msg *msg, uint8_t *keep) {
  uint8_t local[GM_TX_MAX];
  uint8_t *buf = keep ? keep : local;
  size_t n = gm_msg_encode(msg, buf, GM_TX_MAX);
  if (n) m->hal.uart_write(m->hal.ctx, buf, n);
  return n;
}

/* ---- lane outputs ---- */

static int free_passage(const gm_mcu *m) { return m->emergency || m->mode == GM_MODE_FREE; }

static void apply_flaps(gm_mcu *m) {
  gm_flaps want = GM_FLAPS_CLOSED;
  if (free_passage(m)) want = GM_FLAPS_OPEN_BOTH;
  else if (m->auth.active) want = m->auth.direction == GM_DIR_ENTRY ? GM_FLAPS_OPEN_ENTRY : GM_FLAPS_OPEN_EXIT;
  /* Safety: flaps close only on an empty lane; closing waits for both beams to clear. */
  if (want == GM_FLAPS_CLOSED && m->flaps != GM_FLAPS_CLOSED && (m->beam[0] || m->beam[1])) return;
  if (want == m->flaps) return;
  m->flaps = want;
  m->hal.set_flaps(m->hal.ctx, want);
}

static void show(gm_mcu *m, uint8_t code, uint8_t reason) {
  memset(&m->display, 0, sizeof m->display);
  m->display.code = code;
  m->display.reason = reason;
  if (m->hal.show) m->hal.show(m->hal.ctx, &m->display);
}

/* ---- report queue (5.4) ---- */

static gm_queued *q_at(gm_mcu *m, uint8_t i) { return &m->queue[(m->q_head + i) % GM_QUEUE_LEN]; }

static int never_dropped(uint8_t type) { return type == GM_T_PASSAGE || type == GM_T_EMERGENCY || type == GM_T_MCU_RESET; }

static void q_remove(gm_mcu *m, uint8_t i) {
  for (; i + 1 < m->q_count; i++) *q_at(m, i) = *q_at(m, (uint8_t)(i + 1));
  m->q_count--;
}

/* The oldest entry (not the one in flight) that `pick` accepts, or -1. */
static int oldest(gm_mcu *m, int (*pick)(uint8_t type)) {
  uint8_t i;
  for (i = 0; i < m->q_count; i++) {
    gm_queued *q = q_at(m, i);
    if (!q->in_flight && pick(q->msg.type)) return i;
  }
  return -1;
}
static int is_status_change(uint8_t t) { return t == GM_T_DOOR_FAULT || t == GM_T_POWER; }
static int is_droppable(uint8_t t) { return !never_dropped(t); }

static void queue_report(gm_mcu *m, const gm_msg *r) {
  if (m->q_count == GM_QUEUE_LEN) {
    int victim = oldest(m, is_status_change);
    if (victim < 0) victim = oldest(m, is_droppable);
    if (victim < 0) {
      /* Only passages, alarms and resets queued: 24 of them unacknowledged means the daemon is gone for
       * good; the newest one is lost and counted. */
      m->reports_dropped++;
      emit(m, GM_EV_DROPPED, r, 0);
      return;
    }
    m->reports_dropped++;
    emit(m, GM_EV_DROPPED, &q_at(m, (uint8_t)victim)->msg, 0);
    q_remove(m, (uint8_t)victim);
  }
  {
    gm_queued *slot = q_at(m, m->q_count);
    slot->msg = *r;
    slot->msg.seq = 0;
    slot->in_flight = 0;
    m->q_count++;
    emit(m, GM_EV_QUEUED, &slot->msg, 0);
  }
}

static void send_next_report(gm_mcu *m) {
  gm_queued *head;
  if (!m->session || m->q_count == 0) return;
  head = q_at(m, 0);
  if (head->in_flight) return;
  m->my_seq = (uint8_t)(m->my_seq == 255 ? 1 : m->my_seq + 1);
  head->msg.seq = m->my_seq;
  head->in_flight = 1;
  m->tx_seq = m->my_seq;
  m->tx_tries = 1;
  m->tx_at = now(m);
  m->tx_len = (uint8_t)send_msg(m, &head->msg, m->tx_wire);
}

/* 3.2: `retries` quick retransmissions after ackTimeoutMs, then one every heartbeatMs, never giving up. */
static void retransmit(gm_mcu *m, uint32_t t) {
  uint32_t wait;
  if (!m->session || m->q_count == 0 || !q_at(m, 0)->in_flight) return;
  wait = (m->tx_tries <= m->retries) ? m->ack_timeout_ms : m->heartbeat_ms;
  if (!reached(t, m->tx_at + wait)) return;
  m->hal.uart_write(m->hal.ctx, m->tx_wire, m->tx_len);
  if (m->tx_tries < 255) m->tx_tries++;
  m->tx_at = t;
}

static void report_answered(gm_mcu *m, const gm_msg *ans) {
  gm_queued *head;
  gm_msg done;
  if (m->q_count == 0) return;
  head = q_at(m, 0);
  /* An answer with another SEQ is late, for an earlier attempt: ignore it. */
  if (!head->in_flight || ans->seq != m->tx_seq) return;
  done = head->msg;
  m->q_head = (uint8_t)((m->q_head + 1) % GM_QUEUE_LEN);
  m->q_count--;
  emit(m, ans->type == GM_T_ACK ? GM_EV_DELIVERED : GM_EV_REFUSED, &done, 0);
  send_next_report(m);
}

/* ---- authorisations ---- */

/* How long a tailgater between the beams may take to leave before the far beam counts as an intrusion again. */
#define TAILGATER_EXIT_MS 5000u

static void auth_report(gm_mcu *m, uint8_t type, uint8_t n) {
  gm_msg r;
  memset(&r, 0, sizeof r);
  r.type = type;
  r.u.auth_report.auth_id = m->auth.auth_id;
  r.u.auth_report.direction = m->auth.direction;
  r.u.auth_report.n = n;
  queue_report(m, &r);
}

static void end_auth(gm_mcu *m) {
  memset(&m->auth, 0, sizeof m->auth);
  apply_flaps(m);
}

/* The authorisation ends with its unused passages reported (timer, session end, mode change, emergency). */
static void expire_auth(gm_mcu *m) {
  auth_report(m, GM_T_PASSAGE_TIMEOUT, m->auth.remaining);
  end_auth(m);
}

/* An authorisation with no passage under way ends now; one under way ends when its passage completes. */
static void end_unstarted_auth(gm_mcu *m) {
  if (m->auth.active && !m->auth.passing) expire_auth(m);
}

static uint8_t near_beam(uint8_t direction) { return direction == GM_DIR_ENTRY ? GM_BEAM_A : GM_BEAM_B; }

static int may_continue(const gm_mcu *m) {
  return m->session && !m->auth.ended_by_session && !m->emergency &&
         (m->mode == GM_MODE_NORMAL || m->mode == GM_MODE_MAINTENANCE);
}

static void start_passage(gm_mcu *m, uint8_t entered) {
  m->auth.passing = 1;
  m->auth.entered = entered;
  auth_report(m, GM_T_PASSAGE_STARTED, 0);
}

/* The passenger cleared the far beam: one passage done. Someone who entered behind them is the next passage if
 * passages remain, otherwise a tailgater (reported after the passage). */
static void complete_passage(gm_mcu *m) {
  uint8_t followers = (uint8_t)(m->auth.entered > 1 ? m->auth.entered - 1 : 0);
  m->auth.remaining--;
  m->auth.passing = 0;
  m->auth.entered = 0;
  auth_report(m, GM_T_PASSAGE, m->auth.remaining);
  if (followers) {
    if (m->auth.remaining > 0 && may_continue(m)) {
      start_passage(m, followers);
      return;
    }
    auth_report(m, GM_T_TAILGATING, 0);
    /* The tailgaters are still between the beams: their way out is not also an intrusion. */
    m->tailgaters = followers;
    m->tailgate_exit = near_beam(m->auth.direction) == GM_BEAM_A ? GM_BEAM_B : GM_BEAM_A;
    m->tailgaters_until = now(m) + TAILGATER_EXIT_MS;
  }
  if (m->auth.remaining > 0 && may_continue(m) && !followers) {
    m->auth.deadline = now(m) + m->auth.timeout_ms; /* the timer restarts after each completed passage */
    return;
  }
  if (m->auth.remaining > 0) {
    expire_auth(m);
    return;
  }
  end_auth(m);
}

/* ---- sessions (5) and fail mode (6) ---- */

static void end_session(gm_mcu *m) {
  if (!m->session) return;
  m->session = 0;
  m->have_last = 0;
  /* A report in flight goes back to the head of the queue; it gets a new SEQ next session. */
  if (m->q_count) q_at(m, 0)->in_flight = 0;
  if (m->auth.active) {
    if (m->auth.passing) m->auth.ended_by_session = 1;
    else expire_auth(m);
  }
  emit(m, GM_EV_SESSION, NULL, 0);
}

static void enter_fail_mode(gm_mcu *m, int show_link) {
  end_unstarted_auth(m);
  m->failsafe = 1;
  /* The fire alarm outranks the fail mode: the lane stays free. */
  m->mode = (m->emergency || m->fail_mode == GM_FAIL_FREE) ? GM_MODE_FREE : GM_MODE_LOCKED;
  if (show_link) show(m, GM_SHOW_FAULT_LINK, GM_REASON_NONE);
  apply_flaps(m);
  emit(m, GM_EV_FAILSAFE, NULL, m->fail_mode);
}

static void apply_fire_alarm(gm_mcu *m, uint8_t active) {
  gm_msg r;
  if (active == m->emergency) return;
  m->emergency = active;
  if (active) {
    m->mode = GM_MODE_FREE;
    end_unstarted_auth(m);
    show(m, GM_SHOW_EMERGENCY, GM_REASON_EMERGENCY);
    apply_flaps(m);
  }
  /* Cleared: the lane stays free until the daemon sets a mode. */
  memset(&r, 0, sizeof r);
  r.type = GM_T_EMERGENCY;
  r.u.emergency.active = active;
  queue_report(m, &r);
}

/* ---- requests from the daemon ---- */

static void fill_hello_reply(gm_mcu *m, gm_msg *a) {
  a->type = GM_T_HELLO_REPLY;
  a->u.hello_reply.major = GM_VERSION_MAJOR;
  a->u.hello_reply.minor = GM_VERSION_MINOR;
  a->u.hello_reply.boot_id = m->cfg.boot_id;
  a->u.hello_reply.mode = m->mode;
  a->u.hello_reply.emergency = m->emergency;
  a->u.hello_reply.failsafe = m->failsafe;
  a->u.hello_reply.power = m->power;
  strncpy(a->u.hello_reply.firmware, m->cfg.firmware ? m->cfg.firmware : "", GM_STR8_MAX);
  a->u.hello_reply.firmware[GM_STR8_MAX] = '\0';
}

static void nak(gm_msg *a, uint8_t reason) {
  a->type = GM_T_NAK;
  a->u.nak.reason = reason;
}

/* Run one request (in a session, or a HELLO) and fill its answer. */
static void execute(gm_mcu *m, const gm_msg *q, gm_msg *a) {
  a->type = GM_T_ACK;
  switch (q->type) {
    case GM_T_HELLO:
      if (q->u.hello.major != GM_VERSION_MAJOR) {
        nak(a, GM_NAK_VERSION);
        return;
      }
      end_session(m);
      m->heartbeat_ms = q->u.hello.heartbeat_ms;
      m->watchdog_ms = q->u.hello.watchdog_ms;
      m->ack_timeout_ms = q->u.hello.ack_timeout_ms;
      m->retries = q->u.hello.retries;
      if (m->fail_mode != q->u.hello.fail_mode && m->hal.store_fail_mode) m->hal.store_fail_mode(m->hal.ctx, q->u.hello.fail_mode);
      m->fail_mode = q->u.hello.fail_mode;
      m->my_seq = 0;
      m->session = 1;
      fill_hello_reply(m, a);
      return;
    case GM_T_AUTHORISE:
      if (m->emergency) nak(a, GM_NAK_EMERGENCY);
      else if (m->mode != GM_MODE_NORMAL && m->mode != GM_MODE_MAINTENANCE) nak(a, GM_NAK_MODE);
      else if (m->auth.active) nak(a, GM_NAK_BUSY);
      else {
        memset(&m->auth, 0, sizeof m->auth);
        m->auth.active = 1;
        m->auth.auth_id = q->u.authorise.auth_id;
        m->auth.direction = q->u.authorise.direction;
        m->auth.remaining = q->u.authorise.count;
        m->auth.timeout_ms = q->u.authorise.timeout_ms;
        m->auth.deadline = now(m) + q->u.authorise.timeout_ms;
        apply_flaps(m);
      }
      return;
    case GM_T_CANCEL:
      /* The daemon asked: no report. A passage under way is not cut short; unknown or ended: ACK anyway. */
      if (m->auth.active && !m->auth.passing && (q->u.cancel.auth_id == 0 || q->u.cancel.auth_id == m->auth.auth_id)) end_auth(m);
      return;
    case GM_T_SET_MODE:
      if (m->emergency && q->u.set_mode.mode != GM_MODE_FREE) {
        nak(a, GM_NAK_EMERGENCY);
        return;
      }
      if (q->u.set_mode.mode != GM_MODE_NORMAL) end_unstarted_auth(m);
      m->mode = q->u.set_mode.mode;
      m->failsafe = 0;
      apply_flaps(m);
      return;
    case GM_T_DISPLAY:
      m->display = q->u.display;
      if (m->hal.show) m->hal.show(m->hal.ctx, &m->display);
      return;
    case GM_T_SOUND:
      if (m->hal.sound) m->hal.sound(m->hal.ctx, q->u.sound.pattern, q->u.sound.duration_ms);
      return;
    default:
      nak(a, GM_NAK_UNKNOWN_TYPE);
      return;
  }
}

static int is_request(uint8_t type) {
  return type == GM_T_HELLO || type == GM_T_AUTHORISE || type == GM_T_CANCEL || type == GM_T_SET_MODE ||
         type == GM_T_DISPLAY || type == GM_T_SOUND;
}

static void count_drop(gm_mcu *m, gm_drop_reason why) {
  m->rx.drops[why]++;
  emit(m, GM_EV_DISCARD, NULL, why);
}

static void on_frame(gm_mcu *m, const gm_frame *f) {
  gm_msg q, a;
  gm_decode_result d;
  /* Any frame with a good CRC shows the daemon is alive (6: "any type, any SEQ"). */
  if (m->session) m->last_rx_ms = now(m);
  if (!is_request(f->type) && f->type != GM_T_ACK && f->type != GM_T_NAK && f->type != GM_T_HEARTBEAT) {
    /* A type we do not receive (a report type echoed back, or one from a newer minor version). */
    count_drop(m, GM_DROP_UNKNOWN_TYPE);
    if (f->seq != 0) {
      memset(&a, 0, sizeof a);
      nak(&a, GM_NAK_UNKNOWN_TYPE);
      a.seq = f->seq;
      send_msg(m, &a, NULL);
    }
    return;
  }
  d = gm_msg_decode(f->type, f->seq, f->payload, f->len, &q);
  if (is_request(f->type) && f->seq != 0 && m->session && m->have_last && f->seq == m->last_seq) {
    /* A retransmission: the answer was lost. Answer again; do not execute again. */
    if (d == GM_DECODE_OK) emit(m, GM_EV_RECEIVED, &q, 1);
    m->hal.uart_write(m->hal.ctx, m->answer, m->answer_len);
    return;
  }
  if (d != GM_DECODE_OK || (is_request(f->type) && f->seq == 0)) {
    /* Malformed: answered with a NAK only when there is a SEQ to answer (answers are never answered). */
    count_drop(m, GM_DROP_BAD_PAYLOAD);
    if (is_request(f->type) && f->seq != 0) {
      memset(&a, 0, sizeof a);
      nak(&a, GM_NAK_BAD_PAYLOAD);
      a.seq = f->seq;
      send_msg(m, &a, NULL);
    }
    return;
  }
  emit(m, GM_EV_RECEIVED, &q, 0);
  if (q.type == GM_T_HEARTBEAT) return;
  if (q.type == GM_T_ACK || q.type == GM_T_NAK) {
    report_answered(m, &q);
    return;
  }
  memset(&a, 0, sizeof a);
  if (!m->session && q.type != GM_T_HELLO) {
    nak(&a, GM_NAK_NO_SESSION);
    a.seq = q.seq;
    send_msg(m, &a, NULL);
    return;
  }
  execute(m, &q, &a);
  a.seq = q.seq;
  if (m->session) {
    /* Remember what was accepted and answered, for a retransmission of it. */
    m->have_last = 1;
    m->last_seq = q.seq;
    m->answer_len = (uint16_t)send_msg(m, &a, m->answer);
  } else {
    send_msg(m, &a, NULL); /* HELLO of another major version: no session */
  }
  if (q.type == GM_T_HELLO && a.type == GM_T_HELLO_REPLY) {
    m->last_rx_ms = now(m);
    emit(m, GM_EV_SESSION, NULL, 1);
  }
  /* A report the request caused (passage-timeout) goes out right behind the answer. */
  send_next_report(m);
}

/* ---- public ---- */

void gm_mcu_init(gm_mcu *m, const gm_hal *hal, const gm_config *cfg) {
  gm_msg r;
  memset(m, 0, sizeof *m);
  m->hal = *hal;
  m->cfg = *cfg;
  gm_rx_init(&m->rx);
  m->heartbeat_ms = cfg->status_ms ? cfg->status_ms : 500;
  m->watchdog_ms = 3000;
  m->ack_timeout_ms = 100;
  m->retries = 3;
  m->fail_mode = cfg->fail_mode == GM_FAIL_FREE ? GM_FAIL_FREE : GM_FAIL_LOCKED;
  m->power = gm_power_name(cfg->power) ? cfg->power : GM_POWER_MAINS;
  /* Boot in the fail mode, flaps driven to it whatever they were. */
  m->flaps = GM_FLAPS_CLOSED;
  m->hal.set_flaps(m->hal.ctx, GM_FLAPS_CLOSED);
  enter_fail_mode(m, 1);
  memset(&r, 0, sizeof r);
  r.type = GM_T_MCU_RESET;
  r.u.mcu_reset.cause = gm_reset_name(cfg->reset_cause) ? cfg->reset_cause : GM_RESET_SOFTWARE;
  r.u.mcu_reset.boot_id = cfg->boot_id;
  queue_report(m, &r);
  /* An alarm at boot counts at once (the lane must open now); the debounce only filters changes. */
  m->fire_raw = cfg->fire_alarm ? 1 : 0;
  m->fire_changed_ms = now(m);
  if (m->fire_raw) apply_fire_alarm(m, 1);
  m->last_status_ms = now(m) - m->heartbeat_ms; /* first STATUS at the first poll */
}

void gm_mcu_rx(gm_mcu *m, const uint8_t *bytes, size_t n) {
  size_t i;
  gm_frame f;
  for (i = 0; i < n; i++) {
    gm_rx_result r = gm_rx_byte(&m->rx, bytes[i], &f);
    if (r == GM_RX_FRAME) on_frame(m, &f);
    else if (r == GM_RX_DROP) emit(m, GM_EV_DISCARD, NULL, m->rx.last_drop);
  }
}

void gm_mcu_poll(gm_mcu *m) {
  uint32_t t = now(m);
  if (m->fire_raw != m->emergency && reached(t, m->fire_changed_ms + m->cfg.fire_debounce_ms)) apply_fire_alarm(m, m->fire_raw);
  if (m->session && reached(t, m->last_rx_ms + m->watchdog_ms)) {
    gm_msg r;
    end_session(m);
    enter_fail_mode(m, 1);
    memset(&r, 0, sizeof r);
    r.type = GM_T_WATCHDOG_EXPIRED;
    r.u.watchdog_expired.fail_mode = m->fail_mode;
    queue_report(m, &r);
  }
  if (m->auth.active && !m->auth.passing && reached(t, m->auth.deadline)) expire_auth(m);
  if (m->tailgaters && reached(t, m->tailgaters_until)) m->tailgaters = 0;
  if (reached(t, m->last_status_ms + m->heartbeat_ms)) {
    gm_msg s;
    memset(&s, 0, sizeof s);
    s.type = GM_T_STATUS;
    s.u.status.mode = m->mode;
    s.u.status.session = m->session;
    s.u.status.emergency = m->emergency;
    s.u.status.failsafe = m->failsafe;
    s.u.status.power = m->power;
    s.u.status.remaining = gm_mcu_remaining(m);
    send_msg(m, &s, NULL);
    m->last_status_ms = t;
  }
  send_next_report(m);
  retransmit(m, t);
}

void gm_mcu_beam(gm_mcu *m, gm_beam beam, uint8_t broken) {
  uint8_t b = beam == GM_BEAM_B ? 1 : 0;
  broken = broken ? 1 : 0;
  if (m->beam[b] == broken) return;
  m->beam[b] = broken;
  if (broken) {
    if (m->auth.active) {
      if (b == near_beam(m->auth.direction)) {
        if (!m->auth.passing) start_passage(m, 1);
        else if (m->auth.entered < 255) m->auth.entered++;
      } else if (!m->auth.passing && !m->stray) {
        /* Someone came in from the far side against the authorisation: it ends (no passage-timeout). */
        auth_report(m, GM_T_REVERSE_PASSAGE, 0);
        end_auth(m);
        m->stray = 1;
      }
    } else if (m->tailgaters && b == m->tailgate_exit) {
      m->stray = 1; /* a tailgater leaving, already reported */
    } else if (!free_passage(m) && !m->stray) {
      gm_msg r;
      memset(&r, 0, sizeof r);
      r.type = GM_T_INTRUSION;
      r.u.dir_report.direction = b == GM_BEAM_A ? GM_DIR_ENTRY : GM_DIR_EXIT;
      queue_report(m, &r);
      m->stray = 1;
    }
    return;
  }
  if (m->auth.active && m->auth.passing && b != near_beam(m->auth.direction)) complete_passage(m);
  else if (m->tailgaters && b == m->tailgate_exit) m->tailgaters--;
  if (!m->beam[0] && !m->beam[1]) {
    m->stray = 0;
    apply_flaps(m); /* a close held back while the lane was occupied */
  }
}

void gm_mcu_forced(gm_mcu *m, uint8_t direction) {
  gm_msg r;
  if (free_passage(m) || !gm_direction_name(direction)) return; /* open flaps cannot be forced */
  memset(&r, 0, sizeof r);
  r.type = GM_T_FORCED_ENTRY;
  r.u.dir_report.direction = direction;
  queue_report(m, &r);
}

void gm_mcu_fire_alarm(gm_mcu *m, uint8_t active) {
  active = active ? 1 : 0;
  if (active == m->fire_raw) return;
  m->fire_raw = active;
  m->fire_changed_ms = now(m);
  if (m->cfg.fire_debounce_ms == 0) apply_fire_alarm(m, active);
}

void gm_mcu_door_fault(gm_mcu *m, uint8_t fault, uint8_t active) {
  gm_msg r;
  uint8_t bit;
  if (!gm_door_fault_name(fault)) return;
  bit = (uint8_t)(1u << fault);
  active = active ? 1 : 0;
  if (((m->door_faults & bit) != 0) == active) return;
  m->door_faults = (uint8_t)(active ? (m->door_faults | bit) : (m->door_faults & ~bit));
  memset(&r, 0, sizeof r);
  r.type = GM_T_DOOR_FAULT;
  r.u.door_fault.fault = fault;
  r.u.door_fault.active = active;
  queue_report(m, &r);
}

void gm_mcu_power(gm_mcu *m, uint8_t state) {
  gm_msg r;
  if (!gm_power_name(state) || state == m->power) return;
  m->power = state;
  memset(&r, 0, sizeof r);
  r.type = GM_T_POWER;
  r.u.power.state = state;
  queue_report(m, &r);
  /* 8: on battery-low the MCU applies its fail mode before the power goes. */
  if (state == GM_POWER_BATTERY_LOW) enter_fail_mode(m, 0);
}

uint8_t gm_mcu_remaining(const gm_mcu *m) { return m->auth.active ? m->auth.remaining : 0; }
