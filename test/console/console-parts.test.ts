// The console's parts on their own: passwords, sessions and their expiry, the language a browser gets, the masked
// secrets of an edited config, the fix lines of the devices page, and the config rules for the console section.
import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../src/console/password.js';
import { cookieValue, Sessions } from '../../src/console/sessions.js';
import { pickLanguage } from '../../src/console/i18n.js';
import { unmask } from '../../src/console/actions.js';
import { deviceFix } from '../../src/console/panels.js';
import { shortKey } from '../../src/console/live.js';
import { parseConfig } from '../../src/config/load.js';
import { runProblems } from '../../src/config/run-checks.js';
import { ConfigError } from '../../src/config/load.js';
import { runGate } from '../support/cli.js';
import { certificateNames, HostNames } from '../../src/console/host-names.js';
import { makePki } from '../support/pki.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FAST = { N: 1 << 12, r: 8, p: 1 };

describe('console passwords', () => {
  it('accepts the password of its scrypt hash and nothing else', async () => {
    const hash = await hashPassword('a long pass phrase', FAST);
    expect(hash).toMatch(/^scrypt\$4096\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(hash).not.toContain('a long pass phrase');
    await expect(verifyPassword('a long pass phrase', hash)).resolves.toBe(true);
    await expect(verifyPassword('a long pass phrasE', hash)).resolves.toBe(false);
    await expect(verifyPassword('', hash)).resolves.toBe(false);
  });

  it('refuses a hash it cannot read or whose cost would stall the gate, without throwing', async () => {
    const hash = await hashPassword('x', FAST);
    const parts = hash.split('$');
    await expect(verifyPassword('x', 'plain-text-password')).resolves.toBe(false);
    await expect(verifyPassword('x', ['scrypt', String(1 << 24), ...parts.slice(2)].join('$'))).resolves.toBe(false);
    await expect(verifyPassword('x', ['scrypt', '1000', ...parts.slice(2)].join('$'))).resolves.toBe(false);
  });

  it('gate console hash-password prints a hash of the password on stdin and refuses a short one', async () => {
    const ok = await runGate(['console', 'hash-password'], 'station-tech-2026\n');
    expect(ok.code).toBe(0);
    await expect(verifyPassword('station-tech-2026', ok.out.trim())).resolves.toBe(true);
    const short = await runGate(['console', 'hash-password'], 'short\n');
    expect(short.code).toBe(2);
    expect(short.err).toContain('expected at least 10');
  });
});

describe('console sessions', () => {
  it('end after the idle time; a request keeps one alive, the live stream does not', () => {
    let now = 1_000_000;
    const sessions = new Sessions(60_000, () => now);
    const s = sessions.open('tech1');
    now += 50_000;
    expect(sessions.touch(s.token)?.user).toBe('tech1');
    now += 50_000; // 100 s after sign-in, 50 s after the last request
    expect(sessions.alive(s.token)).toBe(true);
    now += 50_000; // alive() did not extend it
    expect(sessions.alive(s.token)).toBe(false);
    expect(sessions.touch(s.token)).toBeNull();
    expect(sessions.touch('made-up')).toBeNull();
  });

  it('are closed on sign-out and read from the Cookie header', () => {
    const sessions = new Sessions(60_000);
    const s = sessions.open('tech1');
    expect(cookieValue(`a=1; gate_console=${s.token}; b=2`, 'gate_console')).toBe(s.token);
    sessions.close(s.token);
    expect(sessions.touch(s.token)).toBeNull();
  });
});

describe('the page language', () => {
  it.each([
    ['zh-CN,zh;q=0.9,en;q=0.8', 'zh'],
    ['en-US,en;q=0.9,zh;q=0.5', 'en'],
    ['fr-FR,fr;q=0.9,en;q=0.5', 'en'],
    ['zh;q=0, en', 'en'],
    ['de-DE', 'zh'],
    [undefined, 'zh'],
  ])('%s -> %s', (header, lang) => expect(pickLanguage(header)).toBe(lang));
});

describe('the console shows no document data', () => {
  it('shortens a document key to its first characters', () => {
    expect(shortKey('0123456789abcdef0123456789abcdef')).toBe('012345…');
    expect(shortKey(null)).toBeNull();
  });
});

describe('config check of an edited copy', () => {
  it('keeps the installed value where the copy shows a masked secret, and the edit elsewhere', () => {
    const installed = {
      secret: 'S'.repeat(40),
      mqtt: { password: 'p', urls: ['mqtt://a'] },
      console: { users: [{ name: 't', passwordHash: 'H' }] },
    };
    const edited = {
      secret: '***',
      mqtt: { password: 'new', urls: ['mqtt://b'] },
      console: { users: [{ name: 't', passwordHash: '***' }] },
    };
    expect(unmask(edited, installed)).toEqual({
      secret: 'S'.repeat(40),
      mqtt: { password: 'new', urls: ['mqtt://b'] },
      console: { users: [{ name: 't', passwordHash: 'H' }] },
    });
  });
});

describe('device fix lines', () => {
  const config = parseConfig({
    station: 'VNP',
    gate: '07',
    devices: { idcard: { enabled: true, path: '/dev/ttyUSB0' } },
    mqtt: { urls: ['mqtt://10.0.0.2:1883'] },
  });

  it('are the lines doctor and the log give', () => {
    expect(deviceFix('idcard', 'fault', 'wrong-baud', config)).toBe(
      'idcard: only garbage on /dev/ttyUSB0 at 115200 baud: probably the wrong baud rate; set devices.idcard.baudRate (ID readers: 115200)',
    );
    expect(deviceFix('mqtt', 'fault', 'Error: connect ECONNREFUSED 10.0.0.2:1883', config)).toBe(
      'mqtt: nothing listens at mqtt://10.0.0.2:1883: check mqtt.urls and that the broker is running',
    );
    expect(deviceFix('idcard', 'fault', 'permission-denied', config)).toMatch(
      /^idcard: no permission to open \/dev\/ttyUSB0: add the user to dialout/,
    );
    expect(deviceFix('idcard', 'ok', null, config)).toBeNull();
  });
});

describe('the console section of the config', () => {
  const base = {
    station: 'VNP',
    gate: '07',
    secret: 'k'.repeat(8) + 'Q7v#pL2m!xR9wE4t@Zs6' + 'n'.repeat(8),
    db: '/tmp/gate.db',
    bridge: { port: { path: '/dev/ttyS1' } },
  };

  it('refuses a password in place of its hash', () => {
    expect(() => parseConfig({ ...base, console: { enabled: true, users: [{ name: 'tech1', passwordHash: 'hunter2' }] } })).toThrow(
      ConfigError,
    );
  });

  it('needs a technician when enabled, as gate run and gate config check say', () => {
    const config = parseConfig({ ...base, console: { enabled: true } });
    expect(runProblems({ config, path: '/tmp/gate.json' }, {})).toContain(
      'console.users: expected at least one technician (name and passwordHash from gate console hash-password) when console.enabled, got none',
    );
    expect(config.console).toMatchObject({ host: '127.0.0.1', port: 8443, sessionMinutes: 30 });
  });
});

describe('the names the console answers (DNS rebinding)', () => {
  it('IP addresses, localhost on any port and the certificate names; no other name, no deeper wildcard label', () => {
    const names = new HostNames(['gate-07.vnp.station.lan', '*.tablets.lan']);
    for (const host of [
      '10.20.0.7:8443',
      '127.0.0.1',
      '[::1]:9000',
      '[fe80::1]',
      'localhost:9000',
      'Gate-07.VNP.station.lan:8443',
      'a.tablets.lan',
    ])
      expect([host, names.allows(host)]).toEqual([host, true]);
    for (const host of [
      'rebind.example:8443',
      'gate-07.vnp.station.lan.evil.example',
      'x.a.tablets.lan',
      'tablets.lan',
      '.tablets.lan',
      'localhost.evil',
    ])
      expect([host, names.allows(host)]).toEqual([host, false]);
    expect(names.allows(undefined)).toBe(true);
  });

  it("reads the DNS names of a certificate's subjectAltName", () => {
    const dir = mkdtempSync(join(tmpdir(), 'gate-console-names-'));
    try {
      expect(certificateNames(readFileSync(makePki(dir).serverCert))).toEqual(['localhost']);
      expect(certificateNames('not a certificate')).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
