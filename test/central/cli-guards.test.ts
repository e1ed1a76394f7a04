// Central's tools refuse what would break the gates, run as an operator runs them (child processes) against a real
// Mosquitto: a delta whose seq does not follow the retained head, a snapshot whose epoch is not newer, a head signed
// by another key, and a public key given as the signing key. Each refusal is exit 1 with one line, and the retained
// head stays as it was; --force publishes anyway.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startLocalBroker, type LocalBroker } from '../../src/mqtt/local-broker.js';
import { generateKeyFiles, type KeyFiles } from '../../src/central/keys.js';
import { SECRET, STATION, snapshotFile, tempDir, ticket } from '../sync/fixtures.js';
import { runGateProcess, type GateRun } from '../support/gate-process.js';
import { parseJson } from '../support/json.js';
import { z } from 'zod';
import { headSchema } from '../../src/sync/wire.js';

let broker: LocalBroker;
let tmp: ReturnType<typeof tempDir>;
let keys: KeyFiles;
let otherKeys: KeyFiles;
let snapPath: string;
let deltaPath: string;
let docKeyPath: string;

beforeAll(async () => {
  broker = await startLocalBroker();
  tmp = tempDir();
  keys = generateKeyFiles(join(tmp.dir, 'keys'));
  otherKeys = generateKeyFiles(join(tmp.dir, 'other-keys'));
  snapPath = join(tmp.dir, 'snap.json');
  writeFileSync(snapPath, JSON.stringify(snapshotFile(4)));
  docKeyPath = join(tmp.dir, 'station-doc.key');
  writeFileSync(docKeyPath, `${SECRET}\n`);
  deltaPath = join(tmp.dir, 'delta.json');
  writeFileSync(deltaPath, JSON.stringify({ upserts: { tickets: [ticket(1, 'refunded')] } }));
});
afterAll(async () => {
  await broker?.close();
  tmp?.cleanup();
});

const snapshot = (epoch: number, ...more: string[]) =>
  runGateProcess([
    'central',
    'snapshot',
    snapPath,
    '--key',
    keys.privateKeyPath,
    '--doc-key-file',
    docKeyPath,
    '--url',
    broker.url,
    '--station',
    STATION,
    '--epoch',
    String(epoch),
    ...more,
  ]);
const delta = (epoch: number, seq: number, ...more: string[]) =>
  runGateProcess([
    'central',
    'delta',
    deltaPath,
    '--key',
    keys.privateKeyPath,
    '--doc-key-file',
    docKeyPath,
    '--url',
    broker.url,
    '--station',
    STATION,
    '--epoch',
    String(epoch),
    '--seq',
    String(seq),
    ...more,
  ]);

/** The retained head as the broker holds it (epoch/seq of the signed content), read by a fresh subscriber. */
async function retainedHead(): Promise<string | null> {
  const c = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
  try {
    const got = new Promise<string>((resolve) =>
      c.on('message', (t, p) => {
        if (t === 'test/probe') return;
        const envelope = parseJson(z.looseObject({ body: z.string() }), p.toString('utf8'));
        const s = parseJson(headSchema, envelope.body);
        resolve(`${s.epoch}/${s.seq}`);
      }),
    );
    // The broker sends the retained head right after the subscription, before this client's own probe comes back.
    const probe = new Promise<null>((resolve) => c.on('message', (t) => t === 'test/probe' && resolve(null)));
    await c.subscribeAsync(`stations/v1/${STATION}/sync/head`, { qos: 1 });
    await c.subscribeAsync('test/probe', { qos: 1 });
    await c.publishAsync('test/probe', 'x', { qos: 1 });
    return await Promise.race([got, probe]);
  } finally {
    await c.endAsync();
  }
}

