/* The MCU's state machine against tables: each scenario is a list of steps (what the daemon sends, what the
 * lane's sensors see, time passing) and of what must come out (answers, reports in order, STATUS, flaps). */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "fake_daemon.h"

int check_failures, check_passes;

typedef enum {
  END, HELLO, AUTH, CANCEL, MODE, DISPLAY, RAW, REPEAT, BEAM, FIRE, POWER, DOOR, FORCED, TICK, SILENT, NOACK, ACK_NOW,
  ANSWERS, REPORTS, STATUS, STATE, FLAPS, RETX, SHOWN
} op;

typedef struct {
  op op;
  long a, b, c, d;
  const char *s;
} step;

typedef struct {
  const char *name;
  int boot_fire;
  int boot_fail_free;
  step steps[64];
} scenario;

#define A GM_BEAM_A
#define B GM_BEAM_B
#define ENTRY GM_DIR_ENTRY
#define EXIT GM_DIR_EXIT
/* The daemon opens a session (SEQ 1) with fail mode locked and sets mode normal (SEQ 2). */
#define SESSION {HELLO, GM_FAIL_LOCKED, 3000, 1, 0, 0}, {MODE, GM_MODE_NORMAL, 0, 0, 0, 0}, \
  {ANSWERS, 0, 0, 0, 0, "hello-reply 1 locked failsafe, ack 2"}, {REPORTS, 0, 0, 0, 0, "mcu-reset software"}
#define WALK(near, far) {BEAM, near, 1, 0, 0, 0}, {BEAM, near, 0, 0, 0, 0}, {BEAM, far, 1, 0, 0, 0}, {BEAM, far, 0, 0, 0, 0}
#define EXPECT_ANSWERS(t) {ANSWERS, 0, 0, 0, 0, t}
#define EXPECT_REPORTS(t) {REPORTS, 0, 0, 0, 0, t}
#define EXPECT_STATE(t) {STATE, 0, 0, 0, 0, t}
/* DISPLAY code, reason, strings "train|car|seat|language"; with_language 0 sends the 1.0 payload (no language). */
#define SEND_DISPLAY(code, reason, with_language, strings) {DISPLAY, code, reason, with_language, 0, strings}
/* What the HAL's show was last given: "code reason train|car|seat|language". */
#define EXPECT_SHOWN(t) {SHOWN, 0, 0, 0, 0, t}
#define TILDES "~~~~~~~~~~~~~~~~"

