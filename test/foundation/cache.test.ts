// The cache on a real SQLite file: migrations, the write side, the view and the all-or-nothing import.
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { keyedPassengers, keyedTickets } from '../support/keyed.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CacheError, openDb, schemaVersion } from '../../src/cache/db.js';
import { MIGRATIONS } from '../../src/cache/migrations/index.js';
import { checkSnapshot, importSnapshot, parseSnapshot } from '../../src/cache/import.js';
import { cacheCounts, SqliteCacheView } from '../../src/cache/view.js';
import {
  bindSecret,
  clearCache,
  deletePassengers,
  deleteTickets,
  setSyncState,
  upsertPassengers,
  upsertTickets,
} from '../../src/cache/write.js';
import type { SnapshotFile, TicketRecord } from '../../src/cache/records.js';

const SECRET = 'test-aeff15d6362f85765ba3a78408830de61e1e8d3a39f19d278532327358833288';
const LATEST = MIGRATIONS[MIGRATIONS.length - 1].version;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gate-foundation-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ticket = (id: string, over: Partial<TicketRecord> = {}): TicketRecord => ({
  id,
  kind: 'cn-resident-id',
  country: 'CHN',
  number: '11010519491231002X',
  train: 'G101',
  date: '2025-06-01',
  from: 'VNP',
  to: 'AOH',
  departure: '2025-06-01T10:00:00+08:00',
  arrival: '2025-06-01T14:30:00+08:00',
  car: '05',
  seat: '12A',
  status: 'valid',
  ...over,
});

const snapshot = (): SnapshotFile => ({
  station: 'VNP',
  generatedAt: '2025-06-01T06:00:00+08:00',
  passengers: [
    { kind: 'passport', country: 'DEU', number: 'C01X00T47', status: 'verified', birthDate: '1964-08-12', nameLatin: 'MUSTERMANN ERIKA' },
  ],
  tickets: [ticket('A'), ticket('B'), ticket('C', { kind: 'passport', country: 'DEU', number: 'C01X00T47' })],
});

describe('migrations on a real file', () => {
  it('brings a fresh file to the latest version in WAL mode, and reopening changes nothing', () => {
    const path = join(dir, 'gate.db');
    const db = openDb(path);
    expect(schemaVersion(db)).toBe(LATEST);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).toEqual(expect.arrayContaining(['meta', 'passengers', 'tickets', 'ledger', 'sync_state']));
    upsertTickets(db, keyedTickets(SECRET, [ticket('A')]));
    db.close();

    const again = openDb(path);
    expect(schemaVersion(again)).toBe(LATEST);
    expect(cacheCounts(again).tickets).toBe(1);
    again.close();
  });

  it('refuses a file written by newer software (newer-schema)', () => {
    const path = join(dir, 'gate.db');
    openDb(path).close();
    const raw = new Database(path);
    raw.pragma(`user_version = ${LATEST + 1}`);
    raw.close();
    expect(() => openDb(path)).toThrow(expect.objectContaining({ code: 'newer-schema' }));
  });
});

