import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/cache/db.js';
import { gateEventSchema, type NewEvent, type PassageEvent } from '../../src/gate/events.js';
import { OutboxError, SqliteOutboxStore } from '../../src/outbox/store.js';

const T0 = Date.parse('2026-03-01T08:00:00Z');
const at = (ms = T0) => new Date(ms).toISOString();

const passage = (ticketId: string, outcome: PassageEvent['outcome'] = 'passed', direction: PassageEvent['direction'] = 'entry'): NewEvent<PassageEvent> => ({
  kind: 'passage',
  at: at(),
  direction,
  outcome,
  ticketId,
  docKey: 'k'.repeat(64),
  decisionEventId: null,
});

describe('SqliteOutboxStore', () => {
  let dir: string;
  let db: Db;
  let now: number;
  let store: SqliteOutboxStore;
  const open = () => {
    db = openDb(join(dir, 'gate.db'));
    store = new SqliteOutboxStore(db, { station: 'BJP', gate: '03', now: () => now });
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'outbox-'));
    now = T0;
    open();
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a passage of an authorisation given before a restart consumes the remembered ticket once, and clears it', () => {
    store.rememberAuthorisation({ authId: 4242, direction: 'entry', ticketId: 'T9', docKey: 'k9', decisionEventId: 'd9', atMs: now });
    db.close();
    open(); // the daemon restarted
    expect(store.lastAuthId()).toBe(4242);
    const r = store.recordPassage({ kind: 'passage', at: at(), direction: 'entry', outcome: 'passed', ticketId: null, docKey: null, decisionEventId: null }, 4242);
    expect(r).toMatchObject({ consumed: true, event: { ticketId: 'T9', docKey: 'k9', decisionEventId: 'd9' } });
    expect(store.lastAuthId()).toBeNull();
    // The MCU repeats the report (our ACK was lost): recorded, but nothing more is consumed.
    const again = store.recordPassage({ kind: 'passage', at: at(), direction: 'entry', outcome: 'passed', ticketId: null, docKey: null, decisionEventId: null }, 4242);
    expect(again).toMatchObject({ consumed: false, event: { ticketId: null } });
    expect(db.prepare('SELECT count(*) FROM ledger').pluck().get()).toBe(1);
  });

  it('gives every record a UUIDv7 eventId and a gap-free seq, and stores exactly the event it returns', () => {
    const d = store.recordDecision({ kind: 'decision', at: at(), direction: 'entry', decision: 'open', reason: 'ok', docType: 'cn-resident-id', docKey: 'k', ticketId: 'T1', train: 'G1' });
    const p = store.recordPassage(passage('T1')).event;
    const a = store.recordAlarm({ kind: 'alarm', at: at(), type: 'tailgating', detail: null, active: true });
    expect([d.seq, p.seq, a.seq]).toEqual([1, 2, 3]);
    for (const e of [d, p, a]) {
      expect(e.eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(e).toMatchObject({ station: 'BJP', gate: '03' });
    }
    const rows = store.pendingAfter(0, 10);
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(rows.map((r) => gateEventSchema.parse(JSON.parse(r.payload)))).toEqual([d, p, a]);
  });

  it('consumes a ticket once per direction in the same transaction as the passage event', () => {
    expect(store.recordPassage(passage('T1')).consumed).toBe(true);
    const second = store.recordPassage(passage('T1'));
    expect(second.consumed).toBe(false);
    expect(second.event.seq).toBe(2); // still reported
    expect(store.recordPassage(passage('T1', 'passed', 'exit')).consumed).toBe(true);
    expect(store.recordPassage(passage('T2', 'timeout')).consumed).toBe(false);
    const ledger = db.prepare('SELECT ticket_id, direction, source FROM ledger ORDER BY direction').all();
    expect(ledger).toEqual([
      { ticket_id: 'T1', direction: 'entry', source: 'local' },
      { ticket_id: 'T1', direction: 'exit', source: 'local' },
    ]);
  });

  it('marks a sibling gate passage in the ledger once, and then the local gate cannot consume the ticket', () => {
    const sibling: PassageEvent = { ...passage('T9'), eventId: '0190d0a0-0000-7000-8000-000000000001', seq: 17, station: 'BJP', gate: '04' };
    expect(store.recordSiblingPassage(sibling)).toBe(true);
    expect(store.recordSiblingPassage(sibling)).toBe(false);
    expect(store.recordSiblingPassage({ ...sibling, gate: '03' })).toBe(false); // own gate
    expect(store.recordSiblingPassage({ ...sibling, ticketId: 'T8', station: 'SHH' })).toBe(false); // other station
    expect(store.recordSiblingPassage({ ...sibling, ticketId: 'T7', outcome: 'timeout' })).toBe(false);
    expect(db.prepare('SELECT gate, source FROM ledger WHERE ticket_id = ?').get('T9')).toEqual({ gate: '04', source: 'sibling' });
    expect(store.recordPassage(passage('T9')).consumed).toBe(false);
    expect(store.counts().pending).toBe(1); // the sibling's event is not ours to report
  });

  it('marks rows sent, prunes only sent rows past retention, and never reuses a seq after pruning or reopening', () => {
    for (let i = 0; i < 5; i++) store.recordAlarm({ kind: 'alarm', at: at(), type: 'power', detail: null, active: false });
    store.markSent([1, 2, 3, 4, 5], T0);
    now = T0 + 10 * 3_600_000;
    expect(store.prune(72 * 3_600_000)).toBe(0);
    now = T0 + 73 * 3_600_000;
    expect(store.prune(72 * 3_600_000)).toBe(5);
    expect(store.counts()).toMatchObject({ pending: 0, sent: 0, lastSeq: 5 });
    db.close();
    open();
    expect(store.recordAlarm({ kind: 'alarm', at: at(), type: 'power', detail: null, active: true }).seq).toBe(6);
    expect(store.counts()).toMatchObject({ pending: 1, lastSeq: 6, oldestPendingMs: now });
    // The backlog (the daemon's status timer) says the same without counting the sent rows.
    expect(store.backlog()).toEqual({ pending: 1, lastSeq: 6, oldestPendingMs: now });
  });

  it('refuses with disk-full (the lane refuses passengers) when the disk is full, and leaves ledger and outbox consistent', () => {
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    let err: unknown;
    let ok = 0;
    try {
      for (let i = 0; i < 100_000; i++) {
        store.recordPassage({ ...passage(`TICKET-${i}-${'x'.repeat(200)}`), docKey: 'k'.repeat(1000) });
        ok++;
      }
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OutboxError);
    expect(err).toMatchObject({ code: 'disk-full', recovery: 'refuse' });
    expect(db.prepare('SELECT count(*) AS n FROM ledger').get()).toEqual({ n: ok });
    expect(store.counts()).toMatchObject({ pending: ok, lastSeq: ok });
  });

  it('keeps command nonces across a restart', () => {
    expect(store.rememberNonce('nonce-0001', T0)).toBe(true);
    expect(store.rememberNonce('nonce-0001', T0)).toBe(false);
    db.close();
    open();
    expect(store.nonceSeen('nonce-0001')).toBe(true);
    expect(store.pruneNonces(T0 + 1)).toBe(1);
    expect(store.nonceSeen('nonce-0001')).toBe(false);
  });
});
