// lane.whenIdle(): the loop says when it has settled (no passenger served, no input in hand, every request to the MCU
// answered). The shutdown and the tests wait on it instead of polling or sleeping. A scripted bridge answers each
// request only when the test lets it, and fake timers drive the loop's ticks, so "not yet" is a fact, not a guess.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ACCEPTING, BUSY, LANE_PHASES, isBusy } from '../../src/gate/lane.js';
import { BridgeError } from '../../src/bridge/errors.js';
import { laneOn, scriptedBridge } from './support/scripted-bridge.js';
import { PASSPORT } from './support/documents.js';

afterEach(() => vi.useRealTimers());

/** Whether `p` has settled once everything due by now (timers and promise callbacks) has run. */
async function hasSettled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  await vi.advanceTimersByTimeAsync(0);
  return done;
}

describe('the lane phases have one source', () => {
  it('every phase is either accepting or busy, never both', () => {
    expect([...BUSY].sort()).toEqual(['authorised', 'deciding', 'passing', 'verifying-face']);
    for (const p of LANE_PHASES) expect(isBusy(p)).toBe(!ACCEPTING.includes(p));
  });
});

describe('lane.whenIdle', () => {
  it('settles at once on an idle lane whose start-up requests are answered', async () => {
    vi.useFakeTimers();
    const b = scriptedBridge();
    const { lane } = laneOn(b);
    // The link is up at start: the lane sends its mode and idle screen and is not idle until they are answered.
    const idle = lane.whenIdle();
    expect(await hasSettled(idle)).toBe(false);
    b.answerAll();
    expect(await hasSettled(idle)).toBe(true);
    lane.stop();
  });

  it('waits for the passenger: settles only after the passage is recorded and the last request is answered', async () => {
    vi.useFakeTimers();
    const b = scriptedBridge();
    const { lane, store } = laneOn(b);
    b.answerAll();
    await lane.whenIdle();
    lane.read(PASSPORT);
    expect(lane.state.phase).toBe('authorised');
    const idle = lane.whenIdle();
    b.answerAll(); // the MCU took the authorisation, display and sound
    expect(await hasSettled(idle)).toBe(false); // the passenger has not walked yet
    const authId = lane.state.passenger!.authId!;
    b.report({ kind: 'passage-started', authId, direction: 'entry' });
    expect(await hasSettled(idle)).toBe(false);
    b.report({ kind: 'passage', authId, direction: 'entry', remaining: 0 });
    expect(store.of('passage')).toHaveLength(1);
    expect(lane.state.phase).toBe('done');
    // The idle screen after the passage is still on its way to the MCU.
    expect(b.pending.map((p) => p.kind)).toEqual(['display']);
    expect(await hasSettled(idle)).toBe(false);
    b.answerAll();
    expect(await hasSettled(idle)).toBe(true);
    lane.stop();
  });

  it('an authorisation the link refuses ends the passage as cancelled, and then the lane settles', async () => {
    vi.useFakeTimers();
    const b = scriptedBridge();
    const { lane, store } = laneOn(b);
    b.answerAll();
    lane.read(PASSPORT);
    const idle = lane.whenIdle();
    b.pending.find((p) => p.kind === 'authorise')!.reject(new BridgeError('no-ack', 'no ACK after 4 tries'));
    await vi.advanceTimersByTimeAsync(0);
    expect(store.of('passage')).toMatchObject([{ outcome: 'cancelled', ticketId: 'T-1' }]);
    for (let i = 0; i < 3 && !(await hasSettled(idle)); i++) b.answerAll(); // the cancel and the screens it led to
    expect(await hasSettled(idle)).toBe(true);
    expect(store.ledger.size).toBe(0);
    lane.stop();
  });

  it('a passenger who never walks: settles after the passage timeout and its guard, by the loop ticks alone', async () => {
    vi.useFakeTimers();
    const b = scriptedBridge();
    const { lane, store } = laneOn(b);
    b.answerAll();
    lane.read(PASSPORT);
    b.answerAll();
    const idle = lane.whenIdle();
    await vi.advanceTimersByTimeAsync(5000 + 1000 - 40);
    expect(await hasSettled(idle)).toBe(false);
    await vi.advanceTimersByTimeAsync(40);
    b.answerAll(); // the cancel of the silent authorisation
    expect(store.of('passage')).toMatchObject([{ outcome: 'timeout' }]);
    expect(await hasSettled(idle)).toBe(true);
    lane.stop();
  });
});
