/* The MCU side of the gate link (PROTOCOL.md sections 3, 5-8): sessions, ACK/NAK with duplicate detection, report
 * queue with retransmission, heartbeats and the watchdog's fail mode, the flap state machine driven by two light
 * beams, the fire-alarm input and the modes. One statically sized struct, no allocation, no clock of its own:
 * the port gives it a HAL (UART write, flap GPIO, a millisecond tick) and calls gm_mcu_rx / gm_mcu_poll and the
 * input functions from its main loop. */
#ifndef GM_MCU_H
#define GM_MCU_H

#include <stddef.h>
#include <stdint.h>
#include "gm_frame.h"
#include "gm_msg.h"

/* Section 5.4 asks for at least 16; a few more so that a burst of door-fault / power changes never costs a
 * passage report. */
#define GM_QUEUE_LEN 24u
/* Room for the longest frame the MCU sends: HELLO-REPLY (32 body bytes) with a firmware string of sixteen '~',
 * and SEQ, boot id and CRC all needing escapes, is 56 bytes on the wire (LEN, TYPE and the codes never do). */
#define GM_TX_MAX 64u

/* What the flap actuators are told (one GPIO pattern per value on a real gate). */
typedef enum { GM_FLAPS_CLOSED = 0, GM_FLAPS_OPEN_ENTRY, GM_FLAPS_OPEN_EXIT, GM_FLAPS_OPEN_BOTH } gm_flaps;

/* The two light beams across the lane: A on the side entering passengers come from, B on the other side. A
 * passenger in direction entry breaks A then B; in direction exit B then A. */
typedef enum { GM_BEAM_A = 0, GM_BEAM_B = 1 } gm_beam;

/* Things a port may want to show or log; none is needed for the protocol. */
typedef enum {
  GM_EV_RECEIVED,        /* msg: a request or answer from the daemon (heartbeats too); value 1: a retransmission
                            of the last request, answered again and not executed */
  GM_EV_QUEUED,          /* msg: a report was queued */
  GM_EV_DELIVERED,       /* msg: the daemon acknowledged a report */
  GM_EV_REFUSED,         /* msg: the daemon NAKed a report (final) */
  GM_EV_DROPPED,         /* msg: the full queue dropped a report */
  GM_EV_SESSION,         /* value: 1 session opened, 0 ended */
  GM_EV_FAILSAFE,        /* value: the fail mode entered (gm_fail_mode) */
  GM_EV_DISCARD          /* value: a gm_drop_reason */
} gm_event_kind;

typedef struct {
  gm_event_kind kind;
  const gm_msg *msg;
  uint32_t value;
} gm_event;

typedef struct {
  void *ctx;
  /* Send bytes on the UART (may buffer; must not drop while the line is up). */
  void (*uart_write)(void *ctx, const uint8_t *bytes, size_t n);
  /* A free-running millisecond counter; wraps at 2^32. */
  uint32_t (*millis)(void *ctx);
  /* Drive the flap / arm actuators. */
  void (*set_flaps)(void *ctx, gm_flaps flaps);
  /* Optional (may be NULL): the passenger display, the buzzer, EEPROM for the fail mode, an event log.
   * show: render d->code / d->reason in Chinese and beside it in d->language's pack (PROTOCOL.md 4.4: "" or a
   * language without a pack, "zh" and "en" show English). The MCU's own screens (fault-link, emergency) have "". */
  void (*show)(void *ctx, const gm_display *d);
  void (*sound)(void *ctx, uint8_t pattern, uint16_t duration_ms);
  void (*store_fail_mode)(void *ctx, uint8_t fail_mode);
  void (*event)(void *ctx, const gm_event *ev);
} gm_hal;

