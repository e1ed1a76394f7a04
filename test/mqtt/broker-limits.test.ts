// config/mosquitto/limits.conf on a real Mosquitto: the broker takes the largest message a gate accepts (an 8 MiB
// snapshot chunk) and refuses a publisher's larger one, and the number there matches the gate's own limits.
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalBroker, type LocalBroker } from '../../src/mqtt/local-broker.js';
import { SYNC_MAX_MESSAGE_BYTES, SYNC_PACKET_OVERHEAD_BYTES } from '../../src/sync/limits.js';

const conf = readFileSync('config/mosquitto/limits.conf', 'utf8');
const limit = Number(/^max_packet_size (\d+)$/m.exec(conf)?.[1]);

let broker: LocalBroker;
beforeAll(async () => {
  broker = await startLocalBroker({ globalLines: conf.split('\n').filter((l) => l && !l.startsWith('#')) });
});
afterAll(async () => broker?.close());

describe('config/mosquitto/limits.conf', () => {
  it("is the gate's largest message plus the packet overhead", () => {
    expect(limit).toBe(SYNC_MAX_MESSAGE_BYTES + SYNC_PACKET_OVERHEAD_BYTES);
  });

  it('passes an 8 MiB chunk and refuses a 9 MiB message from a publisher', async () => {
    const sub = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    const pub = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 });
    try {
      const got: number[] = [];
      sub.on('message', (_t, p) => got.push(p.length));
      await sub.subscribeAsync('stations/v1/SHH/sync/#', { qos: 1 });
      await pub.publishAsync('stations/v1/SHH/sync/snapshot/1/chunk/0', Buffer.alloc(SYNC_MAX_MESSAGE_BYTES, 0x20), { qos: 1 });
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('the 8 MiB chunk did not arrive')), 10_000);
        const check = () => (got.length === 1 ? (clearTimeout(t), resolve()) : setTimeout(check, 20));
        check();
      });
      // Over the limit the broker drops the publisher's connection instead of taking the message.
      const closed = new Promise<void>((resolve) => pub.once('close', () => resolve()));
      pub.publish('stations/v1/SHH/sync/snapshot/1/chunk/1', Buffer.alloc(9 * 1024 * 1024, 0x20), { qos: 1 }, () => undefined);
      await closed;
      expect(got).toEqual([SYNC_MAX_MESSAGE_BYTES]);
    } finally {
      pub.end(true);
      await sub.endAsync();
    }
  });
});
