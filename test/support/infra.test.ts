// The real parts the integration tests stand on: a socat pty pair and a private Mosquitto.
import { afterAll, describe, expect, it } from 'vitest';
import { SerialPort } from 'serialport';
import mqtt from 'mqtt';
import { openPtyPair } from '../../src/devices/pty-pair.js';
import { startLocalBroker, type LocalBroker } from '../../src/mqtt/local-broker.js';

describe('test infrastructure', () => {
  let broker: LocalBroker | undefined;
  afterAll(async () => broker?.close());

  it('a socat pty pair carries bytes both ways', async () => {
    const pair = await openPtyPair('infra');
    const a = new SerialPort({ path: pair.device, baudRate: 115200 });
    const b = new SerialPort({ path: pair.sim, baudRate: 115200 });
    await Promise.all([new Promise((r) => a.once('open', r)), new Promise((r) => b.once('open', r))]);
    const got = new Promise<Buffer>((r) => b.once('data', r));
    a.write(Buffer.from([0xaa, 0x55, 0x00]));
    expect([...(await got)]).toEqual([0xaa, 0x55, 0x00]);
    await Promise.all([new Promise((r) => a.close(r)), new Promise((r) => b.close(r))]);
    await pair.close();
  });

  it('a private mosquitto on a free port, not 1883, delivers a message', async () => {
    broker = await startLocalBroker();
    expect(broker.port).not.toBe(1883);
    const c = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    await c.subscribeAsync('t/#', { qos: 1 });
    const got = new Promise<string>((r) => c.on('message', (_t, p) => r(p.toString())));
    await c.publishAsync('t/x', 'hello', { qos: 1 });
    expect(await got).toBe('hello');
    await c.endAsync();
  });
});
