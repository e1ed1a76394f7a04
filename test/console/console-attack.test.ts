// The console tried as an attacker on the maintenance network would, and as a hurried technician: real HTTP
// requests (node's http, from several loopback addresses standing in for several laptops) against the console
// server of a real daemon on simulated devices. Each block is one probe of docs/console.md's "Security review".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpsRequest } from 'node:https';
import { connect, type Socket } from 'node:net';
import { request, type IncomingMessage } from 'node:http';
import { z } from 'zod';
import { GateDaemon } from '../../src/daemon/gate-daemon.js';
import { parseConfig, type LoadedConfig } from '../../src/config/load.js';
import type { GateConfig } from '../../src/config/schema.js';
import { CARDS, DEMO_SECRET } from '../../src/demo/data.js';
import { hashPassword } from '../../src/console/password.js';
import { ConsoleServer } from '../../src/console/server.js';
import { waitFor } from '../../src/util/wait.js';
import { startWorld, type World } from '../daemon/world.js';

const PASSWORD = 'platform 4 gate 07 key';
const FAST = { N: 1 << 12, r: 8, p: 1 };

let world: World;
let daemon: GateDaemon;
let baseConfig: GateConfig;
let passwordHash: string;
const consoles: ConsoleServer[] = [];

/** A clock the tests move: the console's rate limits and session expiry read it. */
let offsetMs = 0;
const clock = () => Date.now() + offsetMs;

async function startConsole(console: Partial<GateConfig['console']> = {}, config: Partial<GateConfig> = {}) {
  const loaded: LoadedConfig = {
    config: {
      ...baseConfig,
      ...config,
      console: { ...baseConfig.console, enabled: true, host: '127.0.0.1', port: 0, users: [{ name: 'tech1', passwordHash }], ...console },
    },
    path: world.configPath,
  };
  const server = new ConsoleServer({ gate: daemon, loaded, now: clock });
  consoles.push(server);
  return { server, url: new URL(await server.listen()) };
}

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  text: string;
}