static const scenario SCENARIOS[] = {
  {"boot: fail mode, STATUS without a session, NAK no-session, then HELLO opens the session and mcu-reset comes first", 0, 0, {
    {TICK, 1, 0, 0, 0, 0},
    {STATUS, 0, 0, 0, 0, "status locked session=0 emergency=0 failsafe=1 remaining=0"},
    {FLAPS, GM_FLAPS_CLOSED, 0, 0, 0, 0},
    {MODE, GM_MODE_NORMAL, 0, 0, 0, 0}, EXPECT_ANSWERS("nak 1 no-session"), EXPECT_REPORTS(""),
    {HELLO, GM_FAIL_LOCKED, 3000, 1, 0, 0}, EXPECT_ANSWERS("hello-reply 2 locked failsafe"), EXPECT_REPORTS("mcu-reset software"),
    {MODE, GM_MODE_NORMAL, 0, 0, 0, 0}, EXPECT_ANSWERS("ack 3"),
    {TICK, 500, 0, 0, 0, 0},
    {STATUS, 0, 0, 0, 0, "status normal session=1 emergency=0 failsafe=0 remaining=0"},
    {END, 0, 0, 0, 0, 0}}},
  {"an authorised passenger walks through: passage-started, then passage with 0 remaining; flaps open then close", 0, 0, {
    SESSION,
    {AUTH, 7, ENTRY, 1, 10000, 0}, EXPECT_ANSWERS("ack 3"), {FLAPS, GM_FLAPS_OPEN_ENTRY, 0, 0, 0, 0},
    {TICK, 500, 0, 0, 0, 0}, {STATUS, 0, 0, 0, 0, "status normal session=1 emergency=0 failsafe=0 remaining=1"},
    {BEAM, A, 1, 0, 0, 0}, EXPECT_REPORTS("passage-started 7 entry"),
    {BEAM, A, 0, 0, 0, 0}, {BEAM, B, 1, 0, 0, 0}, {FLAPS, GM_FLAPS_OPEN_ENTRY, 0, 0, 0, 0},
    {BEAM, B, 0, 0, 0, 0}, EXPECT_REPORTS("passage 7 entry 0"), {FLAPS, GM_FLAPS_CLOSED, 0, 0, 0, 0},
    EXPECT_STATE("mode=normal session=1 failsafe=0 emergency=0 auth=none"),
    {END, 0, 0, 0, 0, 0}}},
  {"exit direction: the passenger comes from side B", 0, 0, {
    SESSION, {AUTH, 9, EXIT, 1, 10000, 0}, {FLAPS, GM_FLAPS_OPEN_EXIT, 0, 0, 0, 0},
    WALK(B, A), EXPECT_REPORTS("passage-started 9 exit, passage 9 exit 0"), {END, 0, 0, 0, 0, 0}}},
  {"a retransmitted AUTHORISE (lost ACK) gets the same ACK and is not executed twice", 0, 0, {
    SESSION, {AUTH, 11, ENTRY, 1, 10000, 0}, {REPEAT, 0, 0, 0, 0, 0}, EXPECT_ANSWERS("ack 3, ack 3"),
    EXPECT_STATE("mode=normal session=1 failsafe=0 emergency=0 auth=11/1"),
    WALK(A, B), EXPECT_REPORTS("passage-started 11 entry, passage 11 entry 0"),
    {REPEAT, 0, 0, 0, 0, 0}, EXPECT_ANSWERS("ack 3"), EXPECT_STATE("mode=normal session=1 failsafe=0 emergency=0 auth=none"),
    {END, 0, 0, 0, 0, 0}}},
  {"AUTHORISE refused: busy while one is in effect, mode when locked", 0, 0, {
    SESSION, {AUTH, 1, ENTRY, 1, 10000, 0}, {AUTH, 2, ENTRY, 1, 10000, 0}, EXPECT_ANSWERS("ack 3, nak 4 busy"),
    {MODE, GM_MODE_LOCKED, 0, 0, 0, 0}, EXPECT_REPORTS("passage-timeout 1 entry 1"),
    {AUTH, 3, ENTRY, 1, 10000, 0}, EXPECT_ANSWERS("ack 5, nak 6 mode"), {END, 0, 0, 0, 0, 0}}},
  {"nobody enters in time: passage-timeout with the unused count, the timer restarting after each passage", 0, 0, {
    SESSION, {AUTH, 5, ENTRY, 2, 1000, 0}, {TICK, 900, 0, 0, 0, 0}, WALK(A, B),
    EXPECT_REPORTS("passage-started 5 entry, passage 5 entry 1"),
    {TICK, 998, 0, 0, 0, 0}, EXPECT_REPORTS(""), {TICK, 1, 0, 0, 0, 0}, EXPECT_REPORTS("passage-timeout 5 entry 1"),
    {FLAPS, GM_FLAPS_CLOSED, 0, 0, 0, 0}, {END, 0, 0, 0, 0, 0}}},
  {"a second person follows the last authorised passenger: tailgating after the passage", 0, 0, {
    SESSION, {AUTH, 7, ENTRY, 1, 10000, 0},
    {BEAM, A, 1, 0, 0, 0}, {BEAM, A, 0, 0, 0, 0}, {BEAM, A, 1, 0, 0, 0}, {BEAM, B, 1, 0, 0, 0}, {BEAM, A, 0, 0, 0, 0},
    {BEAM, B, 0, 0, 0, 0}, EXPECT_REPORTS("passage-started 7 entry, passage 7 entry 0, tailgating 7 entry"),
    {BEAM, B, 1, 0, 0, 0}, {BEAM, B, 0, 0, 0, 0}, EXPECT_REPORTS(""), {FLAPS, GM_FLAPS_CLOSED, 0, 0, 0, 0}, {END, 0, 0, 0, 0, 0}}},
  {"with passages left the follower is the next passage, not a tailgater", 0, 0, {
    SESSION, {AUTH, 8, ENTRY, 2, 10000, 0},
    {BEAM, A, 1, 0, 0, 0}, {BEAM, A, 0, 0, 0, 0}, {BEAM, A, 1, 0, 0, 0}, {BEAM, B, 1, 0, 0, 0}, {BEAM, A, 0, 0, 0, 0},
    {BEAM, B, 0, 0, 0, 0}, {BEAM, B, 1, 0, 0, 0}, {BEAM, B, 0, 0, 0, 0},
    EXPECT_REPORTS("passage-started 8 entry, passage 8 entry 1, passage-started 8 entry, passage 8 entry 0"), {END, 0, 0, 0, 0, 0}}},
  {"someone enters from the far side: reverse-passage ends the authorisation, no passage-timeout follows", 0, 0, {
    SESSION, {AUTH, 4, ENTRY, 1, 1000, 0}, {BEAM, B, 1, 0, 0, 0}, {BEAM, A, 1, 0, 0, 0}, {BEAM, B, 0, 0, 0, 0}, {BEAM, A, 0, 0, 0, 0},
    {TICK, 2000, 0, 0, 0, 0}, EXPECT_REPORTS("reverse-passage 4 entry"), EXPECT_STATE("mode=normal session=1 failsafe=0 emergency=0 auth=none"),
    {END, 0, 0, 0, 0, 0}}},
  {"intrusion without an authorisation, once per occupancy; none in free mode", 0, 0, {
    SESSION, {BEAM, B, 1, 0, 0, 0}, {BEAM, A, 1, 0, 0, 0}, {BEAM, B, 0, 0, 0, 0}, {BEAM, A, 0, 0, 0, 0},
    EXPECT_REPORTS("intrusion exit"), {BEAM, A, 1, 0, 0, 0}, {BEAM, A, 0, 0, 0, 0}, EXPECT_REPORTS("intrusion entry"),
    {MODE, GM_MODE_FREE, 0, 0, 0, 0}, {FLAPS, GM_FLAPS_OPEN_BOTH, 0, 0, 0, 0}, WALK(A, B), {FORCED, ENTRY, 0, 0, 0, 0}, EXPECT_REPORTS(""),
    {MODE, GM_MODE_LOCKED, 0, 0, 0, 0}, {FORCED, EXIT, 0, 0, 0, 0}, EXPECT_REPORTS("forced-entry exit"), {END, 0, 0, 0, 0, 0}}},
  {"CANCEL ends an unstarted authorisation silently; not one whose passage is under way", 0, 0, {
    SESSION, {AUTH, 7, ENTRY, 1, 10000, 0}, {CANCEL, 0, 0, 0, 0, 0}, EXPECT_ANSWERS("ack 3, ack 4"), {FLAPS, GM_FLAPS_CLOSED, 0, 0, 0, 0},
    {TICK, 11000, 0, 0, 0, 0}, EXPECT_REPORTS(""),
    {AUTH, 8, ENTRY, 1, 10000, 0}, {BEAM, A, 1, 0, 0, 0}, {CANCEL, 8, 0, 0, 0, 0}, {CANCEL, 99, 0, 0, 0, 0},
    EXPECT_ANSWERS("ack 5, ack 6, ack 7"), {BEAM, A, 0, 0, 0, 0}, {BEAM, B, 1, 0, 0, 0}, {BEAM, B, 0, 0, 0, 0},
    EXPECT_REPORTS("passage-started 8 entry, passage 8 entry 0"), {END, 0, 0, 0, 0, 0}}},
  {"maintenance: closed, but AUTHORISE is accepted for the technician's test release", 0, 0, {
    SESSION, {MODE, GM_MODE_MAINTENANCE, 0, 0, 0, 0}, {FLAPS, GM_FLAPS_CLOSED, 0, 0, 0, 0}, {AUTH, 3, ENTRY, 1, 10000, 0},
    EXPECT_ANSWERS("ack 3, ack 4"), {FLAPS, GM_FLAPS_OPEN_ENTRY, 0, 0, 0, 0}, WALK(A, B),
    EXPECT_REPORTS("passage-started 3 entry, passage 3 entry 0"),
    {AUTH, 4, ENTRY, 1, 10000, 0}, {MODE, GM_MODE_LOCKED, 0, 0, 0, 0}, EXPECT_REPORTS("passage-timeout 4 entry 1"),
    EXPECT_STATE("mode=locked session=1 failsafe=0 emergency=0 auth=none"), {END, 0, 0, 0, 0, 0}}},
  {"fire alarm: lanes open by themselves, the unstarted authorisation ends, no re-lock until it clears", 0, 0, {
    SESSION, {AUTH, 41, ENTRY, 1, 10000, 0}, {FIRE, 1, 0, 0, 0, 0},
    EXPECT_REPORTS("passage-timeout 41 entry 1, emergency 1"), {FLAPS, GM_FLAPS_OPEN_BOTH, 0, 0, 0, 0},
    EXPECT_STATE("mode=free session=1 failsafe=0 emergency=1 auth=none"),
    {MODE, GM_MODE_LOCKED, 0, 0, 0, 0}, {MODE, GM_MODE_NORMAL, 0, 0, 0, 0}, {MODE, GM_MODE_MAINTENANCE, 0, 0, 0, 0},
    {AUTH, 42, ENTRY, 1, 10000, 0}, {MODE, GM_MODE_FREE, 0, 0, 0, 0},
    EXPECT_ANSWERS("ack 3, nak 4 emergency, nak 5 emergency, nak 6 emergency, nak 7 emergency, ack 8"),
    {TICK, 500, 0, 0, 0, 0}, {STATUS, 0, 0, 0, 0, "status free session=1 emergency=1 failsafe=0 remaining=0"},
    {FIRE, 0, 0, 0, 0, 0}, EXPECT_REPORTS("emergency 0"), {FLAPS, GM_FLAPS_OPEN_BOTH, 0, 0, 0, 0},
    EXPECT_STATE("mode=free session=1 failsafe=0 emergency=0 auth=none"),
    {MODE, GM_MODE_LOCKED, 0, 0, 0, 0}, EXPECT_ANSWERS("ack 9"), {FLAPS, GM_FLAPS_CLOSED, 0, 0, 0, 0}, {END, 0, 0, 0, 0, 0}}},
  {"fire alarm during a passage: the passage finishes and is reported", 0, 0, {
    SESSION, {AUTH, 43, ENTRY, 1, 10000, 0}, {BEAM, A, 1, 0, 0, 0}, {FIRE, 1, 0, 0, 0, 0}, {BEAM, A, 0, 0, 0, 0}, {BEAM, B, 1, 0, 0, 0},
    {BEAM, B, 0, 0, 0, 0}, EXPECT_REPORTS("passage-started 43 entry, emergency 1, passage 43 entry 0"), {FLAPS, GM_FLAPS_OPEN_BOTH, 0, 0, 0, 0},
    {END, 0, 0, 0, 0, 0}}},
  {"a reboot during the alarm starts free and reports mcu-reset, then emergency 1", 1, 0, {
    {FLAPS, GM_FLAPS_OPEN_BOTH, 0, 0, 0, 0}, {HELLO, GM_FAIL_LOCKED, 3000, 1, 0, 0}, EXPECT_ANSWERS("hello-reply 1 free failsafe emergency"),
    EXPECT_REPORTS("mcu-reset software, emergency 1"), {END, 0, 0, 0, 0, 0}}},
  {"watchdog: the daemon falls silent, the MCU ends the session, enters fail mode free and reports it next session", 0, 0, {
    {HELLO, GM_FAIL_FREE, 1000, 1, 0, 0}, {MODE, GM_MODE_NORMAL, 0, 0, 0, 0}, EXPECT_REPORTS("mcu-reset software"),
    {AUTH, 31, ENTRY, 1, 10000, 0}, {TICK, 5000, 0, 0, 0, 0}, EXPECT_STATE("mode=normal session=1 failsafe=0 emergency=0 auth=31/1"),
    {SILENT, 1, 0, 0, 0, 0}, {TICK, 999, 0, 0, 0, 0}, EXPECT_STATE("mode=normal session=1 failsafe=0 emergency=0 auth=31/1"),
    {TICK, 1, 0, 0, 0, 0}, EXPECT_STATE("mode=free session=0 failsafe=1 emergency=0 auth=none"), {FLAPS, GM_FLAPS_OPEN_BOTH, 0, 0, 0, 0},
    {TICK, 1000, 0, 0, 0, 0}, {STATUS, 0, 0, 0, 0, "status free session=0 emergency=0 failsafe=1 remaining=0"}, EXPECT_REPORTS(""),
    {AUTH, 32, ENTRY, 1, 10000, 0}, EXPECT_ANSWERS("hello-reply 1 locked failsafe, ack 2, ack 3, nak 4 no-session"),
    {SILENT, 0, 0, 0, 0, 0}, {HELLO, GM_FAIL_FREE, 1000, 1, 0, 0}, EXPECT_ANSWERS("hello-reply 5 free failsafe"),
    EXPECT_REPORTS("passage-timeout 31 entry 1, watchdog-expired free"),
    {MODE, GM_MODE_NORMAL, 0, 0, 0, 0}, EXPECT_STATE("mode=normal session=1 failsafe=0 emergency=0 auth=none"), {END, 0, 0, 0, 0, 0}}},
  {"a heartbeat alone keeps the session: no watchdog while the daemon only sends HEARTBEAT", 0, 0, {
    {HELLO, GM_FAIL_LOCKED, 1000, 1, 0, 0}, {TICK, 10000, 0, 0, 0, 0}, EXPECT_STATE("mode=locked session=1 failsafe=1 emergency=0 auth=none"),
    {END, 0, 0, 0, 0, 0}}},
  {"a report is retransmitted with the same bytes: retries quick ones after ackTimeoutMs, then every heartbeatMs", 0, 0, {
    SESSION, {NOACK, 1, 0, 0, 0, 0}, {FORCED, ENTRY, 0, 0, 0, 0}, EXPECT_REPORTS("forced-entry entry"),
    {TICK, 2000, 0, 0, 0, 0}, {RETX, 0, 0, 0, 0, "0 100 200 300 800 1300 1800"},
    {ACK_NOW, 0, 0, 0, 0, 0}, {TICK, 2000, 0, 0, 0, 0}, {RETX, 0, 0, 0, 0, "0 100 200 300 800 1300 1800"},
    {END, 0, 0, 0, 0, 0}}},
  {"a new HELLO mid-passage: the passage completes and is reported in the new session; the report in flight goes again", 0, 0, {
    SESSION, {AUTH, 21, ENTRY, 2, 10000, 0}, {BEAM, A, 1, 0, 0, 0}, EXPECT_REPORTS("passage-started 21 entry"),
    {NOACK, 1, 0, 0, 0, 0}, {DOOR, GM_FAULT_MOTOR, 1, 0, 0, 0}, EXPECT_REPORTS("door-fault motor 1"), {NOACK, 0, 0, 0, 0, 0},
    {HELLO, GM_FAIL_LOCKED, 3000, 1, 0, 0}, EXPECT_ANSWERS("ack 3, hello-reply 4 normal"), EXPECT_REPORTS("door-fault motor 1"),
    {BEAM, A, 0, 0, 0, 0}, {BEAM, B, 1, 0, 0, 0}, {BEAM, B, 0, 0, 0, 0},
    EXPECT_REPORTS("passage 21 entry 1, passage-timeout 21 entry 1"), {END, 0, 0, 0, 0, 0}}},
  {"a HELLO retransmission gets the same reply and does not end the session again", 0, 0, {
    SESSION, {AUTH, 5, ENTRY, 1, 10000, 0}, {HELLO, GM_FAIL_LOCKED, 3000, 1, 0, 0}, {REPEAT, 0, 0, 0, 0, 0},
    EXPECT_ANSWERS("ack 3, hello-reply 4 normal, hello-reply 4 normal"), EXPECT_REPORTS("passage-timeout 5 entry 1"),
    {END, 0, 0, 0, 0, 0}}},
  {"a HELLO of another major version is refused with NAK version and opens no session", 0, 0, {
    {HELLO, GM_FAIL_LOCKED, 3000, 2, 0, 0}, EXPECT_ANSWERS("nak 1 version"), EXPECT_REPORTS(""),
    EXPECT_STATE("mode=locked session=0 failsafe=1 emergency=0 auth=none"), {END, 0, 0, 0, 0, 0}}},
  {"bad frames: unknown type and bad payload are NAKed when sequenced, a bad CRC is dropped silently", 0, 0, {
    SESSION,
    {RAW, 0, 0, 0, 0, "7e0009304057"},       /* type 0x30 seq 9: unknown */
    {RAW, 0, 0, 0, 0, "7e010a2209c418"},     /* set-mode 09: bad payload */
    {RAW, 0, 0, 0, 0, "7e000002ecde"},       /* a NAK with no payload and SEQ 0: dropped */
    {RAW, 0, 0, 0, 0, "7e010b220000"},       /* bad CRC */
    {RAW, 0, 0, 0, 0, "7e000c810858"},       /* a STATUS type sent to the MCU: not one it receives */
    EXPECT_ANSWERS("nak 9 unknown-type, nak 10 bad-payload, nak 12 unknown-type"),
    EXPECT_STATE("mode=normal session=1 failsafe=0 emergency=0 auth=none"), {END, 0, 0, 0, 0, 0}}},
  {"DISPLAY 1.1: with a language, without one (a 1.0 daemon) or an empty one; any str8 language is accepted", 0, 0, {
    SESSION,
    SEND_DISPLAY(GM_SHOW_OPEN, 0x00, 1, "G1234|05|12F|ar"), EXPECT_ANSWERS("ack 3"), EXPECT_SHOWN("open ok G1234|05|12F|ar"),
    SEND_DISPLAY(GM_SHOW_REJECT, 0x04, 0, "|||"), EXPECT_ANSWERS("ack 4"), EXPECT_SHOWN("reject not-verified |||"),
    SEND_DISPLAY(GM_SHOW_OPEN, 0x00, 0, "G7|03|01A|"), EXPECT_ANSWERS("ack 5"), EXPECT_SHOWN("open ok G7|03|01A|"),
    SEND_DISPLAY(GM_SHOW_IDLE, GM_REASON_NONE, 1, "|||"), EXPECT_ANSWERS("ack 6"), EXPECT_SHOWN("idle none |||"),
    /* 4.4: no code table; a language without a pack (or not a language at all) is shown as English, never refused. */
    SEND_DISPLAY(GM_SHOW_REJECT, 0x1B, 1, "|||x-klingon ~}"), EXPECT_ANSWERS("ack 7"), EXPECT_SHOWN("reject face-mismatch |||x-klingon ~}"),
    SEND_DISPLAY(GM_SHOW_LOOK_AT_CAMERA, GM_REASON_NONE, 1, "|||ja"), EXPECT_ANSWERS("ack 8"), EXPECT_SHOWN("look-at-camera none |||ja"),
    /* The vector display-reject-ja byte for byte, then the longest 1.1 frame: LEN 70, every string sixteen '~'
     * (each escaped on the wire: 145 bytes), which section 1's 80-byte receive buffer must hold unstuffed. */
    {RAW, 0, 0, 0, 0, "7e080a230304000000026a61974d"}, EXPECT_ANSWERS("ack 10"), EXPECT_SHOWN("reject not-verified |||ja"),
    {RAW, 0, 0, 0, 0, "7e4608230200107d5e7d5e7d5e7d5e7d5e7d5e7d5e7d5e7d5e7d5e7d5e7d5e7d5e7d5e7d5e7d5e107d5e7d5e7d5e7d5e7d5e7d5e7d5e7d5e7d5e7d5e7d5e7d5e7d5e7d5e7d5e7d5e107d5e7d5e7d5e7d5e7d5e7d5e7d5e7d5e7d5e7d5e7d5e7d5e7d5e7d5e7d5e7d5e107d5e7d5e7d5e7d5e7d5e7d5e7d5e7d5e7d5e7d5e7d5e7d5e7d5e7d5e7d5e7d5eab54"},
    EXPECT_ANSWERS("ack 8"), EXPECT_SHOWN("open ok " TILDES "|" TILDES "|" TILDES "|" TILDES),
    {END, 0, 0, 0, 0, 0}}},
  {"DISPLAY 1.1 refused as bad-payload: a byte after the language, a language of 17 bytes, not printable, cut short", 0, 0, {
    SESSION, SEND_DISPLAY(GM_SHOW_CHECKING, GM_REASON_NONE, 1, "|||ko"), EXPECT_SHOWN("checking none |||ko"),
    {RAW, 0, 0, 0, 0, "7e090b230304000000026a61006562"},
    {RAW, 0, 0, 0, 0, "7e170c2303040000001161616161616161616161616161616161613406"},
    {RAW, 0, 0, 0, 0, "7e080d230304000000026a7f7848"},
    {RAW, 0, 0, 0, 0, "7e070e230304000000026a4804"},
    EXPECT_ANSWERS("ack 3, nak 11 bad-payload, nak 12 bad-payload, nak 13 bad-payload, nak 14 bad-payload"),
    EXPECT_SHOWN("checking none |||ko"), {END, 0, 0, 0, 0, 0}}},
  {"power: every change reported; battery-low applies the fail mode", 0, 0, {
    SESSION, {POWER, GM_POWER_BATTERY, 0, 0, 0, 0}, {POWER, GM_POWER_BATTERY, 0, 0, 0, 0}, {POWER, GM_POWER_BATTERY_LOW, 0, 0, 0, 0},
    EXPECT_REPORTS("power battery, power battery-low"), EXPECT_STATE("mode=locked session=1 failsafe=1 emergency=0 auth=none"),
    {POWER, GM_POWER_MAINS, 0, 0, 0, 0}, EXPECT_REPORTS("power mains"), {END, 0, 0, 0, 0, 0}}},
};

