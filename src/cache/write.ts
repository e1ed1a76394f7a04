// The write side of the cache: what `gate cache import` and the sync engine use to load central's records.
// Every function runs in one transaction (nested calls become savepoints, so a caller may wrap several in its own
// transaction to make a whole snapshot or delta atomic). Statements are prepared once per connection: a
// 1,000,000-row load is one statement executed a million times, not a million parses (research/sync-perf.md 1(a)).
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import { CacheError, type Db } from './db.js';
import type { KeyedPassenger, KeyedTicket } from './keyed.js';

interface WriteStatements {
  upsertPassenger: Statement;
  upsertTicket: Statement;
  deletePassenger: Statement;
  deleteTicket: Statement;
  getMeta: Statement;
  setMeta: Statement;
  setSync: Statement;
}

const statements = new WeakMap<Db, WriteStatements>();

function prepared(db: Db): WriteStatements {
  let s = statements.get(db);
  if (!s) {
    s = {
      upsertPassenger: db.prepare(
        `INSERT INTO passengers (doc_key, kind, status, birth_key) VALUES (?, ?, ?, ?)
         ON CONFLICT (doc_key) DO UPDATE SET kind = excluded.kind, status = excluded.status, birth_key = excluded.birth_key`,
      ),
      upsertTicket: db.prepare(
        `INSERT INTO tickets (${TICKET_COLUMNS.join(', ')})
         VALUES (${TICKET_COLUMNS.map(() => '?').join(', ')})
         ON CONFLICT (id) DO UPDATE SET ${TICKET_COLUMNS.filter((c) => c !== 'id')
           .map((c) => `${c} = excluded.${c}`)
           .join(', ')}`,
      ),
      deletePassenger: db.prepare('DELETE FROM passengers WHERE doc_key = ?'),
      deleteTicket: db.prepare('DELETE FROM tickets WHERE id = ?'),
      getMeta: db.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
      setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      setSync: db.prepare(
        `INSERT INTO sync_state (id, station, epoch, seq, generated_at, applied_at) VALUES (1, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET station = excluded.station, epoch = excluded.epoch, seq = excluded.seq,
           generated_at = excluded.generated_at, applied_at = excluded.applied_at`,
      ),
    };
    statements.set(db, s);
  }
  return s;
}

export const SECRET_CHECK_KEY = 'secret-check';

