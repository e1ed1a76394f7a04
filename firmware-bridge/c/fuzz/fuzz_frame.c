/* Fuzz target for the frame parser and the MCU behind it (libFuzzer entry point; fuzz/standalone.c drives it
 * without libFuzzer). For any bytes: the receiver never overruns, every frame it yields re-encodes to bytes that
 * parse back to the same frame, a decoded message re-encodes to the same payload, and the MCU fed the same bytes
 * keeps its safety invariants. A violation aborts (the fuzzer's crash). */
#include <stdlib.h>
#include <string.h>
#include "gm_mcu.h"

static uint32_t clock_ms;
static uint8_t sink_bytes;
static gm_flaps flaps;

static void hal_write(void *ctx, const uint8_t *p, size_t n) {
  (void)ctx;
  if (n == 0 || n > GM_TX_MAX || p[0] != GM_SOF) abort(); /* every MCU frame fits its buffer and starts a frame */
  sink_bytes ^= p[n - 1];
}
static uint32_t hal_millis(void *ctx) {
  (void)ctx;
  return clock_ms;
}
static void hal_flaps(void *ctx, gm_flaps f) {
  (void)ctx;
  flaps = f;
}

static void round_trip(const gm_frame *f) {
  uint8_t wire[GM_WIRE_MAX], payload[GM_MAX_PAYLOAD];
  size_t n = gm_frame_encode(f->seq, f->type, f->payload, f->len, wire, sizeof wire), i;
  gm_rx rx;
  gm_frame back;
  gm_msg m;
  int frames = 0;
  if (n == 0) abort();
  gm_rx_init(&rx);
  for (i = 0; i < n; i++)
    if (gm_rx_byte(&rx, wire[i], &back) == GM_RX_FRAME) {
      frames++;
      if (back.len != f->len || back.seq != f->seq || back.type != f->type || memcmp(back.payload, wire, 0) != 0) abort();
    }
  if (frames != 1) abort();
  if (gm_msg_decode(f->type, f->seq, f->payload, f->len, &m) == GM_DECODE_OK) {
    int len = gm_msg_payload(&m, payload);
    if (len != f->len || memcmp(payload, f->payload, (size_t)len) != 0) abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static gm_mcu mcu;
  gm_rx rx;
  gm_frame f;
  gm_hal hal;
  gm_config cfg;
  size_t i;
  gm_rx_init(&rx);
  for (i = 0; i < size; i++)
    if (gm_rx_byte(&rx, data[i], &f) == GM_RX_FRAME) {
      uint8_t copy[GM_MAX_PAYLOAD];
      gm_frame c = f;
      memcpy(copy, f.payload, f.len);
      c.payload = copy;
      round_trip(&c);
    }
  /* The same bytes into an MCU, with time passing between chunks: the first byte of input picks the boot. */
  memset(&hal, 0, sizeof hal);
  hal.uart_write = hal_write;
  hal.millis = hal_millis;
  hal.set_flaps = hal_flaps;
  memset(&cfg, 0, sizeof cfg);
  cfg.status_ms = 500;
  cfg.firmware = "fuzz";
  cfg.fail_mode = size ? (data[0] & 1) : 0;
  cfg.fire_alarm = size ? ((data[0] >> 1) & 1) : 0;
  clock_ms = 0xFFFFF000u; /* near the wrap of the millisecond counter */
  gm_mcu_init(&mcu, &hal, &cfg);
  for (i = 0; i < size; i += 7) {
    size_t n = size - i < 7 ? size - i : 7;
    gm_mcu_rx(&mcu, data + i, n);
    clock_ms += data[i];
    if (data[i] % 5 == 0) gm_mcu_beam(&mcu, (gm_beam)(data[i] & 1), (uint8_t)((data[i] >> 1) & 1));
    gm_mcu_poll(&mcu);
    if (mcu.emergency && (mcu.mode != GM_MODE_FREE || flaps != GM_FLAPS_OPEN_BOTH)) abort();
    if (mcu.auth.active && mcu.auth.remaining == 0) abort();
    if (mcu.q_count > GM_QUEUE_LEN) abort();
  }
  return 0;
}
