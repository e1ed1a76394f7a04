// Retention by meaning (issue 20): a ledger row goes once its ticket can open no gate any more, never before; the
// time that decides is capped by central's signed snapshot time; the work comes in small batches; the WAL shrinks.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/cache/db.js';
import type { PassageEvent } from '../../src/gate/events.js';
import { GateStore } from '../../src/daemon/gate-store.js';
import { LedgerRetention, RETENTION_MARGIN_MS, UNKNOWN_ARRIVAL_KEEP_MS, walBytes } from '../../src/outbox/retention.js';
import { tempDir } from '../sync/fixtures.js';

const HOUR = 3_600_000;
const GRACE = 2 * HOUR;
const DEPART = Date.parse('2026-03-01T08:00:00Z');
const ARRIVE = DEPART + 5 * HOUR;

describe('ledger retention', () => {
  let tmp: ReturnType<typeof tempDir>;
  let db: Db;
  let dbPath: string;
  let now: number;
  let store: GateStore;
  let retention: LedgerRetention;

  const addTicket = (id: string, departMs = DEPART, arriveMs = ARRIVE) =>
    db
      .prepare(
        `INSERT INTO tickets (id, doc_key, train, date, from_station, to_station, departure, arrival, departure_ms, arrival_ms, car, seat, status)
         VALUES (?, 'k', 'G1', '2026-03-01', 'BJP', 'SHH', ?, ?, ?, ?, '01', '01A', 'valid')`,
      )
      .run(id, new Date(departMs).toISOString(), new Date(arriveMs).toISOString(), departMs, arriveMs);
  const snapshotAt = (ms: number) =>
    db
      .prepare(`INSERT OR REPLACE INTO sync_state (id, station, epoch, seq, generated_at, applied_at) VALUES (1, 'BJP', '1', 0, ?, ?)`)
      .run(new Date(ms).toISOString(), new Date(ms).toISOString());
  const pass = (ticketId: string, atMs: number, direction: PassageEvent['direction'] = 'entry') => {
    now = atMs;
    return store.recordPassage({
      kind: 'passage',
      at: new Date(atMs).toISOString(),
      direction,
      outcome: 'passed',
      ticketId,
      docKey: 'k',
      decisionEventId: null,
    }).consumed;
  };
  const sibling = (ticketId: string, atMs: number) =>
    store.ledger.recordSiblingPassage({
      kind: 'passage',
      eventId: '0190a0b0-0000-7000-8000-000000000001',
      seq: 1,
      station: 'BJP',
      gate: '09',
      at: new Date(atMs).toISOString(),
      direction: 'entry',
      outcome: 'passed',
      ticketId,
      docKey: 'k',
      decisionEventId: null,
    });
  const ledger = () => db.prepare('SELECT ticket_id FROM ledger ORDER BY ticket_id').pluck().all();
  const make = (batch = 200, walLimitBytes?: number) =>
    new LedgerRetention({
      ledger: store.ledger,
      db,
      dbPath,
      now: () => now,
      syncGeneratedAtMs: () => {
        const g = db.prepare('SELECT generated_at FROM sync_state WHERE id = 1').pluck().get() as string | undefined;
        return g === undefined ? null : Date.parse(g);
      },
      exitGraceMs: GRACE,
      batch,
      walLimitBytes,
    });

  beforeEach(() => {
    tmp = tempDir();
    dbPath = join(tmp.dir, 'gate.db');
    db = openDb(dbPath);
    now = DEPART - HOUR;
    store = new GateStore(db, { station: 'BJP', gate: '03', now: () => now });
    retention = make();
  });
  afterEach(() => {
    db.close();
    tmp.cleanup();
  });

  it('keeps a passage while its ticket could still open an exit gate, and prunes it once arrival + grace is past', () => {
    addTicket('T1');
    snapshotAt(DEPART - 2 * HOUR);
    expect(pass('T1', DEPART - HOUR)).toBe(true);
    expect(db.prepare('SELECT arrival_ms FROM ledger').pluck().get()).toBe(ARRIVE);
    // The ticket leaves the cache with the next morning's snapshot; the row keeps its arrival.
    db.prepare('DELETE FROM tickets').run();

    // Inside the exit window (and its grace, and the margin for clock error): the row stays, a second entry is refused.
    now = ARRIVE + GRACE + RETENTION_MARGIN_MS - 1;
    snapshotAt(now + HOUR);
    expect(retention.tick()).toMatchObject({ ledger: 0 });
    expect(pass('T1', now)).toBe(false);
    expect(ledger()).toEqual(['T1']);

    now = ARRIVE + GRACE + RETENTION_MARGIN_MS + 1;
    expect(retention.tick()).toMatchObject({ ledger: 1, more: false });
    expect(ledger()).toEqual([]);
  });

  it("never prunes past central's last signed time: a clock a year ahead leaves today's passages in place", () => {
    addTicket('T1');
    snapshotAt(DEPART - 2 * HOUR);
    pass('T1', DEPART - HOUR);
    now = DEPART + 365 * 24 * HOUR; // a flat RTC battery, a bad NTP answer
    expect(retention.tick().ledger).toBe(0);
    expect(ledger()).toEqual(['T1']);
    // Central's data catches up (a snapshot a day after the journey): now it goes.
    snapshotAt(ARRIVE + 24 * HOUR);
    expect(retention.tick().ledger).toBe(1);
  });

  it('prunes nothing on a gate without a cache (no snapshot time to trust)', () => {
    pass('T1', DEPART);
    now = DEPART + 30 * 24 * HOUR;
    expect(retention.tick()).toMatchObject({ ledger: 0, clearedUses: 0 });
    expect(ledger()).toEqual(['T1']);
  });

  it('keeps a passage whose ticket the cache did not hold for the longest journey after it, then prunes it', () => {
    snapshotAt(DEPART);
    pass('UNKNOWN', DEPART); // a sibling's passage or a ticket deleted by a delta: no arrival known
    expect(db.prepare('SELECT arrival_ms FROM ledger').pluck().get()).toBeNull();
    const goesAt = DEPART + UNKNOWN_ARRIVAL_KEEP_MS + GRACE + RETENTION_MARGIN_MS;
    snapshotAt(goesAt + HOUR);
    now = goesAt - 1;
    expect(retention.tick().ledger).toBe(0);
    now = goesAt + 1;
    expect(retention.tick().ledger).toBe(1);
  });

  it('prunes sibling passages the same way, and their cleared marks once nothing could take the ticket again', () => {
    addTicket('S1');
    snapshotAt(DEPART - 2 * HOUR);
    expect(sibling('S1', DEPART - HOUR)).toBe(true);
    db.prepare("INSERT INTO cleared_uses (event_id, ticket_id, cleared_ms) VALUES ('e-old', 'S0', ?)").run(DEPART - HOUR);
    now = ARRIVE + GRACE + RETENTION_MARGIN_MS + 1;
    snapshotAt(now);
    expect(retention.tick()).toMatchObject({ ledger: 1, clearedUses: 0 });
    now = DEPART - HOUR + UNKNOWN_ARRIVAL_KEEP_MS + GRACE + RETENTION_MARGIN_MS; // cleared at DEPART - 1 h
    snapshotAt(now);
    expect(retention.tick().clearedUses).toBe(0);
    now += 1;
    snapshotAt(now);
    expect(retention.tick().clearedUses).toBe(1);
  });

  it('works in batches of at most `batch` rows and says when more are left', () => {
    snapshotAt(DEPART - 2 * HOUR);
    for (let i = 0; i < 25; i++) addTicket(`B${i}`);
    for (let i = 0; i < 25; i++) pass(`B${i}`, DEPART - HOUR);
    addTicket('LATER', DEPART + 48 * HOUR, ARRIVE + 48 * HOUR);
    pass('LATER', DEPART - HOUR);
    const small = make(10);
    now = ARRIVE + GRACE + RETENTION_MARGIN_MS + 1;
    snapshotAt(now);
    expect([small.tick(), small.tick(), small.tick()].map((t) => [t.ledger, t.more])).toEqual([
      [10, true],
      [10, true],
      [5, false],
    ]);
    expect(ledger()).toEqual(['LATER']);
  });

  it('truncates a WAL that grew past its bound', () => {
    db.pragma('wal_autocheckpoint = 0'); // let it grow, as a large snapshot apply does
    snapshotAt(DEPART);
    const insert = db.prepare('INSERT INTO meta (key, value) VALUES (?, hex(randomblob(2000)))');
    for (let i = 0; i < 600; i++) insert.run(`filler-${i}`);
    expect(walBytes(dbPath)).toBeGreaterThan(1_000_000);
    const r = make(200, 1_000_000).tick();
    expect(r.walTruncated).toBe(true);
    expect(walBytes(dbPath)).toBe(0);
    expect(make(200, 1_000_000).tick().walTruncated).toBeNull();
  });
});
