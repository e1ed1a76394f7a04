// The lane, the bridge link and the simulated MCU on a real pty pair, with an exactly-once in-memory LaneStore:
// passages, timeouts, reboots and daemon restarts mid-passage, emergency, watchdog, disk full, a noisy line.
import { afterEach, describe, expect, it } from 'vitest';
import { openPtyPair, type PtyPair } from '../../src/devices/pty-pair.js';
import { BridgeLink } from '../../src/bridge/link.js';
import { SerialTransport } from '../../src/devices/serial.js';
import { LaneLoop, type LaneDecide } from '../../src/gate/lane-loop.js';
import type { LaneTiming } from '../../src/gate/lane.js';
import { McuSim } from '../../firmware-bridge/sim/mcu.js';
import { FAST, waitFor } from '../bridge/support.js';
import { MemoryLaneStore } from './support/memory-store.js';
import type { Report } from '../../src/bridge/messages.js';
import { waitForEvent } from '../../src/util/wait.js';
import { OPEN, PASSPORT } from './support/documents.js';

const TIMING: LaneTiming = { passageTimeoutMs: 5000, resultHoldMs: 100, guardMs: 1000 };

interface Daemon {
  link: BridgeLink;
  lane: LaneLoop;
  stop(): Promise<void>;
}

let pair: PtyPair | undefined;
let sim: McuSim | undefined;
const daemons: Daemon[] = [];

afterEach(async () => {
  for (const d of daemons.splice(0)) await d.stop();
  await sim?.close();
  await pair?.close();
  sim = pair = undefined;
});

/** The next report of `kind` the MCU has our ACK for: from then on it sends that report no more. */
function delivered(sim: McuSim, kind: Report['kind']): Promise<Report> {
  return waitForEvent(sim.events, 'delivered', (r) => r.kind === kind, 10_000, `the MCU to have our ACK of ${kind}`);
}

/** Both ends settled: the lane serves nobody and owes the link nothing, and the link owes the MCU nothing. */
async function settled(d: Daemon): Promise<void> {
  await d.lane.whenIdle();
  await d.link.idle;
}

async function setup(): Promise<{ sim: McuSim; store: MemoryLaneStore }> {
  pair = await openPtyPair('lane');
  sim = await McuSim.open(pair.sim, { heartbeatMs: 40, walkMs: 20 });
  return { sim, store: new MemoryLaneStore() };
}

async function daemon(store: MemoryLaneStore, opts: { timing?: Partial<LaneTiming>; decide?: LaneDecide } = {}): Promise<Daemon> {
  const link = new BridgeLink(
    new SerialTransport({ name: 'mcu', path: pair!.device, baudRate: 115200, reconnect: { initialMs: 50, maxMs: 500 } }),
    FAST,
  );
  const lane = new LaneLoop({
    station: 'TST',
    direction: 'entry',
    mode: 'normal',
    timing: { ...TIMING, ...opts.timing },
    decide: opts.decide ?? (() => OPEN),
    keyOf: () => 'doc-key-1',
    store,
    bridge: link,
    tickMs: 20,
  });
  lane.start();
  await link.start();
  await link.whenUp();
  await waitFor(() => sim!.mode === 'normal', 10_000, 'mode normal');
  const d = {
    link,
    lane,
    async stop() {
      lane.stop();
      if (link.state !== 'closed') await link.stop();
    },
  };
  daemons.push(d);
  return d;
}

