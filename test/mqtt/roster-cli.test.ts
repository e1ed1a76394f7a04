// Enrolling gates as a technician and central's operator do it: `gate key` on each gate, `gate central roster` at
// central, against a real Mosquitto; the retained roster is what a gate verifies and takes.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalBroker, type LocalBroker } from '../../src/mqtt/local-broker.js';
import { openRoster, rosterTopic } from '../../src/mqtt/roster.js';
import { KeyRing } from '../../src/util/signing.js';
import { runGate } from '../support/cli.js';

let broker: LocalBroker;
let dir: string;
beforeAll(async () => {
  broker = await startLocalBroker();
  dir = mkdtempSync(join(tmpdir(), 'gate-roster-'));
});
afterAll(async () => {
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
});

const gateConfig = (gate: string) => {
  const path = join(dir, `gate${gate}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      station: 'SHH',
      gate,
      db: join(dir, gate, 'gate.db'),
      secret: '033fc5339325b533b192cdd7a79e9e7a3abcb45d0141d19a55be1fd9726da890',
    }),
  );
  return path;
};

describe('gate key and gate central roster', () => {
  it("prints each gate's key (created once, mode 0600), and publishes a signed retained roster the gates verify", async () => {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, '01'));
    mkdirSync(join(dir, '02'));
    const k1 = await runGate(['key', '--config', gateConfig('01')]);
    const k1again = await runGate(['key', '--config', gateConfig('01')]);
    const k2 = await runGate(['key', '--config', gateConfig('02'), '--json']);
    expect(k1.code).toBe(0);
    expect(k1again.out).toBe(k1.out);
    expect(statSync(join(dir, '01', 'gate-key.pem')).mode & 0o777).toBe(0o600);
    const key2 = (JSON.parse(k2.out) as { publicKey: string }).publicKey;
    expect(key2).not.toBe(k1.out.trim());

    expect((await runGate(['central', 'keygen', '--out', join(dir, 'keys')])).code).toBe(0);
    const published = await runGate([
      'central',
      'roster',
      '--key',
      join(dir, 'keys', 'central-signing.key'),
      '--url',
      broker.url,
      '--station',
      'SHH',
      '--version',
      '3',
      '--gate',
      `01=${k1.out.trim()}`,
      '--gate',
      `02=${key2}`,
    ]);
    expect(published.code).toBe(0);

    const bad = await runGate([
      'central',
      'roster',
      '--key',
      join(dir, 'keys', 'central-signing.key'),
      '--url',
      broker.url,
      '--station',
      'SHH',
      '--version',
      '4',
      '--gate',
      '01=not-a-key',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--gate 01: not an Ed25519 public key/);

    const client = await mqtt.connectAsync(broker.url, { protocolVersion: 5 });
    try {
      const got = new Promise<Buffer>((resolve) => client.on('message', (_t, p) => resolve(p)));
      await client.subscribeAsync(rosterTopic('SHH'), { qos: 1 });
      const bytes = await got;
      const ring = new KeyRing([readFileSync(join(dir, 'keys', 'central-signing.pub'), 'utf8')]);
      const r = openRoster(bytes, 'SHH', ring, null);
      expect(r.ok && [r.roster.version, [...r.roster.keys.keys()]]).toEqual([3, ['01', '02']]);
      expect(openRoster(bytes, 'SHH', ring, 4)).toMatchObject({ ok: false, code: 'old-version' });
    } finally {
      await client.endAsync();
    }
  });
});
