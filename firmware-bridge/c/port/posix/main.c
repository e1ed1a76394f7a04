/* POSIX port of the MCU library: the firmware as a host process on a serial device or pty, so the daemon talks
 * to it exactly as to a real MCU. The lane's sensors are driven by commands, one per line, from stdin (a script)
 * and from an optional Unix control socket; what happens is printed as JSON lines on stdout.
 *
 *   gate-mcu-posix --port PATH [--fail-mode locked|free] [--walk-ms N] [--status-ms N] [--boot-id N]
 *                  [--fire-alarm] [--control SOCKET] [--firmware STR]
 *
 * Commands: walk [entry|exit], tailgate, reverse, intrusion [entry|exit], forced [entry|exit], beam a|b on|off,
 * emergency on|off, power mains|battery|battery-low, door-fault FAULT on|off, reboot [CAUSE], silence on|off,
 * drop-tx N, corrupt-tx N, drop-answers N (line faults: the next N frames / answers sent are lost, or arrive
 * with a bad CRC), state,
 * wait MS (stdin scripts), quit. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "gm_mcu.h"
#include "json_out.h"

#define MAX_CLIENTS 4
#define MAX_ACTIONS 32
#define LINE_MAX_LEN 256

typedef enum { ACT_BEAM, ACT_DONE } action_kind;
typedef struct {
  uint32_t at;
  action_kind kind;
  uint8_t beam, on;
  const char *what;
} action;

typedef struct {
  int fd;
  char buf[LINE_MAX_LEN];
  size_t len;
} line_reader;

static struct {
  gm_mcu mcu;
  int serial;
  int silent;
  int drop_tx, corrupt_tx;   /* line faults for the tests: frames to drop / to send with a broken CRC */
  int drop_answers;          /* answers (ACK, NAK, HELLO-REPLY) to drop: the daemon's retransmission case */
  uint8_t stored_fail_mode; /* the EEPROM */
  uint32_t walk_ms;
  gm_config cfg;
  action actions[MAX_ACTIONS];
  int n_actions;
  line_reader in;
  int in_open;
  uint32_t wait_until;       /* a script's `wait`: stdin lines are read again after this */
  int listen_fd;
  line_reader clients[MAX_CLIENTS];
  char last_state[512];
  volatile sig_atomic_t stop;
} g;

static uint32_t millis_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

/* ---- HAL ---- */

/* TYPE of a frame on the wire (the third byte after the start marker, unstuffed). */
static uint8_t wire_type(const uint8_t *p, size_t n) {
  size_t i;
  int k = 0;
  for (i = 1; i < n; i++) {
    uint8_t b = p[i];
    if (b == GM_ESC && i + 1 < n) b = (uint8_t)(p[++i] ^ 0x20u);
    if (++k == 3) return b;
  }
  return 0;
}

