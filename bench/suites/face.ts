// Face match overhead per passage (issue 21): from the card read to the match request leaving the gate, plus from
// the answer arriving to AUTHORISE, through the real lane loop and FaceClient, with the simulated matcher as its own
// process answering at once. The matcher's own time (the round trip) is reported apart. Baseline, in the same run:
// the same lane without the face check, card read to AUTHORISE.
import { join } from 'node:path';
import { percentile, type BenchContext } from '../harness.js';
import { LaneLoop, type LaneBridge } from '../../src/gate/lane-loop.js';
import type { LaneFaceRules } from '../../src/gate/lane.js';
import { TypedEvents } from '../../src/util/typed-events.js';
import type { LinkEvents } from '../../src/bridge/link.js';
import type { Report } from '../../src/bridge/messages.js';
import type { Document } from '../../src/identity/document.js';
import { FaceClient } from '../../src/face/client.js';
import { startFaceSim } from '../../src/face/sim-process.js';
import { syntheticPhotoFor } from '../../src/face/sim.js';

const CARD: Document = {
  type: 'cn-resident-id',
  number: '11010519491231002X',
  nationality: 'CHN',
  sex: 'F',
  birthDate: '1949-12-31',
  validTo: null,
  warnings: [],
};
const PHOTO = syntheticPhotoFor('bench');
const RULES: LaneFaceRules = { enabled: true, timeoutMs: 2000, noFaceWaitMs: 0, minScore: 0.75, onUnavailable: 'staffed' };

/** A bridge that takes every request at once: the bench measures the lane and the face path, not the serial line. */
function instantBridge(): LaneBridge & { report(r: Report): void } {
  let handler: ((r: Report) => void) | null = null;
  return {
    events: new TypedEvents<LinkEvents>(),
    state: 'up',
    mcu: null,
    authorise: async () => undefined,
    cancel: async () => undefined,
    setMode: async () => undefined,
    display: async () => undefined,
    sound: async () => undefined,
    onReport: (h: (r: Report) => void) => void (handler = h),
    report: (r: Report) => handler?.(r),
  } as unknown as LaneBridge & { report(r: Report): void };
}

function laneWith(face: { rules: LaneFaceRules; matcher: FaceClient } | undefined, bridge: ReturnType<typeof instantBridge>): LaneLoop {
  let n = 0;
  return new LaneLoop({
    station: 'TST',
    direction: 'entry',
    mode: 'normal',
    timing: { passageTimeoutMs: 5000, resultHoldMs: 0, guardMs: 1000 },
    decide: () => ({ decision: 'open', reason: 'ok', ticket: { id: `T-${n++}`, train: 'G1', car: '01', seat: '01A', departure: '' } }),
    keyOf: () => 'k',
    store: {
      recordDecision: (e) => ({ ...e, eventId: '00000000-0000-7000-8000-000000000000', seq: 1, station: 'TST', gate: '01' }),
      recordPassage: (e) => ({
        event: { ...e, eventId: '00000000-0000-7000-8000-000000000001', seq: 2, station: 'TST', gate: '01' },
        consumed: true,
      }),
      recordAlarm: (e) => ({ ...e, eventId: '00000000-0000-7000-8000-000000000002', seq: 3, station: 'TST', gate: '01' }),
    },
    bridge,
    tickMs: 1,
    face,
  });
}

/** n passengers: read, wait for AUTHORISE, walk; returns what `measure` made of each. */
async function run(
  lane: LaneLoop,
  bridge: ReturnType<typeof instantBridge>,
  n: number,
  onPassenger: (readAt: bigint, authAt: bigint) => void,
): Promise<void> {
  bridge.events.emit('up', {
    kind: 'hello-reply',
    major: 1,
    minor: 1,
    bootId: 1,
    mode: 'normal',
    emergency: false,
    failsafe: false,
    power: 'mains',
    firmware: 'bench',
  });
  lane.start();
  for (let i = 0; i < n; i++) {
    const authorised = new Promise<{ authId: number; at: bigint }>((resolve) => {
      const off = lane.events.on('authorising', (a) => {
        off();
        resolve(a);
      });
    });
    const readAt = process.hrtime.bigint();
    lane.read(CARD, PHOTO);
    const a = await authorised;
    onPassenger(readAt, a.at);
    bridge.report({ kind: 'passage', authId: a.authId, direction: 'entry', remaining: 0 });
    while (lane.state.phase !== 'idle') await new Promise((r) => setTimeout(r, 1));
  }
  lane.stop();
}

export default async function face(ctx: BenchContext): Promise<void> {
  const n = ctx.quick ? 100 : 1000;
  const sim = await startFaceSim(join(ctx.tmpDir, 'face.sock'), join(ctx.tmpDir, 'script.json'), {
    default: { result: 'match', score: 0.9 },
  });
  const client = new FaceClient(sim.socketPath);
  const sent = new Map<string, bigint>();
  const received = new Map<string, bigint>();
  client.events.on('sent', (e) => sent.set(e.id, e.at));
  client.events.on('received', (e) => received.set(e.id, e.at));

  // Warm up the connection and the JIT, then measure.
  const warm = instantBridge();
  await run(laneWith({ rules: RULES, matcher: client }, warm), warm, 20, () => undefined);
  sent.clear();
  received.clear();

  const overhead: number[] = [];
  const roundTrip: number[] = [];
  const withFace = instantBridge();
  const faceLane = laneWith({ rules: RULES, matcher: client }, withFace);
  await run(faceLane, withFace, n, (readAt, authAt) => {
    const id = [...sent.keys()].at(-1)!;
    const out = sent.get(id)!;
    const back = received.get(id)!;
    overhead.push(Number(out - readAt + (authAt - back)) / 1e6);
    roundTrip.push(Number(back - out) / 1e6);
    sent.clear();
    received.clear();
  });

  const baseline: number[] = [];
  const plain = instantBridge();
  await run(laneWith(undefined, plain), plain, n, (readAt, authAt) => baseline.push(Number(authAt - readAt) / 1e6));
  client.close();
  await sim.stop();

  ctx.record('face.overhead.p50', { value: percentile(overhead, 50), unit: 'ms', baseline: percentile(baseline, 50) });
  ctx.record('face.overhead.p99', { value: percentile(overhead, 99), unit: 'ms', baseline: percentile(baseline, 99), goal: '< 2 ms' });
  ctx.record('face.round-trip.p99', { value: percentile(roundTrip, 99), unit: 'ms', baseline: percentile(baseline, 99) });
  ctx.log(
    `${n} chip-card passengers with the simulated matcher (own process, Unix socket, answering at once); baseline: the same lane without the face check, read to AUTHORISE`,
  );
}
