// The session layer's persistent session (what sync runs on): a message is acknowledged only after its handler has
// finished. A gate that dies while handling a batch gets the batch again from its session when it comes back.
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { MqttConnection } from '../../src/mqtt/connection.js';
import { waitFor } from '../../src/util/wait.js';
import { mqttConfig, useBroker } from './helpers.js';

describe('persistent session with acknowledgement after handling', () => {
  const ctx = useBroker();
  const session = { clientId: 'gate-sync-test-ack', expirySeconds: 600 };

  it('a message whose handler never finished is delivered again on the next connect; a finished one is not', async () => {
    const cfg = mqttConfig([ctx.broker.url]);
    const first = new MqttConnection(cfg, { session });
    const seen: string[] = [];
    let release: () => void = () => undefined;
    first.subscribe('t/ack/#', 1, (_topic, payload) => {
      seen.push(payload.toString());
      // The first message is handled; the second hangs (the process dies before it is written).
      if (payload.toString() === 'two') return new Promise<void>((r) => (release = r));
    });
    first.start();
    await waitFor(() => first.connected, 10_000, 'the first connection');
    const central = await mqtt.connectAsync(ctx.broker.url, { protocolVersion: 5 });
    ctx.cleanups.push(() => central.endAsync());
    await central.publishAsync('t/ack/1', 'one', { qos: 1 });
    await central.publishAsync('t/ack/2', 'two', { qos: 1 });
    await waitFor(() => seen.length === 2, 10_000, 'both messages handled or in hand');
    // Cut without DISCONNECT, as a crash would: 'two' was never acknowledged.
    await first.stop(undefined, false);
    release();

    const second = new MqttConnection(cfg, { session });
    ctx.cleanups.push(() => second.stop());
    const again: string[] = [];
    let sessionPresent: boolean | undefined;
    second.events.on('up', (u) => (sessionPresent = u.sessionPresent));
    second.subscribe('t/ack/#', 1, (_topic, payload) => void again.push(payload.toString()));
    second.start();
    await waitFor(() => again.length >= 1, 10_000, 'the redelivery');
    expect(sessionPresent).toBe(true);
    // Settled: a marker published after the redelivery arrives after it, so nothing else is still on its way.
    await central.publishAsync('t/ack/3', 'marker', { qos: 1 });
    await waitFor(() => again.includes('marker'), 10_000, 'the marker');
    expect(again).toEqual(['two', 'marker']);
  });
});
