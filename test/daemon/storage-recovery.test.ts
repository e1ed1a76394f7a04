// A damaged gate database, on real files: the start-up check catches a zeroed header, a file cut short and flipped
// bytes in a table page; the file is moved aside untouched, and the gate's own records that can still be read
// (ledger, pending authorisations, outbox, its sequence) are in the fresh file, the cache is empty.
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { keyedTickets } from '../support/keyed.js';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkIntegrity, openDb } from '../../src/cache/db.js';
import { cacheCounts } from '../../src/cache/view.js';
import { upsertTickets } from '../../src/cache/write.js';
import { GateStore } from '../../src/daemon/gate-store.js';
import { asideName, recoverStorage } from '../../src/daemon/storage-recovery.js';
import { checkAtStartMarker, checkInBackground, requestCheckAtStart, startupCheckDepth } from '../../src/daemon/integrity-check.js';
import { SECRET, tempDir, ticket } from '../sync/fixtures.js';
import { damageFile, type Damage } from './damage.js';

const NOW = Date.parse('2026-12-05T08:00:00Z');
let tmp: ReturnType<typeof tempDir>;
let path: string;

beforeEach(() => {
  tmp = tempDir();
  path = join(tmp.dir, 'gate.db');
});
afterEach(() => tmp.cleanup());

/** A gate's file after a morning: 3,000 tickets, two passages in the ledger, events in the outbox, one pending authorisation. */
function morning(): { outbox: string[]; lastSeq: number } {
  const db = openDb(path);
  upsertTickets(
    db,
    keyedTickets(
      SECRET,
      Array.from({ length: 3000 }, (_, i) => ticket(i)),
    ),
  );
  const store = new GateStore(db, { station: 'SHH', gate: '01', now: () => NOW });
  for (const id of ['T000000001', 'T000000002']) {
    const d = store.recordDecision({
      kind: 'decision',
      at: new Date(NOW).toISOString(),
      direction: 'entry',
      decision: 'open',
      reason: 'ok',
      docType: 'mrz',
      docKey: 'k',
      ticketId: id,
      train: 'G101',
    });
    store.recordPassage({
      kind: 'passage',
      at: new Date(NOW).toISOString(),
      direction: 'entry',
      outcome: 'passed',
      ticketId: id,
      docKey: 'k',
      decisionEventId: d.eventId,
    });
  }
  store.rememberAuthorisation({ authId: 7, direction: 'entry', ticketId: 'T000000003', docKey: 'k', decisionEventId: null, atMs: NOW });
  const outbox = db.prepare('SELECT event_id FROM outbox ORDER BY seq').pluck().all() as string[];
  const lastSeq = db.prepare('SELECT last_seq FROM outbox_seq').pluck().get() as number;
  db.close();
  return { outbox, lastSeq };
}

/**
 * A crash after one more write: the -wal holding it is left beside the file (a clean close would fold it in and
 * delete it). Returns the -wal's bytes.
 */
function crashWithWal(): Buffer {
  const db = openDb(path);
  db.pragma('wal_autocheckpoint = 0');
  db.prepare("INSERT INTO meta (key, value) VALUES ('late', 'x')").run();
  const wal = readFileSync(`${path}-wal`);
  db.close();
  writeFileSync(`${path}-wal`, wal);
  return wal;
}

describe('integrity check at start', () => {
  it('passes a sound file and an absent one', () => {
    expect(checkIntegrity(path)).toEqual({ ok: true });
    morning();
    expect(checkIntegrity(path)).toEqual({ ok: true });
    expect(recoverStorage(path, NOW)).toBeNull();
  });

  it('passes a sound file a crash left with a -wal, and keeps what the -wal holds', () => {
    morning();
    crashWithWal();
    expect(recoverStorage(path, NOW)).toBeNull();
    const again = openDb(path);
    expect(again.prepare("SELECT value FROM meta WHERE key = 'late'").pluck().get()).toBe('x');
    again.close();
  });

  it.each<[Damage, string]>([
    ['zeroed-header', 'not-a-database'],
    ['truncated', 'corrupt'],
    ['cut-in-half', 'corrupt'],
    ['flipped-table-page', 'corrupt'],
  ])('catches a %s file (%s)', (how, code) => {
    morning();
    damageFile(path, how);
    const verdict = checkIntegrity(path);
    expect(verdict).toMatchObject({ ok: false, code });
    expect(verdict.ok ? '' : verdict.detail).toMatch(/\S/);
  });
});

