// The session layer's persistent session (what sync runs on): a message is acknowledged only after its handler has
// finished. A gate that dies while handling a batch gets the batch again from its session when it comes back.
import mqtt from 'mqtt';
import { createServer, type AddressInfo, type Socket } from 'node:net';
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

/**
 * A broker that speaks just enough MQTT 5 over a real socket: CONNACK (success) to every CONNECT, and on cue the
 * DISCONNECT with reason 0x8E (Session taken over) that MQTT 5 section 3.1.4 requires when another client connects
 * with the same id. The bytes are written out by hand from the spec. Debian 12's Mosquitto 2.0.11 only closes the
 * socket; 2.0.15 and later send this packet.
 */
async function takeoverBroker(): Promise<{ url: string; takeOver(): void; drop(): void; connects(): number; close(): Promise<void> }> {
  const CONNACK_OK = Buffer.from([0x20, 0x03, 0x00, 0x00, 0x00]); // type 2, length 3: no session, success, no properties
  const DISCONNECT_TAKEN_OVER = Buffer.from([0xe0, 0x01, 0x8e]); // type 14, length 1: reason 0x8E
  const sockets = new Set<Socket>();
  let connects = 0;
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.on('data', (d) => {
      // A CONNECT packet starts with 0x10; anything else (PINGREQ 0xC0) gets its PINGRESP or nothing.
      if (d[0] === 0x10) {
        connects++;
        socket.write(CONNACK_OK);
      } else if (d[0] === 0xc0) socket.write(Buffer.from([0xd0, 0x00]));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    takeOver: () => {
      for (const s of sockets) s.end(DISCONNECT_TAKEN_OVER);
    },
    drop: () => {
      for (const s of sockets) s.destroy();
    },
    connects: () => connects,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('another client with the same client id', () => {
  it('the connection says its session was taken over, retries with that reason, and connects again', async () => {
    const broker = await takeoverBroker();
    const conn = new MqttConnection({ ...mqttConfig([broker.url]), clientId: 'gate-SHH-07' });
    try {
      const takenOver: string[] = [];
      const retries: string[] = [];
      conn.events.on('taken-over', (t) => takenOver.push(t.url));
      conn.events.on('retry', (r) => retries.push(r.reason));
      conn.start();
      await waitFor(() => conn.connected, 10_000, 'the gate connected');
      broker.takeOver();
      await waitFor(() => takenOver.length === 1, 10_000, 'the taken-over event');
      expect(takenOver).toEqual([broker.url]);
      await waitFor(() => broker.connects() === 2 && conn.connected, 10_000, 'the gate connected again');
      expect(retries.filter((r) => r === 'session-taken-over').length).toBeLessThanOrEqual(1);
      // A plain loss of the socket is not a takeover: the gate connects again and no event is raised.
      broker.drop();
      await waitFor(() => broker.connects() === 3 && conn.connected, 10_000, 'the gate connected after a plain drop');
      expect(takenOver).toHaveLength(1);
    } finally {
      await conn.stop();
      await broker.close();
    }
  });
});