function refused(r: GateRun, pattern: RegExp): void {
  expect(r.code, r.out + r.err).toBe(1);
  const lines = r.err.trim().split('\n');
  expect(lines, r.err).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

describe('gate central refuses what would break the gates', () => {
  it('a delta before any snapshot, a seq that skips or repeats, an older or equal snapshot epoch; --force overrides', async () => {
    refused(
      await delta(500, 1),
      /^gate central delta: central\/no-head: station SHH has no retained head: publish a snapshot first \(--force/,
    );
    expect(await retainedHead()).toBeNull();

    expect((await snapshot(500)).code).toBe(0);
    expect(await retainedHead()).toBe('500/0');

    refused(await delta(500, 3), /central\/seq-not-next: --seq 3 does not follow the head 500\/0: the next delta is seq 1/);
    refused(await delta(499, 1), /central\/epoch-mismatch: --epoch 499 is not the head's epoch 500/);
    expect(await retainedHead()).toBe('500/0');

    expect((await delta(500, 1)).code).toBe(0);
    expect(await retainedHead()).toBe('500/1');
    refused(await delta(500, 1), /central\/seq-not-next: --seq 1 does not follow the head 500\/1: the next delta is seq 2/);

    refused(await snapshot(400), /^gate central snapshot: central\/epoch-not-newer: --epoch 400 is not newer than the head's epoch 500/);
    refused(await snapshot(500), /central\/epoch-not-newer: --epoch 500 is not newer/);
    expect(await retainedHead()).toBe('500/1');

    const forced = await snapshot(400, '--force');
    expect(forced.code, forced.err).toBe(0);
    expect(forced.err).toContain('--force: not checked against the retained head');
    expect(await retainedHead()).toBe('400/0');
  }, 120_000);

  it('a retained head signed by another key is refused: the operator likely holds the wrong key', async () => {
    const r = await runGateProcess([
      'central',
      'snapshot',
      snapPath,
      '--key',
      otherKeys.privateKeyPath,
      '--doc-key-file',
      docKeyPath,
      '--url',
      broker.url,
      '--station',
      STATION,
      '--epoch',
      '900',
    ]);
    refused(
      r,
      new RegExp(`central/head-unverified: the retained head of SHH does not verify with key ${otherKeys.keyId}: sync/unknown-key`),
    );
    expect(await retainedHead()).not.toBe('900/0');
  }, 60_000);

  it('a public key given as --key gets one line naming the mistake, not a decoder error', async () => {
    for (const args of [
      [
        'central',
        'snapshot',
        snapPath,
        '--key',
        keys.publicKeyPath,
        '--doc-key-file',
        docKeyPath,
        '--url',
        broker.url,
        '--station',
        STATION,
      ],
      [
        'central',
        'delta',
        deltaPath,
        '--key',
        keys.publicKeyPath,
        '--doc-key-file',
        docKeyPath,
        '--url',
        broker.url,
        '--station',
        STATION,
        '--epoch',
        '1',
        '--seq',
        '1',
      ],
    ]) {
      const r = await runGateProcess(args);
      refused(
        r,
        /central\/public-key: .*central-signing\.pub is a public key; --key needs the private key \(central-signing\.key, not central-signing\.pub\)$/,
      );
      expect(r.err).not.toMatch(/DECODER|routines|error:[0-9A-F]{8}/);
    }
    const notAKey = join(tmp.dir, 'snap-as-key.json');
    writeFileSync(notAKey, '{"hello": 1}');
    refused(
      await runGateProcess([
        'central',
        'snapshot',
        snapPath,
        '--key',
        notAKey,
        '--doc-key-file',
        docKeyPath,
        '--url',
        broker.url,
        '--station',
        STATION,
      ]),
      /central\/bad-key: .* is not a private key/,
    );
  }, 60_000);

  it('a weak document key is refused before anything is keyed or published (central/weak-doc-key)', async () => {
    const weak = join(tmp.dir, 'weak-doc.key');
    writeFileSync(weak, `${'station-key-'.repeat(6)}\n`);
    const r = await runGateProcess([
      'central',
      'snapshot',
      snapPath,
      '--key',
      keys.privateKeyPath,
      '--doc-key-file',
      weak,
      '--url',
      broker.url,
      '--station',
      STATION,
      '--epoch',
      '999',
    ]);
    refused(r, /central\/weak-doc-key: --doc-key-file .*weak-doc\.key: estimated \d+ bits of entropy, expected at least 128/);
    expect(r.err).not.toContain('station-key-');
  }, 60_000);
});