static void hal_write(void *ctx, const uint8_t *p, size_t n) {
  uint8_t bad[GM_TX_MAX];
  (void)ctx;
  if (g.silent) return;
  /* The library writes one whole frame per call, so a fault hits exactly one frame. */
  if (g.drop_tx > 0) {
    g.drop_tx--;
    return;
  }
  if (g.drop_answers > 0) {
    uint8_t t = wire_type(p, n);
    if (t == GM_T_ACK || t == GM_T_NAK || t == GM_T_HELLO_REPLY) {
      g.drop_answers--;
      return;
    }
  }
  if (g.corrupt_tx > 0 && n <= sizeof bad && n > 1) {
    g.corrupt_tx--;
    memcpy(bad, p, n);
    bad[n - 1] ^= 0x5A; /* the low CRC byte (or its escape): the receiver's CRC check fails */
    if (bad[n - 1] == GM_SOF) bad[n - 1] ^= 0x01;
    p = bad;
  }
  while (n > 0) {
    ssize_t w = write(g.serial, p, n);
    if (w > 0) {
      p += w;
      n -= (size_t)w;
    } else if (w < 0 && errno == EAGAIN) {
      struct pollfd pf = {g.serial, POLLOUT, 0};
      if (poll(&pf, 1, 50) <= 0) return; /* the other end is not reading: the line drops the rest */
    } else if (w < 0 && errno == EINTR) {
      continue;
    } else {
      return;
    }
  }
}
static uint32_t hal_millis(void *ctx) {
  (void)ctx;
  return millis_now();
}
static const char *const FLAPS[] = {"closed", "open-entry", "open-exit", "open-both"};
static void hal_flaps(void *ctx, gm_flaps f) {
  (void)ctx;
  printf("{\"flaps\":\"%s\"}\n", FLAPS[f]);
}
static void hal_show(void *ctx, const gm_display *d) {
  gm_msg m;
  (void)ctx;
  memset(&m, 0, sizeof m);
  m.type = GM_T_DISPLAY;
  m.u.display = *d;
  fputs("{\"display\":", stdout);
  json_msg(stdout, &m);
  fputs("}\n", stdout);
}
static void hal_sound(void *ctx, uint8_t pattern, uint16_t ms) {
  (void)ctx;
  printf("{\"sound\":\"%s\",\"durationMs\":%u}\n", or_q(gm_sound_name(pattern)), ms);
}
static void hal_store_fail_mode(void *ctx, uint8_t fm) {
  (void)ctx;
  g.stored_fail_mode = fm;
}
static void hal_event(void *ctx, const gm_event *ev) {
  static const char *const KEYS[] = {"received", "report", "delivered", "refused", "dropped"};
  (void)ctx;
  switch (ev->kind) {
    case GM_EV_RECEIVED:
      if (ev->msg->type == GM_T_HEARTBEAT) return;
      /* fall through */
    case GM_EV_QUEUED: case GM_EV_DELIVERED: case GM_EV_REFUSED: case GM_EV_DROPPED:
      printf("{\"%s\":", KEYS[ev->kind]);
      json_msg(stdout, ev->msg);
      fputs(ev->kind == GM_EV_RECEIVED && ev->value ? ",\"duplicate\":true}\n" : "}\n", stdout);
      return;
    case GM_EV_SESSION: printf("{\"session\":%s}\n", ev->value ? "true" : "false"); return;
    case GM_EV_FAILSAFE: printf("{\"failsafe\":\"%s\"}\n", or_q(gm_fail_mode_name((uint8_t)ev->value))); return;
    case GM_EV_DISCARD: printf("{\"discard\":\"%s\"}\n", gm_drop_name((gm_drop_reason)ev->value)); return;
  }
}

static void boot(uint8_t cause) {
  gm_hal hal;
  memset(&hal, 0, sizeof hal);
  hal.uart_write = hal_write;
  hal.millis = hal_millis;
  hal.set_flaps = hal_flaps;
  hal.show = hal_show;
  hal.sound = hal_sound;
  hal.store_fail_mode = hal_store_fail_mode;
  hal.event = hal_event;
  g.cfg.reset_cause = cause;
  g.cfg.fail_mode = g.stored_fail_mode;
  g.cfg.fire_alarm = g.mcu.fire_raw; /* the input keeps its level across a reboot */
  g.cfg.power = g.mcu.power;
  g.n_actions = 0;
  gm_mcu_init(&g.mcu, &hal, &g.cfg);
  g.cfg.boot_id++; /* a boot counter: the next boot has another id */
}

/* ---- the lane's people, as beam timings ---- */

static void at(uint32_t delay, action_kind kind, uint8_t beam, uint8_t on, const char *what) {
  action *a;
  if (g.n_actions == MAX_ACTIONS) return;
  a = &g.actions[g.n_actions++];
  a->at = millis_now() + delay;
  a->kind = kind;
  a->beam = beam;
  a->on = on;
  a->what = what;
}

static uint8_t dir_arg(const char *s, uint8_t dflt) {
  if (s && strcmp(s, "exit") == 0) return GM_DIR_EXIT;
  if (s && strcmp(s, "entry") == 0) return GM_DIR_ENTRY;
  return dflt;
}
static uint8_t near_of(uint8_t dir) { return dir == GM_DIR_EXIT ? GM_BEAM_B : GM_BEAM_A; }
static uint8_t far_of(uint8_t dir) { return dir == GM_DIR_EXIT ? GM_BEAM_A : GM_BEAM_B; }
static uint8_t auth_dir(void) { return g.mcu.auth.active ? g.mcu.auth.direction : GM_DIR_ENTRY; }

/* One person through the lane over walk_ms, starting after `delay`. */
static void person(uint32_t delay, uint8_t dir) {
  uint32_t q = g.walk_ms / 4;
  at(delay, ACT_BEAM, near_of(dir), 1, NULL);
  at(delay + q, ACT_BEAM, near_of(dir), 0, NULL);
  at(delay + 2 * q, ACT_BEAM, far_of(dir), 1, NULL);
  at(delay + 3 * q, ACT_BEAM, far_of(dir), 0, NULL);
}

/* ---- commands ---- */

