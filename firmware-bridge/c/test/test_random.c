/* Seeded random streams. 1) Random valid frames with garbage between them, fed in random chunk sizes: every frame
 * comes out exactly once, in order. 2) The same with bits flipped: no frame that was not sent comes out (beyond
 * the CRC's 2^-16 chance), no crash. 3) The MCU under random requests, sensor events, alarms, silences and time:
 * its safety invariants hold after every step, and no authorisation yields more passages than it granted.
 * Usage: test_random SEED ROUNDS */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "fake_daemon.h"

int check_failures, check_passes;
static uint32_t rng;

static uint32_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}
static uint32_t below(uint32_t n) { return n ? next() % n : 0; }

static const uint8_t TYPES[] = {GM_T_ACK, GM_T_NAK, GM_T_HELLO, GM_T_HEARTBEAT, GM_T_AUTHORISE, GM_T_CANCEL, GM_T_SET_MODE, GM_T_DISPLAY,
                                GM_T_SOUND, GM_T_HELLO_REPLY, GM_T_STATUS, GM_T_PASSAGE_STARTED, GM_T_PASSAGE, GM_T_PASSAGE_TIMEOUT,
                                GM_T_TAILGATING, GM_T_FORCED_ENTRY, GM_T_REVERSE_PASSAGE, GM_T_INTRUSION, GM_T_DOOR_FAULT, GM_T_EMERGENCY,
                                GM_T_POWER, GM_T_MCU_RESET, GM_T_WATCHDOG_EXPIRED};

static void rand_str(char *s) {
  uint32_t n = below(GM_STR8_MAX + 1), i;
  for (i = 0; i < n; i++) s[i] = (char)(0x20 + below(0x5F));
  s[n] = '\0';
}

/* A random message whose fields are all in range (so it encodes). Bytes 7E / 7D come up often in u16/u32. */
static void rand_msg(gm_msg *m) {
  memset(m, 0, sizeof *m);
  m->type = TYPES[below(sizeof TYPES)];
  m->seq = (uint8_t)next();
  switch (m->type) {
    case GM_T_NAK: m->u.nak.reason = (uint8_t)(1 + below(7)); break;
    case GM_T_HELLO:
      m->u.hello.major = (uint8_t)next(); m->u.hello.minor = (uint8_t)next(); m->u.hello.heartbeat_ms = (uint16_t)next();
      m->u.hello.watchdog_ms = (uint16_t)next(); m->u.hello.ack_timeout_ms = (uint16_t)next(); m->u.hello.retries = (uint8_t)next();
      m->u.hello.fail_mode = (uint8_t)below(2);
      break;
    case GM_T_AUTHORISE:
      m->u.authorise.auth_id = (uint16_t)(1 + below(65535)); m->u.authorise.direction = (uint8_t)(1 + below(2));
      m->u.authorise.count = (uint8_t)(1 + below(255)); m->u.authorise.timeout_ms = next();
      break;
    case GM_T_CANCEL: m->u.cancel.auth_id = (uint16_t)next(); break;
    case GM_T_SET_MODE: m->u.set_mode.mode = (uint8_t)below(4); break;
    case GM_T_DISPLAY:
      m->u.display.code = (uint8_t)below(GM_SHOW_LOOK_AT_CAMERA + 1); m->u.display.reason = below(5) ? (uint8_t)below(GM_REASON_MAX + 1) : GM_REASON_NONE;
      rand_str(m->u.display.train); rand_str(m->u.display.car); rand_str(m->u.display.seat);
      /* Half with the 1.1 language (any str8, the empty one too), half as a 1.0 daemon sends it. */
      if ((m->u.display.has_language = (uint8_t)below(2)) != 0) rand_str(m->u.display.language);
      break;
    case GM_T_SOUND: m->u.sound.pattern = (uint8_t)below(4); m->u.sound.duration_ms = (uint16_t)next(); break;
    case GM_T_HELLO_REPLY:
      m->u.hello_reply.major = (uint8_t)next(); m->u.hello_reply.minor = (uint8_t)next(); m->u.hello_reply.boot_id = next();
      m->u.hello_reply.mode = (uint8_t)below(4); m->u.hello_reply.emergency = (uint8_t)below(2); m->u.hello_reply.failsafe = (uint8_t)below(2);
      m->u.hello_reply.power = (uint8_t)below(3); rand_str(m->u.hello_reply.firmware);
      break;
    case GM_T_STATUS:
      m->u.status.mode = (uint8_t)below(4); m->u.status.session = (uint8_t)below(2); m->u.status.emergency = (uint8_t)below(2);
      m->u.status.failsafe = (uint8_t)below(2); m->u.status.power = (uint8_t)below(3); m->u.status.remaining = (uint8_t)next();
      break;
    case GM_T_PASSAGE_STARTED: case GM_T_PASSAGE: case GM_T_PASSAGE_TIMEOUT: case GM_T_TAILGATING: case GM_T_REVERSE_PASSAGE:
      m->u.auth_report.auth_id = (uint16_t)next(); m->u.auth_report.direction = (uint8_t)(1 + below(2));
      if (m->type == GM_T_PASSAGE || m->type == GM_T_PASSAGE_TIMEOUT) m->u.auth_report.n = (uint8_t)next();
      break;
    case GM_T_FORCED_ENTRY: case GM_T_INTRUSION: m->u.dir_report.direction = (uint8_t)(1 + below(2)); break;
    case GM_T_DOOR_FAULT: m->u.door_fault.fault = (uint8_t)(1 + below(4)); m->u.door_fault.active = (uint8_t)below(2); break;
    case GM_T_EMERGENCY: m->u.emergency.active = (uint8_t)below(2); break;
    case GM_T_POWER: m->u.power.state = (uint8_t)below(3); break;
    case GM_T_MCU_RESET: m->u.mcu_reset.cause = (uint8_t)below(5); m->u.mcu_reset.boot_id = next(); break;
    case GM_T_WATCHDOG_EXPIRED: m->u.watchdog_expired.fail_mode = (uint8_t)below(2); break;
    default: break;
  }
}