/** One HTTP request from `from` (a loopback address: another laptop on the maintenance network). */
function call(
  url: URL,
  o: { method?: string; path?: string; headers?: Record<string, string>; body?: string; from?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: o.path ?? '/',
        method: o.method ?? 'GET',
        localAddress: o.from ?? '127.0.0.1',
        headers: o.headers ?? {},
        agent: false,
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

const form = (user: string, password: string) => new URLSearchParams({ user, password }).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

function signIn(url: URL, from = '127.0.0.1', password = PASSWORD, extra: Record<string, string> = {}): Promise<Answer> {
  return call(url, { method: 'POST', path: '/login', headers: { ...FORM, ...extra }, body: form('tech1', password), from });
}

async function session(url: URL, from = '127.0.0.1'): Promise<string> {
  const r = await signIn(url, from);
  expect(r.status).toBe(303);
  return String(r.headers['set-cookie']?.[0]).split(';')[0];
}

const errorBody = z.object({ ok: z.literal(false), code: z.string(), line: z.string() });

beforeAll(async () => {
  world = await startWorld();
  const cfg = parseConfig(JSON.parse(readFileSync(world.configPath, 'utf8')));
  baseConfig = { ...cfg, mqtt: { ...cfg.mqtt, enabled: false }, sync: { ...cfg.sync, enabled: false } };
  daemon = new GateDaemon({ config: baseConfig, secret: DEMO_SECRET, configVersion: 't', appVersion: '0.0.0-test' });
  await daemon.start();
  passwordHash = await hashPassword(PASSWORD, FAST);
}, 60_000);

afterAll(async () => {
  for (const c of consoles) await c.close();
  await daemon?.stop({ drainMs: 0 });
  await world?.close();
});

describe('password guessing', () => {
  it('a guesser at one address is slowed down without locking out the technician at another', async () => {
    const { url } = await startConsole();
    const guesses: number[] = [];
    for (let i = 0; i < 15; i++) guesses.push((await signIn(url, '127.0.0.2', `guess ${i}`)).status);
    expect(guesses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(guesses.at(-1)).toBe(429);
    const technician = await signIn(url, '127.0.0.3');
    expect(technician.status).toBe(303);
    // The guesser gets one more try only after the wait the page names.
    const tooMany = await signIn(url, '127.0.0.2', 'guess 16', { 'accept-language': 'en' });
    expect(tooMany.status).toBe(429);
    expect(tooMany.text).toMatch(/Too many attempts: wait \d+ s and try again/);
    expect(Number(tooMany.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('many guessing laptops together are held to the overall budget', async () => {
    const { url } = await startConsole();
    const statuses: number[] = [];
    for (let i = 10; i < 60; i++) statuses.push((await signIn(url, `127.0.1.${i}`, 'a guess')).status);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(30);
    expect(statuses.at(-1)).toBe(429);
    // Time refills it: a minute later a technician gets in again.
    offsetMs += 60_000;
    expect((await signIn(url, '127.0.2.1')).status).toBe(303);
  });

  it('an unknown name costs as much as a wrong password for a known one (the names do not show in the timing)', async () => {
    const { url } = await startConsole();
    const time = async (user: string, from: string) => {
      const t0 = performance.now();
      const r = await call(url, { method: 'POST', path: '/login', headers: FORM, body: form(user, 'wrong password'), from });
      expect(r.status).toBe(401);
      return performance.now() - t0;
    };
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 5; i++) {
      known.push(await time('tech1', `127.0.3.${i + 1}`));
      unknown.push(await time('nobody', `127.0.4.${i + 1}`));
    }
    // Nor in the answer: the same status and page for both.
    const wrongPassword = await call(url, {
      method: 'POST',
      path: '/login',
      headers: FORM,
      body: form('tech1', 'nope'),
      from: '127.0.3.9',
    });
    const wrongName = await call(url, { method: 'POST', path: '/login', headers: FORM, body: form('tech9', 'nope'), from: '127.0.4.9' });
    expect([wrongName.status, wrongName.text]).toEqual([wrongPassword.status, wrongPassword.text]);
    const ratio = median(unknown) / median(known);
    expect(ratio).toBeGreaterThan(0.4);
    expect(ratio).toBeLessThan(2.5);
  });
});

describe('sessions', () => {
  it('a token the attacker planted before sign-in is not adopted; sign-out and idle time end the session', async () => {
    const { url } = await startConsole({ sessionMinutes: 1 });
    const planted = 'gate_console=planted-by-attacker';
    const r = await signIn(url, '127.0.0.1', PASSWORD, { cookie: planted });
    const cookie = String(r.headers['set-cookie']?.[0]).split(';')[0];
    expect(cookie).not.toBe(planted);
    expect((await call(url, { path: '/api/whoami', headers: { cookie: planted } })).status).toBe(401);
    expect((await call(url, { path: '/api/whoami', headers: { cookie } })).status).toBe(200);
    offsetMs += 61_000;
    expect((await call(url, { path: '/api/whoami', headers: { cookie } })).status).toBe(401);
    const second = await session(url);
    const out = await call(url, { method: 'POST', path: '/logout', headers: { cookie: second } });
    expect(out.status).toBe(303);
    expect(out.headers['set-cookie']?.[0]).toMatch(/^gate_console=; .*Max-Age=0/);
    expect((await call(url, { path: '/api/whoami', headers: { cookie: second } })).status).toBe(401);
    // Central's reload-config restarts the process with the new file: a console with a changed password hash knows
    // no session of the old one, and the old password no longer signs in.
    const third = await session(url);
    const { url: reloaded } = await startConsole({
      users: [{ name: 'tech1', passwordHash: await hashPassword('the new password', FAST) }],
    });
    expect((await call(reloaded, { path: '/api/whoami', headers: { cookie: third } })).status).toBe(401);
    expect((await signIn(reloaded)).status).toBe(401);
  });
});

describe('requests from another site', () => {
  it('no state-changing route acts for a simple form POST, a foreign Origin or a cross-site fetch', async () => {
    const { url } = await startConsole();
    const cookie = await session(url);
    const modeBefore = daemon.lane.state.mode;
    for (const path of ['/api/mode', '/api/lane-test', '/api/resync', '/api/doctor', '/api/config-check']) {
      const body = path === '/api/mode' ? '{"mode":"locked"}' : path === '/api/config-check' ? '{"text":"{}"}' : '{}';
      // A form on another site: a simple POST, no custom header (a browser cannot add one without CORS).
      const simple = await call(url, { method: 'POST', path, headers: { cookie, ...FORM, origin: 'http://laptop.example' }, body });
      // fetch() from another site that somehow got the header through.
      const foreign = await call(url, {
        method: 'POST',
        path,
        headers: { cookie, 'content-type': 'application/json', 'x-console': '1', origin: 'http://laptop.example' },
        body,
      });
      const crossSite = await call(url, {
        method: 'POST',
        path,
        headers: { cookie, 'content-type': 'application/json', 'x-console': '1', 'sec-fetch-site': 'same-site' },
        body,
      });
      expect([path, simple.status, foreign.status, crossSite.status]).toEqual([path, 403, 403, 403]);
    }
    expect(daemon.lane.state.mode).toBe(modeBefore);
    // Nor can another site sign the technician out.
    const logout = await call(url, { method: 'POST', path: '/logout', headers: { cookie, origin: 'http://laptop.example' } });
    expect(logout.status).toBe(403);
    expect((await call(url, { path: '/api/whoami', headers: { cookie } })).status).toBe(200);
  });

  it('a name that is not the console (DNS rebinding) gets no page and cannot sign in; the address itself and loopback names can', async () => {
    const { url } = await startConsole();
    const evil = `rebind.example:${url.port}`;
    const page = await call(url, { path: '/login', headers: { host: evil } });
    expect(page.status).toBe(421);
    expect(page.text).not.toContain('sign-in');
    const rebound = await signIn(url, '127.0.0.1', PASSWORD, { host: evil, origin: `http://${evil}`, 'sec-fetch-site': 'same-origin' });
    expect(rebound.status).toBe(421);
    expect(rebound.headers['set-cookie']).toBeUndefined();
    for (const host of [`127.0.0.1:${url.port}`, `localhost:${url.port}`, 'localhost:9000', `[::1]:${url.port}`])
      expect([host, (await call(url, { path: '/login', headers: { host } })).status]).toEqual([host, 200]);
  });
});

describe('the names of the certificate', () => {
  it('with TLS, a name the certificate is for is answered; another is not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gate-console-cert-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:P-256',
          '-nodes',
          '-days',
          '30',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
          '-subj',
          '/CN=gate-07',
          '-addext',
          'subjectAltName=DNS:gate-07.vnp.station.lan',
        ],
        { stdio: 'pipe' },
      );
      const { url } = await startConsole({ tls: { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') } });
      const get = (host: string) =>
        new Promise<number>((resolve, reject) => {
          const req = httpsRequest(
            { host: url.hostname, port: url.port, path: '/login', headers: { host }, rejectUnauthorized: false, agent: false },
            (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            },
          );
          req.on('error', reject);
          req.end();
        });
      expect(await get(`gate-07.vnp.station.lan:${url.port}`)).toBe(200);
      expect(await get(`gate-08.vnp.station.lan:${url.port}`)).toBe(421);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bounded input', () => {
  it('path tricks, unknown methods, huge headers, a bad request line and bad JSON get an error and the console answers on', async () => {
    const { url } = await startConsole();
    const cookie = await session(url);
    for (const path of ['/../../etc/passwd', '/console.js/../../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '//etc/passwd'])
      for (const headers of [{}, { cookie }] as Record<string, string>[]) {
        const r = await call(url, { path, headers });
        expect([path, r.status]).toEqual([path, r.status === 401 ? 401 : 404]);
        expect(r.text).not.toContain('root:');
      }
    expect((await call(url, { method: 'PROPFIND', path: '/', headers: { cookie } })).status).toBe(404);
    expect((await call(url, { method: 'DELETE', path: '/api/mode', headers: { cookie } })).status).toBe(404);
    expect((await call(url, { path: '/login', headers: { 'x-big': 'x'.repeat(64 * 1024) } })).status).toBe(431);
    const badJson = await call(url, {
      method: 'POST',
      path: '/api/mode',
      headers: { cookie, 'content-type': 'application/json', 'x-console': '1' },
      body: '{"mode": [',
    });
    expect([badJson.status, errorBody.parse(JSON.parse(badJson.text)).code]).toEqual([400, 'bad-request']);
    const raw = await rawExchange(url, 'GET http://[ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    expect(raw).toMatch(/^HTTP\/1\.1 (400|404)/);
    expect((await call(url, { path: '/login' })).status).toBe(200);
  });

  it('holds only a few idle connections per address: a laptop opening hundreds does not starve the gate or the technician', async () => {
    const { url } = await startConsole();
    const sockets: Socket[] = [];
    let closedByServer = 0;
    for (let i = 0; i < 200; i++) {
      const s = connect({ host: url.hostname, port: Number(url.port), localAddress: '127.0.0.5' });
      s.on('error', () => undefined);
      s.on('close', () => closedByServer++);
      sockets.push(s);
    }
    try {
      await waitFor(() => closedByServer >= 150, 5000, 'the connections over the cap to be closed');
      expect((await signIn(url, '127.0.0.6')).status).toBe(303);
    } finally {
      for (const s of sockets) s.destroy();
    }
  });

  it('a client that sends its headers a line at a time (slowloris), or nothing at all, is cut off after the headers timeout', async () => {
    const { url } = await startConsole();
    const idle = connect({ host: url.hostname, port: Number(url.port) });
    idle.on('error', () => undefined);
    let idleClosed = false;
    idle.on('close', () => (idleClosed = true));
    const s = connect({ host: url.hostname, port: Number(url.port) });
    s.on('error', () => undefined);
    let closed = false;
    let answer = '';
    s.on('data', (d: Buffer) => (answer += d.toString()));
    s.on('close', () => (closed = true));
    s.write('GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const drip = setInterval(() => !closed && s.write('X-a: b\r\n'), 500);
    const t0 = Date.now();
    try {
      await waitFor(() => closed && idleClosed, 20_000, 'the slow and the idle client to be cut off');
    } finally {
      clearInterval(drip);
      s.destroy();
      idle.destroy();
    }
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(answer).toMatch(/^HTTP\/1\.1 408|^$/);
  }, 30_000);

  it('caps the live streams: a session opening many gets its oldest closed, and all sessions together a fixed number', async () => {
    const { url } = await startConsole();
    const cookie = await session(url);
    const streams = await Promise.all(Array.from({ length: 12 }, () => openStream(url, cookie)));
    try {
      await waitFor(() => streams.filter((s) => s.open()).length <= 4, 5000, 'the session to keep at most 4 streams');
      expect(streams.at(-1)!.open()).toBe(true);
      // Other sessions, each with a stream: past the total cap new ones are refused.
      const others = [];
      for (let i = 0; i < 20; i++) {
        const from = `127.0.5.${i + 1}`;
        offsetMs += 2000; // within the overall sign-in budget
        others.push(await openStream(url, await session(url, from), from));
      }
      streams.push(...others);
      expect(others.filter((s) => s.status === 200).length).toBeLessThan(20);
      expect(others.at(-1)!.status).toBe(503);
    } finally {
      for (const s of streams) s.close();
    }
  });
});

describe('what the console shows', () => {
  it('the live stream and state carry a decision with the first characters of its key only, nothing of the card', async () => {
    const { url } = await startConsole();
    const cookie = await session(url);
    const stream = await openStream(url, cookie, '127.0.0.1', true);
    let fullKey: string | null = null;
    const off = daemon.events.on('decision', (d) => (fullKey = d.docKey));
    try {
      world.reader.placeCard(CARDS.resident);
      await waitFor(() => fullKey !== null, 10_000, 'the gate to decide on the card');
      await waitFor(() => stream.text().includes(fullKey!.slice(0, 6)), 5000, 'the decision on the live stream');
      const state = await call(url, { path: '/api/state', headers: { cookie } });
      for (const shown of [stream.text(), state.text]) {
        expect(shown).toContain(`${fullKey!.slice(0, 6)}…`);
        for (const personal of [fullKey!.slice(0, 7), CARDS.resident.number, CARDS.resident.name, CARDS.resident.address, '19491231'])
          expect(shown).not.toContain(personal);
      }
    } finally {
      off();
      world.reader.removeCard();
      stream.close();
    }
  });

  it('the config page masks every secret: document keys, the MQTT password and key, the password hashes', async () => {
    const secrets = {
      secret: 'S3cret-document-key-0123456789-abcdef-XYZ',
      secretNext: 'N3xt-document-key-0123456789-abcdef-QRSTU',
      mqttPassword: 'mqtt-password-41',
      mqttKey: '-----BEGIN PRIVATE KEY-----\nMQTTKEYBYTES\n-----END PRIVATE KEY-----\n',
    };
    const { url } = await startConsole(
      {},
      {
        secret: secrets.secret,
        secretNext: secrets.secretNext,
        mqtt: {
          ...baseConfig.mqtt,
          password: secrets.mqttPassword,
          tls: { ca: '/nonexistent/ca.pem', cert: '/nonexistent/cert.pem', key: secrets.mqttKey },
        } as GateConfig['mqtt'],
      },
    );
    const cookie = await session(url);
    const r = await call(url, { path: '/api/config', headers: { cookie } });
    expect(r.status).toBe(200);
    const text = z.object({ text: z.string() }).parse(JSON.parse(r.text)).text;
    for (const value of [...Object.values(secrets), passwordHash, 'KEYBYTES']) expect(text).not.toContain(value);
    expect(text.match(/"\*\*\*"/g)?.length).toBeGreaterThanOrEqual(5);
  });

  it('every page and error carries the security headers and is not cached', async () => {
    const { url } = await startConsole();
    const cookie = await session(url);
    for (const [path, headers] of [
      ['/login', {}],
      ['/', { cookie }],
      ['/api/state', { cookie }],
      ['/api/state', {}],
      ['/nowhere', { cookie }],
    ] as const) {
      const r = await call(url, { path, headers });
      expect([path, r.headers['content-security-policy']]).toEqual([path, expect.stringContaining("frame-ancestors 'none'")]);
      expect(r.headers['content-security-policy']).toContain("default-src 'none'");
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['x-frame-options']).toBe('DENY');
      expect(r.headers['cache-control']).toBe('no-store');
    }
  });
});

/** Send raw bytes and return what the server answered before it closed (or 2 s passed). */
function rawExchange(url: URL, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: url.hostname, port: Number(url.port) });
    let answer = '';
    s.on('data', (d: Buffer) => (answer += d.toString()));
    s.on('error', () => resolve(answer));
    s.on('close', () => resolve(answer));
    s.write(bytes);
    setTimeout(() => s.destroy(), 2000).unref();
  });
}

interface Stream {
  status: number;
  /** What the stream sent so far (kept only when asked). */
  text(): string;
  open(): boolean;
  close(): void;
}

function openStream(url: URL, cookie: string, from = '127.0.0.1', keep = false): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: '/api/live', headers: { cookie }, agent: false, localAddress: from },
      (res) => {
        let open = true;
        let text = '';
        res.on('data', (d: Buffer) => {
          if (keep) text += d.toString('utf8');
        });
        res.on('close', () => (open = false));
        res.on('end', () => (open = false));
        resolve({ status: res.statusCode ?? 0, text: () => text, open: () => open && res.statusCode === 200, close: () => req.destroy() });
      },
    );
    req.on('error', reject);
    req.end();
  });
}
