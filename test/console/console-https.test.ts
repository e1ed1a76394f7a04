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

const PASSWORD = 'tls console password';
let world: World;
let gate: GateProcess;
let pkiDir: string;
let ca: string;
let url: URL;

function call(method: string, path: string, body?: string): Promise<{ res: IncomingMessage; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: url.hostname, port: url.port, path, method, ca, headers: body ? { 'content-type': 'application/x-www-form-urlencoded' } : {} }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString('utf8')));
      res.on('end', () => resolve({ res, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  pkiDir = mkdtempSync(join(tmpdir(), 'gate-console-pki-'));
  const pki = makePki(pkiDir);
  ca = readFileSync(pki.ca, 'utf8');
  const passwordHash = await hashPassword(PASSWORD, { N: 1 << 12, r: 8, p: 1 });
  world = await startWorld({ extraConfig: { console: { enabled: true, port: 0, tls: { cert: pki.serverCert, key: pki.serverKey }, users: [{ name: 'tech2', passwordHash }] } } });
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
    const cookie = signIn.res.headers['set-cookie']![0];
    expect(cookie).toMatch(/^gate_console=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/);
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
