// systemd's watchdog for `gate run`: the health rule as a table, the ping loop against a really blocked event loop,
// and a real `gate run` (as systemd starts it, with NOTIFY_SOCKET and WATCHDOG_USEC) whose READY=1, WATCHDOG=1 and
// STOPPING=1 arrive on a datagram socket; the pings stop while the MCU link is down or the process is frozen, and
// come back when it is healthy again.
import { afterEach, describe, expect, it } from 'vitest';
import type { LinkState } from '../../src/bridge/link.js';
import type { LanePhase } from '../../src/gate/lane.js';
import { DaemonWatchdog, DEFAULT_HEALTH_LIMITS, judgeHealth, watchdogIntervalMs, type HealthSample } from '../../src/daemon/watchdog.js';
import { silentLogger } from '../../src/util/log.js';
import { waitFor } from '../../src/util/wait.js';
import { startNotifySocket, type NotifySocket } from '../support/notify-socket.js';
import { startWorld, type World } from './world.js';

const TIMING = { passageTimeoutMs: 10_000, guardMs: 2000, resultHoldMs: 3000 };
const NOW = 1_000_000_000;
/** Every non-idle phase ends by itself within passage timeout + guard + result hold; the slack is on top. */
const LANE_LIMIT = TIMING.passageTimeoutMs + TIMING.guardMs + TIMING.resultHoldMs + DEFAULT_HEALTH_LIMITS.laneSlackMs;

const sample = (
  o: { loop?: number; phase?: LanePhase; inPhaseMs?: number; link?: LinkState; linkDownMs?: number | null } = {},
): HealthSample => ({
  nowMs: NOW,
  loopDelayMs: o.loop ?? 20,
  lane: { phase: o.phase ?? 'idle', sinceMs: NOW - (o.inPhaseMs ?? 0), timing: TIMING },
  link: { state: o.link ?? 'up', downSinceMs: o.linkDownMs === undefined || o.linkDownMs === null ? null : NOW - o.linkDownMs },
});

describe('the health rule (judgeHealth)', () => {
  it.each([
    ['all well', sample(), null],
    ['the loop late, within the limit', sample({ loop: 4999 }), null],
    ['the loop blocked past the limit', sample({ loop: 5001 }), 'event-loop'],
    ['idle for a day', sample({ phase: 'idle', inPhaseMs: 86_400_000 }), null],
    ['a passage within its timeouts', sample({ phase: 'passing', inPhaseMs: 12_000 }), null],
    ['authorised right at the limit', sample({ phase: 'authorised', inPhaseMs: LANE_LIMIT }), null],
    ['authorised past every timeout and the slack', sample({ phase: 'authorised', inPhaseMs: LANE_LIMIT + 1 }), 'lane'],
    ['deciding past every timeout and the slack', sample({ phase: 'deciding', inPhaseMs: LANE_LIMIT + 1 }), 'lane'],
    ['a result held past every timeout and the slack', sample({ phase: 'done', inPhaseMs: LANE_LIMIT + 1 }), 'lane'],
    ['the link handshaking for a minute', sample({ link: 'handshaking', linkDownMs: 60_000 }), null],
    ['the link down past its limit', sample({ link: 'handshaking', linkDownMs: DEFAULT_HEALTH_LIMITS.linkDownMs + 1 }), 'link'],
    ['the link closed past its limit', sample({ link: 'closed', linkDownMs: DEFAULT_HEALTH_LIMITS.linkDownMs + 1 }), 'link'],
    [
      'a blocked loop is named first',
      sample({ loop: 9000, phase: 'passing', inPhaseMs: LANE_LIMIT + 1, link: 'closed', linkDownMs: 999_999 }),
      'event-loop',
    ],
    ['then a stuck lane', sample({ phase: 'passing', inPhaseMs: LANE_LIMIT + 1, link: 'closed', linkDownMs: 999_999 }), 'lane'],
  ] as const)('%s', (_name, s, part) => {
    const v = judgeHealth(s, DEFAULT_HEALTH_LIMITS);
    if (part === null) expect(v).toEqual({ healthy: true });
    else expect(v).toMatchObject({ healthy: false, part });
  });

  it('says what is wrong in one line', () => {
    expect(judgeHealth(sample({ link: 'handshaking', linkDownMs: 130_000 }), DEFAULT_HEALTH_LIMITS)).toEqual({
      healthy: false,
      part: 'link',
      detail: 'MCU link handshaking for 130 s',
    });
    expect(judgeHealth(sample({ loop: 7400.4 }), DEFAULT_HEALTH_LIMITS)).toEqual({
      healthy: false,
      part: 'event-loop',
      detail: 'event loop blocked for 7400 ms',
    });
  });
});

describe('when to ping (watchdogIntervalMs)', () => {
  it.each([
    [{}, null],
    [{ WATCHDOG_USEC: '30000000' }, null], // no NOTIFY_SOCKET: not under systemd
    [{ NOTIFY_SOCKET: '/run/systemd/notify' }, null], // Type=notify without WatchdogSec
    [{ NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '30000000' }, 15_000],
    [{ NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '4242' }, 15_000],
    [{ NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '17' }, null], // for another process
    [{ NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: 'soon' }, null],
  ] as const)('%o -> %s', (env, ms) => {
    expect(watchdogIntervalMs(env, 4242)).toBe(ms);
  });
});