static void print_state(int always) {
  char s[512];
  char auth[128] = "null";
  if (g.mcu.auth.active)
    snprintf(auth, sizeof auth, "{\"authId\":%u,\"direction\":\"%s\",\"remaining\":%u,\"started\":%s}", g.mcu.auth.auth_id,
             or_q(gm_direction_name(g.mcu.auth.direction)), g.mcu.auth.remaining, g.mcu.auth.passing ? "true" : "false");
  snprintf(s, sizeof s, "{\"state\":{\"mode\":\"%s\",\"session\":%s,\"failsafe\":%s,\"emergency\":%s,\"power\":\"%s\",\"flaps\":\"%s\",\"auth\":%s}}",
           or_q(gm_mode_name(g.mcu.mode)), g.mcu.session ? "true" : "false", g.mcu.failsafe ? "true" : "false",
           g.mcu.emergency ? "true" : "false", or_q(gm_power_name(g.mcu.power)), FLAPS[g.mcu.flaps], auth);
  if (!always && strcmp(s, g.last_state) == 0) return;
  strcpy(g.last_state, s);
  puts(s);
}

static int on_off(const char *s) { return s && (strcmp(s, "on") == 0 || strcmp(s, "1") == 0 || strcmp(s, "true") == 0); }

/* Run one command line; returns 0 or prints {"error":...} and returns -1. */
static int command(char *line) {
  char *argv[4] = {0};
  int argc = 0;
  char *tok = strtok(line, " \t\r\n");
  while (tok && argc < 4) {
    argv[argc++] = tok;
    tok = strtok(NULL, " \t\r\n");
  }
  if (argc == 0 || argv[0][0] == '#') return 0;
  if (!strcmp(argv[0], "walk")) {
    person(0, dir_arg(argv[1], auth_dir()));
    at(g.walk_ms, ACT_DONE, 0, 0, "walk");
  } else if (!strcmp(argv[0], "tailgate")) {
    uint8_t d = dir_arg(argv[1], auth_dir());
    person(0, d);
    person(g.walk_ms / 3, d); /* the second person enters while the first is still in the lane */
    at(g.walk_ms + g.walk_ms / 3, ACT_DONE, 0, 0, "tailgate");
  } else if (!strcmp(argv[0], "reverse")) {
    uint8_t d = auth_dir();
    at(0, ACT_BEAM, far_of(d), 1, NULL);
    at(g.walk_ms / 2, ACT_BEAM, far_of(d), 0, NULL);
    at(g.walk_ms / 2, ACT_DONE, 0, 0, "reverse");
  } else if (!strcmp(argv[0], "intrusion")) {
    uint8_t d = dir_arg(argv[1], GM_DIR_ENTRY);
    at(0, ACT_BEAM, near_of(d), 1, NULL);
    at(g.walk_ms / 2, ACT_BEAM, near_of(d), 0, NULL);
    at(g.walk_ms / 2, ACT_DONE, 0, 0, "intrusion");
  } else if (!strcmp(argv[0], "forced")) {
    gm_mcu_forced(&g.mcu, dir_arg(argv[1], GM_DIR_ENTRY));
  } else if (!strcmp(argv[0], "beam") && argc == 3 && (!strcmp(argv[1], "a") || !strcmp(argv[1], "b"))) {
    gm_mcu_beam(&g.mcu, argv[1][0] == 'a' ? GM_BEAM_A : GM_BEAM_B, (uint8_t)on_off(argv[2]));
  } else if (!strcmp(argv[0], "emergency") && argc == 2) {
    gm_mcu_fire_alarm(&g.mcu, (uint8_t)on_off(argv[1]));
  } else if (!strcmp(argv[0], "power") && argc == 2 && gm_code_of(gm_power_name, argv[1]) >= 0) {
    gm_mcu_power(&g.mcu, (uint8_t)gm_code_of(gm_power_name, argv[1]));
  } else if (!strcmp(argv[0], "door-fault") && argc >= 2 && gm_code_of(gm_door_fault_name, argv[1]) >= 0) {
    gm_mcu_door_fault(&g.mcu, (uint8_t)gm_code_of(gm_door_fault_name, argv[1]), (uint8_t)(argc < 3 || on_off(argv[2])));
  } else if (!strcmp(argv[0], "reboot")) {
    int cause = argv[1] ? gm_code_of(gm_reset_name, argv[1]) : GM_RESET_SOFTWARE;
    boot((uint8_t)(cause < 0 ? GM_RESET_SOFTWARE : cause));
  } else if (!strcmp(argv[0], "silence") && argc == 2) {
    g.silent = on_off(argv[1]);
  } else if (!strcmp(argv[0], "drop-tx") || !strcmp(argv[0], "corrupt-tx") || !strcmp(argv[0], "drop-answers")) {
    int k = argc > 1 ? atoi(argv[1]) : 1;
    *(!strcmp(argv[0], "drop-tx") ? &g.drop_tx : !strcmp(argv[0], "corrupt-tx") ? &g.corrupt_tx : &g.drop_answers) = k > 0 ? k : 1;
  } else if (!strcmp(argv[0], "state")) {
    print_state(1);
  } else if (!strcmp(argv[0], "wait") && argc == 2) {
    g.wait_until = millis_now() + (uint32_t)strtoul(argv[1], NULL, 10);
  } else if (!strcmp(argv[0], "quit")) {
    g.stop = 1;
  } else {
    printf("{\"error\":\"unknown or incomplete command %s; one of walk, tailgate, reverse, intrusion, forced, beam, emergency, power, "
           "door-fault, reboot, silence, drop-tx, corrupt-tx, drop-answers, state, wait, quit\"}\n", argv[0]);
    return -1;
  }
  /* Says the command ran (a test waits for this before it acts on the line). */
  printf("{\"did\":\"%s\"}\n", argv[0]);
  return 0;
}