static void fmt_state(const gm_mcu *m, char *out, size_t cap) {
  char auth[32];
  if (m->auth.active) snprintf(auth, sizeof auth, "%u/%u", m->auth.auth_id, m->auth.remaining);
  else strcpy(auth, "none");
  snprintf(out, cap, "mode=%s session=%u failsafe=%u emergency=%u auth=%s", gm_mode_name(m->mode), m->session, m->failsafe, m->emergency, auth);
}

/* "a|b|c|d" into the four strings of a DISPLAY (each at most GM_STR8_MAX). */
static void split_display(const char *s, gm_display *d) {
  char *const out[4] = {d->train, d->car, d->seat, d->language};
  int k = 0;
  size_t n = 0;
  for (; *s && k < 4; s++) {
    if (*s == '|') {
      out[k++][n] = '\0';
      n = 0;
    } else if (n < GM_STR8_MAX) {
      out[k][n++] = *s;
    }
  }
  if (k < 4) out[k][n] = '\0';
}

static void fmt_shown(const gm_display *d, char *out, size_t cap) {
  const char *code = gm_display_name(d->code), *reason = gm_reason_name(d->reason);
  snprintf(out, cap, "%s %s %s|%s|%s|%s", code ? code : "?", reason ? reason : "?", d->train, d->car, d->seat, d->language);
}

