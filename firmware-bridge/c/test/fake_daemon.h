/* The daemon's end of the link for the host tests: a fake clock and HAL around one gm_mcu, a receiver for what the
 * MCU sends, and the daemon's habits (acknowledge every report, send heartbeats) that a test can switch off. */
#ifndef TEST_FAKE_DAEMON_H
#define TEST_FAKE_DAEMON_H

#include "gm_mcu.h"

typedef struct {
  gm_mcu mcu;
  uint32_t clock;
  gm_rx rx;                  /* the daemon's receiver */
  uint8_t out[16384];        /* bytes the MCU wrote, not yet read by the daemon */
  size_t out_len;
  char answers[2048];        /* answers since the last take, "ack 2, nak 3 busy" */
  char reports[4096];        /* new reports since the last take, "passage 7 entry 0" */
  gm_msg status;             /* the last STATUS */
  int statuses;
  gm_flaps flaps;
  gm_display shown;
  int auto_ack;              /* acknowledge each report (default 1) */
  int heartbeats;            /* send HEARTBEAT every heartbeat_ms while time passes (default 1) */
  uint16_t heartbeat_ms;
  uint8_t seq;               /* the daemon's last request SEQ */
  uint8_t last_report_seq;   /* for duplicate detection, as the daemon does */
  int have_report_seq;
  int report_frames;         /* report frames received, retransmissions included */
  int duplicates;            /* retransmissions recognised */
  uint8_t last_report_wire[GM_TX_MAX];
  size_t last_report_len;
  int retransmissions_identical; /* every retransmission had the bytes of the first send */
  uint16_t *passages_queued;  /* when set: passage reports the MCU queued, per authId */
  uint32_t report_times[64]; /* clock of each report frame (for the retransmission schedule) */
} fake;

void fake_boot(fake *f, const gm_config *cfg);
/* A gm_config with the defaults the tests use (boot 0x2a, software reset, fail mode locked). */
gm_config fake_config(void);
/* Send one message (SEQ as given) and let the MCU answer. */
void fake_send(fake *f, const gm_msg *m);
/* Send a request with the daemon's next SEQ; returns that SEQ. */
uint8_t fake_request(fake *f, gm_msg *m);
/* Raw bytes on the line. */
void fake_bytes(fake *f, const uint8_t *p, size_t n);
/* Let ms pass in 1 ms steps, polling the MCU (and sending heartbeats when on). */
void fake_advance(fake *f, uint32_t ms);
/* Read what the MCU sent (done by every function above). */
void fake_pump(fake *f);
/* The answers / reports since the last take; the buffer is cleared. The returned text stays valid until the next take. */
const char *fake_take_answers(fake *f);
const char *fake_take_reports(fake *f);
/* The messages in the tests' text form. */
void fmt_msg(const gm_msg *m, char *out, size_t cap);

#endif