describe('the ping loop on a real event loop', () => {
  let dog: DaemonWatchdog | undefined;
  afterEach(() => dog?.stop());

  it('withholds the ping after the loop was blocked, and pings again once it runs freely', async () => {
    const sent: string[][] = [];
    dog = new DaemonWatchdog({
      notify: async (a) => void sent.push(a),
      intervalMs: 200,
      sample: () => ({ nowMs: Date.now(), lane: { phase: 'idle', sinceMs: Date.now(), timing: TIMING }, link: { state: 'up' } }),
      log: silentLogger(),
    });
    await dog.ready();
    expect(sent.slice(0, 2)).toEqual([['READY=1', 'STATUS=gate running'], ['WATCHDOG=1']]);
    await waitFor(() => sent.length >= 3, 5000, 'a second ping');

    const busyUntil = Date.now() + 800; // the loop blocked for 4 ping periods
    while (Date.now() < busyUntil);
    await waitFor(() => sent.some((a) => a[0].startsWith('STATUS=unhealthy')), 5000, 'the blocked loop to be noticed');
    const unhealthy = sent.findIndex((a) => a[0].startsWith('STATUS=unhealthy'));
    expect(sent[unhealthy][0]).toMatch(/^STATUS=unhealthy: event loop blocked for \d+ ms$/);
    await waitFor(() => sent.slice(unhealthy).some((a) => a[0] === 'WATCHDOG=1'), 5000, 'pings again');
    expect(sent.slice(unhealthy + 1).find((a) => a[0] === 'WATCHDOG=1')).toEqual(['WATCHDOG=1', 'STATUS=gate running']);

    await dog.stopping();
    expect(sent.at(-1)).toEqual(['STOPPING=1', 'STATUS=gate stopping']);
  });
});

describe('gate run under a (stand-in) systemd', () => {
  let world: World | undefined;
  let sock: NotifySocket | undefined;
  afterEach(async () => {
    await world?.close();
    await sock?.close();
    world = sock = undefined;
  });

  it('READY=1, pings while healthy, none while the MCU link is down or the process frozen, STOPPING=1 on SIGTERM', async () => {
    world = await startWorld();
    sock = await startNotifySocket();
    const s = sock;
    // WatchdogSec=1: a ping every 500 ms. The link may be down 1 s (2 min in production).
    const gate = world.startGate({
      NOTIFY_SOCKET: s.path,
      WATCHDOG_USEC: '1000000',
      GATE_WATCHDOG_LINK_DOWN_MS: '1000',
      GATE_LOG_FORMAT: 'json',
    });
    await gate.ready;
    await waitFor(() => s.times('READY=1').length === 1, 10_000, 'READY=1');
    await waitFor(() => world!.mcu.session !== null && world!.mcu.session !== undefined, 10_000, 'the MCU session');
    await waitFor(() => s.times('WATCHDOG=1').filter((t) => t > s.times('READY=1')[0]).length >= 3, 10_000, 'three pings');

    // The MCU goes silent: the link goes down (2 s), and after 1 s more the pings stop until it is back.
    // Only what the daemon logs from now on counts (on a loaded machine a slow loop may have been logged before).
    const logAt = (text: string, from = gate.log().length) =>
      waitFor(() => gate.log().indexOf(text, from) >= 0, 20_000, `the log to say "${text}"`).then(() => Date.now());
    const said = (text: string, after = 0) => s.messages.find((m) => m.atMs >= after && m.assignments.join(' ').startsWith(text));
    const silencedFrom = gate.log().length;
    world.mcu.silence(true);
    const withheld = await logAt('watchdog: withholding pings: MCU link', silencedFrom);
    await waitFor(() => said('STATUS=unhealthy: MCU link') !== undefined, 5000, 'systemd told why');
    const unhealthyAt = said('STATUS=unhealthy: MCU link')!.atMs;
    await waitFor(() => Date.now() - withheld >= 2000, 3000, '2 s of a down link');
    const unsilencedFrom = gate.log().length;
    world.mcu.silence(false);
    await logAt('watchdog: healthy again', unsilencedFrom);
    // The first ping after the verdict turned says so (STATUS=gate running); none went out in between, but for one
    // already on its way when the verdict changed.
    await waitFor(() => said('WATCHDOG=1 STATUS=gate running', unhealthyAt) !== undefined, 5000, 'the ping that says the gate runs again');
    const backAt = said('WATCHDOG=1 STATUS=gate running', unhealthyAt)!.atMs;
    expect(backAt - unhealthyAt).toBeGreaterThanOrEqual(2000);
    expect(s.messages.filter((m) => m.atMs > unhealthyAt + 1000 && m.atMs < backAt && m.assignments.includes('WATCHDOG=1'))).toEqual([]);
    await waitFor(() => s.times('WATCHDOG=1').some((t) => t > backAt), 5000, 'pings again after the link is back');

    // Frozen for 2 s (as a hung loop would be): no ping in that time, a withheld one after it, then pings again.
    const before = s.times('WATCHDOG=1').length;
    const frozenFrom = gate.log().length;
    gate.proc.kill('SIGSTOP');
    const frozeAt = Date.now();
    await waitFor(() => Date.now() - frozeAt >= 2000, 3000, '2 s frozen');
    gate.proc.kill('SIGCONT');
    const thawedAt = Date.now();
    await logAt('watchdog: withholding pings: event loop blocked', frozenFrom);
    await waitFor(() => s.times('WATCHDOG=1').some((t) => t > thawedAt), 5000, 'pings after the thaw');
    const gap = Math.min(...s.times('WATCHDOG=1').filter((t) => t > thawedAt)) - s.times('WATCHDOG=1')[before - 1];
    expect(gap).toBeGreaterThanOrEqual(2000);

    gate.proc.kill('SIGTERM');
    expect(await gate.exited).toEqual({ code: 0, signal: null });
    expect(s.messages.at(-1)?.assignments).toEqual(['STOPPING=1', 'STATUS=gate stopping']);
  }, 90_000);
});
