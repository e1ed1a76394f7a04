/* Framing of the gate MCU link (PROTOCOL.md section 2): CRC-16/CCITT-FALSE, HDLC-style byte stuffing, and a
 * receiver that splits a byte stream into frames and names every discard. No allocation: the caller owns the
 * receiver state and the output buffers. */
#ifndef GM_FRAME_H
#define GM_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define GM_SOF 0x7Eu
#define GM_ESC 0x7Du
#define GM_MAX_PAYLOAD 250u
/* LEN SEQ TYPE PAYLOAD CRC_HI CRC_LO, unstuffed. */
#define GM_BODY_MAX (3u + GM_MAX_PAYLOAD + 2u)
/* Start marker plus every body byte escaped: the worst case on the wire. */
#define GM_WIRE_MAX (1u + 2u * GM_BODY_MAX)

/* Why the receiver dropped bytes (section 2, "Receiving"); the last two are decided above the framing layer. */
typedef enum {
  GM_DROP_GARBAGE = 0,   /* bytes outside a frame (one count per run) */
  GM_DROP_TRUNCATED,     /* a start marker inside a partial frame */
  GM_DROP_BAD_ESCAPE,    /* 7D followed by anything but 5E / 5D */
  GM_DROP_TOO_LONG,      /* LEN > 250 */
  GM_DROP_CRC,           /* complete frame, wrong CRC: dropped silently */
  GM_DROP_UNKNOWN_TYPE,  /* good CRC, TYPE not one this side receives */
  GM_DROP_BAD_PAYLOAD,   /* good CRC, payload malformed */
  GM_DROP_COUNT
} gm_drop_reason;

/* The name the daemon logs for a drop reason ("garbage", "crc", ...). */
const char *gm_drop_name(gm_drop_reason r);

uint16_t gm_crc16_update(uint16_t crc, uint8_t b);
uint16_t gm_crc16(const uint8_t *p, size_t n);

/* Build the wire bytes of one frame into out (cap bytes; GM_WIRE_MAX always suffices).
 * Returns the number of bytes written, or 0 when len > 250 or the frame does not fit. */
size_t gm_frame_encode(uint8_t seq, uint8_t type, const uint8_t *payload, uint8_t len, uint8_t *out, size_t cap);

/* One complete frame with a good CRC. payload points into the receiver and is valid until its next byte. */
typedef struct {
  uint8_t len;
  uint8_t seq;
  uint8_t type;
  const uint8_t *payload;
} gm_frame;

typedef enum { GM_RX_NONE = 0, GM_RX_FRAME, GM_RX_DROP } gm_rx_result;

typedef struct {
  uint8_t body[GM_BODY_MAX];
  uint16_t n;                 /* unstuffed bytes of the partial frame */
  uint8_t state;              /* hunting, in a frame, after an escape */
  uint8_t in_garbage;         /* a garbage run is already counted */
  gm_drop_reason last_drop;   /* valid after GM_RX_DROP */
  uint32_t drops[GM_DROP_COUNT];
} gm_rx;

void gm_rx_init(gm_rx *rx);

/* Feed one byte. GM_RX_FRAME: *out holds a frame with a good CRC. GM_RX_DROP: rx->last_drop says why (counted). */
gm_rx_result gm_rx_byte(gm_rx *rx, uint8_t b, gm_frame *out);

#endif
