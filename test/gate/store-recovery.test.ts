// The lane acts on the store's recovery. `refuse` (disk full, I/O error): nothing was committed, so nobody is let
// through and the display says so, until a write succeeds. `retry` (busy): the MCU's report stays unacknowledged,
// comes again, and is then recorded exactly once. Any error the store throws that is not a GateError is a refuse.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DisplayMessage } from '../../src/gate/display.js';
import { OutboxError } from '../../src/outbox/outbox.js';
import type { GateError } from '../../src/util/gate-error.js';
import { PASSPORT } from './support/documents.js';
import { MemoryLaneStore } from './support/memory-store.js';
import { laneOn, scriptedBridge } from './support/scripted-bridge.js';

afterEach(() => vi.useRealTimers());

/** A store whose writes throw `error` while `failing` is set. */
class ThrowingStore extends MemoryLaneStore {
  error: Error | null = null;
  override recordDecision(...a: Parameters<MemoryLaneStore['recordDecision']>) {
    if (this.error) throw this.error;
    return super.recordDecision(...a);
  }
  override recordPassage(...a: Parameters<MemoryLaneStore['recordPassage']>) {
    if (this.error) throw this.error;
    return super.recordPassage(...a);
  }
}

function rig() {
  const b = scriptedBridge();
  const store = new ThrowingStore();
  const { lane } = laneOn(b, store);
  const errors: GateError[] = [];
  lane.events.on('error', (e) => errors.push(e));
  b.answerAll();
  const sent = (kind: string) => b.pending.filter((p) => p.kind === kind);
  return { b, store, lane, errors, sent };
}

describe('the lane acts on the store error recovery', () => {
  it.each([
    ['disk-full', new OutboxError('disk-full', 'database or disk is full')],
    ['a driver error with no code of ours', new Error('SQLITE_IOERR_FSYNC: disk I/O error')],
  ])(
    'refuse (%s): the passenger is not let through, the display says storage, the next write that works opens again',
    async (_name, error) => {
      vi.useFakeTimers();
      const { b, store, lane, errors, sent } = rig();
      store.error = error;
      lane.read(PASSPORT);
      expect(errors.map((e) => e.recovery)).toEqual(['refuse']);
      expect(sent('authorise')).toEqual([]);
      expect(sent('display').map((p) => (p.arg as DisplayMessage).code)).toContain('fault-storage');
      expect(lane.state.storeFault).not.toBeNull();
      b.answerAll();
      await lane.whenIdle();
      // Space is back: the next passenger is decided, recorded and let through.
      store.error = null;
      await vi.advanceTimersByTimeAsync(200); // the result hold ends
      lane.read(PASSPORT);
      expect(sent('authorise')).toHaveLength(1);
      expect(lane.state.storeFault).toBeNull();
      lane.stop();
    },
  );

  it('retry (busy) on a passage: the report is left unacknowledged; its repeat is recorded once and consumes the ticket', async () => {
    vi.useFakeTimers();
    const { b, store, lane, errors, sent } = rig();
    lane.read(PASSPORT);
    const authId = (sent('authorise')[0].arg as { authId: number }).authId;
    b.answerAll();
    store.error = new OutboxError('busy', 'database is locked');
    const report = { kind: 'passage' as const, authId, direction: 'entry' as const, remaining: 0 };
    expect(() => b.report(report)).toThrow(expect.objectContaining({ code: 'busy', recovery: 'retry' }));
    expect(errors.map((e) => e.recovery)).toEqual(['retry']);
    expect(store.ledger.size).toBe(0);
    store.error = null;
    b.report(report); // the MCU sends it again
    expect(store.of('passage')).toMatchObject([{ outcome: 'passed', ticketId: 'T-1' }]);
    expect([...store.ledger.keys()]).toEqual(['T-1|entry']);
    b.report(report); // a late duplicate changes nothing
    expect(store.of('passage')).toHaveLength(1);
    lane.stop();
  });
});