// The cache is tied to the document key it was filled under by a SLOW, SALTED verifier (scrypt), not a fast
// fingerprint: someone holding a copy of the file cannot test guesses of the key at HMAC speed against it
// (issue 14). N = 2^14, r = 8: about 16 MiB and tens of milliseconds, paid once per key per process (memoised).
const SCRYPT = { N: 1 << 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;
const VERIFIER = /^scrypt:v1:(\d+):(\d+):(\d+):([0-9a-f]{32}):([0-9a-f]{64})$/;

function secretBytes(secret: string | Buffer): Buffer {
  return typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
}

/** A fresh verifier of the secret: `scrypt:v1:N:r:p:<salt hex>:<hash hex>` with a random 16-byte salt. */
export function secretVerifier(secret: string | Buffer): string {
  const salt = randomBytes(16);
  const hash = scryptSync(secretBytes(secret), salt, 32, SCRYPT);
  return `scrypt:v1:${SCRYPT.N}:${SCRYPT.r}:${SCRYPT.p}:${salt.toString('hex')}:${hash.toString('hex')}`;
}

const verified = new Map<string, boolean>();

/** Whether a stored verifier was made from this secret (memoised: a delta's writes do not pay scrypt again). */
export function secretMatches(stored: string, secret: string | Buffer): boolean {
  const memo = `${stored}\0${secretBytes(secret).toString('hex')}`;
  const hit = verified.get(memo);
  if (hit !== undefined) return hit;
  const m = VERIFIER.exec(stored);
  let ok = false;
  if (m) {
    const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const want = Buffer.from(m[5], 'hex');
    const got = scryptSync(secretBytes(secret), Buffer.from(m[4], 'hex'), want.length, { N, r, p, maxmem: SCRYPT.maxmem });
    ok = timingSafeEqual(got, want);
  }
  if (verified.size > 64) verified.clear();
  verified.set(memo, ok);
  return ok;
}

/**
 * Which of the gate's keys (current, next) the cache was filled under: its index, or -1 when the cache is bound to
 * none of them, or null when the cache is bound to no key yet (empty).
 */
export function boundSecretIndex(db: Db, secrets: readonly (string | Buffer)[]): number | null {
  const stored = prepared(db).getMeta.get(SECRET_CHECK_KEY) as string | undefined;
  if (stored === undefined) return null;
  return secrets.findIndex((s) => secretMatches(stored, s));
}

/**
 * Tie the file to one secret. Rows keyed with another secret would silently match nobody, so writing with a
 * different secret than the one the file was filled with is refused (`secret-mismatch`).
 */
export function bindSecret(db: Db, secret: string | Buffer): void {
  const s = prepared(db);
  const stored = s.getMeta.get(SECRET_CHECK_KEY) as string | undefined;
  if (stored === undefined) s.setMeta.run(SECRET_CHECK_KEY, secretVerifier(secret));
  else if (!secretMatches(stored, secret)) {
    throw new CacheError(
      'secret-mismatch',
      'the cache was filled with another HMAC secret; use the same secret, or clear the cache first (gate cache clear --config FILE --yes; the ledger and outbox are kept)',
    );
  }
}

/** Bind the file to a key whatever it was bound to before (a snapshot swap replaces every keyed row at once). */
export function rebindSecret(db: Db, secret: string | Buffer): void {
  prepared(db).setMeta.run(SECRET_CHECK_KEY, secretVerifier(secret));
}

/** The columns passengerRow and ticketRow fill, in order (the snapshot staging tables are written with them too). */
export const PASSENGER_COLUMNS = ['doc_key', 'kind', 'status', 'birth_key'] as const;
export const TICKET_COLUMNS = [
  'id',
  'doc_key',
  'train',
  'date',
  'from_station',
  'to_station',
  'departure',
  'arrival',
  'departure_ms',
  'arrival_ms',
  'car',
  'seat',
  'status',
  'fare',
  'concession_verified',
  'journey_from',
  'journey_to',
  'calls',
] as const;

/** The values one keyed passenger is stored as, in PASSENGER_COLUMNS order. */
export function passengerRow(r: KeyedPassenger): [string, string, string, string | null] {
  return [r.docKey, r.kind, r.status, r.birthKey ?? null];
}

/** The values one keyed ticket is stored as, in TICKET_COLUMNS order; departure/arrival kept as the ISO text and as epoch ms for range tests. */
export function ticketRow(r: KeyedTicket): (string | number | null)[] {
  return [
    r.id,
    r.docKey,
    r.train,
    r.date,
    r.from,
    r.to,
    r.departure,
    r.arrival,
    Date.parse(r.departure),
    Date.parse(r.arrival),
    r.car,
    r.seat,
    r.status,
    // Issue 17 (migration 008): calls as space-separated station codes (codes never hold a space).
    r.fare ?? 'adult',
    r.concessionVerified === undefined ? null : r.concessionVerified ? 1 : 0,
    r.registeredJourney?.from ?? null,
    r.registeredJourney?.to ?? null,
    r.calls ? r.calls.join(' ') : null,
  ];
}

/** Insert or replace keyed passengers; returns how many were written. The caller has bound the file's key. */
export function upsertPassengers(db: Db, records: Iterable<KeyedPassenger>): number {
  const s = prepared(db);
  return db.transaction(() => {
    let n = 0;
    for (const r of records) {
      s.upsertPassenger.run(...passengerRow(r));
      n++;
    }
    return n;
  })();
}

/** Insert or replace keyed tickets (by id). The caller has bound the file's key. */
export function upsertTickets(db: Db, records: Iterable<KeyedTicket>): number {
  const s = prepared(db);
  return db.transaction(() => {
    let n = 0;
    for (const r of records) {
      s.upsertTicket.run(...ticketRow(r));
      n++;
    }
    return n;
  })();
}

/** Remove passengers by document key; returns how many rows went. */
export function deletePassengers(db: Db, docKeys: Iterable<string>): number {
  const s = prepared(db);
  return db.transaction(() => {
    let n = 0;
    for (const k of docKeys) n += s.deletePassenger.run(k).changes;
    return n;
  })();
}

/** Remove tickets by id; returns how many rows went. */
export function deleteTickets(db: Db, ids: Iterable<string>): number {
  const s = prepared(db);
  return db.transaction(() => {
    let n = 0;
    for (const id of ids) n += s.deleteTicket.run(id).changes;
    return n;
  })();
}

/**
 * Empty the passenger and ticket tables before a full snapshot, and forget the secret binding with them.
 * The ledger is kept: passages happened, whatever central's next snapshot says.
 */
export function clearCache(db: Db): void {
  db.transaction(() => {
    db.prepare('DELETE FROM passengers').run();
    db.prepare('DELETE FROM tickets').run();
    db.prepare('DELETE FROM meta WHERE key = ?').run(SECRET_CHECK_KEY);
  })();
}

/**
 * Run a bulk load (a full snapshot after clearCache) with the doc_key index dropped and rebuilt at the end, inside
 * the caller's transaction: building the index once is 2-3x faster than maintaining it row by row
 * (research/sync-perf.md 1(a)). Readers on other connections keep the old index until the commit.
 */
export function withTicketIndexDeferred<T>(db: Db, load: () => T): T {
  return db.transaction(() => {
    db.exec('DROP INDEX IF EXISTS tickets_by_doc');
    const result = load();
    db.exec('CREATE INDEX tickets_by_doc ON tickets(doc_key)');
    return result;
  })();
}

export interface SyncStateInput {
  station: string;
  /** Central's snapshot epoch (a new epoch means a new full snapshot); `import:<...>` for a file import. */
  epoch: string;
  /** The last delta sequence applied within the epoch (0 right after a snapshot). */
  seq: number;
  /** When central generated the data (ISO 8601 with offset): the cache's age is measured from it. */
  generatedAt: string;
  /** When the gate applied it (ISO 8601). */
  appliedAt: string;
}

export function setSyncState(db: Db, state: SyncStateInput): void {
  prepared(db).setSync.run(state.station, state.epoch, state.seq, state.generatedAt, state.appliedAt);
}
