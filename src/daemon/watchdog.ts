// systemd's notify protocol for `gate run` (scripts/gate.service: Type=notify, WatchdogSec, NotifyAccess=all).
// READY=1 once the daemon has started, WATCHDOG=1 every half WatchdogSec but only while the event loop, the lane and
// the MCU link are healthy (judgeHealth, pure), STOPPING=1 when it stops. A daemon that hangs, or whose lane or link
// stays broken, stops pinging and systemd restarts it. Without NOTIFY_SOCKET (a terminal, the tests, the demo) none
// of this runs.
//
// How the datagrams get out: Node has no unix datagram sockets (dgram is UDP only) and a native addon would need a
// compiler on the gate. systemd's own `systemd-notify` (in the systemd package every Debian gate has) sends them;
// the unit says NotifyAccess=all because the sender is a child of the main process. systemd-notify waits (BARRIER=1)
// until the manager has read the message, so one that exits at once is still attributed to the unit.
import { execFile } from 'node:child_process';
import type { LinkState } from '../bridge/link.js';
import type { LanePhase, LaneTiming } from '../gate/lane.js';
import { errorLine } from '../util/gate-error.js';
import type { Logger } from '../util/log.js';

/** What the watchdog looks at each time before it pings. */
export interface HealthSample {
  nowMs: number;
  /** The longest the event loop was late since the previous sample. */
  loopDelayMs: number;
  lane: { phase: LanePhase; sinceMs: number; timing: LaneTiming };
  /** The MCU link's state and since when it has not been up (null: it is up). */
  link: { state: LinkState; downSinceMs: number | null };
}

export interface HealthLimits {
  /** A loop late by more than this is not serving passengers (a blocked loop sends nothing at all). */
  maxLoopDelayMs: number;
  /** Every lane phase but idle ends by itself (result hold, passage timeout + guard, decision guard): a lane still
   *  in one after all of those plus this slack no longer runs its clock. */
  laneSlackMs: number;
  /** How long the link may stay down (MCU unplugged, rebooting, silent) before a fresh process is worth trying. */
  linkDownMs: number;
}

export const DEFAULT_HEALTH_LIMITS: HealthLimits = { maxLoopDelayMs: 5000, laneSlackMs: 30_000, linkDownMs: 120_000 };

export type HealthVerdict = { healthy: true } | { healthy: false; part: 'event-loop' | 'lane' | 'link'; detail: string };

/** Whether the daemon deserves its next watchdog ping. Pure: the table tests are test/daemon/watchdog.test.ts. */
export function judgeHealth(s: HealthSample, l: HealthLimits): HealthVerdict {
  if (s.loopDelayMs > l.maxLoopDelayMs)
    return { healthy: false, part: 'event-loop', detail: `event loop blocked for ${Math.round(s.loopDelayMs)} ms` };
  const t = s.lane.timing;
  const laneLimit = t.passageTimeoutMs + t.guardMs + t.resultHoldMs + l.laneSlackMs;
  const inPhase = s.nowMs - s.lane.sinceMs;
  if (s.lane.phase !== 'idle' && inPhase > laneLimit)
    return { healthy: false, part: 'lane', detail: `lane stuck in ${s.lane.phase} for ${Math.round(inPhase / 1000)} s` };
  if (s.link.downSinceMs !== null && s.nowMs - s.link.downSinceMs > l.linkDownMs) {
    return { healthy: false, part: 'link', detail: `MCU link ${s.link.state} for ${Math.round((s.nowMs - s.link.downSinceMs) / 1000)} s` };
  }
  return { healthy: true };
}

/** How often to ping (half of WatchdogSec), or null when systemd watches no watchdog for this process. */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv = process.env, pid = process.pid): number | null {
  if (!env.NOTIFY_SOCKET) return null;
  // WATCHDOG_PID names the process the watchdog is for; another one (a child that inherited the env) must not ping.
  if (env.WATCHDOG_PID && env.WATCHDOG_PID !== String(pid)) return null;
  const usec = Number(env.WATCHDOG_USEC);
  return Number.isInteger(usec) && usec > 0 ? Math.max(1, Math.floor(usec / 2000)) : null;
}

/** Sends one notify message (`READY=1`, `WATCHDOG=1 STATUS=...`); resolves when it has gone out or failed. */
export type Notify = (assignments: string[]) => Promise<void>;

/** The systemd-notify sender, or null without NOTIFY_SOCKET. A failure is logged once per kind, never thrown. */
export function systemdNotify(log: Logger, env: NodeJS.ProcessEnv = process.env): Notify | null {
  if (!env.NOTIFY_SOCKET) return null;
  const logged = new Set<string>();
  return (assignments) =>
    new Promise<void>((resolve) => {
      execFile('systemd-notify', assignments, { env, timeout: 10_000 }, (err) => {
        if (err) {
          const code = String((err as NodeJS.ErrnoException).code ?? 'failed');
          if (!logged.has(code))
            log.error(
              { code, err: errorLine(err) },
              'systemd-notify failed: systemd may not see this gate as ready or alive (is the systemd package installed?)',
            );
          logged.add(code);
        }
        resolve();
      });
    });
}