/* Read what is there; run each complete line (stdin lines wait while a script's `wait` runs). */
static int read_lines(line_reader *r, int reply) {
  ssize_t n = read(r->fd, r->buf + r->len, sizeof r->buf - 1 - r->len);
  if (n <= 0) return n == 0 || (errno != EAGAIN && errno != EINTR) ? -1 : 0;
  r->len += (size_t)n;
  return reply;
}

static void run_lines(line_reader *r, int reply, int may_wait) {
  char *nl;
  while ((nl = memchr(r->buf, '\n', r->len)) != NULL) {
    char line[LINE_MAX_LEN];
    size_t n = (size_t)(nl - r->buf);
    int rc;
    if (may_wait && (int32_t)(millis_now() - g.wait_until) < 0) return;
    memcpy(line, r->buf, n);
    line[n] = '\0';
    memmove(r->buf, nl + 1, r->len - n - 1);
    r->len -= n + 1;
    rc = command(line);
    if (reply >= 0) {
      const char *ans = rc == 0 ? "ok\n" : "error\n";
      if (write(reply, ans, strlen(ans)) < 0) { /* the client went away; it is closed on its next read */ }
    }
  }
  if (r->len == sizeof r->buf - 1) r->len = 0; /* a line too long for any command */
}

static int open_serial(const char *path) {
  struct termios t;
  int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) return -1;
  if (tcgetattr(fd, &t) == 0) {
    cfmakeraw(&t);
    cfsetispeed(&t, B115200);
    cfsetospeed(&t, B115200);
    t.c_cflag |= CLOCAL | CREAD;
    tcsetattr(fd, TCSANOW, &t);
  }
  return fd;
}

static int open_control(const char *path) {
  struct sockaddr_un a;
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0 || strlen(path) >= sizeof a.sun_path) return -1;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  strcpy(a.sun_path, path);
  unlink(path);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, MAX_CLIENTS) < 0) return -1;
  fcntl(fd, F_SETFL, O_NONBLOCK);
  return fd;
}

static void on_signal(int sig) {
  (void)sig;
  g.stop = 1;
}

static void usage(void) {
  fputs("usage: gate-mcu-posix --port PATH [--fail-mode locked|free] [--walk-ms N] [--status-ms N] [--boot-id N] [--fire-alarm] "
        "[--control SOCKET] [--firmware STR]\n", stderr);
  exit(2);
}