describe('how deep the start-up check goes', () => {
  it('after a clean close only the header: a damaged page waits for the check after start, a damaged header does not', () => {
    morning();
    expect(startupCheckDepth(path)).toBe('header');
    damageFile(path, 'flipped-table-page');
    expect(checkIntegrity(path, 'header')).toEqual({ ok: true });
    expect(recoverStorage(path, NOW, undefined, 'header')).toBeNull();
    expect(checkIntegrity(path, 'quick')).toMatchObject({ ok: false, code: 'corrupt' });
    damageFile(path, 'zeroed-header');
    expect(checkIntegrity(path, 'header')).toMatchObject({ ok: false, code: 'not-a-database' });
  });

  it('the whole file when the last run did not end cleanly (a -wal left beside it) or an earlier check asked for it', () => {
    morning();
    crashWithWal();
    expect(startupCheckDepth(path)).toBe('quick');
    rmSync(`${path}-wal`);
    expect(startupCheckDepth(path)).toBe('header');
    requestCheckAtStart(path, 'corrupt: page 7');
    expect(startupCheckDepth(path)).toBe('quick');
    // Done once, whatever it finds: the marker goes, and the next start is an ordinary one.
    expect(recoverStorage(path, NOW, undefined, 'quick')).toBeNull();
    expect(existsSync(checkAtStartMarker(path))).toBe(false);
    expect(startupCheckDepth(path)).toBe('header');
  });

  it('the check after start runs in a worker thread and finds what quick_check finds', async () => {
    morning();
    expect(await checkInBackground(path).result).toEqual({ verdict: { ok: true } });
    damageFile(path, 'flipped-table-page');
    expect(await checkInBackground(path).result).toMatchObject({ verdict: { ok: false, code: 'corrupt' } });
  });
});

describe('recovery of a damaged file', () => {
  it('flipped bytes in a cache page: moved aside untouched, the ledger, pending authorisation and outbox copied, the cache empty', () => {
    const before = morning();
    damageFile(path, 'flipped-table-page');
    const damaged = readFileSync(path);
    const r = recoverStorage(path, NOW)!;
    expect(r).toMatchObject({ code: 'corrupt', movedTo: asideName(path, NOW), unreadable: null });
    expect(readFileSync(r.movedTo).equals(damaged)).toBe(true);
    expect(checkIntegrity(path)).toEqual({ ok: true });

    const db = openDb(path);
    try {
      expect(db.prepare('SELECT ticket_id FROM ledger ORDER BY ticket_id').pluck().all()).toEqual(['T000000001', 'T000000002']);
      expect(db.prepare('SELECT event_id FROM outbox ORDER BY seq').pluck().all()).toEqual(before.outbox);
      expect(db.prepare('SELECT last_seq FROM outbox_seq').pluck().get()).toBe(before.lastSeq);
      expect(db.prepare('SELECT auth_id, ticket_id FROM pending_auth').all()).toEqual([{ auth_id: 7, ticket_id: 'T000000003' }]);
      expect(cacheCounts(db)).toMatchObject({ passengers: 0, tickets: 0 });
      expect(db.prepare('SELECT count(*) FROM sync_state').pluck().get()).toBe(0);
      // The next event continues the sequence: central sees no seq twice.
      const store = new GateStore(db, { station: 'SHH', gate: '01', now: () => NOW });
      expect(
        store.recordAlarm({ kind: 'alarm', type: 'storage-corrupt', detail: 'corrupt', active: true, at: new Date(NOW).toISOString() }).seq,
      ).toBe(before.lastSeq + 1);
    } finally {
      db.close();
    }
    expect(r.tables.find((t) => t.table === 'ledger')).toEqual({ table: 'ledger', copied: 2, damaged: false });
  });

  it('a file cut in half: the ledger, outbox and pending authorisation (early pages) are salvaged', () => {
    const before = morning();
    damageFile(path, 'cut-in-half');
    const r = recoverStorage(path, NOW)!;
    expect(r).toMatchObject({ code: 'corrupt', unreadable: null });
    const db = openDb(path);
    try {
      expect(db.prepare('SELECT ticket_id FROM ledger ORDER BY ticket_id').pluck().all()).toEqual(['T000000001', 'T000000002']);
      expect(db.prepare('SELECT event_id FROM outbox ORDER BY seq').pluck().all()).toEqual(before.outbox);
      expect(db.prepare('SELECT count(*) FROM pending_auth').pluck().get()).toBe(1);
    } finally {
      db.close();
    }
  });

  it.each<Damage>(['zeroed-header', 'truncated'])(
    'a %s file: moved aside with its -wal, nothing readable, a fresh file that passes; a second start is clean',
    (how) => {
      morning();
      // A crash leaves a -wal beside the file (a clean close would have folded it in): it moves with the file.
      const wal = crashWithWal();
      damageFile(path, how);
      const r = recoverStorage(path, NOW)!;
      expect(['not-a-database', 'corrupt']).toContain(r.code);
      expect(existsSync(r.movedTo)).toBe(true);
      expect(readFileSync(`${r.movedTo}-wal`).equals(wal)).toBe(true);
      expect(checkIntegrity(path)).toEqual({ ok: true });
      expect(recoverStorage(path, NOW + 1000)).toBeNull();
      expect(readdirSync(tmp.dir).filter((f) => f.includes('.corrupt-') && !f.endsWith('-wal') && !f.endsWith('-shm'))).toHaveLength(1);
    },
  );
});
