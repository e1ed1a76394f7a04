/* Framing, CRC and the self-synchronising receiver of PROTOCOL.md section 2. */
#include "gm_frame.h"

enum { RX_HUNT = 0, RX_BODY, RX_ESCAPED };

static const char *const DROP_NAMES[GM_DROP_COUNT] = {
  "garbage", "truncated", "bad-escape", "too-long", "crc", "unknown-type", "bad-payload",
};

const char *gm_drop_name(gm_drop_reason r) { return (unsigned)r < GM_DROP_COUNT ? DROP_NAMES[r] : "?"; }

/* Bit by bit, as the document writes it: 8 shifts per byte is fast enough at 115200 baud and needs no table in
 * flash (512 bytes on an MCU that may have 16 KiB). */
uint16_t gm_crc16_update(uint16_t crc, uint8_t b) {
  int i;
  crc ^= (uint16_t)((uint16_t)b << 8);
  for (i = 0; i < 8; i++) crc = (crc & 0x8000u) ? (uint16_t)((crc << 1) ^ 0x1021u) : (uint16_t)(crc << 1);
  return crc;
}

uint16_t gm_crc16(const uint8_t *p, size_t n) {
  uint16_t crc = 0xFFFFu;
  size_t i;
  for (i = 0; i < n; i++) crc = gm_crc16_update(crc, p[i]);
  return crc;
}

/* Append one body byte, escaped; returns the new length or 0 when it does not fit. */
static size_t put_stuffed(uint8_t *out, size_t at, size_t cap, uint8_t b) {
  if (b == GM_SOF || b == GM_ESC) {
    if (at + 2 > cap) return 0;
    out[at] = GM_ESC;
    out[at + 1] = (uint8_t)(b ^ 0x20u);
    return at + 2;
  }
  if (at + 1 > cap) return 0;
  out[at] = b;
  return at + 1;
}

size_t gm_frame_encode(uint8_t seq, uint8_t type, const uint8_t *payload, uint8_t len, uint8_t *out, size_t cap) {
  uint8_t head[3];
  uint16_t crc = 0xFFFFu;
  size_t at = 1, i;
  if (len > GM_MAX_PAYLOAD || cap < 1) return 0;
  head[0] = len;
  head[1] = seq;
  head[2] = type;
  out[0] = GM_SOF;
  for (i = 0; i < 3; i++) {
    crc = gm_crc16_update(crc, head[i]);
    if ((at = put_stuffed(out, at, cap, head[i])) == 0) return 0;
  }
  for (i = 0; i < len; i++) {
    crc = gm_crc16_update(crc, payload[i]);
    if ((at = put_stuffed(out, at, cap, payload[i])) == 0) return 0;
  }
  if ((at = put_stuffed(out, at, cap, (uint8_t)(crc >> 8))) == 0) return 0;
  return put_stuffed(out, at, cap, (uint8_t)(crc & 0xFFu));
}

void gm_rx_init(gm_rx *rx) {
  unsigned i;
  rx->n = 0;
  rx->state = RX_HUNT;
  rx->in_garbage = 0;
  rx->last_drop = GM_DROP_GARBAGE;
  for (i = 0; i < GM_DROP_COUNT; i++) rx->drops[i] = 0;
}

static gm_rx_result drop(gm_rx *rx, gm_drop_reason why) {
  rx->drops[why]++;
  rx->last_drop = why;
  rx->state = RX_HUNT;
  rx->n = 0;
  /* What follows a broken frame up to the next start marker is the rest of that frame, not a new garbage run. */
  rx->in_garbage = 1;
  return GM_RX_DROP;
}

/* One unstuffed body byte; completes the frame after LEN + 5 bytes. */
static gm_rx_result body_byte(gm_rx *rx, uint8_t b, gm_frame *out) {
  uint16_t need;
  rx->body[rx->n++] = b;
  /* LEN is the first byte: refuse a too-long frame at once rather than after SEQ and TYPE (see README: the
   * document says "after 3 unstuffed bytes", the vector too-long ends after LEN). */
  if (rx->n == 1 && b > GM_MAX_PAYLOAD) return drop(rx, GM_DROP_TOO_LONG);
  if (rx->n < 3) return GM_RX_NONE;
  need = (uint16_t)(rx->body[0] + 5u);
  if (rx->n < need) return GM_RX_NONE;
  rx->state = RX_HUNT;
  rx->in_garbage = 0;
  if (gm_crc16(rx->body, need - 2u) != (uint16_t)((rx->body[need - 2u] << 8) | rx->body[need - 1u])) {
    rx->n = 0;
    rx->drops[GM_DROP_CRC]++;
    rx->last_drop = GM_DROP_CRC;
    return GM_RX_DROP;
  }
  rx->n = 0;
  out->len = rx->body[0];
  out->seq = rx->body[1];
  out->type = rx->body[2];
  out->payload = &rx->body[3];
  return GM_RX_FRAME;
}

gm_rx_result gm_rx_byte(gm_rx *rx, uint8_t b, gm_frame *out) {
  if (b == GM_SOF) {
    gm_rx_result r = GM_RX_NONE;
    /* A start marker inside a frame (rule 2 comes before rule 3: also right after a 7D): the partial frame is
     * lost. Two markers in a row are an empty frame (idle fill), not a truncation. */
    if ((rx->state == RX_BODY && rx->n > 0) || rx->state == RX_ESCAPED) {
      rx->drops[GM_DROP_TRUNCATED]++;
      rx->last_drop = GM_DROP_TRUNCATED;
      r = GM_RX_DROP;
    }
    rx->state = RX_BODY;
    rx->n = 0;
    rx->in_garbage = 0;
    return r;
  }
  switch (rx->state) {
    case RX_HUNT:
      if (!rx->in_garbage) {
        rx->in_garbage = 1;
        rx->drops[GM_DROP_GARBAGE]++;
        rx->last_drop = GM_DROP_GARBAGE;
        return GM_RX_DROP;
      }
      return GM_RX_NONE;
    case RX_ESCAPED:
      if (b != 0x5Eu && b != 0x5Du) return drop(rx, GM_DROP_BAD_ESCAPE);
      rx->state = RX_BODY;
      return body_byte(rx, (uint8_t)(b ^ 0x20u), out);
    default:
      if (b == GM_ESC) {
        rx->state = RX_ESCAPED;
        return GM_RX_NONE;
      }
      return body_byte(rx, b, out);
  }
}
