// A LaneBridge whose every request waits until the test answers it, so a test knows exactly which requests are out.
import { LaneLoop, type LaneBridge } from '../../../src/gate/lane-loop.js';
import { MemoryLaneStore } from './memory-store.js';
import { OPEN } from './documents.js';
import type { Report } from '../../../src/bridge/messages.js';
import { TypedEvents } from '../../../src/util/typed-events.js';

interface Pending {
  kind: string;
  arg: unknown;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** A bridge whose every request waits until the test answers it; reports come in through `report`. */
export function scriptedBridge() {
  const pending: Pending[] = [];
  let handler: ((r: Report) => void | Promise<void>) | undefined;
  const request = (kind: string) => (arg?: unknown) => new Promise<void>((resolve, reject) => pending.push({ kind, arg, resolve, reject }));
  const bridge = {
    authorise: request('authorise'),
    cancel: request('cancel'),
    setMode: request('set-mode'),
    display: request('display'),
    sound: request('sound'),
    onReport: (h: (r: Report) => void | Promise<void>) => void (handler = h),
    events: new TypedEvents(),
    state: 'up',
    mcu: { emergency: false },
  } as unknown as LaneBridge;
  return {
    bridge,
    pending,
    // The lane loop handles a report synchronously (a throw leaves it unacknowledged): so does this, and says so if not.
    report: (r: Report): void => {
      if (handler!(r) !== undefined) throw new Error('the report handler returned a promise; the lane loop handles reports synchronously');
    },
    /** Answer every outstanding request (and those the answers lead to) in order. */
    answerAll: () => {
      for (const p of pending.splice(0)) p.resolve();
    },
  };
}

/** A started lane on the scripted bridge (real clock or vi fake timers; ticks every 20 ms). */
export function laneOn(b: ReturnType<typeof scriptedBridge>, store = new MemoryLaneStore()) {
  const lane = new LaneLoop({
    station: 'TST',
    direction: 'entry',
    mode: 'normal',
    timing: { passageTimeoutMs: 5000, resultHoldMs: 100, guardMs: 1000 },
    decide: () => OPEN,
    keyOf: () => 'doc-key-1',
    store,
    bridge: b.bridge,
    now: Date.now,
    tickMs: 20,
  });
  lane.start();
  return { lane, store };
}
