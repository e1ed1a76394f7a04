// The hurried technician's console setup: a password hash that lost characters when copied, the console put on the
// maintenance network without TLS, and a certificate that has expired, is not valid yet, ends soon or does not match
// its key. The hash is refused like any config error; the rest run (the lane must not stop for the console) and are
// said loudly: WARN lines from `gate config check` and `gate doctor`, and the console's own checks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { hashPassword } from '../../src/console/password.js';
import { consoleWarnings, isLoopbackHost } from '../../src/console/warnings.js';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { makePki } from '../support/pki.js';
import { runGate } from '../support/cli.js';

const DAY = 24 * 3600 * 1000;
const SECRET = randomBytes(32).toString('hex');
let dir: string;
let pki: ReturnType<typeof makePki>;
let hash: string;

const base = () => ({
  station: 'VNP',
  gate: '07',
  secret: SECRET,
  db: join(dir, 'gate.db'),
  bridge: { port: { path: join(dir, 'no-such-tty') } },
});

function writeConfig(name: string, console: Record<string, unknown>): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    JSON.stringify({ ...base(), console: { enabled: true, users: [{ name: 'tech1', passwordHash: hash }], ...console } }),
  );
  return file;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gate-console-setup-'));
  pki = makePki(dir);
  hash = await hashPassword('platform four key', { N: 1 << 12, r: 8, p: 1 });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a password hash that cannot be right', () => {
  it('a hash cut short when copied is refused by the config check, which names why and shows no part of it', async () => {
    const cut = hash.slice(0, hash.length - 30);
    const file = writeConfig('cut.json', { users: [{ name: 'tech1', passwordHash: cut }] });
    const r = await runGate(['config', 'check', file]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /console\.users\[0\]\.passwordHash: expected an scrypt hash from gate console hash-password: the hash is \d+ bytes, expected at least 16 \(truncated when copied\?\)/,
    );
    expect(r.err).not.toContain(cut.split('$')[4]);
    expect(() =>
      parseConfig({ ...base(), console: { users: [{ name: 't', passwordHash: 'scrypt$3$8$1$AAAAAAAAAAA=$' + 'A'.repeat(44) }] } }),
    ).toThrow(ConfigError);
  });
});

describe('the console beyond loopback without TLS', () => {
  it('gate config check passes it with a loud WARN line; loopback or TLS pass quietly', async () => {
    const open = await runGate(['config', 'check', writeConfig('open.json', { host: '0.0.0.0' })]);
    expect(open.code).toBe(0);
    expect(open.err).toContain(
      'WARN console.host: 0.0.0.0 serves the console over plain HTTP beyond this machine: passwords and the session cookie cross the network readable',
    );
    const loop = await runGate(['config', 'check', writeConfig('loop.json', {})]);
    expect([loop.code, loop.err]).toEqual([0, '']);
    const tls = await runGate([
      'config',
      'check',
      writeConfig('tls.json', { host: '0.0.0.0', tls: { cert: pki.serverCert, key: pki.serverKey } }),
    ]);
    expect(tls.code).toBe(0);
    expect(tls.err).not.toContain('console.host');
    expect(['127.0.0.1', '127.8.0.1', '::1', 'localhost'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '::', '10.20.0.7', 'gate-07.lan'].some(isLoopbackHost)).toBe(false);
  });

  it('gate doctor shows it as a WARN line', async () => {
    const r = await runGate(['doctor', '--config', writeConfig('doctor.json', { host: '10.20.0.7' }), '--wait', '100']);
    expect(r.out).toMatch(/^WARN\s+console\s+console\.host: 10\.20\.0\.7 serves the console over plain HTTP/m);
  });
});

describe('the console certificate', () => {
  const config = (tls: { cert: string; key: string }) =>
    parseConfig({ ...base(), console: { enabled: true, host: '10.20.0.7', users: [{ name: 't', passwordHash: hash }], tls } });

  it('warns when it has expired, is not valid yet or ends within two weeks', () => {
    const c = config({ cert: pki.serverCert, key: pki.serverKey });
    const now = Date.now();
    // The test certificate is valid for two days from now.
    expect(consoleWarnings(c, now)).toEqual([
      expect.stringMatching(/^console\.tls\.cert: the certificate expires on \d{4}-\d\d-\d\d: make a new one/),
    ]);
    expect(consoleWarnings(c, now + 3 * DAY)).toEqual([
      expect.stringMatching(/^console\.tls\.cert: the certificate expired on \d{4}-\d\d-\d\d: browsers refuse it/),
    ]);
    expect(consoleWarnings(c, now - DAY)).toEqual([
      expect.stringMatching(/^console\.tls\.cert: the certificate is valid only from .*timedatectl/),
    ]);
  });

  it("warns when the key is not the certificate's, or the certificate is not one", () => {
    const now = Date.now();
    expect(consoleWarnings(config({ cert: pki.serverCert, key: pki.clientKey }), now)).toContain(
      'console.tls.key: not the key of console.tls.cert: the console will not start; give the matching key',
    );
    const notCert = join(dir, 'not-a-cert.pem');
    writeFileSync(notCert, 'hello\n');
    expect(consoleWarnings(config({ cert: notCert, key: pki.serverKey }), now)).toEqual([
      expect.stringMatching(/^console\.tls\.cert: not a PEM certificate .*: the console will not start$/),
    ]);
    // An unreadable file is run-checks' problem (a FAIL line of its own), not a second warning here.
    expect(consoleWarnings(config({ cert: join(dir, 'missing.pem'), key: pki.serverKey }), now)).toEqual([]);
  });
});
