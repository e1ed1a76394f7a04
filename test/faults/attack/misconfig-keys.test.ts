// A hurried technician's key mistakes in gate.json. `gate config check` must refuse exactly what `gate run`
// refuses (README), and `gate run` must never turn a config mistake into a crash (exit 70 -> systemd restart loop).
// The design says the command key is "a key of its own, never the sync key": the same key in both lists is a
// mistake the config check should catch.
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startWorld, type World } from '../../daemon/world.js';
import { parseConfig } from '../../../src/config/load.js';
import type { GateConfig } from '../../../src/config/schema.js';

const ENTRY = resolve('src/cli/entry.ts');
let w: World;
beforeAll(async () => {
  w = await startWorld();
}, 60_000);
afterAll(async () => w?.close());

function variant(name: string, edit: (c: GateConfig) => void): string {
  const c = parseConfig(JSON.parse(readFileSync(w.configPath, 'utf8')));
  edit(c);
  const p = join(w.dir, `${name}.json`);
  writeFileSync(p, JSON.stringify(c, null, 2));
  return p;
}
const check = (p: string) =>
  spawnSync(process.execPath, ['--import', 'tsx', ENTRY, 'config', 'check', p], { encoding: 'utf8', timeout: 60_000 });
const run = (p: string) =>
  spawnSync(process.execPath, ['--import', 'tsx', ENTRY, 'run', '--config', p], {
    encoding: 'utf8',
    timeout: 20_000,
    killSignal: 'SIGTERM',
    env: { ...process.env, GATE_LOG_FORMAT: 'json' },
  });

it('a malformed central key: config check refuses it, gate run exits 1 (not 70)', () => {
  const p = variant('badkey', (c) => (c.mqtt.centralPublicKeys = ['MCowBQYDK2VwAyEA-not-a-key']));
  const r = run(p);
  const k = check(p);
  console.log('BADKEY run', r.status, r.signal, (r.stderr ?? '').slice(-600), '\ncheck', k.status, k.stdout.slice(-400));
  expect(r.status, 'gate run on a malformed key').toBe(1);
  expect(k.status, 'config check on a malformed key').toBe(1);
});

it('an RSA key among the sync keys: config check refuses it, gate run exits 1 (not 70)', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const p = variant('rsakey', (c) => c.sync.centralPublicKeys.push(rsa));
  const r = run(p);
  const k = check(p);
  console.log('RSA run', r.status, r.signal, (r.stderr ?? '').slice(-600), '\ncheck', k.status, k.stdout.slice(-400));
  expect(r.status, 'gate run on an RSA key').toBe(1);
  expect(k.status, 'config check on an RSA key').toBe(1);
});

it('the sync key also listed as the command key: config check refuses it', () => {
  const p = variant('samekey', (c) => c.mqtt.centralPublicKeys.push(...c.sync.centralPublicKeys));
  const k = check(p);
  console.log('SAME check', k.status, k.stdout.slice(-400));
  expect(k.status, 'config check with the sync key as a command key').toBe(1);
});
