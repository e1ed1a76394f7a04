// With console.tls set, `gate run` serves the console over HTTPS only: the certificate is the configured one, the
// session cookie is Secure, HttpOnly and SameSite=Strict, and plain HTTP on the same port gets no page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { hashPassword } from '../../src/console/password.js';
import { waitFor } from '../../src/util/wait.js';
import { makePki } from '../support/pki.js';
import { startLoadedGate, startWorld, type GateProcess, type World } from '../daemon/world.js';
import { consoleUrlFromLog } from './browser.js';
import { parseJson } from '../support/json.js';
import { z } from 'zod';

const PASSWORD = 'tls console password';
let world: World;
let gate: GateProcess;
let pkiDir: string;
let ca: string;
let url: URL;

let cookie = '';

function call(
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<{ res: IncomingMessage; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: url.hostname,
        port: url.port,
        path,
        method,
        ca,
        // The Host header may name another host than the one dialled (the DNS-rebinding probe); the certificate is
        // still checked against the CA.
        servername: 'localhost',
        headers: { ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString('utf8')));
        res.on('end', () => resolve({ res, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  pkiDir = mkdtempSync(join(tmpdir(), 'gate-console-pki-'));
  const pki = makePki(pkiDir);
  ca = readFileSync(pki.ca, 'utf8');
  const passwordHash = await hashPassword(PASSWORD, { N: 1 << 12, r: 8, p: 1 });
  world = await startWorld({
    extraConfig: {
      console: { enabled: true, port: 0, tls: { cert: pki.serverCert, key: pki.serverKey }, users: [{ name: 'tech2', passwordHash }] },
    },
  });
  gate = await startLoadedGate(world);
  await waitFor(() => consoleUrlFromLog(gate.log()) !== null, 10_000, 'the console to listen');
  url = new URL(consoleUrlFromLog(gate.log())!);
}, 60_000);

afterAll(async () => {
  await world?.close();
  if (pkiDir) rmSync(pkiDir, { recursive: true, force: true });
});

describe('the console over HTTPS', () => {
  it('listens on https with the configured certificate and signs in with a Secure cookie', async () => {
    expect(url.protocol).toBe('https:');
    const login = await call('GET', '/login');
    expect(login.res.statusCode).toBe(200);
    expect(login.text).toContain('id="sign-in"');
    const signIn = await call('POST', '/login', new URLSearchParams({ user: 'tech2', password: PASSWORD }).toString());
    expect(signIn.res.statusCode).toBe(303);
    const setCookie = signIn.res.headers['set-cookie']![0];
    expect(setCookie).toMatch(/^gate_console=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/);
    cookie = setCookie.split(';')[0];
    const who = await call('GET', '/api/whoami', undefined, { cookie });
    expect(JSON.parse(who.text)).toEqual({ user: 'tech2' });
  });

  it('refuses actions from another site, without the console header, or with a bad body, and runs on', async () => {
    const act = (headers: Record<string, string>, body: string) =>
      call('POST', '/api/mode', body, { cookie, 'content-type': 'application/json', ...headers });
    const crossSite = await act({ 'x-console': '1', 'sec-fetch-site': 'cross-site' }, '{"mode":"locked"}');
    expect([crossSite.res.statusCode, parseJson(z.looseObject({ code: z.string() }), crossSite.text).code]).toEqual([403, 'forbidden']);
    const otherOrigin = await act({ 'x-console': '1', origin: 'https://evil.example' }, '{"mode":"locked"}');
    expect(otherOrigin.res.statusCode).toBe(403);
    const noHeader = await act({}, '{"mode":"locked"}');
    expect(noHeader.res.statusCode).toBe(403);
    const notJson = await act({ 'x-console': '1' }, '{"mode":');
    expect([notJson.res.statusCode, JSON.parse(notJson.text)]).toEqual([
      400,
      { ok: false, code: 'bad-request', line: 'the request body is not JSON' },
    ]);
    const extra = await act({ 'x-console': '1' }, '{"mode":"locked","__proto__":{"x":1}}');
    expect(extra.res.statusCode).toBe(400);
    const huge = await act({ 'x-console': '1' }, JSON.stringify({ mode: 'x'.repeat(300 * 1024) })).catch((err: Error) => ({
      res: { statusCode: -1 },
      text: err.message,
    }));
    expect([400, -1]).toContain(huge.res.statusCode);
    // None of it changed the lane, and the same process still answers.
    expect(world.mcu.mode).toBe('normal');
    const ok = await act({ 'x-console': '1' }, '{"mode":"maintenance"}');
    expect(JSON.parse(ok.text)).toEqual({ ok: true, line: 'lane mode is now maintenance' });
    await waitFor(() => world.mcu.mode === 'maintenance', 5000, 'the MCU in maintenance mode');
  });

  it('answers the names of its certificate and addresses, not another name (DNS rebinding)', async () => {
    const byName = await call('GET', '/login', undefined, { host: `localhost:${url.port}` });
    expect(byName.res.statusCode).toBe(200);
    const rebound = await call('GET', '/login', undefined, { host: `rebind.example:${url.port}` });
    expect([rebound.res.statusCode, parseJson(z.looseObject({ code: z.string() }), rebound.text).code]).toEqual([421, 'wrong-host']);
  });

  it('answers no page to plain HTTP on the same port', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const req = httpRequest({ host: url.hostname, port: url.port, path: '/login' }, (res) => resolve(`status ${res.statusCode}`));
      req.on('error', (err: NodeJS.ErrnoException) => resolve(`error ${err.code ?? err.message}`));
      req.end();
    });
    expect(outcome).not.toMatch(/^status 200/);
  });
});