typedef struct {
  uint32_t boot_id;          /* picked by the port at each boot (random or a counter) */
  uint8_t reset_cause;       /* gm_reset_cause of this boot */
  uint8_t fail_mode;         /* from EEPROM; factory default GM_FAIL_LOCKED */
  uint8_t power;             /* gm_power at boot */
  uint8_t fire_alarm;        /* the fire-alarm input at boot (1 = active) */
  uint16_t status_ms;        /* STATUS period before the first HELLO (PROTOCOL.md: 500) */
  uint16_t fire_debounce_ms; /* the input must hold this long before it counts (0: debounced in hardware) */
  const char *firmware;      /* version string, at most 16 printable ASCII bytes */
} gm_config;

/* An authorisation in effect. */
typedef struct {
  uint8_t active;
  uint16_t auth_id;
  uint8_t direction;
  uint8_t remaining;
  uint32_t timeout_ms;
  uint32_t deadline;     /* to enter the lane; meaningful while no passage is in progress */
  uint8_t passing;       /* a passage has started and not yet completed */
  uint8_t entered;       /* people who broke the near beam during this passage */
  uint8_t ended_by_session; /* the session ended during the passage: end the authorisation after it */
} gm_auth;

typedef struct {
  gm_msg msg;
  uint8_t in_flight;
} gm_queued;

typedef struct gm_mcu {
  gm_hal hal;
  gm_config cfg;
  gm_rx rx;
  /* link parameters from HELLO (defaults until then) */
  uint16_t heartbeat_ms, watchdog_ms, ack_timeout_ms;
  uint8_t retries, fail_mode;
  /* session */
  uint8_t session;
  uint32_t last_rx_ms;          /* last valid frame from the daemon: the watchdog's start */
  uint32_t last_status_ms;
  uint8_t have_last;            /* last_seq / answer below hold the last accepted daemon request */
  uint8_t last_seq;
  uint8_t answer[GM_TX_MAX];
  uint16_t answer_len;
  /* reports */
  gm_queued queue[GM_QUEUE_LEN];
  uint8_t q_head, q_count;
  uint8_t my_seq;               /* SEQ of the last report sent (0 = none yet this session) */
  uint8_t tx_seq;               /* SEQ of the report in flight */
  uint8_t tx_wire[GM_TX_MAX];   /* its bytes: a retransmission is the same bytes */
  uint8_t tx_len;
  uint8_t tx_tries;             /* transmissions so far */
  uint32_t tx_at;
  uint32_t reports_dropped;
  /* lane */
  uint8_t mode, failsafe, emergency, power;
  uint8_t fire_raw;             /* the input before debouncing */
  uint32_t fire_changed_ms;
  uint8_t beam[2];
  uint8_t stray;                /* someone unauthorised is in the lane: already reported */
  uint8_t tailgaters;           /* reported tailgaters still to leave through tailgate_exit */
  uint8_t tailgate_exit;
  uint32_t tailgaters_until;
  gm_auth auth;
  gm_flaps flaps;
  gm_display display;
  uint8_t door_faults;          /* bit per active gm_door_fault */
} gm_mcu;

/* Boot: no session, the stored fail mode, failsafe set, `mcu-reset` queued first (then `emergency` if the alarm
 * input is active at boot). */
void gm_mcu_init(gm_mcu *m, const gm_hal *hal, const gm_config *cfg);

/* Bytes from the UART (from the receive ring buffer the UART interrupt fills). Answers go out before it returns. */
void gm_mcu_rx(gm_mcu *m, const uint8_t *bytes, size_t n);

/* Timers: watchdog, STATUS, report retransmission, the passage timer, the fire-alarm debounce. Call it often
 * (every few ms; at least every ackTimeoutMs / 4). */
void gm_mcu_poll(gm_mcu *m);

/* Inputs from the lane's sensors. */
void gm_mcu_beam(gm_mcu *m, gm_beam beam, uint8_t broken);
void gm_mcu_forced(gm_mcu *m, uint8_t direction);
void gm_mcu_fire_alarm(gm_mcu *m, uint8_t active);
void gm_mcu_door_fault(gm_mcu *m, uint8_t fault, uint8_t active);
void gm_mcu_power(gm_mcu *m, uint8_t state);

/* The state the STATUS frame reports. */
uint8_t gm_mcu_remaining(const gm_mcu *m);

#endif
