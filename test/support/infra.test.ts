// The real parts the integration tests stand on: a socat pty pair and a private Mosquitto; and the demo's stand-ins
// for a bare machine: a pair joined in-process through serialport's mock binding, and the embedded aedes broker.
import { chmodSync, existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SerialPort } from 'serialport';
import { SerialPortStream } from '@serialport/stream';
import mqtt from 'mqtt';
import { openPtyPair } from '../../src/devices/pty-pair.js';
import { linkedBinding, openLinkedPair } from '../../src/devices/linked-pair.js';
import { freePort, startEmbeddedBroker, startLocalBroker, type LocalBroker } from '../../src/mqtt/local-broker.js';
import { createServer } from 'node:net';
import { findOnPath } from '../../src/util/find-on-path.js';

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

  it('a stopped broker keeps its port reserved: freePort() never offers it, and a restart where another answers on it fails', async () => {
    const b = await startLocalBroker();
    try {
      await b.stop();
      // Ask often: the kernel would offer the just-freed port to some of these if freePort() did not pass over it.
      const offered = new Set<number>();
      for (let k = 0; k < 200; k++) offered.add(await freePort());
      expect(offered.has(b.port)).toBe(false);
      // Something else on the port meanwhile (another process that did not ask freePort()): the broker's own start
      // fails, rather than the test talking to a stranger that answers.
      const squatter = createServer();
      await new Promise<void>((r) => squatter.listen(b.port, '127.0.0.1', () => r()));
      try {
        await expect(b.start()).rejects.toThrow(/mosquitto exited: .*Address already in use/);
      } finally {
        await new Promise<void>((r) => squatter.close(() => r()));
      }
      await b.start();
      const c = await mqtt.connectAsync(b.url, { protocolVersion: 5 });
      await c.endAsync();
    } finally {
      await b.close();
    }
    // Released on close: the port is anyone's again.
    expect(existsSync(join(tmpdir(), 'gate-reserved-ports', String(b.port)))).toBe(false);
  });

  it('an in-process linked pair carries bytes both ways, and nothing echoes back to the writer', async () => {
    const pair = openLinkedPair('infra');
    const a = new SerialPortStream({ binding: linkedBinding, path: pair.device, baudRate: 115200 });
    const b = new SerialPortStream({ binding: linkedBinding, path: pair.sim, baudRate: 115200 });
    await Promise.all([new Promise((r) => a.once('open', r)), new Promise((r) => b.once('open', r))]);
    const echoed: Buffer[] = [];
    a.on('data', (d: Buffer) => echoed.push(d));
    const atB = new Promise<Buffer>((r) => b.once('data', r));
    a.write(Buffer.from([0xaa, 0x55, 0x00]));
    expect([...(await atB)]).toEqual([0xaa, 0x55, 0x00]);
    const atA = new Promise<Buffer>((r) => a.once('data', r));
    b.write(Buffer.from('OK\r'));
    expect((await atA).toString()).toBe('OK\r');
    expect(Buffer.concat(echoed).toString()).toBe('OK\r');
    await pair.close();
    expect(a.isOpen || b.isOpen).toBe(false);
  });

  it('the embedded broker speaks MQTT 5: retained messages, and a persistent session keeps QoS 1 messages across stop/start', async () => {
    const embedded = await startEmbeddedBroker();
    try {
      expect(embedded.kind).toBe('embedded');
      const opts = { protocolVersion: 5 as const, clientId: 'infra-persistent', clean: false, properties: { sessionExpiryInterval: 600 } };
      const sub = await mqtt.connectAsync(embedded.url, opts);
      await sub.subscribeAsync('t/#', { qos: 1 });
      await sub.endAsync();
      const pub = await mqtt.connectAsync(embedded.url, { protocolVersion: 5, reconnectPeriod: 0 });
      await pub.publishAsync('t/head', 'h1', { qos: 1, retain: true });
      await embedded.stop();
      expect(pub.connected ? await new Promise((r) => pub.once('close', () => r('closed'))) : 'closed').toBe('closed');
      await embedded.start();
      const back = await mqtt.connectAsync(embedded.url, opts);
      const queued = await new Promise<string>((r) => back.once('message', (t, p) => r(`${t}=${p.toString('utf8')}`)));
      expect(queued).toBe('t/head=h1');
      const late = await mqtt.connectAsync(embedded.url, { protocolVersion: 5 });
      const retained = new Promise<boolean>((r) => late.once('message', (_t, _p, pk) => r(pk.retain)));
      await late.subscribeAsync('t/head', { qos: 1 });
      expect(await retained).toBe(true);
      await Promise.all([back.endAsync(), late.endAsync(), pub.endAsync(true)]);
    } finally {
      await embedded.close();
    }
  });

  it('finds a tool through PATH and the sbin beside each bin folder, and nowhere else', () => {
    const root = mkdtempSync(join(tmpdir(), 'gate-find-'));
    try {
      mkdirSync(join(root, 'bin'));
      mkdirSync(join(root, 'sbin'));
      const tool = join(root, 'sbin', 'some-broker');
      writeFileSync(tool, '#!/bin/sh\n');
      chmodSync(tool, 0o755);
      expect(findOnPath('some-broker', join(root, 'bin'))).toBe(tool);
      expect(findOnPath('some-broker', '/nonexistent/bin')).toBeUndefined();
      chmodSync(tool, 0o644);
      expect(findOnPath('some-broker', join(root, 'bin'))).toBeUndefined();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
