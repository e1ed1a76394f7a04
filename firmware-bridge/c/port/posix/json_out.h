/* The POSIX port's stdout: one JSON object per line, with the message field names of firmware-bridge/vectors. */
#ifndef GM_POSIX_JSON_OUT_H
#define GM_POSIX_JSON_OUT_H
#include <stdio.h>
#include "gm_msg.h"

/* {"kind":"authorise","authId":7,...}; strings are printable ASCII without quotes or backslashes escaped. */
static void json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') fputc('\\', f);
    fputc(*s, f);
  }
  fputc('"', f);
}

static const char *or_q(const char *s) { return s ? s : "?"; }

static void json_msg(FILE *f, const gm_msg *m) {
  fprintf(f, "{\"kind\":\"%s\"", or_q(gm_type_name(m->type)));
  switch (m->type) {
    case GM_T_NAK: fprintf(f, ",\"reason\":\"%s\"", or_q(gm_nak_name(m->u.nak.reason))); break;
    case GM_T_HELLO:
      fprintf(f, ",\"major\":%u,\"minor\":%u,\"heartbeatMs\":%u,\"watchdogMs\":%u,\"ackTimeoutMs\":%u,\"retries\":%u,\"failMode\":\"%s\"",
              m->u.hello.major, m->u.hello.minor, m->u.hello.heartbeat_ms, m->u.hello.watchdog_ms, m->u.hello.ack_timeout_ms,
              m->u.hello.retries, or_q(gm_fail_mode_name(m->u.hello.fail_mode)));
      break;
    case GM_T_AUTHORISE:
      fprintf(f, ",\"authId\":%u,\"direction\":\"%s\",\"count\":%u,\"timeoutMs\":%lu", m->u.authorise.auth_id,
              or_q(gm_direction_name(m->u.authorise.direction)), m->u.authorise.count, (unsigned long)m->u.authorise.timeout_ms);
      break;
    case GM_T_CANCEL: fprintf(f, ",\"authId\":%u", m->u.cancel.auth_id); break;
    case GM_T_SET_MODE: fprintf(f, ",\"mode\":\"%s\"", or_q(gm_mode_name(m->u.set_mode.mode))); break;
    case GM_T_DISPLAY:
      fprintf(f, ",\"code\":\"%s\",\"reason\":\"%s\",\"train\":", or_q(gm_display_name(m->u.display.code)), or_q(gm_reason_name(m->u.display.reason)));
      json_str(f, m->u.display.train);
      fputs(",\"car\":", f);
      json_str(f, m->u.display.car);
      fputs(",\"seat\":", f);
      json_str(f, m->u.display.seat);
      /* As the vectors write it: the key only when the field was on the wire (1.1). */
      if (m->u.display.has_language) {
        fputs(",\"language\":", f);
        json_str(f, m->u.display.language);
      }
      break;
    case GM_T_SOUND: fprintf(f, ",\"pattern\":\"%s\",\"durationMs\":%u", or_q(gm_sound_name(m->u.sound.pattern)), m->u.sound.duration_ms); break;
    case GM_T_PASSAGE_STARTED: case GM_T_TAILGATING: case GM_T_REVERSE_PASSAGE: case GM_T_PASSAGE: case GM_T_PASSAGE_TIMEOUT:
      fprintf(f, ",\"authId\":%u,\"direction\":\"%s\"", m->u.auth_report.auth_id, or_q(gm_direction_name(m->u.auth_report.direction)));
      if (m->type == GM_T_PASSAGE) fprintf(f, ",\"remaining\":%u", m->u.auth_report.n);
      if (m->type == GM_T_PASSAGE_TIMEOUT) fprintf(f, ",\"unused\":%u", m->u.auth_report.n);
      break;
    case GM_T_FORCED_ENTRY: case GM_T_INTRUSION: fprintf(f, ",\"direction\":\"%s\"", or_q(gm_direction_name(m->u.dir_report.direction))); break;
    case GM_T_DOOR_FAULT:
      fprintf(f, ",\"fault\":\"%s\",\"active\":%s", or_q(gm_door_fault_name(m->u.door_fault.fault)), m->u.door_fault.active ? "true" : "false");
      break;
    case GM_T_EMERGENCY: fprintf(f, ",\"active\":%s", m->u.emergency.active ? "true" : "false"); break;
    case GM_T_POWER: fprintf(f, ",\"state\":\"%s\"", or_q(gm_power_name(m->u.power.state))); break;
    case GM_T_MCU_RESET:
      fprintf(f, ",\"cause\":\"%s\",\"bootId\":%lu", or_q(gm_reset_name(m->u.mcu_reset.cause)), (unsigned long)m->u.mcu_reset.boot_id);
      break;
    case GM_T_WATCHDOG_EXPIRED: fprintf(f, ",\"failMode\":\"%s\"", or_q(gm_fail_mode_name(m->u.watchdog_expired.fail_mode))); break;
    default: break;
  }
  fputc('}', f);
}

#endif