export interface WatchdogOptions {
  notify: Notify;
  /** Ping period (watchdogIntervalMs); null: READY=1 and STOPPING=1 only. */
  intervalMs: number | null;
  /** The lane and link as they are now (the loop delay is measured here). */
  sample(): Omit<HealthSample, 'loopDelayMs' | 'link'> & { link: { state: LinkState } };
  limits?: Partial<HealthLimits>;
  log: Logger;
  now?: () => number;
}

/**
 * How late the event loop runs: a timer every `periodMs` notes by how much it fired late (wall clock, read fresh:
 * perf_hooks' monitorEventLoopDelay measures against the loop's cached time and misses a block inside a callback).
 */
class LoopDelayProbe {
  private timer: NodeJS.Timeout | null = null;
  private due = 0;
  private worst = 0;

  constructor(private readonly periodMs: number) {}

  start(): void {
    this.due = Date.now() + this.periodMs;
    this.timer = setInterval(() => {
      const now = Date.now();
      this.worst = Math.max(this.worst, now - this.due);
      this.due = now + this.periodMs;
    }, this.periodMs);
    this.timer.unref?.();
  }

  /** The worst lateness since the last call (counting a probe that is overdue right now). */
  takeWorst(): number {
    const worst = Math.max(this.worst, Date.now() - this.due);
    this.worst = 0;
    return Math.max(0, worst);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/** READY, pings while healthy, STOPPING. Verdict changes are logged and shown as STATUS= in `systemctl status`. */
export class DaemonWatchdog {
  private timer: NodeJS.Timeout | null = null;
  private readonly delay: LoopDelayProbe;
  private readonly limits: HealthLimits;
  private readonly now: () => number;
  private linkDownSince: number | null;
  private lastVerdict: HealthVerdict = { healthy: true };
  private sending = false;

  constructor(private readonly o: WatchdogOptions) {
    this.now = o.now ?? Date.now;
    this.linkDownSince = this.now();
    // A blocked loop while unpinged must not be the norm either: the limit never exceeds the ping period.
    const maxLoop = Math.min(o.limits?.maxLoopDelayMs ?? DEFAULT_HEALTH_LIMITS.maxLoopDelayMs, o.intervalMs ?? Infinity);
    this.limits = { ...DEFAULT_HEALTH_LIMITS, ...o.limits, maxLoopDelayMs: maxLoop };
    this.delay = new LoopDelayProbe(Math.max(10, Math.min(100, Math.floor((o.intervalMs ?? 400) / 4))));
  }

  /** The daemon has started: READY=1, then the first ping. */
  async ready(): Promise<void> {
    await this.o.notify(['READY=1', 'STATUS=gate running']);
    if (this.o.intervalMs === null) return;
    this.delay.start();
    this.timer = setInterval(() => this.tick(), this.o.intervalMs);
    this.tick();
  }

  /** The daemon is stopping (signal, reload, unexpected error): no more pings, STOPPING=1. */
  async stopping(): Promise<void> {
    this.stop();
    await this.o.notify(['STOPPING=1', 'STATUS=gate stopping']);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.delay.stop();
  }

  /** One period: judge, then ping (or withhold it and say why, once per change). */
  tick(): HealthVerdict {
    const s = this.o.sample();
    const nowMs = this.now();
    if (s.link.state === 'up') this.linkDownSince = null;
    else this.linkDownSince ??= nowMs;
    const loopDelayMs = this.delay.takeWorst();
    const verdict = judgeHealth({ ...s, nowMs, loopDelayMs, link: { state: s.link.state, downSinceMs: this.linkDownSince } }, this.limits);
    const changed =
      verdict.healthy !== this.lastVerdict.healthy ||
      (!verdict.healthy && !this.lastVerdict.healthy && verdict.part !== this.lastVerdict.part);
    this.lastVerdict = verdict;
    if (!verdict.healthy) {
      if (changed) {
        this.o.log.warn({ part: verdict.part, detail: verdict.detail }, `watchdog: withholding pings: ${verdict.detail}`);
        void this.o.notify([`STATUS=unhealthy: ${verdict.detail}`]);
      }
      return verdict;
    }
    if (changed) this.o.log.info('watchdog: healthy again, pinging');
    // One systemd-notify at a time: a ping still on its way when the next is due makes the next one redundant.
    if (!this.sending) {
      this.sending = true;
      void this.o.notify(changed ? ['WATCHDOG=1', 'STATUS=gate running'] : ['WATCHDOG=1']).finally(() => (this.sending = false));
    }
    return verdict;
  }
}
