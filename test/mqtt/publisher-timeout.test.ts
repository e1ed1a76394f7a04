// Publish timeouts and PUBACK refusals with fake time: the row stays pending and the connection is dropped.
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MqttConnection, ConnectionEvents } from '../../src/mqtt/connection.js';
import { OutboxPublisher } from '../../src/mqtt/publisher.js';
import { TypedEvents } from '../../src/util/typed-events.js';
import { recordAlarms, tempGate } from './helpers.js';

type PublishCallback = (err?: Error, packet?: { messageId?: number }) => void;

/**
 * The parts of MQTT.js's client the publisher uses: publish (its callback gets the published packet, as MQTT.js
 * gives it) and the 'packetreceive' events it reads PUBACK reason codes from, fired before that callback.
 */
function fakeConnection(publish: (topic: string, payload: string, opts: unknown, cb: PublishCallback, client: EventEmitter) => void) {
  const events = new TypedEvents<ConnectionEvents>();
  const drop = vi.fn();
  const client = new EventEmitter();
  Object.assign(client, { publish: (t: string, p: string, o: unknown, cb: PublishCallback) => publish(t, p, o, cb, client) });
  const conn = { events, connected: true, client, drop } as unknown as MqttConnection;
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

  it('holds a row the broker had no subscriber for (PUBACK 0x10), keeps the connection, and drains again from it', () => {
    vi.useFakeTimers();
    const g = tempGate();
    try {
      recordAlarms(g.store, 3);
      let nobody = true;
      let mid = 0;
      const sent: number[] = [];
      const { conn, drop } = fakeConnection((_t, payload, _o, cb, client) => {
        const messageId = ++mid;
        sent.push((JSON.parse(payload) as { seq: number }).seq);
        // The broker's PUBACK arrives first (MQTT.js emits it as a packet), then MQTT.js calls back without an error.
        client.emit('packetreceive', { cmd: 'puback', messageId, reasonCode: nobody ? 0x10 : 0 });
        cb(undefined, { messageId });
      });
      const p = new OutboxPublisher(g.store.outbox, conn, { publishTimeoutMs: 1000, window: 1 });
      const held: { seq: number; ms: number }[] = [];
      p.events.on('held', (h) => held.push(h));
      p.start();
      expect(held).toEqual([{ seq: 1, ms: 500 }]);
      expect(p.holding).toBe(true);
      // Nothing more goes out while holding, even when new rows are committed.
      p.kick();
      expect(sent).toEqual([1]);
      vi.advanceTimersByTime(500);
      expect(held).toEqual([
        { seq: 1, ms: 500 },
        { seq: 1, ms: 1000 },
      ]);
      nobody = false; // central subscribes
      vi.advanceTimersByTime(1000);
      vi.advanceTimersByTime(300); // the sent marks' flush
      expect(sent).toEqual([1, 1, 1, 2, 3]);
      expect(g.store.outbox.counts()).toMatchObject({ pending: 0, sent: 3 });
      expect(drop).not.toHaveBeenCalled();
      p.stop();
    } finally {
      g.close();
    }
  });
});