static size_t unhex(const char *s, uint8_t *out) {
  size_t n = 0;
  for (; s[0] && s[1]; s += 2) {
    char b[3] = {s[0], s[1], 0};
    out[n++] = (uint8_t)strtol(b, NULL, 16);
  }
  return n;
}

static void run(const scenario *sc) {
  static fake f;
  gm_config cfg = fake_config();
  uint8_t last[GM_WIRE_MAX];
  size_t last_len = 0;
  const step *s;
  int first_report = 0;
  cfg.fire_alarm = (uint8_t)sc->boot_fire;
  if (sc->boot_fail_free) cfg.fail_mode = GM_FAIL_FREE;
  f.clock = 0;
  fake_boot(&f, &cfg);
  for (s = sc->steps; s->op != END; s++) {
    gm_msg m;
    char text[256];
    int idx = (int)(s - sc->steps);
    memset(&m, 0, sizeof m);
    switch (s->op) {
      case HELLO:
        m.type = GM_T_HELLO;
        m.u.hello.major = (uint8_t)s->c;
        m.u.hello.heartbeat_ms = 500;
        m.u.hello.watchdog_ms = (uint16_t)s->b;
        m.u.hello.ack_timeout_ms = 100;
        m.u.hello.retries = 3;
        m.u.hello.fail_mode = (uint8_t)s->a;
        break;
      case AUTH:
        m.type = GM_T_AUTHORISE;
        m.u.authorise.auth_id = (uint16_t)s->a;
        m.u.authorise.direction = (uint8_t)s->b;
        m.u.authorise.count = (uint8_t)s->c;
        m.u.authorise.timeout_ms = (uint32_t)s->d;
        break;
      case CANCEL: m.type = GM_T_CANCEL; m.u.cancel.auth_id = (uint16_t)s->a; break;
      case MODE: m.type = GM_T_SET_MODE; m.u.set_mode.mode = (uint8_t)s->a; break;
      case DISPLAY:
        m.type = GM_T_DISPLAY;
        m.u.display.code = (uint8_t)s->a;
        m.u.display.reason = (uint8_t)s->b;
        m.u.display.has_language = (uint8_t)s->c;
        split_display(s->s, &m.u.display);
        break;
      default: break;
    }
    if (m.type) {
      f.seq = (uint8_t)(f.seq == 255 ? 1 : f.seq + 1);
      m.seq = f.seq;
      last_len = gm_msg_encode(&m, last, sizeof last);
      fake_bytes(&f, last, last_len);
      continue;
    }
    switch (s->op) {
      case REPEAT: fake_bytes(&f, last, last_len); break;
      case RAW: {
        uint8_t raw[256];
        size_t n = unhex(s->s, raw);
        fake_bytes(&f, raw, n);
        break;
      }
      case BEAM: gm_mcu_beam(&f.mcu, (gm_beam)s->a, (uint8_t)s->b); fake_advance(&f, 1); break;
      case FIRE: gm_mcu_fire_alarm(&f.mcu, (uint8_t)s->a); fake_advance(&f, 1); break;
      case POWER: gm_mcu_power(&f.mcu, (uint8_t)s->a); fake_advance(&f, 1); break;
      case DOOR: gm_mcu_door_fault(&f.mcu, (uint8_t)s->a, (uint8_t)s->b); fake_advance(&f, 1); break;
      case FORCED:
        first_report = f.report_frames;
        gm_mcu_forced(&f.mcu, (uint8_t)s->a);
        gm_mcu_poll(&f.mcu);
        fake_pump(&f);
        break;
      case TICK: fake_advance(&f, (uint32_t)s->a); break;
      case SILENT: f.heartbeats = !s->a; f.auto_ack = !s->a; break;
      case NOACK: f.auto_ack = !s->a; if (s->a) first_report = f.report_frames; break;
      case ACK_NOW: {
        gm_msg ack;
        memset(&ack, 0, sizeof ack);
        ack.type = GM_T_ACK;
        ack.seq = f.mcu.tx_seq;
        fake_send(&f, &ack);
        first_report = f.report_frames;
        /* The next report starts a new retransmission schedule; make one. */
        gm_mcu_forced(&f.mcu, GM_DIR_EXIT);
        gm_mcu_poll(&f.mcu);
        f.auto_ack = 0;
        fake_pump(&f);
        fake_take_reports(&f);
        break;
      }
      case ANSWERS: {
        const char *got = fake_take_answers(&f);
        CHECK(strcmp(got, s->s) == 0, "[%s] step %d: answers \"%s\", expected \"%s\"", sc->name, idx, got, s->s);
        break;
      }
      case REPORTS: {
        const char *got = fake_take_reports(&f);
        CHECK(strcmp(got, s->s) == 0, "[%s] step %d: reports \"%s\", expected \"%s\"", sc->name, idx, got, s->s);
        break;
      }
      case STATUS:
        fmt_msg(&f.status, text, sizeof text);
        CHECK(f.statuses > 0 && strcmp(text, s->s) == 0, "[%s] step %d: STATUS \"%s\", expected \"%s\"", sc->name, idx, text, s->s);
        break;
      case STATE:
        fmt_state(&f.mcu, text, sizeof text);
        CHECK(strcmp(text, s->s) == 0, "[%s] step %d: state \"%s\", expected \"%s\"", sc->name, idx, text, s->s);
        break;
      case SHOWN:
        fmt_shown(&f.shown, text, sizeof text);
        CHECK(strcmp(text, s->s) == 0, "[%s] step %d: shown \"%s\", expected \"%s\"", sc->name, idx, text, s->s);
        break;
      case FLAPS: CHECK(f.flaps == (gm_flaps)s->a, "[%s] step %d: flaps %d, expected %ld", sc->name, idx, f.flaps, s->a); break;
      case RETX: {
        /* When each transmission of the report went out, relative to the first. */
        int i;
        text[0] = '\0';
        for (i = first_report; i < f.report_frames && i < 64; i++) {
          char t[16];
          snprintf(t, sizeof t, "%s%lu", i > first_report ? " " : "", (unsigned long)(f.report_times[i] - f.report_times[first_report]));
          strcat(text, t);
        }
        CHECK(strcmp(text, s->s) == 0, "[%s] step %d: sent at \"%s\", expected \"%s\"", sc->name, idx, text, s->s);
        CHECK(f.retransmissions_identical, "[%s] step %d: a retransmission differed from the first send", sc->name, idx);
        break;
      }
      default: break;
    }
  }
}