describe('lane loop <-> simulated MCU over a pty', () => {
  it('an open: the MCU is authorised, the display shows train/car/seat, the confirmed passage consumes the ticket once', async () => {
    const { sim, store } = await setup();
    const d = await daemon(store);
    d.lane.read(PASSPORT);
    await waitFor(() => sim.auth, 10_000, 'authorisation');
    // The authorise goes first; the display follows it on the link.
    await waitFor(() => sim.lastDisplay?.code === 'open', 10_000, 'open display');
    expect(sim.lastDisplay).toMatchObject({ code: 'open', reason: 'ok', train: 'G1234', car: '05', seat: '12F' });
    await sim.walkThrough();
    await waitFor(() => store.of('passage').length === 1, 10_000, 'passage');
    expect(store.of('passage')[0]).toMatchObject({ outcome: 'passed', ticketId: 'T-1', docKey: 'doc-key-1' });
    expect(store.of('passage')[0].decisionEventId).toBe(store.of('decision')[0].eventId);
    expect([...store.ledger.keys()]).toEqual(['T-1|entry']);
    await waitFor(() => d.lane.state.phase === 'idle', 10_000, 'idle');
    await waitFor(() => sim.lastDisplay?.code === 'idle', 10_000, 'idle display');
  });

  it('a timeout reported by the MCU leaves the ticket valid', async () => {
    const { sim, store } = await setup();
    const d = await daemon(store, { timing: { passageTimeoutMs: 200 } });
    d.lane.read(PASSPORT);
    await waitFor(() => store.of('passage').length === 1, 10_000, 'passage timeout');
    expect(store.of('passage')[0]).toMatchObject({ outcome: 'timeout', ticketId: 'T-1' });
    expect(store.ledger.size).toBe(0);
    expect(sim.auth).toBeNull();
  });

  it('every alarm report reaches the store', async () => {
    const { sim, store } = await setup();
    await daemon(store);
    sim.forced();
    sim.intrude();
    sim.reverse();
    sim.doorFault('motor', true);
    sim.setPower('battery');
    await waitFor(() => store.of('alarm').length >= 6, 10_000, 'alarms');
    expect(store.of('alarm').map((a) => a.type)).toEqual([
      'mcu-reset',
      'forced-entry',
      'intrusion',
      'reverse-passage',
      'door-fault',
      'power',
    ]);
  });

  it('an MCU reboot mid-passage: the passage is cancelled, the ticket stays valid, the lane comes back in its mode', async () => {
    const { sim, store } = await setup();
    const d = await daemon(store);
    d.lane.read(PASSPORT);
    await waitFor(() => sim.auth, 10_000, 'authorisation');
    sim.startWalk();
    sim.reboot('brown-out');
    await waitFor(() => store.of('passage').length === 1, 10_000, 'cancelled passage');
    expect(store.of('passage')[0]).toMatchObject({ outcome: 'cancelled', ticketId: 'T-1' });
    expect(store.of('alarm').some((a) => a.type === 'mcu-reset' && a.detail === 'brown-out')).toBe(true);
    expect(store.ledger.size).toBe(0);
    await waitFor(() => sim.mode === 'normal' && !sim.failsafe, 10_000, 'mode restored');
  });

  it('a daemon restart mid-passage (before the report): the remembered authorisation lets the passage consume the ticket exactly once', async () => {
    const { sim, store } = await setup();
    const a = await daemon(store);
    a.lane.read(PASSPORT);
    await waitFor(() => sim.auth, 10_000, 'authorisation');
    sim.startWalk();
    await waitFor(() => a.lane.state.phase === 'passing', 10_000, 'passing');
    await a.stop(); // the daemon dies; the passenger walks on
    const acked = delivered(sim, 'passage');
    sim.finishWalk();
    const b = await daemon(store); // a new process over the same storage: stale bytes of the old session are in the pty
    await acked;
    await settled(b);
    expect(store.of('passage')).toHaveLength(1);
    expect(store.of('passage')[0]).toMatchObject({
      outcome: 'passed',
      ticketId: 'T-1',
      docKey: 'doc-key-1',
      decisionEventId: store.of('decision')[0].eventId,
    });
    expect([...store.ledger.keys()]).toEqual(['T-1|entry']);
    expect(store.pending.size).toBe(0);
  });

  it('a daemon restart after recording but before the ACK reached the MCU: the ticket is consumed exactly once', async () => {
    const { sim, store } = await setup();
    const a = await daemon(store);
    a.lane.read(PASSPORT);
    await waitFor(() => sim.auth, 10_000, 'authorisation');
    const started = delivered(sim, 'passage-started');
    sim.startWalk();
    await waitFor(() => a.lane.state.phase === 'passing', 10_000, 'passing');
    await started; // our ACK of passage-started has landed
    sim.faults.dropRx = 1000; // from now on the MCU hears nothing: our ACK of the passage never arrives
    sim.finishWalk();
    await waitFor(() => store.ledger.size === 1, 10_000, 'consumed');
    await a.stop();
    sim.faults.dropRx = 0;
    const acked = delivered(sim, 'passage');
    const b = await daemon(store);
    await acked; // the re-delivered passage is acknowledged: the MCU sends it no more
    await settled(b);
    expect(store.of('passage').length).toBeGreaterThanOrEqual(2);
    expect([...store.ledger.keys()]).toEqual(['T-1|entry']);
    expect(store.of('passage').filter((p) => p.ticketId === 'T-1')).toHaveLength(1);
  });

  it('emergency on: lanes open in the MCU, reads rejected with `emergency`, no lock sent; off: the mode is restored', async () => {
    const { sim, store } = await setup();
    const d = await daemon(store);
    sim.setEmergency(true);
    await waitFor(() => store.of('alarm').some((a) => a.type === 'emergency-on'), 10_000, 'emergency-on');
    await waitFor(() => sim.lastDisplay?.code === 'emergency', 10_000, 'emergency display');
    const sentBefore = sim.received.length;
    d.lane.read(PASSPORT);
    d.lane.setMode('locked');
    await waitFor(() => store.of('decision').length === 1, 10_000, 'decision');
    expect(store.of('decision')[0]).toMatchObject({ decision: 'reject', reason: 'emergency' });
    // Every request the lane made for this read and the mode change has its answer: had one been an authorise or a
    // set-mode, the MCU would have received it by now.
    await settled(d);
    const sent = sim.received.slice(sentBefore);
    expect(sent.some((m) => m.kind === 'authorise' || m.kind === 'set-mode')).toBe(false);
    expect(sim.mode).toBe('free');
    sim.setEmergency(false);
    await waitFor(() => sim.mode === 'locked', 10_000, 'mode restored');
    expect(store.of('alarm').some((a) => a.type === 'emergency-off' && !a.active)).toBe(true);
  });

  it('watchdog: the silent daemon leaves the MCU in its fail mode; the next daemon records it and restores the lane', async () => {
    const { sim, store } = await setup();
    const a = await daemon(store);
    await a.stop();
    await waitFor(() => sim.failsafe && !sim.session, 10_000, 'watchdog');
    expect(sim.mode).toBe('locked');
    await daemon(store);
    await waitFor(() => store.of('alarm').some((x) => x.type === 'mcu-silent' && x.detail === 'watchdog-locked'), 10_000, 'watchdog alarm');
    await waitFor(() => sim.mode === 'normal' && !sim.failsafe, 10_000, 'restored');
  });

  it('disk full: the lane does not open and the display says so', async () => {
    const { sim, store } = await setup();
    const d = await daemon(store);
    store.failing = true;
    d.lane.read(PASSPORT);
    await waitFor(() => sim.lastDisplay?.code === 'fault-storage', 10_000, 'fault display');
    await settled(d);
    expect(sim.auth).toBeNull();
    expect(sim.received.some((m) => m.kind === 'authorise')).toBe(false);
  });

  it('a noisy line (lost and corrupted frames both ways) still ends with exactly one consumption', async () => {
    const { sim, store } = await setup();
    const d = await daemon(store);
    sim.faults.dropRx = 1;
    sim.faults.corruptTx = 1;
    d.lane.read(PASSPORT);
    await waitFor(() => sim.auth, 10_000, 'authorisation');
    sim.faults.corruptTx = 2;
    sim.faults.dropTx = 1;
    const acked = delivered(sim, 'passage');
    await sim.walkThrough();
    await acked; // the MCU retransmits the passage no more
    await settled(d);
    expect(store.of('passage')).toHaveLength(1);
    expect([...store.ledger.keys()]).toEqual(['T-1|entry']);
  });
});
