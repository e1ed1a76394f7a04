// `gate run`: the daemon. Runs until SIGTERM/SIGINT, then finishes the passage in progress, flushes and exits 0.
import { parseOptions, requireOption, type Command } from '../command.js';
import { loadConfig, resolveNextSecret, resolveSecret } from '../../config/load.js';
import { assertRunnable } from '../../config/run-checks.js';
import { GateDaemon, RELOAD_EXIT_CODE } from '../../daemon/gate-daemon.js';
import { appVersion, configVersion } from '../../daemon/versions.js';
import { installProcessPolicy, UNEXPECTED_EXIT_CODE } from '../../daemon/process-policy.js';
import { DaemonWatchdog, systemdNotify, watchdogIntervalMs } from '../../daemon/watchdog.js';
import { createLogger } from '../../util/log.js';
import { errorLine } from '../../util/gate-error.js';
import { testClockFromEnv } from '../../daemon/test-clock.js';
import { createConsole, type ConsoleServer } from '../../console/server.js';

/** GATE_WATCHDOG_LINK_DOWN_MS: how long the MCU link may be down before pings stop (docs/install.md); else the default. */
function watchdogLimitsFromEnv(): { linkDownMs?: number } {
  const ms = Number(process.env.GATE_WATCHDOG_LINK_DOWN_MS);
  return Number.isInteger(ms) && ms > 0 ? { linkDownMs: ms } : {};
}

export const runCommand: Command = {
  name: 'run',
  summary: 'run the gate: readers, lane, turnstile, MQTT and sync',
  help: `usage: gate run --config FILE

Runs the gate daemon with the devices, broker and cache of the config file. Logs go to stderr: readable lines on a
terminal, JSON lines otherwise (GATE_LOG_FORMAT=json|pretty chooses; level from the config's logLevel or GATE_LOG_LEVEL) and never hold names, document numbers or photos.
The state for \`gate status\` is written next to the database (<db>.status.json).
SIGTERM or SIGINT: no new passenger is accepted, the passage in progress finishes (up to its timeout), the
outbox is flushed for up to 3 s (what is left stays in the outbox and goes out after the restart), exit 0.
Central's signed reload-config command stops it the same way with exit code 75, which systemd (Restart=on-failure)
answers by starting it again with the config file as it is now.
An unexpected error (uncaught exception, unhandled rejection) is logged once (one line), the passage in progress
finishes, and the process exits ${UNEXPECTED_EXIT_CODE} (EX_SOFTWARE), which systemd also answers with a restart.
Under systemd (NOTIFY_SOCKET set; scripts/gate.service is Type=notify with WatchdogSec) it reports READY=1 once
started, WATCHDOG=1 while its event loop, lane and MCU link are healthy, and STOPPING=1 when it stops.

options:
  --config FILE   the gate's config (gate config check FILE validates it)

example:
  gate run --config /etc/gate/gate.json`,
  async run(args, io) {
    const { values } = parseOptions(args, { config: { type: 'string' } });
    const loaded = loadConfig(requireOption(values.config, 'config'));
    const { config } = loaded;
    assertRunnable(loaded); // the same lines gate config check and gate doctor print
    const log = createLogger({ level: process.env.GATE_LOG_LEVEL ?? config.logLevel });
    // The soak's virtual clock (src/daemon/test-clock.ts); undefined, the system clock, everywhere else.
    const clock = testClockFromEnv(process.env, log);
    const daemon = new GateDaemon({
      config,
      secret: resolveSecret(loaded),
      secretNext: resolveNextSecret(loaded),
      configVersion: configVersion(config),
      appVersion: appVersion(),
      log,
      clock,
    });
    const stopped = new Promise<void>((resolve) => daemon.events.once('stopped', () => resolve()));
    // systemd's notify protocol; nothing at all without NOTIFY_SOCKET.
    const notify = systemdNotify(log);
    const watchdog = notify
      ? new DaemonWatchdog({
          notify,
          intervalMs: watchdogIntervalMs(),
          sample: () => {
            const lane = daemon.lane.state;
            return {
              nowMs: Date.now(),
              lane: { phase: lane.phase, sinceMs: lane.since, timing: lane.timing },
              link: { state: daemon.link.state },
            };
          },
          limits: watchdogLimitsFromEnv(),
          log,
        })
      : null;
    // Every way of stopping tells systemd first (STOPPING=1), so a slow stop is not taken for a hang.
    const stop = (drainMs?: number) =>
      (watchdog?.stopping() ?? Promise.resolve()).then(() => daemon.stop(drainMs === undefined ? {} : { drainMs }));
    let exitCode = 0;
    const stopForRestart = () => {
      exitCode = RELOAD_EXIT_CODE;
      stop().catch((err: unknown) => io.stderr.write(`gate run: stop failed: ${errorLine(err)}\n`));
    };
    daemon.events.once('reload-requested', () => {
      log.info('central asked for a config reload: stopping to be restarted');
      stopForRestart();
    });
    daemon.events.once('restart-requested', ({ reason }) => {
      log.error({ reason }, 'stopping to be restarted: the next start checks the whole database and sets it aside');
      stopForRestart();
    });
    const onSignal = (signal: NodeJS.Signals) => {
      log.info({ signal }, 'signal: stopping');
      stop().catch((err: unknown) => io.stderr.write(`gate run: stop failed: ${errorLine(err)}\n`));
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    const removePolicy = installProcessPolicy({ log, stop: () => stop(), stopTimeoutMs: config.bridge.passageTimeoutMs + 10_000 });
    // The technicians' web console (console.enabled), built before the start so that its counters see it; it closes
    // by itself when the daemon stops. A console that cannot start is logged and left out: passengers still pass.
    let webConsole: ConsoleServer | null = null;
    try {
      if (config.console.enabled) webConsole = createConsole({ gate: daemon, loaded, log });
    } catch (err) {
      log.error({ err: errorLine(err) }, 'console not started');
    }
    try {
      await daemon.start();
      await webConsole?.listen().catch((err: unknown) => log.error({ err: errorLine(err) }, 'console not started'));
    } catch (err) {
      await stop(0).catch(() => undefined);
      throw err;
    }
    await watchdog?.ready();
    await stopped;
    watchdog?.stop();
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    removePolicy();
    log.flush();
    return exitCode;
  },
};
