// The snapshot swap on a real SQLite file: staged in tables of the gate's own file, renamed in by one transaction.
// What a user relies on: the lane never sees a half-loaded cache, the ledger and the outbox survive, the schema
// (constraints, index names) is the one the migrations made, and nothing of a staged snapshot outlives it.
import { writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/cache/db.js';
import { SqliteCacheView, cacheCounts } from '../../src/cache/view.js';
import { buildSnapshot, type OutMessage } from '../../src/central/build.js';
import { CacheApplier } from '../../src/sync/apply.js';
import { SyncEngine, type Rejection } from '../../src/sync/engine.js';
import { KeyRing } from '../../src/sync/verify.js';
import { SECRET, STATION, newKey, passenger, snapshotFile, tempDir, ticket } from './fixtures.js';

const central = newKey();
let tmp: ReturnType<typeof tempDir>;
let db: Db;

const engineOn = (applier: CacheApplier, onRejected?: (r: Rejection) => void) =>
  new SyncEngine({
    station: STATION,
    gate: '01',
    keys: new KeyRing([central.publicPem]),
    applier,
    db,
    clock: () => Date.parse('2026-03-01T06:00:00Z'),
    publish: () => undefined,
    onRejected,
  });
const send = (engine: SyncEngine, msgs: OutMessage[]) => msgs.forEach((m) => engine.handle(m.topic, m.payload));
const snapshot = (n: number, epoch: number, offset = 0) => {
  const file = snapshotFile(n);
  file.passengers = file.passengers.map((_, i) => passenger(i + offset));
  file.tickets = file.tickets.map((_, i) => ticket(i + offset));
  return buildSnapshot(file, { docSecret: SECRET, key: central.key, epoch, chunkRows: 7 }).messages;
};
const schemaOf = (d: Db) =>
  (
    d.prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY name").all() as {
      sql: string | null;
    }[]
  ).map((r) => ({
    ...r,
    // A renamed table's definition names it in quotes; everything else must be the same text.
    sql: r.sql?.replace(/^CREATE TABLE "(\w+)"/, 'CREATE TABLE $1'),
  }));
const stagingTables = (d: Db) => d.prepare("SELECT name FROM sqlite_schema WHERE name LIKE 'sync_stage_%'").pluck().all();

beforeEach(() => {
  tmp = tempDir();
  db = openDb(join(tmp.dir, 'gate.db'));
});
afterEach(() => {
  db.close();
  tmp.cleanup();
});

describe('snapshot swap by rename', () => {
  it('keeps the schema, index names, ledger and outbox; a second epoch replaces every row', () => {
    const fresh = schemaOf(db);
    db.prepare(
      "INSERT INTO ledger (ticket_id, direction, station, gate, at_ms, event_id, source) VALUES ('T000000001', 'entry', 'SHH', '01', 1, 'e1', 'local')",
    ).run();
    db.prepare("INSERT INTO outbox (seq, event_id, kind, payload, created_ms) VALUES (1, 'e1', 'passage', '{}', 1)").run();
    const engine = engineOn(new CacheApplier(db, { station: STATION, secret: SECRET }));

    send(engine, snapshot(30, 100));
    expect(cacheCounts(db)).toMatchObject({ passengers: 30, tickets: 30 });
    send(engine, snapshot(20, 101, 1000));
    expect(cacheCounts(db)).toMatchObject({ passengers: 20, tickets: 20 });
    const view = new SqliteCacheView(db, SECRET);
    expect(view.passenger(view.keyOf(passenger(5)))).toBeUndefined();
    expect(view.tickets([view.keyOf(ticket(1005))]).map((t) => t.id)).toEqual([ticket(1005).id]);
    expect(view.syncState()).toMatchObject({ epoch: '101', seq: 0 });

    expect(schemaOf(db)).toEqual(fresh);
    expect(
      db.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'tickets' AND sql IS NOT NULL").pluck().all(),
    ).toEqual(['tickets_by_doc']);
    expect(db.prepare('SELECT count(*) FROM ledger').pluck().get()).toBe(1);
    expect(db.prepare('SELECT count(*) FROM outbox').pluck().get()).toBe(1);
    // The constraints came along with the definition.
    expect(() => db.prepare("UPDATE tickets SET status = 'lost'").run()).toThrow(/CHECK/);
  });

  it('a lane connection sees the old cache while chunks are staged, the new one after the commit', () => {
    const engine = engineOn(new CacheApplier(db, { station: STATION, secret: SECRET }));
    send(engine, snapshot(10, 100));
    const lane = openDb(join(tmp.dir, 'gate.db'), { migrate: false });
    try {
      const view = new SqliteCacheView(lane, SECRET);
      const next = snapshot(40, 101, 500);
      send(engine, next.slice(0, -2)); // manifest and all chunks but the last
      expect(stagingTables(lane)).toHaveLength(2);
      expect(cacheCounts(lane)).toMatchObject({ passengers: 10, tickets: 10 });
      expect(view.passenger(view.keyOf(passenger(3)))?.status).toBe('verified');
      expect(view.passenger(view.keyOf(passenger(503)))).toBeUndefined();

      send(engine, next.slice(-2));
      expect(cacheCounts(lane)).toMatchObject({ passengers: 40, tickets: 40 });
      expect(view.passenger(view.keyOf(passenger(3)))).toBeUndefined();
      expect(view.tickets([view.keyOf(ticket(503))]).map((t) => t.id)).toEqual([ticket(503).id]);
      expect(stagingTables(lane)).toEqual([]);
    } finally {
      lane.close();
    }
  });

  it('a snapshot refused at the commit (duplicate ids: fewer rows than counted) leaves the cache and no staging tables', () => {
    const engine = engineOn(new CacheApplier(db, { station: STATION, secret: SECRET }));
    send(engine, snapshot(10, 100));
    const file = snapshotFile(10);
    file.tickets = file.tickets.map((_, i) => ticket(500 + (i % 9)));
    const rejected: string[] = [];
    send(
      engineOn(new CacheApplier(db, { station: STATION, secret: SECRET }), (r) => rejected.push(r.code)),
      buildSnapshot(file, { docSecret: SECRET, key: central.key, epoch: 101, chunkRows: 7 }).messages,
    );
    expect(rejected).toEqual(['count-mismatch']);
    expect(cacheCounts(db)).toMatchObject({ passengers: 10, tickets: 10 });
    expect(new SqliteCacheView(db, SECRET).syncState()).toMatchObject({ epoch: '100' });
    expect(stagingTables(db)).toEqual([]);
  });

  it('staging left by a crash (tables, or an old scratch file) is removed when the applier starts', () => {
    const stagePath = join(tmp.dir, 'gate.db.sync-stage');
    writeFileSync(stagePath, 'left over');
    const before = engineOn(new CacheApplier(db, { station: STATION, secret: SECRET }));
    send(before, snapshot(10, 100).slice(0, 2)); // manifest and one chunk, then the process dies
    expect(stagingTables(db)).toHaveLength(2);

    const after = new CacheApplier(db, { station: STATION, secret: SECRET, stagePath });
    expect(stagingTables(db)).toEqual([]);
    expect(existsSync(stagePath)).toBe(false);
    send(engineOn(after), snapshot(10, 100));
    expect(cacheCounts(db)).toMatchObject({ passengers: 10, tickets: 10 });
  });
});