#define FRAMES 4000
static gm_msg sent[FRAMES];
static uint8_t stream[FRAMES * 80];

/* Build the stream; corrupt (1 in `corrupt_one_in` frames get a bit flipped) when corrupt_one_in > 0. */
static size_t build_stream(int corrupt_one_in, int *corrupted) {
  size_t len = 0;
  int i;
  *corrupted = 0;
  for (i = 0; i < FRAMES; i++) {
    uint8_t wire[GM_WIRE_MAX];
    size_t n, g = below(6), k;
    rand_msg(&sent[i]);
    n = gm_msg_encode(&sent[i], wire, sizeof wire);
    CHECK(n > 0, "random message of type 0x%02x did not encode", sent[i].type);
    for (k = 0; k < g; k++) {
      uint8_t b = (uint8_t)next();
      stream[len++] = b == GM_SOF ? 0x00 : b; /* garbage, but never a start marker */
    }
    if (corrupt_one_in && below((uint32_t)corrupt_one_in) == 0) {
      size_t at = 1 + below((uint32_t)n - 1);
      wire[at] ^= (uint8_t)(1u << below(8));
      (*corrupted)++;
    }
    memcpy(stream + len, wire, n);
    len += n;
  }
  return len;
}

static void framing(void) {
  int corrupted, got = 0, matched = 0, strangers = 0, round;
  for (round = 0; round < 2; round++) {
    size_t len = build_stream(round ? 5 : 0, &corrupted), at = 0;
    gm_rx rx;
    int expect = 0;
    got = matched = strangers = 0;
    gm_rx_init(&rx);
    while (at < len) {
      size_t chunk = 1 + below(64), i;
      for (i = 0; i < chunk && at < len; i++, at++) {
        gm_frame f;
        gm_msg m;
        int j;
        if (gm_rx_byte(&rx, stream[at], &f) != GM_RX_FRAME) continue;
        got++;
        /* The frame must be one that was sent, at or after the last one matched. */
        for (j = expect; j < FRAMES; j++) {
          if (gm_msg_decode(f.type, f.seq, f.payload, f.len, &m) == GM_DECODE_OK && memcmp(&m, &sent[j], sizeof m) == 0) break;
        }
        if (j < FRAMES) {
          matched++;
          expect = j + 1;
        } else {
          strangers++;
        }
      }
    }
    if (round == 0) {
      CHECK(got == FRAMES && matched == FRAMES, "clean stream: %d frames out, %d matched, of %d", got, matched, FRAMES);
      CHECK(rx.drops[GM_DROP_CRC] == 0 && rx.drops[GM_DROP_TRUNCATED] == 0, "clean stream: crc %lu truncated %lu drops",
            (unsigned long)rx.drops[GM_DROP_CRC], (unsigned long)rx.drops[GM_DROP_TRUNCATED]);
    } else {
      CHECK(strangers <= 1 + corrupted / 1000, "corrupted stream: %d frames that were never sent came out (%d corrupted)", strangers, corrupted);
      CHECK(matched >= FRAMES - 2 * corrupted, "corrupted stream: only %d of %d frames (%d corrupted)", matched, FRAMES, corrupted);
    }
  }
}