/* 5.4: a full queue drops the oldest door-fault / power report first, never a passage, emergency or mcu-reset. */
static void queue_overflow(void) {
  static fake f;
  gm_config cfg = fake_config();
  int i;
  const char *got;
  f.clock = 0;
  fake_boot(&f, &cfg);
  gm_mcu_fire_alarm(&f.mcu, 1);
  for (i = 0; i < 40; i++) gm_mcu_door_fault(&f.mcu, GM_FAULT_SENSOR, (uint8_t)(i % 2 == 0));
  gm_mcu_power(&f.mcu, GM_POWER_BATTERY);
  CHECK(f.mcu.q_count == GM_QUEUE_LEN, "queue holds %u", f.mcu.q_count);
  CHECK(f.mcu.reports_dropped == 40 + 3 - GM_QUEUE_LEN, "dropped %lu", (unsigned long)f.mcu.reports_dropped);
  fake_send(&f, &(gm_msg){.type = GM_T_HELLO, .seq = 1, .u.hello = {1, 0, 500, 3000, 100, 3, 0}});
  got = fake_take_reports(&f);
  CHECK(strncmp(got, "mcu-reset software, emergency 1, door-fault sensor 0, door-fault sensor 1", 72) == 0, "first reports: %.80s", got);
  {
    int n = 0;
    const char *p;
    for (p = got; (p = strstr(p, "door-fault")) != NULL; p++) n++;
    CHECK(n == GM_QUEUE_LEN - 3, "%d door-fault reports kept", n);
  }
  CHECK(strstr(got, "power battery") != NULL, "the newest report kept: %s", got);
}