describe('write side and view', () => {
  it('keys documents by HMAC: the file holds no document number', () => {
    const path = join(dir, 'gate.db');
    const db = openDb(path);
    upsertPassengers(db, keyedPassengers(SECRET, snapshot().passengers));
    upsertTickets(db, keyedTickets(SECRET, snapshot().tickets));
    db.close();
    const raw = new Database(path);
    const dump = JSON.stringify([raw.prepare('SELECT * FROM passengers').all(), raw.prepare('SELECT * FROM tickets').all()]);
    raw.close();
    expect(dump).not.toContain('C01X00T47');
    expect(dump).not.toContain('11010519491231002X');
    expect(dump).not.toContain('MUSTERMANN');
  });

  it('upserts, reads back, deletes and clears', () => {
    const db = openDb(join(dir, 'gate.db'));
    const view = new SqliteCacheView(db, SECRET);
    const key = view.keyOf({ kind: 'cn-resident-id', country: 'CHN', number: '11010519491231002X' });
    upsertTickets(db, keyedTickets(SECRET, [ticket('A'), ticket('B')]));
    upsertTickets(db, keyedTickets(SECRET, [ticket('A', { status: 'refunded' })]));
    const got = view.tickets([key]).sort((a, b) => a.id.localeCompare(b.id));
    expect(got.map((t) => [t.id, t.status])).toEqual([
      ['A', 'refunded'],
      ['B', 'valid'],
    ]);
    expect(got[0].departureMs).toBe(Date.parse('2025-06-01T02:00:00Z'));

    upsertPassengers(db, keyedPassengers(SECRET, snapshot().passengers));
    const pkey = view.keyOf({ kind: 'passport', country: 'DEU', number: 'C01X00T47' });
    // The birth date is stored only as its keyed value (docs/sync.md "Keyed bytes"), which the MRZ's date reproduces.
    expect(view.passenger(pkey)).toEqual({
      docKey: pkey,
      kind: 'passport',
      status: 'verified',
      birthKey: view.birthKeyOf(pkey, '1964-08-12'),
    });
    expect(view.birthKeyOf(pkey, '1964-08-13')).not.toBe(view.passenger(pkey)!.birthKey);
    expect(deletePassengers(db, [pkey])).toBe(1);
    expect(view.passenger(pkey)).toBeUndefined();
    expect(deleteTickets(db, ['B', 'nope'])).toBe(1);

    setSyncState(db, {
      station: 'VNP',
      epoch: 'e',
      seq: 7,
      generatedAt: '2025-06-01T06:00:00+08:00',
      appliedAt: '2025-06-01T06:01:00+08:00',
    });
    expect(view.syncState()).toMatchObject({ seq: 7, generatedAtMs: Date.parse('2025-05-31T22:00:00Z') });
    clearCache(db);
    expect(cacheCounts(db)).toMatchObject({ passengers: 0, tickets: 0 });
    db.close();
  });

  it('refuses to mix secrets in one file (secret-mismatch)', () => {
    const db = openDb(join(dir, 'gate.db'));
    importSnapshot(db, SECRET, parseSnapshot(snapshot(), 'snap.json'), new Date());
    expect(() => bindSecret(db, 'another-secret-0123456789abcdef-xyz')).toThrow(expect.objectContaining({ code: 'secret-mismatch' }));
    expect(() => bindSecret(db, SECRET)).not.toThrow();
    // The stored check is a salted scrypt verifier: it is not the fast HMAC fingerprint a guess could be tested against.
    const stored = db.prepare("SELECT value FROM meta WHERE key = 'secret-check'").pluck().get() as string;
    expect(stored).toMatch(/^scrypt:v1:16384:8:1:[0-9a-f]{32}:[0-9a-f]{64}$/);
    expect(stored).not.toContain(createHmac('sha256', SECRET).update('gate/secret-check/v1').digest('hex').slice(0, 16));
    db.close();
  });
});

describe('snapshot import', () => {
  it('loads everything and records the snapshot time', () => {
    const db = openDb(join(dir, 'gate.db'));
    const r = importSnapshot(db, SECRET, parseSnapshot(snapshot(), 'snap.json'), new Date('2025-06-01T06:05:00+08:00'));
    expect(r).toMatchObject({ passengers: 1, tickets: 3, station: 'VNP' });
    expect(new SqliteCacheView(db, SECRET).syncState()).toMatchObject({ generatedAt: '2025-06-01T06:00:00+08:00', seq: 0 });
    db.close();
  });

  it('reports a bad record by index and field, and loads nothing', () => {
    const db = openDb(join(dir, 'gate.db'));
    importSnapshot(db, SECRET, snapshot(), new Date());
    const bad = snapshot() as unknown as { tickets: Record<string, unknown>[] };
    bad.tickets.push({ ...ticket('D'), departure: 'xyz' });
    let err: unknown;
    try {
      parseSnapshot(bad, 'snap.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CacheError);
    expect((err as CacheError).code).toBe('import-invalid');
    expect((err as CacheError).message).toContain('tickets[3].departure: expected an ISO 8601 time with offset, got "xyz"');
    // The previous cache is untouched.
    expect(cacheCounts(db).tickets).toBe(3);
    db.close();
  });

  it('finds duplicate ids, duplicate passengers and arrival before departure', () => {
    const s = snapshot();
    s.tickets.push(ticket('A'), ticket('E', { arrival: '2025-06-01T09:00:00+08:00' }));
    s.passengers.push({ ...s.passengers[0] });
    const r = checkSnapshot(s);
    expect(r.ok).toBe(false);
    const problems = r.ok ? [] : r.problems;
    expect(problems.map((p) => p.split(':')[0])).toEqual(['passengers[1]', 'tickets[3].id', 'tickets[4].arrival']);
  });

  it('rolls back everything when a write fails midway', () => {
    const db = openDb(join(dir, 'gate.db'));
    importSnapshot(db, SECRET, snapshot(), new Date());
    // A status the CHECK constraint refuses gets past a cast (as if validation were skipped): the whole import fails.
    const broken = snapshot();
    broken.tickets = [ticket('X'), ticket('Y', { status: 'lost' as TicketRecord['status'] })];
    expect(() => importSnapshot(db, SECRET, broken, new Date())).toThrow();
    expect(cacheCounts(db).tickets).toBe(3);
    expect(
      new SqliteCacheView(db, SECRET)
        .tickets([new SqliteCacheView(db, SECRET).keyOf(ticket('A'))])
        .map((t) => t.id)
        .sort(),
    ).toEqual(['A', 'B']);
    db.close();
  });
});