/* Passages granted and reported per authId. (The daemon may see a report twice: one in flight when a session
 * ends is sent again in the next, by design; so this counts what the MCU queued.) */
static uint16_t granted[65536];
static uint16_t passed[65536];

static void hello(gm_msg *m, uint8_t fail_mode) {
  m->type = GM_T_HELLO;
  m->u.hello.major = 1;
  m->u.hello.heartbeat_ms = 200;
  m->u.hello.watchdog_ms = 1000;
  m->u.hello.ack_timeout_ms = 50;
  m->u.hello.retries = 2;
  m->u.hello.fail_mode = fail_mode;
}

static void machine(int rounds) {
  static fake f;
  gm_config cfg = fake_config();
  uint16_t auth_id = 0;
  int i, violations = 0, over = 0;
  f.clock = 0;
  fake_boot(&f, &cfg);
  f.passages_queued = passed;
  memset(granted, 0, sizeof granted);
  memset(passed, 0, sizeof passed);
  for (i = 0; i < rounds; i++) {
    gm_msg m;
    uint32_t op = below(21);
    memset(&m, 0, sizeof m);
    switch (op) {
      case 0: hello(&m, (uint8_t)below(2)); break;
      case 1: case 2: case 3:
        m.type = GM_T_AUTHORISE; m.u.authorise.auth_id = ++auth_id ? auth_id : ++auth_id; m.u.authorise.direction = (uint8_t)(1 + below(2));
        m.u.authorise.count = (uint8_t)(1 + below(3)); m.u.authorise.timeout_ms = 200 + below(3000);
        break;
      case 4: m.type = GM_T_SET_MODE; m.u.set_mode.mode = below(3) ? GM_MODE_NORMAL : (uint8_t)below(4); break;
      case 5: m.type = GM_T_CANCEL; m.u.cancel.auth_id = below(2) ? 0 : auth_id; break;
      case 6: {
        uint8_t junk[24];
        size_t k, n = below(sizeof junk);
        for (k = 0; k < n; k++) junk[k] = below(4) ? (uint8_t)next() : GM_SOF;
        fake_bytes(&f, junk, n);
        break;
      }
      case 7: case 8: case 9: case 10: gm_mcu_beam(&f.mcu, (gm_beam)below(2), (uint8_t)below(2)); break;
      case 11: if (below(8) == 0) gm_mcu_fire_alarm(&f.mcu, (uint8_t)below(2)); break;
      case 12: gm_mcu_power(&f.mcu, (uint8_t)below(3)); break;
      case 13: gm_mcu_door_fault(&f.mcu, (uint8_t)(1 + below(4)), (uint8_t)below(2)); break;
      case 14: gm_mcu_forced(&f.mcu, (uint8_t)(1 + below(2))); break;
      case 15: if (below(10) == 0) { f.heartbeats = !f.heartbeats; f.auto_ack = f.heartbeats; } break;
      case 16: case 17: {
        /* Someone walks through in the authorised direction (or a random one), maybe with a follower. */
        gm_beam near = (f.mcu.auth.active ? f.mcu.auth.direction == GM_DIR_ENTRY : below(2)) ? GM_BEAM_A : GM_BEAM_B;
        gm_beam far = near == GM_BEAM_A ? GM_BEAM_B : GM_BEAM_A;
        gm_mcu_beam(&f.mcu, near, 1);
        fake_advance(&f, below(50));
        gm_mcu_beam(&f.mcu, near, 0);
        if (below(4) == 0) gm_mcu_beam(&f.mcu, near, 1);
        gm_mcu_beam(&f.mcu, far, 1);
        gm_mcu_beam(&f.mcu, near, 0);
        fake_advance(&f, below(50));
        gm_mcu_beam(&f.mcu, far, 0);
        break;
      }
      default: fake_advance(&f, below(400)); break;
    }
    if (m.type == GM_T_AUTHORISE) {
      uint8_t before = f.mcu.auth.active;
      uint16_t prev_id = f.mcu.auth.auth_id;
      fake_request(&f, &m);
      if (f.mcu.auth.active && (!before || prev_id != f.mcu.auth.auth_id)) granted[m.u.authorise.auth_id] = m.u.authorise.count;
    } else if (m.type) {
      fake_request(&f, &m);
    }
    fake_advance(&f, 1);
    fake_take_reports(&f);
    fake_take_answers(&f);
    /* Invariants. */
    if (f.mcu.emergency && (f.mcu.mode != GM_MODE_FREE || f.flaps != GM_FLAPS_OPEN_BOTH)) violations++;
    if (f.mcu.auth.active && !f.mcu.auth.passing && f.mcu.mode != GM_MODE_NORMAL && f.mcu.mode != GM_MODE_MAINTENANCE) violations++;
    if (f.mcu.auth.active && f.mcu.auth.remaining == 0) violations++;
    if (f.mcu.q_count > GM_QUEUE_LEN) violations++;
    if (f.flaps == GM_FLAPS_CLOSED && (f.mcu.emergency || f.mcu.mode == GM_MODE_FREE)) violations++;
  }
  /* Let everything drain in a last session. */
  f.heartbeats = 1;
  f.auto_ack = 1;
  gm_mcu_fire_alarm(&f.mcu, 0);
  gm_mcu_beam(&f.mcu, GM_BEAM_A, 0);
  gm_mcu_beam(&f.mcu, GM_BEAM_B, 0);
  {
    gm_msg h;
    memset(&h, 0, sizeof h);
    hello(&h, GM_FAIL_LOCKED);
    fake_request(&f, &h);
  }
  fake_advance(&f, 5000);
  {
    long total = 0;
    for (i = 1; i < 65536; i++) {
      if (passed[i] > granted[i]) over++;
      total += passed[i];
    }
    CHECK(total > rounds / 100, "only %ld passages in %d random steps: the walk is not exercising the lane", total, rounds);
  }
  CHECK(violations == 0, "%d invariant violations in %d random steps", violations, rounds);
  CHECK(over == 0, "%d authorisations reported more passages than granted", over);
  CHECK(f.mcu.q_count == 0, "%u reports still queued after a quiet session", f.mcu.q_count);
}

int main(int argc, char **argv) {
  unsigned long seed = argc > 1 ? strtoul(argv[1], NULL, 0) : 1;
  int rounds = argc > 2 ? atoi(argv[2]) : 2000;
  rng = (uint32_t)(seed ? seed : 1) * 2654435761u | 1u;
  framing();
  machine(rounds * 10);
  printf("random: seed %lu, %d frames x2, %d machine steps: %d checks, %d failed\n", seed, FRAMES, rounds * 10, check_passes + check_failures, check_failures);
  return check_failures ? 1 : 0;
}
