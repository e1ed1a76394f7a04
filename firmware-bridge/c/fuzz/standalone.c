/* Runs the fuzz target without libFuzzer (the system compiler builds this): seeded random inputs, mostly made of
 * valid frames with bytes flipped, inserted and cut, so the state machine sees sessions, not only noise.
 * Usage: fuzz_standalone CASES SEED, or fuzz_standalone FILE... to replay inputs (a crash file from libFuzzer). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gm_msg.h"
#include "gm_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t rng = 1;
static uint32_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}

/* Frames the daemon sends, as raw material. */
static size_t some_frame(uint8_t *out, size_t cap) {
  gm_msg m;
  memset(&m, 0, sizeof m);
  m.seq = (uint8_t)next();
  switch (next() % 7) {
    case 0: m.type = GM_T_HELLO; m.u.hello.major = 1; m.u.hello.heartbeat_ms = 100; m.u.hello.watchdog_ms = 300;
            m.u.hello.ack_timeout_ms = 20; m.u.hello.retries = 2; m.u.hello.fail_mode = (uint8_t)(next() % 2); break;
    case 1: m.type = GM_T_AUTHORISE; m.u.authorise.auth_id = (uint16_t)(1 + next() % 9); m.u.authorise.direction = (uint8_t)(1 + next() % 2);
            m.u.authorise.count = (uint8_t)(1 + next() % 3); m.u.authorise.timeout_ms = next() % 500; break;
    case 2: m.type = GM_T_SET_MODE; m.u.set_mode.mode = (uint8_t)(next() % 4); break;
    case 3: m.type = GM_T_ACK; break;
    case 4: m.type = GM_T_HEARTBEAT; m.seq = 0; break;
    case 5: m.type = GM_T_CANCEL; m.u.cancel.auth_id = (uint16_t)(next() % 3); break;
    default: m.type = GM_T_DISPLAY; m.u.display.code = 2; m.u.display.reason = 0; strcpy(m.u.display.train, "G1");
             if (next() % 2) { m.u.display.has_language = 1; strcpy(m.u.display.language, "ja"); } break;
  }
  return gm_msg_encode(&m, out, cap);
}

int main(int argc, char **argv) {
  static uint8_t buf[4096];
  long cases, c;
  if (argc > 1 && strtol(argv[1], NULL, 10) == 0) {
    int i;
    for (i = 1; i < argc; i++) {
      FILE *f = fopen(argv[i], "rb");
      size_t n;
      if (!f) return perror(argv[i]), 1;
      n = fread(buf, 1, sizeof buf, f);
      fclose(f);
      LLVMFuzzerTestOneInput(buf, n);
    }
    printf("fuzz: %d inputs replayed, no failure\n", argc - 1);
    return 0;
  }
  cases = argc > 1 ? strtol(argv[1], NULL, 10) : 10000;
  rng = (uint32_t)(argc > 2 ? strtoul(argv[2], NULL, 0) : 1) * 2654435761u | 1u;
  for (c = 0; c < cases; c++) {
    size_t n = 0;
    int frames = (int)(next() % 24), k;
    for (k = 0; k < frames && n + GM_WIRE_MAX < sizeof buf; k++) {
      n += some_frame(buf + n, sizeof buf - n);
      switch (next() % 8) {
        case 0: if (n) buf[next() % n] ^= (uint8_t)(1u << (next() % 8)); break;  /* a flipped bit */
        case 1: buf[n++] = (uint8_t)next(); break;                                /* a stray byte */
        case 2: if (n > 2) n -= 1 + next() % 2; break;                             /* a cut frame */
        default: break;
      }
    }
    if (next() % 10 == 0) for (k = 0; k < 64 && n < sizeof buf; k++) buf[n++] = (uint8_t)next(); /* plain noise */
    LLVMFuzzerTestOneInput(buf, n);
  }
  printf("fuzz: %ld cases (standalone driver), no failure\n", cases);
  return 0;
}