int main(int argc, char **argv) {
  const char *port = NULL, *control = NULL;
  int i;
  memset(&g, 0, sizeof g);
  g.walk_ms = 300;
  g.cfg.status_ms = 500;
  g.cfg.firmware = "gm-c-1.0.0";
  g.cfg.boot_id = (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 16);
  g.listen_fd = -1;
  for (i = 1; i < argc; i++) {
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(argv[i], "--fire-alarm")) { g.mcu.fire_raw = 1; continue; }
    if (!v) usage();
    if (!strcmp(argv[i], "--port")) port = v;
    else if (!strcmp(argv[i], "--fail-mode")) g.stored_fail_mode = strcmp(v, "free") == 0 ? GM_FAIL_FREE : GM_FAIL_LOCKED;
    else if (!strcmp(argv[i], "--walk-ms")) g.walk_ms = (uint32_t)strtoul(v, NULL, 10);
    else if (!strcmp(argv[i], "--status-ms")) g.cfg.status_ms = (uint16_t)strtoul(v, NULL, 10);
    else if (!strcmp(argv[i], "--boot-id")) g.cfg.boot_id = (uint32_t)strtoul(v, NULL, 0);
    else if (!strcmp(argv[i], "--control")) control = v;
    else if (!strcmp(argv[i], "--firmware")) g.cfg.firmware = v;
    else usage();
    i++;
  }
  if (!port || strlen(g.cfg.firmware) > GM_STR8_MAX) usage();
  if ((g.serial = open_serial(port)) < 0) {
    fprintf(stderr, "gate-mcu-posix: cannot open %s: %s\n", port, strerror(errno));
    return 1;
  }
  if (control && (g.listen_fd = open_control(control)) < 0) {
    fprintf(stderr, "gate-mcu-posix: cannot listen on %s: %s\n", control, strerror(errno));
    return 1;
  }
  for (i = 0; i < MAX_CLIENTS; i++) g.clients[i].fd = -1;
  g.in.fd = 0;
  g.in_open = 1;
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  signal(SIGPIPE, SIG_IGN);
  setvbuf(stdout, NULL, _IOLBF, 0);
  g.mcu.power = GM_POWER_MAINS;
  boot(GM_RESET_POWER_ON);
  printf("{\"ready\":{\"port\":\"%s\",\"bootId\":%lu}}\n", port, (unsigned long)g.mcu.cfg.boot_id);

  while (!g.stop) {
    struct pollfd pf[3 + MAX_CLIENTS];
    int n = 0, k, stdin_at = -1, listen_at = -1, client_at[MAX_CLIENTS];
    uint8_t buf[512];
    pf[n++] = (struct pollfd){g.serial, POLLIN, 0};
    if (g.in_open) stdin_at = n, pf[n++] = (struct pollfd){0, POLLIN, 0};
    if (g.listen_fd >= 0) listen_at = n, pf[n++] = (struct pollfd){g.listen_fd, POLLIN, 0};
    for (k = 0; k < MAX_CLIENTS; k++) {
      client_at[k] = -1;
      if (g.clients[k].fd >= 0) client_at[k] = n, pf[n++] = (struct pollfd){g.clients[k].fd, POLLIN, 0};
    }
    /* A 2 ms tick: well under the shortest ackTimeoutMs / 4 the daemon may configure (10 ms). */
    if (poll(pf, (nfds_t)n, 2) < 0 && errno != EINTR) break;
    if (pf[0].revents & POLLIN) {
      ssize_t r = read(g.serial, buf, sizeof buf);
      if (r > 0) gm_mcu_rx(&g.mcu, buf, (size_t)r);
    }
    if (stdin_at >= 0 && (pf[stdin_at].revents & (POLLIN | POLLHUP))) {
      if (read_lines(&g.in, 0) < 0) g.in_open = 0; /* end of the script: keep running until SIGTERM or `quit` */
    }
    if (g.in.len) run_lines(&g.in, -1, 1);
    if (listen_at >= 0 && (pf[listen_at].revents & POLLIN)) {
      int c = accept(g.listen_fd, NULL, NULL);
      for (k = 0; k < MAX_CLIENTS && c >= 0; k++)
        if (g.clients[k].fd < 0) {
          g.clients[k].fd = c;
          g.clients[k].len = 0;
          c = -1;
        }
      if (c >= 0) close(c);
    }
    for (k = 0; k < MAX_CLIENTS; k++) {
      if (client_at[k] < 0 || !(pf[client_at[k]].revents & (POLLIN | POLLHUP))) continue;
      if (read_lines(&g.clients[k], 0) < 0) {
        close(g.clients[k].fd);
        g.clients[k].fd = -1;
        continue;
      }
      run_lines(&g.clients[k], g.clients[k].fd, 0);
    }
    /* Scripted beams, in time order. */
    for (k = 0; k < g.n_actions;) {
      action a = g.actions[k];
      if ((int32_t)(millis_now() - a.at) < 0) {
        k++;
        continue;
      }
      memmove(&g.actions[k], &g.actions[k + 1], (size_t)(g.n_actions - k - 1) * sizeof a);
      g.n_actions--;
      if (a.kind == ACT_BEAM) gm_mcu_beam(&g.mcu, (gm_beam)a.beam, a.on);
      else printf("{\"done\":\"%s\"}\n", a.what);
      k = 0; /* actions due at the same time run in the order they were added */
    }
    gm_mcu_poll(&g.mcu);
    print_state(0);
  }
  if (control) unlink(control);
  return 0;
}
