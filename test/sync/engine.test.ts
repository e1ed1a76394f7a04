// The engine against a real SQLite file, without a broker: bytes in, cache rows out.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { docKeyIdOf } from '../../src/cache/keyed.js';
import { join } from 'node:path';
import { openDb, type Db } from '../../src/cache/db.js';
import { SqliteCacheView, cacheCounts } from '../../src/cache/view.js';
import { buildDelta, buildHead, buildSnapshot, type OutMessage } from '../../src/central/build.js';
import { CacheApplier } from '../../src/sync/apply.js';
import { SyncEngine, type Rejection } from '../../src/sync/engine.js';
import { KeyRing } from '../../src/sync/verify.js';
import { readSyncStatus } from '../../src/sync/status.js';
import { chunkSchema, resyncRequestSchema, topics, type ResyncRequest } from '../../src/sync/wire.js';
import { GateStore } from '../../src/daemon/gate-store.js';
import { SECRET, STATION, newKey, passenger, snapshotFile, tempDir, ticket } from './fixtures.js';
import { parseJson } from '../support/json.js';

const central = newKey();
const intruder = newKey();

let tmp: ReturnType<typeof tempDir>;
let db: Db;
let engine: SyncEngine;
let rejected: Rejection[];
let requests: ResyncRequest[];
let now: number;

function makeEngine(keys = [central.publicPem]) {
  const applier = new CacheApplier(db, { station: STATION, secret: SECRET, stagePath: join(tmp.dir, 'stage.db') });
  return new SyncEngine({
    station: STATION,
    gate: '01',
    keys: new KeyRing(keys),
    applier,
    db,
    clock: () => now,
    publish: (topic, payload) => {
      expect(topic).toBe(topics.resyncRequest(STATION, '01'));
      requests.push(parseJson(resyncRequestSchema, payload.toString()));
    },
    onRejected: (r) => rejected.push(r),
  });
}

const send = (msgs: OutMessage[]) => msgs.forEach((m) => engine.handle(m.topic, m.payload));
const view = () => new SqliteCacheView(db, SECRET);
const ticketStatus = (i: number) =>
  view()
    .tickets([view().keyOf(ticket(i))])
    .find((t) => t.id === ticket(i).id)?.status;
const snapshot = (n: number, epoch: number) =>
  buildSnapshot(snapshotFile(n), { docSecret: SECRET, key: central.key, epoch, chunkRows: 7 }).messages;
const delta = (seq: number, file: Parameters<typeof buildDelta>[0], epoch = 100, key = central.key) =>
  buildDelta(file, { docSecret: SECRET, key, station: STATION, epoch, seq, now: new Date(now) }).messages;
/** The chunk schema as the gate parses a chunk: strict, so a member the wire format does not have is malformed. */
const openChunkLike = (c: unknown) => chunkSchema.parse(c);
const emptyDelta = { upserts: { passengers: [], tickets: [] }, deletes: { passengers: [], tickets: [] } };

beforeEach(() => {
  tmp = tempDir();
  db = openDb(join(tmp.dir, 'gate.db'));
  rejected = [];
  requests = [];
  now = Date.parse('2026-03-01T06:00:00Z');
  engine = makeEngine();
});
afterEach(() => {
  db.close();
  tmp.cleanup();
});

