/* Host cost of the library's frame build and parse, in ns per frame, over the vectors' kinds of frame (a stuffed
 * AUTHORISE, a DISPLAY with strings, HELLO-REPLY, STATUS, a passage report, an ACK). Prints one JSON object.
 * Usage: bench [FRAMES] (default 2,000,000 per measurement). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "gm_frame.h"
#include "gm_msg.h"

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

#define KINDS 6
static gm_msg msgs[KINDS];

static void make_msgs(void) {
  memset(msgs, 0, sizeof msgs);
  msgs[0].type = GM_T_AUTHORISE; msgs[0].seq = 126;
  msgs[0].u.authorise.auth_id = 32381; msgs[0].u.authorise.direction = GM_DIR_EXIT; msgs[0].u.authorise.count = 3; msgs[0].u.authorise.timeout_ms = 20000;
  msgs[1].type = GM_T_DISPLAY; msgs[1].seq = 9; msgs[1].u.display.code = GM_SHOW_OPEN;
  strcpy(msgs[1].u.display.train, "G1234"); strcpy(msgs[1].u.display.car, "05"); strcpy(msgs[1].u.display.seat, "12F");
  msgs[2].type = GM_T_HELLO_REPLY; msgs[2].seq = 1; msgs[2].u.hello_reply.major = 1; msgs[2].u.hello_reply.boot_id = 0xdeadbeef;
  msgs[2].u.hello_reply.mode = GM_MODE_LOCKED; msgs[2].u.hello_reply.failsafe = 1; strcpy(msgs[2].u.hello_reply.firmware, "gcu-2.4.1");
  msgs[3].type = GM_T_STATUS; msgs[3].u.status.mode = GM_MODE_NORMAL; msgs[3].u.status.session = 1; msgs[3].u.status.remaining = 1;
  msgs[4].type = GM_T_PASSAGE; msgs[4].seq = 2; msgs[4].u.auth_report.auth_id = 4660; msgs[4].u.auth_report.direction = GM_DIR_ENTRY;
  msgs[5].type = GM_T_ACK; msgs[5].seq = 5;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 2000000, i;
  static uint8_t stream[KINDS * GM_WIRE_MAX];
  size_t lens[KINDS], total = 0, k;
  volatile unsigned sink = 0;
  double t0, build_ns, parse_ns;
  gm_rx rx;
  long frames = 0;
  make_msgs();
  for (k = 0; k < KINDS; k++) {
    lens[k] = gm_msg_encode(&msgs[k], stream + total, sizeof stream - total);
    total += lens[k];
  }
  /* Build: message struct -> wire bytes. */
  t0 = now_ns();
  for (i = 0; i < n; i++) {
    uint8_t wire[GM_WIRE_MAX];
    sink += (unsigned)gm_msg_encode(&msgs[i % KINDS], wire, sizeof wire);
  }
  build_ns = (now_ns() - t0) / (double)n;
  /* Parse: wire bytes -> frame (receiver, CRC) -> decoded message. */
  gm_rx_init(&rx);
  t0 = now_ns();
  for (i = 0; i < n; i += KINDS) {
    for (k = 0; k < total; k++) {
      gm_frame f;
      if (gm_rx_byte(&rx, stream[k], &f) == GM_RX_FRAME) {
        gm_msg m;
        sink += (unsigned)gm_msg_decode(f.type, f.seq, f.payload, f.len, &m);
        frames++;
      }
    }
  }
  parse_ns = (now_ns() - t0) / (double)frames;
  printf("{\"buildNsPerFrame\":%.1f,\"parseNsPerFrame\":%.1f,\"frames\":%ld,\"bytesPerFrame\":%.1f,\"sink\":%u}\n", build_ns, parse_ns, frames,
         (double)total / KINDS, sink);
  return frames == 0;
}
