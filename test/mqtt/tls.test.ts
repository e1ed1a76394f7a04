// TLS with client certificates and username/password against a mosquitto that requires both. The CA, server and
// client certificates are made here with openssl.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalBroker, type LocalBroker } from '../../src/mqtt/local-broker.js';
import { MqttConnection } from '../../src/mqtt/connection.js';
import { GateReporter } from '../../src/mqtt/reporter.js';
import { healthySnapshot, mqttConfig, recorder, tempGate, until } from './helpers.js';
import { makePki } from '../support/pki.js';

function makePkiWithPassword(dir: string): void {
  makePki(dir);
  execFileSync('mosquitto_passwd', ['-b', '-c', join(dir, 'passwd'), 'gate03', 'right-password']);
}

describe('TLS with client certificates', () => {
  let dir: string;
  let broker: LocalBroker;
  const tls = () => ({ ca: join(dir, 'ca.crt'), cert: join(dir, 'client.crt'), key: join(dir, 'client.key'), rejectUnauthorized: true });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gate-pki-'));
    makePkiWithPassword(dir);
    broker = await startLocalBroker({
      listenerLines: [
        `cafile ${join(dir, 'ca.crt')}`,
        `certfile ${join(dir, 'server.crt')}`,
        `keyfile ${join(dir, 'server.key')}`,
        'require_certificate true',
        'allow_anonymous false',
        `password_file ${join(dir, 'passwd')}`,
      ],
    });
  });
  afterAll(async () => {
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes events with the CA, client certificate and key, username and password from config', async () => {
    expect(broker.url.startsWith('mqtts://')).toBe(true);
    const g = tempGate('BJP', '03');
    const cfg = mqttConfig([broker.url], { tls: tls(), username: 'gate03', password: 'right-password' });
    const read = (f: string) => readFileSync(join(dir, f));
    const r = await recorder(broker.url, 'gates/v1/BJP/03/events/#', {
      ca: read('ca.crt'),
      cert: read('client.crt'),
      key: read('client.key'),
      username: 'gate03',
      password: 'right-password',
    });
    const reporter = new GateReporter({
      store: g.store,
      mqtt: cfg,
      status: () => healthySnapshot(g.store),
      onCommand: () => ({ ok: true, code: 'ok' }),
    });
    g.store.recordAlarm({ kind: 'alarm', at: new Date().toISOString(), type: 'power', detail: null, active: true });
    reporter.start();
    try {
      await until(() => r.messages.length === 1, 10_000, 'event over TLS');
      // Marked sent once its PUBACK is in (marks are batched, so this follows the delivery by up to a flush delay).
      await until(() => g.store.outbox.counts().pending === 0, 10_000, 'the event marked sent');
    } finally {
      await reporter.stop();
      await r.close();
      g.close();
    }
  });

  it.each([
    ['without a client certificate', () => ({ ca: join(dir, 'ca.crt'), rejectUnauthorized: true }), 'right-password'],
    ['with a wrong password', () => tls(), 'wrong-password'],
  ])('refuses a client %s', async (_what, tlsFor, password) => {
    const conn = new MqttConnection(mqttConfig([broker.url], { tls: tlsFor(), username: 'gate03', password }), { random: () => 0 });
    const reasons: string[] = [];
    conn.events.on('retry', (e) => reasons.push(e.reason));
    let up = false;
    conn.events.on('up', () => (up = true));
    conn.start();
    try {
      await until(() => reasons.length >= 2, 10_000, 'refused attempts');
      expect(up).toBe(false);
    } finally {
      await conn.stop();
    }
  });
});
