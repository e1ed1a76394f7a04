// End to end through a real Mosquitto: central's reference feed publishes, the gate's sync worker (its own thread and
// SQLite connection, persistent MQTT session) applies into a real file that the test reads on another connection.
import { mqttConfig } from '../mqtt/helpers.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { startLocalBroker, type LocalBroker } from '../../src/mqtt/local-broker.js';
import { openDb, type Db } from '../../src/cache/db.js';
import { SqliteCacheView, cacheCounts } from '../../src/cache/view.js';
import { CentralFeed } from '../../src/central/feed.js';
import { connectCentral } from '../../src/central/publish.js';
import { buildDelta } from '../../src/central/build.js';
import { SyncService } from '../../src/sync/service.js';
import type { AlarmEvent, NewEvent } from '../../src/gate/events.js';
import { SECRET, STATION, newKey, passenger, snapshotFile, tempDir, ticket } from './fixtures.js';

const central = newKey();
let broker: LocalBroker;
let tmp: ReturnType<typeof tempDir>;
let client: MqttClient;
let feed: CentralFeed;
let db: Db;
let svc: SyncService | undefined;
let alarms: NewEvent<AlarmEvent>[];
let resyncs: string[];
let refused: Record<string, number>;
let gateSeq = 0;
let gate = '';

beforeAll(async () => {
  broker = await startLocalBroker();
});
afterAll(async () => {
  await broker.close();
});
beforeEach(async () => {
  tmp = tempDir();
  db = openDb(join(tmp.dir, 'gate.db'));
  client = await connectCentral(broker.url);
  feed = new CentralFeed({ docSecret: SECRET, client, key: central.key, station: STATION, chunkRows: 50 });
  alarms = [];
  resyncs = [];
  refused = {};
  gate = `g${++gateSeq}`; // a fresh MQTT session per test
});
afterEach(async () => {
  await svc?.stop();
  svc = undefined;
  await client.endAsync();
  db.close();
  tmp.cleanup();
});

async function startGate(machine = { reorderWindowMs: 300, headGraceMs: 300, resyncRetryMs: 500 }) {
  svc = await SyncService.start({
    dbPath: join(tmp.dir, 'gate.db'),
    secret: SECRET,
    station: STATION,
    gate,
    mqtt: mqttConfig([broker.url]),
    centralPublicKeys: [central.publicPem],
    machine,
    tickMs: 50,
    logLevel: 'silent',
    onAlarm: (a) => alarms.push(a),
    onRefused: (code, n) => (refused[code] = (refused[code] ?? 0) + n),
  });
  svc.on('resync-requested', (r) => resyncs.push(r.reason));
  await new Promise<void>((resolve) => svc!.once('connected', () => resolve()));
  return svc;
}

const view = () => new SqliteCacheView(db, SECRET);
const ticketStatus = (i: number) =>
  view()
    .tickets([view().keyOf(ticket(i))])
    .find((t) => t.id === ticket(i).id)?.status;
const seqNow = () => view().syncState()?.seq;

