/* The messages of PROTOCOL.md section 4: type and code tables, a decoded form, and exact encode / decode of the
 * payload. Decoding checks everything section 4 says a receiver must refuse (length, code tables, bools, str8). */
#ifndef GM_MSG_H
#define GM_MSG_H

#include <stddef.h>
#include <stdint.h>

#define GM_VERSION_MAJOR 1u
#define GM_VERSION_MINOR 1u
#define GM_STR8_MAX 16u

typedef enum {
  GM_T_ACK = 0x01, GM_T_NAK = 0x02,
  GM_T_HELLO = 0x10, GM_T_HEARTBEAT = 0x11,
  GM_T_AUTHORISE = 0x20, GM_T_CANCEL = 0x21, GM_T_SET_MODE = 0x22, GM_T_DISPLAY = 0x23, GM_T_SOUND = 0x24,
  GM_T_HELLO_REPLY = 0x80, GM_T_STATUS = 0x81,
  GM_T_PASSAGE_STARTED = 0x90, GM_T_PASSAGE = 0x91, GM_T_PASSAGE_TIMEOUT = 0x92, GM_T_TAILGATING = 0x93,
  GM_T_FORCED_ENTRY = 0x94, GM_T_REVERSE_PASSAGE = 0x95, GM_T_INTRUSION = 0x96, GM_T_DOOR_FAULT = 0x97,
  GM_T_EMERGENCY = 0x98, GM_T_POWER = 0x99, GM_T_MCU_RESET = 0x9A, GM_T_WATCHDOG_EXPIRED = 0x9B
} gm_type;

typedef enum { GM_NAK_UNKNOWN_TYPE = 1, GM_NAK_BAD_PAYLOAD, GM_NAK_NO_SESSION, GM_NAK_VERSION, GM_NAK_EMERGENCY, GM_NAK_MODE, GM_NAK_BUSY } gm_nak_reason;
typedef enum { GM_DIR_ENTRY = 1, GM_DIR_EXIT = 2 } gm_direction;
typedef enum { GM_MODE_NORMAL = 0, GM_MODE_FREE, GM_MODE_LOCKED, GM_MODE_MAINTENANCE } gm_mode;
typedef enum { GM_FAIL_LOCKED = 0, GM_FAIL_FREE = 1 } gm_fail_mode;
typedef enum { GM_SOUND_OFF = 0, GM_SOUND_ACCEPT, GM_SOUND_REJECT, GM_SOUND_ALARM } gm_sound;
typedef enum {
  GM_SHOW_IDLE = 0, GM_SHOW_CHECKING, GM_SHOW_OPEN, GM_SHOW_REJECT, GM_SHOW_CLOSED, GM_SHOW_EMERGENCY, GM_SHOW_FREE,
  GM_SHOW_FAULT_STORAGE, GM_SHOW_FAULT_LINK, GM_SHOW_LOOK_AT_CAMERA
} gm_display_code;
#define GM_REASON_MAX 0x1Bu
#define GM_REASON_NONE 0xFFu
#define GM_REASON_EMERGENCY 0x10u
typedef enum { GM_FAULT_JAMMED_OPEN = 1, GM_FAULT_JAMMED_CLOSED, GM_FAULT_MOTOR, GM_FAULT_SENSOR } gm_door_fault;
typedef enum { GM_POWER_MAINS = 0, GM_POWER_BATTERY, GM_POWER_BATTERY_LOW } gm_power;
typedef enum { GM_RESET_POWER_ON = 0, GM_RESET_WATCHDOG, GM_RESET_BROWN_OUT, GM_RESET_SOFTWARE, GM_RESET_PIN } gm_reset_cause;

/* DISPLAY. `language` (since 1.1, PROTOCOL.md 4.4) is the passenger's language, "" for none: absent from the
 * payload (a 1.0 daemon, or a screen for no one) and empty mean the same. has_language only records whether the
 * field was on the wire, so that a decoded message re-encodes to the same bytes; a display ignores it. */
typedef struct {
  uint8_t code, reason, has_language;
  char train[GM_STR8_MAX + 1], car[GM_STR8_MAX + 1], seat[GM_STR8_MAX + 1];
  char language[GM_STR8_MAX + 1];
} gm_display;

/* One message; `type` selects the member of u. Reports about an authorisation share auth_report, whose `n` is
 * `remaining` (passage) or `unused` (passage-timeout) and unused otherwise. */
typedef struct {
  uint8_t type;
  uint8_t seq;
  union {
    struct { uint8_t reason; } nak;
    struct { uint8_t major, minor; uint16_t heartbeat_ms, watchdog_ms, ack_timeout_ms; uint8_t retries, fail_mode; } hello;
    struct { uint16_t auth_id; uint8_t direction, count; uint32_t timeout_ms; } authorise;
    struct { uint16_t auth_id; } cancel;
    struct { uint8_t mode; } set_mode;
    gm_display display;
    struct { uint8_t pattern; uint16_t duration_ms; } sound;
    struct { uint8_t major, minor; uint32_t boot_id; uint8_t mode, emergency, failsafe, power; char firmware[GM_STR8_MAX + 1]; } hello_reply;
    struct { uint8_t mode, session, emergency, failsafe, power, remaining; } status;
    struct { uint16_t auth_id; uint8_t direction, n; } auth_report;
    struct { uint8_t direction; } dir_report;
    struct { uint8_t fault, active; } door_fault;
    struct { uint8_t active; } emergency;
    struct { uint8_t state; } power;
    struct { uint8_t cause; uint32_t boot_id; } mcu_reset;
    struct { uint8_t fail_mode; } watchdog_expired;
  } u;
} gm_msg;

typedef enum { GM_DECODE_OK = 0, GM_DECODE_UNKNOWN_TYPE, GM_DECODE_BAD_PAYLOAD } gm_decode_result;

/* Decode a payload of the given type (any direction) into *out (type and seq copied in). */
gm_decode_result gm_msg_decode(uint8_t type, uint8_t seq, const uint8_t *payload, uint8_t len, gm_msg *out);

/* The payload bytes of m into out (GM_MAX_PAYLOAD bytes). Returns the length, or -1 for a message that would not
 * decode (a code outside its table, a string too long or not printable, an unknown type). */
int gm_msg_payload(const gm_msg *m, uint8_t *out);

/* Whole wire frame of m (start marker, stuffing, CRC). Returns the length, or 0 as gm_msg_payload's -1. */
size_t gm_msg_encode(const gm_msg *m, uint8_t *wire, size_t cap);

/* Names as PROTOCOL.md writes them ("passage-started", "entry", "maintenance"...), NULL for a code outside the table. */
const char *gm_type_name(uint8_t type);
const char *gm_nak_name(uint8_t v);
const char *gm_direction_name(uint8_t v);
const char *gm_mode_name(uint8_t v);
const char *gm_fail_mode_name(uint8_t v);
const char *gm_sound_name(uint8_t v);
const char *gm_display_name(uint8_t v);
const char *gm_reason_name(uint8_t v);
const char *gm_door_fault_name(uint8_t v);
const char *gm_power_name(uint8_t v);
const char *gm_reset_name(uint8_t v);

/* The reverse: the code of a name in a table, or -1. `table` is one of the name functions above. */
int gm_code_of(const char *(*table)(uint8_t), const char *name);

#endif