describe('sync engine on a real SQLite file', () => {
  it('loads a chunked snapshot, then applies deltas: refunds, uses elsewhere, verification changes, deletes', () => {
    send(snapshot(20, 100));
    expect(cacheCounts(db)).toMatchObject({ passengers: 20, tickets: 20 });
    expect(view().syncState()).toMatchObject({ station: STATION, epoch: '100', seq: 0 });

    send(
      delta(1, {
        upserts: { passengers: [passenger(3, 'rejected')], tickets: [ticket(4, 'refunded'), ticket(5, 'used-entry')] },
        deletes: { passengers: [], tickets: [] },
      }),
    );
    send(
      delta(2, { upserts: { passengers: [], tickets: [ticket(50)] }, deletes: { passengers: [passenger(6)], tickets: [ticket(7).id] } }),
    );
    expect(ticketStatus(4)).toBe('refunded');
    expect(ticketStatus(5)).toBe('used-entry');
    expect(ticketStatus(7)).toBeUndefined();
    expect(view().passenger(view().keyOf(passenger(3)))?.status).toBe('rejected');
    expect(view().passenger(view().keyOf(passenger(6)))).toBeUndefined();
    expect(cacheCounts(db)).toMatchObject({ passengers: 19, tickets: 20 });
    expect(view().syncState()).toMatchObject({ epoch: '100', seq: 2 });
    expect(rejected).toEqual([]);
  });

  it("carries a ticket's fare, concession check, registered journey and calling stations through snapshot and delta (issue 17)", () => {
    const student = {
      ...ticket(3),
      fare: 'student' as const,
      concessionVerified: true,
      registeredJourney: { from: 'SHH', to: 'VNP' },
      calls: ['SHH', 'NJH', 'VNP'],
    };
    const file = snapshotFile(5);
    file.tickets = file.tickets.map((t) => (t.id === student.id ? student : t));
    send(buildSnapshot(file, { docSecret: SECRET, key: central.key, epoch: 100, chunkRows: 2 }).messages);
    const read = (i: number) =>
      view()
        .tickets([view().keyOf(ticket(i))])
        .find((t) => t.id === ticket(i).id);
    expect(read(3)).toMatchObject({
      fare: 'student',
      concessionVerified: true,
      registeredJourney: { from: 'SHH', to: 'VNP' },
      calls: ['SHH', 'NJH', 'VNP'],
    });
    expect(read(2)).not.toHaveProperty('fare'); // an adult ticket reads back as before
    send(
      delta(1, {
        upserts: {
          passengers: [],
          tickets: [
            { ...ticket(2), fare: 'child' },
            { ...student, concessionVerified: false },
          ],
        },
        deletes: { passengers: [], tickets: [] },
      }),
    );
    expect(read(2)).toMatchObject({ fare: 'child' });
    expect(read(3)).toMatchObject({ fare: 'student', concessionVerified: false });
    expect(rejected).toEqual([]);
  });

  it("central's resync command: the gate asks for the snapshot and loads it again, even of the epoch it holds", () => {
    send(snapshot(20, 100));
    send(snapshot(20, 100)); // a redelivery of the epoch held is dropped...
    expect(requests).toEqual([]);
    // ...a cache damaged behind the sync's back (or suspected so by central) is what the command is for.
    db.prepare('DELETE FROM tickets').run();
    engine.reload();
    expect(requests.map((r) => r.reason)).toEqual(['requested']);
    // An old manifest of the epoch held, replayed by anyone after the command, is still not taken...
    send(snapshot(20, 100));
    expect(cacheCounts(db)).toMatchObject({ tickets: 0 });
    // ...only once central has signed a head after the request that names the epoch.
    now += 1000;
    send([
      buildHead(central.key, {
        docKeyId: docKeyIdOf(SECRET),
        station: STATION,
        epoch: 100,
        seq: 0,
        generatedAt: new Date(now).toISOString(),
      }),
    ]);
    send(snapshot(20, 100));
    expect(cacheCounts(db)).toMatchObject({ passengers: 20, tickets: 20 });
    expect(view().syncState()).toMatchObject({ epoch: '100', seq: 0 });
    // Done: the next redelivery is a duplicate again.
    db.prepare('DELETE FROM tickets').run();
    send(snapshot(20, 100));
    expect(cacheCounts(db)).toMatchObject({ tickets: 0 });
  });

  it("central's delta clears a sibling use (a forged or mistaken passage at another gate), never the gate's own", () => {
    send(snapshot(3, 100));
    const store = new GateStore(db, { station: STATION, gate: '01' });
    const passage = (gate: string, ticketId: string) => ({
      eventId: '01900000-0000-7000-8000-00000000000' + ticketId.slice(-1),
      seq: 1,
      station: STATION,
      gate,
      at: new Date(now).toISOString(),
      kind: 'passage' as const,
      direction: 'entry' as const,
      outcome: 'passed' as const,
      ticketId,
      docKey: 'k',
      decisionEventId: null,
    });
    expect(store.ledger.recordSiblingPassage(passage('07', ticket(0).id))).toBe(true);
    store.recordPassage({
      kind: 'passage',
      at: new Date(now).toISOString(),
      direction: 'entry',
      outcome: 'passed',
      ticketId: ticket(1).id,
      docKey: 'k',
      decisionEventId: null,
    });
    send(
      delta(1, {
        ...emptyDelta,
        clearUses: [
          { ticketId: ticket(0).id, direction: 'entry' },
          { ticketId: ticket(1).id, direction: 'entry' },
        ],
      }),
    );
    expect(rejected).toEqual([]);
    expect(db.prepare('SELECT ticket_id, source FROM ledger ORDER BY ticket_id').all()).toEqual([
      { ticket_id: ticket(1).id, source: 'local' },
    ]);
    expect(view().syncState()?.seq).toBe(1);
    // The same signed passage replayed from the broker does not take the ticket again.
    expect(store.ledger.recordSiblingPassage(passage('07', ticket(0).id))).toBe(false);
    expect(db.prepare("SELECT 1 FROM ledger WHERE source = 'sibling'").all()).toEqual([]);
  });

  it('drops a redelivered delta', () => {
    send(snapshot(3, 100));
    const d1 = delta(1, { ...emptyDelta, upserts: { passengers: [], tickets: [ticket(0, 'refunded')] } });
    send(d1);
    send(delta(2, { ...emptyDelta, upserts: { passengers: [], tickets: [ticket(0, 'valid')] } }));
    send(d1); // QoS 1 redelivery of an older batch must not undo seq 2
    expect(ticketStatus(0)).toBe('valid');
    expect(view().syncState()?.seq).toBe(2);
  });

  it.each([
    ['a tampered byte', 'bad-signature'],
    ['a wrong key', 'unknown-key'],
    ['a missing signature', 'unsigned'],
    ['another station', 'station-mismatch'],
  ])('refuses a delta with %s, leaves the cache as it was and raises the alarm', (what, code) => {
    send(snapshot(3, 100));
    const before = db.prepare('SELECT * FROM tickets ORDER BY id').all();
    let [msg] = delta(1, { ...emptyDelta, upserts: { passengers: [], tickets: [ticket(0, 'refunded')] } });
    if (what === 'a tampered byte') msg = { ...msg, payload: Buffer.from(msg.payload.toString().replace('refunded', 'refundee')) };
    if (what === 'a wrong key')
      msg = delta(1, { ...emptyDelta, upserts: { passengers: [], tickets: [ticket(0, 'refunded')] } }, 100, intruder.key)[0];
    if (what === 'a missing signature')
      msg = { ...msg, payload: Buffer.from(JSON.stringify({ ...JSON.parse(msg.payload.toString()), sig: undefined })) };
    if (what === 'another station') {
      const other = buildDelta(
        { ...emptyDelta },
        { docSecret: SECRET, key: central.key, station: 'BJP', epoch: 100, seq: 1, now: new Date(now) },
      ).messages[0];
      msg = { ...other, topic: topics.delta(STATION, 100, 1) };
    }
    engine.handle(msg.topic, msg.payload);
    expect(rejected.map((r) => r.code)).toEqual([code]);
    expect(db.prepare('SELECT * FROM tickets ORDER BY id').all()).toEqual(before);
    expect(view().syncState()?.seq).toBe(0);
    expect(readSyncStatus(db).lastRejected).toMatchObject({ code, count: 1 });
  });

  it('a flood of refusals writes the sync_status row at most once a second, with the full count', () => {
    const head = `stations/v1/${STATION}/sync/head`;
    const writes = () => db.prepare('SELECT updated_at FROM sync_status WHERE id = 1').pluck().get();
    for (let i = 0; i < 1000; i++) engine.handle(head, Buffer.from('{x'));
    expect(rejected).toHaveLength(1000);
    // The first refusal is written at once; the other 999 in the same second wait for the next write.
    expect(readSyncStatus(db).lastRejected).toMatchObject({ code: 'malformed', count: 1 });
    const first = writes();
    now += 500;
    engine.tick();
    expect(readSyncStatus(db).lastRejected).toMatchObject({ count: 1 });
    expect(writes()).toBe(first);
    now += 500;
    engine.tick();
    expect(readSyncStatus(db).lastRejected).toMatchObject({ code: 'malformed', count: 1000, at: new Date(now).toISOString() });
  });

  it('refuses a snapshot whose chunk was altered: the old cache stays', () => {
    send(snapshot(3, 100));
    const msgs = snapshot(10, 101);
    const i = 2;
    msgs[i] = { ...msgs[i], payload: Buffer.from(msgs[i].payload.toString().replace('G101', 'G102')) };
    send(msgs);
    expect(rejected.map((r) => [r.code, r.topic])).toEqual([['hash-mismatch', 'chunk']]);
    expect(cacheCounts(db)).toMatchObject({ passengers: 3, tickets: 3 });
    expect(view().syncState()?.epoch).toBe('100');
    // The missing chunk leaves the snapshot incomplete: after the stall timeout the gate asks again.
    now += 60_000;
    engine.tick();
    expect(requests.map((r) => r.reason)).toEqual(['snapshot-incomplete']);
  });

  it('asks for a resync when a delta is lost, and fills the gap from the republished one', () => {
    send(snapshot(3, 100));
    const d1 = delta(1, { ...emptyDelta, upserts: { passengers: [], tickets: [ticket(0, 'refunded')] } });
    send(delta(2, { ...emptyDelta, upserts: { passengers: [], tickets: [ticket(1, 'used-exit')] } }));
    expect(ticketStatus(1)).toBe('valid'); // held, not applied out of order
    now += 2_000;
    engine.tick();
    expect(requests).toMatchObject([
      { reason: 'gap', have: { epoch: 100, seq: 0 }, want: { epoch: 100, seq: 2 }, station: STATION, gate: '01' },
    ]);
    send(d1);
    expect(ticketStatus(0)).toBe('refunded');
    expect(ticketStatus(1)).toBe('used-exit');
    expect(view().syncState()?.seq).toBe(2);
  });

  it('a new epoch replaces the cache; the ledger stays', () => {
    send(snapshot(5, 100));
    db.prepare(
      "INSERT INTO ledger (ticket_id, direction, station, gate, at_ms, event_id, source) VALUES ('T000000001', 'entry', 'SHH', '02', 1, 'e1', 'local')",
    ).run();
    send(
      buildSnapshot(
        { ...snapshotFile(0), passengers: [passenger(9)], tickets: [ticket(9)] },
        { docSecret: SECRET, key: central.key, epoch: 200 },
      ).messages,
    );
    expect(cacheCounts(db)).toEqual({ passengers: 1, tickets: 1, ledger: 1 });
    expect(view().syncState()).toMatchObject({ epoch: '200', seq: 0 });
    expect(ticketStatus(9)).toBe('valid');
  });

  it('refuses batches keyed under a document key the gate does not hold (doc-key-mismatch): the cache stays', () => {
    send(snapshot(3, 100));
    const other = 'd8c1f0e5a3b7942c6e1d0f8a7b3c5e9d2a4f6c8e0b1d3f5a7c9e2b4d6f8a0c1e';
    send(buildSnapshot(snapshotFile(5), { docSecret: other, key: central.key, epoch: 101 }).messages);
    send(
      buildDelta(
        { ...emptyDelta, upserts: { passengers: [], tickets: [ticket(0, 'refunded')] } },
        { docSecret: other, key: central.key, station: STATION, epoch: 100, seq: 1, now: new Date(now) },
      ).messages,
    );
    // Manifest, its head, the delta and its head: each refused before it could load rows matching nobody.
    expect(rejected.map((r) => r.code)).toEqual(['doc-key-mismatch', 'doc-key-mismatch', 'doc-key-mismatch', 'doc-key-mismatch']);
    expect(rejected[0].message).toContain(docKeyIdOf(other));
    expect(cacheCounts(db)).toMatchObject({ passengers: 3, tickets: 3 });
    expect(view().syncState()?.epoch).toBe('100');
    expect(ticketStatus(0)).toBe('valid');
  });

  it('with secretNext, takes a new epoch keyed under the next key, and keys documents under it from the swap on', () => {
    const next = 'a1c3e5f7092b4d6f8e0a2c4e6f8b1d3f5a7c9e0b2d4f6a8c1e3f5b7d9e2a4c6f';
    engine = new SyncEngine({
      station: STATION,
      gate: '01',
      keys: new KeyRing([central.publicPem]),
      db,
      clock: () => now,
      applier: new CacheApplier(db, { station: STATION, secret: SECRET, secretNext: next }),
      publish: (_t, p) => requests.push(parseJson(resyncRequestSchema, p.toString())),
      onRejected: (r) => rejected.push(r),
    });
    send(snapshot(3, 100));
    const both = new SqliteCacheView(db, [SECRET, next]);
    expect(both.tickets([both.keyOf(ticket(1))])).toHaveLength(1);
    send(buildSnapshot(snapshotFile(3), { docSecret: next, key: central.key, epoch: 101 }).messages);
    expect(rejected).toEqual([]);
    expect(view().syncState()?.epoch).toBe('101');
    // Same view object: it follows the cache's key, so the same document is found under the next key now.
    expect(both.keyOf(ticket(1))).not.toBe(view().keyOf(ticket(1)));
    expect(both.tickets([both.keyOf(ticket(1))])).toHaveLength(1);
    // A delta of the new epoch under the old key is refused; under the new key it applies.
    send(
      buildDelta(
        { ...emptyDelta, upserts: { passengers: [], tickets: [ticket(1, 'refunded')] } },
        { docSecret: SECRET, key: central.key, station: STATION, epoch: 101, seq: 1, now: new Date(now) },
      ).messages.slice(0, 1),
    );
    expect(rejected.map((r) => r.code)).toEqual(['doc-key-mismatch']);
    send(
      buildDelta(
        { ...emptyDelta, upserts: { passengers: [], tickets: [ticket(1, 'refunded')] } },
        { docSecret: next, key: central.key, station: STATION, epoch: 101, seq: 1, now: new Date(now) },
      ).messages,
    );
    expect(both.tickets([both.keyOf(ticket(1))])[0].status).toBe('refunded');
  });

  it('refuses a chunk that carries a plain document number (the wire names documents only by key)', () => {
    const msgs = snapshot(2, 100);
    const chunk = parseJson(chunkSchema, msgs[1].payload.toString());
    const tickets = chunk.tickets.map((t, i) => (i === 0 ? { ...t, number: 'E12345678' } : t));
    expect(() => openChunkLike({ ...chunk, tickets })).toThrow();
  });

  it('records the head, and a head naming the cache refreshes its age', () => {
    send(snapshot(2, 100));
    const later = new Date(now + 3_600_000).toISOString();
    send([buildHead(central.key, { docKeyId: docKeyIdOf(SECRET), station: STATION, epoch: 100, seq: 0, generatedAt: later })]);
    expect(view().syncState()?.generatedAt).toBe(later);
    send([buildHead(central.key, { docKeyId: docKeyIdOf(SECRET), station: STATION, epoch: 100, seq: 4, generatedAt: later })]);
    expect(readSyncStatus(db)).toMatchObject({ head: { epoch: 100, seq: 4 }, behindBy: 4 });
  });
});