async function until(what: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const refund = (i: number) => ({ upserts: { passengers: [], tickets: [ticket(i, 'refunded')] }, deletes: { passengers: [], tickets: [] } });

describe('sync over MQTT', () => {
  it('a fresh gate asks for data, gets the snapshot, then follows deltas', async () => {
    await feed.snapshot(snapshotFile(120));
    const stopServing = await feed.serveResync();
    await startGate();
    // The retained head tells the empty gate that data exists; it asks; central answers with a snapshot.
    await until(() => view().syncState()?.epoch === String(feed.epoch));
    expect(cacheCounts(db)).toMatchObject({ passengers: 120, tickets: 120 });
    expect(feed.requests.map((r) => [r.gate, r.reason])).toEqual([[gate, 'no-data']]);

    await feed.delta(refund(1));
    await feed.delta({
      upserts: { passengers: [passenger(2, 'rejected')], tickets: [] },
      deletes: { passengers: [], tickets: [ticket(3).id] },
    });
    await until(() => seqNow() === 2);
    expect(ticketStatus(1)).toBe('refunded');
    expect(ticketStatus(3)).toBeUndefined();
    expect(view().passenger(view().keyOf(passenger(2)))?.status).toBe('rejected');
    expect(alarms).toEqual([]);
    await stopServing();
  });

  it('a lost delta leads to a resync request, answered with the missing delta', async () => {
    await startGate();
    await feed.snapshot(snapshotFile(10));
    await until(() => seqNow() === 0);
    const stopServing = await feed.serveResync();
    await feed.delta(refund(1), { publish: false }); // lost on the way
    await feed.delta(refund(2));
    await until(() => seqNow() === 2);
    // Either trigger is right: the next delta shows the gap, or the retained head arriving first shows the gate behind.
    expect(feed.requests.map((r) => r.have)).toEqual([{ epoch: feed.epoch, seq: 0 }]);
    expect(['gap', 'behind-head']).toContain(feed.requests[0].reason);
    expect(ticketStatus(1)).toBe('refunded');
    expect(ticketStatus(2)).toBe('refunded');
    await stopServing();
  });

  it('a lost LAST delta is noticed from the retained head', async () => {
    await startGate();
    await feed.snapshot(snapshotFile(10));
    await until(() => seqNow() === 0);
    const stopServing = await feed.serveResync();
    await feed.delta(refund(1), { publish: false });
    await feed.heartbeat(); // the head now names seq 1
    await until(() => seqNow() === 1);
    expect(feed.requests.map((r) => r.reason)).toEqual(['behind-head']);
    await stopServing();
  });

  it('duplicates change nothing and raise no alarm', async () => {
    await startGate();
    await feed.snapshot(snapshotFile(10));
    await until(() => seqNow() === 0);
    await feed.delta(refund(1));
    await feed.delta({ upserts: { passengers: [], tickets: [ticket(1, 'valid')] }, deletes: { passengers: [], tickets: [] } });
    await until(() => seqNow() === 2);
    await feed.republish(1);
    await feed.delta(refund(5));
    await until(() => seqNow() === 3);
    expect(ticketStatus(1)).toBe('valid');
    expect(alarms).toEqual([]);
  });

  it('a tampered delta is refused, counted for the refusal tally (no alarm row per batch), and the cache stays as it was', async () => {
    await startGate();
    await feed.snapshot(snapshotFile(10));
    await until(() => seqNow() === 0);
    const { messages } = buildDelta(refund(1), {
      docSecret: SECRET,
      key: central.key,
      station: STATION,
      epoch: feed.epoch,
      seq: 1,
      now: new Date(),
    });
    const bad = Buffer.from(messages[0].payload.toString().replace('refunded', 'used-exit'));
    await client.publishAsync(messages[0].topic, bad, { qos: 1 });
    const wrongKey = newKey();
    const other = buildDelta(refund(1), {
      docSecret: SECRET,
      key: wrongKey.key,
      station: STATION,
      epoch: feed.epoch,
      seq: 1,
      now: new Date(),
    }).messages[0];
    await client.publishAsync(other.topic, other.payload, { qos: 1 });
    await until(() => Object.values(refused).reduce((a, n) => a + n, 0) === 2);
    expect(refused).toEqual({ 'bad-signature': 1, 'unknown-key': 1 });
    expect(alarms).toEqual([]);
    expect(ticketStatus(1)).toBe('valid');
    expect(seqNow()).toBe(0);
  });

  it('refuses an oversized message unread, and never receives one over the largest limit (MQTT 5 maximum packet size)', async () => {
    await startGate();
    await feed.snapshot(snapshotFile(10));
    await until(() => seqNow() === 0);
    // A head of 5 KiB (limit 4 KiB): delivered by the broker, refused before parsing.
    await client.publishAsync(`stations/v1/${STATION}/sync/head`, Buffer.alloc(5 * 1024, 0x5b), { qos: 1 });
    await until(() => refused['too-large'] === 1);
    // A 9 MiB chunk is over every limit: the broker does not send it to the gate at all. The delta published after
    // it on the same session arrives and applies, and nothing more was refused in between.
    await client.publishAsync(`stations/v1/${STATION}/sync/snapshot/${feed.epoch}/chunk/0`, Buffer.alloc(9 * 1024 * 1024, 0x5b), {
      qos: 1,
    });
    await feed.delta(refund(1));
    await until(() => seqNow() === 1);
    expect(ticketStatus(1)).toBe('refunded');
    expect(refused).toEqual({ 'too-large': 1 });
  });

  it('a gate offline while deltas are published catches up from its persistent session', async () => {
    await startGate();
    await feed.snapshot(snapshotFile(10));
    await until(() => seqNow() === 0);
    await svc!.stop();
    svc = undefined;
    for (let i = 1; i <= 5; i++) await feed.delta(refund(i));
    resyncs = [];
    await startGate();
    await until(() => seqNow() === 5);
    for (let i = 1; i <= 5; i++) expect(ticketStatus(i)).toBe('refunded');
    expect(resyncs).toEqual([]); // caught up from the broker's queue, no resync needed
  });

  it('a new epoch replaces the cache', async () => {
    await startGate();
    await feed.snapshot(snapshotFile(30));
    await until(() => seqNow() === 0);
    await feed.delta(refund(1));
    await until(() => seqNow() === 1);
    const first = feed.epoch;
    await feed.snapshot({ ...snapshotFile(0), passengers: [passenger(100)], tickets: [ticket(100)] });
    await until(() => view().syncState()?.epoch === String(feed.epoch));
    expect(feed.epoch).toBeGreaterThan(first);
    expect(cacheCounts(db)).toMatchObject({ passengers: 1, tickets: 1 });
    expect(ticketStatus(100)).toBe('valid');
  });
});
