// Publish timeouts and PUBACK refusals with fake time: the row stays pending and the connection is dropped.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MqttConnection, ConnectionEvents } from '../../src/mqtt/connection.js';
import { OutboxPublisher } from '../../src/mqtt/publisher.js';
import { TypedEvents } from '../../src/util/typed-events.js';
import { recordAlarms, tempGate } from './helpers.js';

function fakeConnection(publish: (topic: string, payload: string, opts: unknown, cb: (err?: Error) => void) => void) {
  const events = new TypedEvents<ConnectionEvents>();
  const drop = vi.fn();
  const conn = { events, connected: true, client: { publish }, drop } as unknown as MqttConnection;
  return { conn, drop };
}

describe('OutboxPublisher failures', () => {
  afterEach(() => vi.useRealTimers());

  it('drops the connection when a PUBACK does not come within the timeout, keeping the rows pending', () => {
    vi.useFakeTimers();
    const g = tempGate();
    try {
      recordAlarms(g.store, 3);
      const { conn, drop } = fakeConnection(() => {}); // the broker never answers
      const p = new OutboxPublisher(g.store.outbox, conn, { publishTimeoutMs: 1000, window: 2 });
      const failed: { seq: number; code: string }[] = [];
      p.events.on('failed', (f) => failed.push(f));
      p.start();
      expect(p.inFlight).toBe(2); // the window bounds what is in flight
      vi.advanceTimersByTime(999);
      expect(failed).toEqual([]);
      vi.advanceTimersByTime(300);
      expect(failed).toEqual([{ seq: 1, code: 'publish-timeout' }]);
      expect(drop).toHaveBeenCalledWith('publish-timeout');
      expect(g.store.outbox.counts().pending).toBe(3);
      p.stop();
    } finally {
      g.close();
    }
  });

  it('keeps a row whose PUBACK carries a failure reason, and marks the acknowledged ones sent', () => {
    vi.useFakeTimers();
    const g = tempGate();
    try {
      recordAlarms(g.store, 3);
      let n = 0;
      const { conn } = fakeConnection((_t, _p, _o, cb) => (++n === 2 ? cb(new Error('Not authorized')) : cb()));
      const p = new OutboxPublisher(g.store.outbox, conn, { publishTimeoutMs: 1000, window: 1 });
      const failed: { seq: number; code: string }[] = [];
      p.events.on('failed', (f) => failed.push(f));
      p.start();
      vi.advanceTimersByTime(100);
      expect(failed).toEqual([{ seq: 2, code: 'publish-refused' }]);
      expect(g.store.outbox.pendingAfter(0, 10).map((r) => r.seq)).toEqual([2, 3]);
      p.stop();
    } finally {
      g.close();
    }
  });
});
