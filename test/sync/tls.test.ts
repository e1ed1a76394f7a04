// Sync on a secured broker: a TLS-only Mosquitto that requires a client certificate signed by the station's CA. The
// sync worker gets the gate's whole `mqtt` config (a dead fallback URL first, then the broker; CA, certificate, key and
// server name) and loads a genuinely signed snapshot, then follows a delta. Before issue 13 the worker took only
// urls[0] with a username and never connected here.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/cache/db.js';
import { SqliteCacheView, cacheCounts } from '../../src/cache/view.js';
import { CentralFeed } from '../../src/central/feed.js';
import { connectCentral } from '../../src/central/publish.js';
import { freePort, startLocalBroker, type LocalBroker } from '../../src/mqtt/local-broker.js';
import { SyncService } from '../../src/sync/service.js';
import { waitFor } from '../../src/util/wait.js';
import { makePki } from '../support/pki.js';
import { mqttConfig } from '../mqtt/helpers.js';
import { SECRET, STATION, newKey, snapshotFile, ticket } from './fixtures.js';

describe('sync over TLS with client certificates', () => {
  let dir: string;
  let pki: ReturnType<typeof makePki>;
  let broker: LocalBroker;
  let central: MqttClient;
  let db: Db;
  const key = newKey();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gate-sync-tls-'));
    pki = makePki(dir);
    broker = await startLocalBroker({
      listenerLines: [
        `cafile ${pki.ca}`,
        `certfile ${pki.serverCert}`,
        `keyfile ${pki.serverKey}`,
        'require_certificate true',
        'use_identity_as_username true',
        'allow_anonymous false',
      ],
    });
    central = await connectCentral(broker.url, {
      tls: { ca: readFileSync(pki.ca), cert: readFileSync(pki.clientCert), key: readFileSync(pki.clientKey) },
    });
    db = openDb(join(dir, 'gate.db'));
  });
  afterAll(async () => {
    await central?.endAsync();
    db?.close();
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails over from a dead URL, connects with the CA, client certificate and server name, and loads the snapshot', async () => {
    const dead = `mqtts://127.0.0.1:${await freePort()}`;
    // The URL names the broker by IP; the certificate is checked against the configured server name as well.
    const mqtt = mqttConfig([dead, broker.url], {
      tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey, rejectUnauthorized: true, serverName: 'localhost' },
    });
    const feed = new CentralFeed({ docSecret: SECRET, client: central, key: key.key, station: STATION, chunkRows: 50 });
    const svc = await SyncService.start({
      dbPath: join(dir, 'gate.db'),
      secret: SECRET,
      station: STATION,
      gate: 'tls1',
      mqtt,
      centralPublicKeys: [key.publicPem],
      tickMs: 50,
      logLevel: 'silent',
    });
    try {
      await new Promise<void>((r) => svc.once('connected', () => r()));
      await feed.snapshot(snapshotFile(40));
      const view = new SqliteCacheView(db, SECRET);
      await waitFor(() => view.syncState()?.epoch === String(feed.epoch), 15_000, 'the snapshot over TLS');
      expect(cacheCounts(db)).toMatchObject({ passengers: 40, tickets: 40 });
      await feed.delta({ upserts: { passengers: [], tickets: [ticket(1, 'refunded')] }, deletes: { passengers: [], tickets: [] } });
      await waitFor(() => view.syncState()?.seq === 1, 10_000, 'the delta over TLS');
      expect(view.tickets([view.keyOf(ticket(1))])[0]?.status).toBe('refunded');
    } finally {
      await svc.stop();
    }
  });

  it('a client without a certificate is refused by the broker: the TLS settings are what let sync in', async () => {
    const mqtt = mqttConfig([broker.url], { tls: { ca: pki.ca, rejectUnauthorized: true } });
    const svc = await SyncService.start({
      dbPath: join(dir, 'gate.db'),
      secret: SECRET,
      station: STATION,
      gate: 'tls2',
      mqtt,
      centralPublicKeys: [key.publicPem],
      tickMs: 50,
      logLevel: 'silent',
    });
    let connected = false;
    svc.on('connected', () => (connected = true));
    const logBefore = broker.log().length;
    try {
      // Settled when the broker has refused the handshake twice (its log says why), not after a sleep.
      const refusals = () =>
        (
          broker
            .log()
            .slice(logBefore)
            .match(/certificate/gi) ?? []
        ).length;
      await waitFor(() => refusals() >= 2, 15_000, 'the broker refusing the handshake twice');
      expect(connected).toBe(false);
    } finally {
      await svc.stop();
    }
  });
});
