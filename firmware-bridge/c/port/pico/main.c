/* Worked example: the MCU library on a Raspberry Pi Pico (RP2040) with the Pico SDK. Builds with the SDK's CMake
 * (see CMakeLists.txt beside this file and ../../README.md); nothing here is built in CI.
 *
 * Wiring (change the pin numbers below to suit the board):
 *   GPIO0 / GPIO1  UART0 TX / RX to the gate computer (3.3 V TTL; an RS-232 transceiver for RS-232), 115200 8N1
 *   GPIO2 / GPIO3  light beams A (entry side) / B (exit side), open-collector receivers: low = beam broken
 *   GPIO4          fire-alarm loop, normally closed to ground: high (open, or a cut wire) = alarm
 *   GPIO5          flap position switch: high while a closed flap is pushed open = forced entry
 *   GPIO6 / GPIO7  flap drive: open towards entry / towards exit (both high = free passage)
 */
#include "pico/stdlib.h"
#include "pico/rand.h"
#include "hardware/gpio.h"
#include "hardware/irq.h"
#include "hardware/uart.h"
#include "hardware/watchdog.h"
#include "gm_mcu.h"

#define LINK_UART uart0
#define LINK_IRQ UART0_IRQ
#define PIN_TX 0
#define PIN_RX 1
#define PIN_BEAM_A 2
#define PIN_BEAM_B 3
#define PIN_FIRE 4
#define PIN_FORCED 5
#define PIN_OPEN_ENTRY 6
#define PIN_OPEN_EXIT 7

/* Receive ring filled by the UART interrupt, drained by the main loop: 512 bytes hold two worst-case frames
 * (PROTOCOL.md section 1). */
#define RX_RING 512u
static volatile uint8_t rx_ring[RX_RING];
static volatile uint16_t rx_head, rx_tail;

static void on_uart_rx(void) {
  while (uart_is_readable(LINK_UART)) {
    uint8_t b = (uint8_t)uart_getc(LINK_UART);
    uint16_t next = (uint16_t)((rx_head + 1u) % RX_RING);
    if (next != rx_tail) { /* full: the byte is lost, and the frame's CRC or the framing drops it */
      rx_ring[rx_head] = b;
      rx_head = next;
    }
  }
}

/* The fail mode and a boot counter survive a watchdog reset in RAM the C runtime does not clear. A product keeps
 * the fail mode in flash as well (hardware/flash.h: erase and program the last sector when it changes), so that it
 * also survives a power cut. */
static uint32_t __uninitialized_ram(saved_magic);
static uint8_t __uninitialized_ram(saved_fail_mode);
#define SAVED_MAGIC 0x67617465u

static void hal_write(void *ctx, const uint8_t *p, size_t n) {
  (void)ctx;
  uart_write_blocking(LINK_UART, p, n); /* at most 64 bytes: under 6 ms at 115200 baud, inside ackTimeoutMs / 2 */
}
static uint32_t hal_millis(void *ctx) {
  (void)ctx;
  return to_ms_since_boot(get_absolute_time());
}
static void hal_flaps(void *ctx, gm_flaps f) {
  (void)ctx;
  gpio_put(PIN_OPEN_ENTRY, f == GM_FLAPS_OPEN_ENTRY || f == GM_FLAPS_OPEN_BOTH);
  gpio_put(PIN_OPEN_EXIT, f == GM_FLAPS_OPEN_EXIT || f == GM_FLAPS_OPEN_BOTH);
}
static void hal_store_fail_mode(void *ctx, uint8_t fail_mode) {
  (void)ctx;
  saved_fail_mode = fail_mode;
  saved_magic = SAVED_MAGIC;
}

static void input(uint pin) {
  gpio_init(pin);
  gpio_set_dir(pin, GPIO_IN);
  gpio_pull_up(pin);
}
static void output(uint pin) {
  gpio_init(pin);
  gpio_set_dir(pin, GPIO_OUT);
  gpio_put(pin, 0);
}

int main(void) {
  static gm_mcu mcu; /* about 2.2 KiB; static, so it is not on the stack */
  gm_hal hal = {0};
  gm_config cfg = {0};
  uint8_t last_forced = 0;

  uart_init(LINK_UART, 115200);
  gpio_set_function(PIN_TX, GPIO_FUNC_UART);
  gpio_set_function(PIN_RX, GPIO_FUNC_UART);
  uart_set_format(LINK_UART, 8, 1, UART_PARITY_NONE);
  uart_set_hw_flow(LINK_UART, false, false);
  uart_set_fifo_enabled(LINK_UART, true);
  irq_set_exclusive_handler(LINK_IRQ, on_uart_rx);
  irq_set_enabled(LINK_IRQ, true);
  uart_set_irq_enables(LINK_UART, true, false);
  input(PIN_BEAM_A);
  input(PIN_BEAM_B);
  input(PIN_FIRE);
  input(PIN_FORCED);
  output(PIN_OPEN_ENTRY);
  output(PIN_OPEN_EXIT);

  hal.uart_write = hal_write;
  hal.millis = hal_millis;
  hal.set_flaps = hal_flaps;
  hal.store_fail_mode = hal_store_fail_mode;
  cfg.boot_id = get_rand_32();
  cfg.reset_cause = watchdog_caused_reboot() ? GM_RESET_WATCHDOG : GM_RESET_POWER_ON;
  cfg.fail_mode = saved_magic == SAVED_MAGIC ? saved_fail_mode : GM_FAIL_LOCKED; /* factory default: locked */
  cfg.power = GM_POWER_MAINS;
  cfg.fire_alarm = gpio_get(PIN_FIRE);
  cfg.status_ms = 500;
  cfg.fire_debounce_ms = 50; /* the loop contact chatters for a few ms when it opens */
  cfg.firmware = "gm-pico-1.0.0";
  gm_mcu_init(&mcu, &hal, &cfg);

  /* The MCU's own hardware watchdog: a hung main loop resets the chip (and mcu-reset says so). */
  watchdog_enable(200, true);
  for (;;) {
    uint8_t chunk[64];
    size_t n = 0;
    uint8_t forced;
    while (rx_tail != rx_head && n < sizeof chunk) {
      chunk[n++] = rx_ring[rx_tail];
      rx_tail = (uint16_t)((rx_tail + 1u) % RX_RING);
    }
    if (n) gm_mcu_rx(&mcu, chunk, n);
    gm_mcu_beam(&mcu, GM_BEAM_A, !gpio_get(PIN_BEAM_A));
    gm_mcu_beam(&mcu, GM_BEAM_B, !gpio_get(PIN_BEAM_B));
    gm_mcu_fire_alarm(&mcu, gpio_get(PIN_FIRE));
    forced = gpio_get(PIN_FORCED);
    /* Which way it was pushed is not known from one switch; a product with a switch per flap reports each side. */
    if (forced && !last_forced) gm_mcu_forced(&mcu, GM_DIR_ENTRY);
    last_forced = forced;
    gm_mcu_poll(&mcu);
    watchdog_update();
    sleep_us(500);
  }
}