/* The longest answer the MCU sends, as escaped as it gets: SEQ 7E, a boot id of 7E 7D 7E 7D, a firmware string of
 * sixteen '~' (7E): it must still fit the send buffer (GM_TX_MAX). */
static void worst_case_hello_reply(void) {
  static fake f;
  gm_config cfg = fake_config();
  cfg.firmware = "~~~~~~~~~~~~~~~~";
  cfg.boot_id = 0x7e7d7e7du;
  f.clock = 0;
  fake_boot(&f, &cfg);
  fake_send(&f, &(gm_msg){.type = GM_T_HELLO, .seq = 0x7e, .u.hello = {1, 0, 500, 3000, 100, 3, 0}});
  CHECK(strcmp(fake_take_answers(&f), "hello-reply 126 locked failsafe") == 0, "the fully escaped HELLO-REPLY was not sent");
  CHECK(strcmp(fake_take_reports(&f), "mcu-reset software") == 0, "no report after the fully escaped HELLO-REPLY");
}

int main(void) {
  size_t i;
  for (i = 0; i < sizeof SCENARIOS / sizeof SCENARIOS[0]; i++) run(&SCENARIOS[i]);
  queue_overflow();
  worst_case_hello_reply();
  printf("machine: %u scenarios: %d checks, %d failed\n", (unsigned)(i + 1), check_passes + check_failures, check_failures);
  return check_failures ? 1 : 0;
}
