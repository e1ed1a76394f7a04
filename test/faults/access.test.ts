// Fault suite, access (issue 8.6): against a real mosquitto, every command central did not sign for this gate, now,
// once, is refused with its code on cmd-result and never reaches the handler, also after the gate restarts on the
// same SQLite file; a client without a certificate cannot connect to a broker that requires one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalBroker, type LocalBroker } from '../../src/mqtt/local-broker.js';
import { MqttConnection } from '../../src/mqtt/connection.js';
import { CommandSigner } from '../../src/mqtt/command-signer.js';
import { commandResultSchema } from '../../src/mqtt/schemas.js';
import { openDb } from '../../src/cache/db.js';
import { GateStore } from '../../src/daemon/gate-store.js';
import { generateSigningKeys } from '../../src/util/signing.js';
import { commandedGate, mqttConfig, recorder, tempGate, until, useBroker } from '../mqtt/helpers.js';
import { makePki } from '../support/pki.js';
import { tally } from './support/tally.js';

const central = generateSigningKeys();
const intruder = generateSigningKeys();
const target = { station: 'BJP', gate: '03' };

describe('signed commands over a real broker', () => {
  const shared = useBroker();
  const cleanups = shared.cleanups;

  const gate = (tg: ReturnType<typeof tempGate>) => commandedGate(shared.broker.url, central.publicKey, tg);

  it('refuses unsigned, badly signed, foreign-key, other-gate, stale and replayed commands; the handler never runs', async () => {
    const tg = tempGate('BJP', '03');
    cleanups.push(() => tg.close());
    let g = gate(tg);
    await until(() => g.reporter.connection.connected, 10_000, 'gate connected');
    const results = await recorder(shared.broker.url, 'gates/v1/BJP/03/cmd-result');
    cleanups.push(() => results.close());
    const centralClient = await mqtt.connectAsync(shared.broker.url, { protocolVersion: 5 });
    cleanups.push(() => centralClient.endAsync());
    const send = (topic: string, payload: Buffer | string) => centralClient.publishAsync(topic, payload, { qos: 1 });
    const codes = () => results.messages.map((m) => commandResultSchema.parse(JSON.parse(m.payload)).code);

    const signer = new CommandSigner(central.privateKey);
    const good = signer.sign(target, 'lane-mode', { mode: 'locked' });
    const forged = new CommandSigner(intruder.privateKey).sign(target, 'release', { direction: 'entry' });
    const otherGate = signer.sign({ station: 'BJP', gate: '04' }, 'release', { direction: 'entry' });
    const stale = signer.sign(target, 'release', { direction: 'entry' }, { nowMs: Date.now() - 120_000 });
    const env = JSON.parse(good.payload.toString()) as Record<string, string>;
    const refused: [string, string, Buffer | string, string][] = [
      ['unsigned', 'lane-mode', JSON.stringify({ ...env, sig: undefined }), 'unsigned'],
      ['bad signature', 'lane-mode', JSON.stringify({ ...env, body: env.body.replace('locked', 'free') }), 'bad-signature'],
      ['wrong key', 'release', forged.payload, 'bad-signature'],
      ['another gate', 'release', otherGate.payload, 'wrong-gate'],
      ['stale', 'release', stale.payload, 'stale'],
    ];
    for (const [, name, payload] of refused) await send(good.topic.replace(/[^/]+$/, name), payload);
    await until(() => results.messages.length === refused.length, 10_000, 'answers to the refused commands');
    expect(codes()).toEqual(refused.map((r) => r[3]));
    expect(g.handled).toEqual([]);

    // The genuine command runs once; its replay is refused.
    await send(good.topic, good.payload);
    await send(good.topic, good.payload);
    await until(() => results.messages.length === refused.length + 2, 10_000, 'answers to the genuine command and its replay');
    expect(codes().slice(-2)).toEqual(['ok', 'replayed']);
    expect(g.handled.map((c) => c.nonce)).toEqual([good.body.nonce]);

    // A restart on the same SQLite file still knows the nonce.
    await g.stop();
    tg.db.close();
    tg.db = openDb(tg.path);
    tg.store = new GateStore(tg.db, target);
    g = gate(tg);
    cleanups.push(() => g.stop());
    await until(() => g.reporter.connection.connected, 10_000, 'gate reconnected');
    await send(good.topic, good.payload);
    await until(() => results.messages.length === refused.length + 3, 10_000, 'answer to the replay after restart');
    expect(codes().at(-1)).toBe('replayed');
    expect(g.handled).toEqual([]);
    tally({ scenario: 'access: refused commands', cycles: refused.length + 2, lost: 0, doubleUsed: 0 });
  });
});

describe('TLS broker requiring client certificates', () => {
  let dir: string;
  let broker: LocalBroker;
  let pki: ReturnType<typeof makePki>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gate-fault-pki-'));
    pki = makePki(dir);
    broker = await startLocalBroker({
      listenerLines: [
        `cafile ${pki.ca}`,
        `certfile ${pki.serverCert}`,
        `keyfile ${pki.serverKey}`,
        'require_certificate true',
        'allow_anonymous true',
      ],
    });
  });
  afterAll(async () => {
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a client without a certificate and admits one with it', async () => {
    const attempt = async (tls: { rejectUnauthorized: boolean; ca?: string; cert?: string; key?: string }) => {
      const conn = new MqttConnection(mqttConfig([broker.url], { tls }), { random: () => 0 });
      const reasons: string[] = [];
      let up = false;
      conn.events.on('retry', (e) => reasons.push(e.reason));
      conn.events.on('up', () => (up = true));
      conn.start();
      try {
        await until(() => up || reasons.length >= 2, 10_000, 'connect or refusal');
        return up;
      } finally {
        await conn.stop();
      }
    };
    expect(await attempt({ ca: pki.ca, rejectUnauthorized: true })).toBe(false);
    expect(await attempt({ ca: pki.ca, cert: pki.clientCert, key: pki.clientKey, rejectUnauthorized: true })).toBe(true);
    tally({ scenario: 'access: TLS without client certificate', cycles: 2, lost: 0, doubleUsed: 0 });
  });
});
