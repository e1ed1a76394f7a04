// The passage ledger: which tickets were used in which direction, here (source 'local') or at a sibling gate of the
// station (source 'sibling'), at most once per (ticket, direction). With it live the authorisations the MCU holds
// (pending_auth: whose ticket a passage reported after a daemon restart was) and the sibling passages central cleared
// (cleared_uses: a replay of one never takes the ticket again). The lane's own passages are consumed inside the lane
// journal's transaction (src/outbox/lane-journal.ts), together with the event that reports them.
import type { Statement } from 'better-sqlite3';
import type { Db } from '../cache/db.js';
import { sqliteWrite } from '../cache/sqlite-failure.js';
import type { LedgerUse } from '../cache/view.js';
import type { PassageEvent, PendingAuthorisation } from '../gate/events.js';
import { toLedgerError } from './errors.js';

export type Direction = PassageEvent['direction'];

/** A passage of this gate that takes its ticket. */
export interface LocalUse {
  ticketId: string;
  direction: Direction;
  atMs: number;
  eventId: string;
}

/** A sibling use central says did not happen (a delta's clearUses). */
export interface ClearedUse {
  ticketId: string;
  direction: Direction;
}

/** An authorisation is forgotten when a passage older than a day would be its report: the MCU rebooted long ago. */
export const PENDING_AUTH_KEEP_MS = 24 * 3_600_000;

/** The lane's side: consume, and the authorisations the MCU holds. Used inside the lane journal's transaction. */
export interface LaneLedger {
  /** Take the ticket in this direction for a passage of this gate; false when it was already taken (here or at a sibling). */
  consume(use: LocalUse): boolean;
  /** Remember an authorisation before it goes to the MCU (rows older than a day before it go). */
  rememberAuthorisation(a: PendingAuthorisation): void;
  /** The authorisation's row, forgotten in the same step: its passage is being recorded. Null when none is held. */
  takeAuthorisation(authId: number): PendingAuthorisation | null;
  /** The newest remembered authId, so a restarted lane does not reuse one the MCU may still hold. */
  lastAuthId(): number | null;
}

/** The sibling gates' side (src/mqtt/siblings.ts): their passages, idempotent, and central's corrections. */
export interface SiblingLedger {
  /**
   * A passage another gate of this station reported: mark the ticket used (source 'sibling') so it is refused here
   * at once. Idempotent; true when the ledger did not hold it yet. A passage central cleared stays cleared.
   */
  recordSiblingPassage(e: PassageEvent): boolean;
  /** Give back tickets consumed through sibling uses central says did not happen; their eventIds are kept. */
  clearSiblingUses(uses: readonly ClearedUse[], atMs: number): number;
}

/** Retention (src/outbox/retention.ts): bounded batches, one short transaction each. */
export interface LedgerPruning {
  /**
   * Delete up to `limit` rows (own and sibling passages) whose ticket can open no gate any more: its arrival is
   * before `arrivalBeforeMs`, or, for a row whose ticket the cache did not hold when it was recorded, the passage
   * itself is before `passedBeforeMs`.
   */
  pruneLedger(arrivalBeforeMs: number, passedBeforeMs: number, limit: number): number;
  /** Delete up to `limit` cleared sibling passages cleared before `beforeMs`. */
  pruneClearedUses(beforeMs: number, limit: number): number;
}

/** What the decision sees of a ticket (the same rows CacheView.ledgerUses reads). */
export interface LedgerReader {
  uses(ticketId: string): LedgerUse[];
}

export interface PassageLedger extends LaneLedger, SiblingLedger, LedgerPruning, LedgerReader {}

export interface LedgerOptions {
  /** This gate: its own passages are recorded under it, and its own or another station's never count as a sibling's. */
  station: string;
  gate: string;
}

/** Whether a passage event may take a ticket as a sibling's use at this gate. */
export function isSiblingUse(e: PassageEvent, self: LedgerOptions): e is PassageEvent & { ticketId: string } {
  return e.outcome === 'passed' && e.ticketId !== null && e.gate !== self.gate && e.station === self.station;
}

/**
 * Clear sibling uses inside the caller's transaction (the sync worker's delta apply runs it with its own connection).
 * The cleared passages' eventIds are kept first: their signed messages, replayed, are refused for good.
 */
export function clearSiblingUses(db: Db, uses: readonly ClearedUse[], atMs: number): number {
  if (uses.length === 0) return 0;
  const remember = db.prepare(
    "INSERT OR IGNORE INTO cleared_uses (event_id, ticket_id, cleared_ms) SELECT event_id, ticket_id, ? FROM ledger WHERE ticket_id = ? AND direction = ? AND source = 'sibling'",
  );
  const clear = db.prepare("DELETE FROM ledger WHERE ticket_id = ? AND direction = ? AND source = 'sibling'");
  let cleared = 0;
  for (const u of uses) {
    remember.run(atMs, u.ticketId, u.direction);
    cleared += clear.run(u.ticketId, u.direction).changes;
  }
  return cleared;
}

interface PendingRow {
  auth_id: number;
  direction: Direction;
  ticket_id: string | null;
  doc_key: string | null;
  decision_event_id: string | null;
  at_ms: number;
}

export class SqlitePassageLedger implements PassageLedger {
  private readonly s: Record<
    | 'consume'
    | 'uses'
    | 'cleared'
    | 'pendingAuth'
    | 'forgetAuth'
    | 'rememberAuth'
    | 'pruneAuth'
    | 'lastAuth'
    | 'pruneLedger'
    | 'pruneCleared',
    Statement
  >;

  constructor(
    private readonly db: Db,
    private readonly self: LedgerOptions,
  ) {
    this.s = {
      // The ticket's arrival comes along from the cache (migration 9): the row is pruned by it once no gate can need it.
      consume: db.prepare(
        `INSERT INTO ledger (ticket_id, direction, station, gate, at_ms, event_id, source, arrival_ms)
         VALUES (@ticket, @direction, @station, @gate, @at, @eventId, @source, (SELECT arrival_ms FROM tickets WHERE id = @ticket)) ON CONFLICT DO NOTHING`,
      ),
      uses: db.prepare('SELECT direction, station, gate, at_ms, source FROM ledger WHERE ticket_id = ? ORDER BY direction'),
      cleared: db.prepare('SELECT 1 FROM cleared_uses WHERE event_id = ?'),
      pendingAuth: db.prepare('SELECT * FROM pending_auth WHERE auth_id = ?'),
      forgetAuth: db.prepare('DELETE FROM pending_auth WHERE auth_id = ?'),
      rememberAuth: db.prepare(
        'INSERT OR REPLACE INTO pending_auth (auth_id, direction, ticket_id, doc_key, decision_event_id, at_ms) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      pruneAuth: db.prepare('DELETE FROM pending_auth WHERE at_ms < ?'),
      lastAuth: db.prepare('SELECT auth_id FROM pending_auth ORDER BY at_ms DESC, rowid DESC LIMIT 1').pluck(),
      // Bounded batches (LIMIT inside the key subquery): each call is one short transaction, never a long lock.
      pruneLedger: db.prepare(
        `DELETE FROM ledger WHERE (ticket_id, direction) IN (
           SELECT ticket_id, direction FROM ledger
           WHERE CASE WHEN arrival_ms IS NULL THEN at_ms < @passedBefore ELSE arrival_ms < @arrivalBefore END LIMIT @limit)`,
      ),
      pruneCleared: db.prepare(
        'DELETE FROM cleared_uses WHERE event_id IN (SELECT event_id FROM cleared_uses WHERE cleared_ms < ? LIMIT ?)',
      ),
    };
  }

  consume(use: LocalUse): boolean {
    return this.write('consume ticket', () =>
      this.take(use.ticketId, use.direction, this.self.station, this.self.gate, use.atMs, use.eventId, 'local'),
    );
  }

  rememberAuthorisation(a: PendingAuthorisation): void {
    this.write('remember authorisation', () => {
      // Old rows (a passage never reported: the MCU rebooted) would only grow the table.
      this.s.pruneAuth.run(a.atMs - PENDING_AUTH_KEEP_MS);
      this.s.rememberAuth.run(a.authId, a.direction, a.ticketId, a.docKey, a.decisionEventId, a.atMs);
    });
  }

  takeAuthorisation(authId: number): PendingAuthorisation | null {
    return this.write('clear authorisation', () => {
      const r = this.s.pendingAuth.get(authId) as PendingRow | undefined;
      if (!r) return null;
      this.s.forgetAuth.run(authId);
      return {
        authId: r.auth_id,
        direction: r.direction,
        ticketId: r.ticket_id,
        docKey: r.doc_key,
        decisionEventId: r.decision_event_id,
        atMs: r.at_ms,
      };
    });
  }

  lastAuthId(): number | null {
    return (this.s.lastAuth.get() as number | undefined) ?? null;
  }

  recordSiblingPassage(e: PassageEvent): boolean {
    if (!isSiblingUse(e, this.self)) return false;
    const ticketId = e.ticketId;
    return this.write('record sibling passage', () => {
      if (this.s.cleared.get(e.eventId) !== undefined) return false;
      return this.take(ticketId, e.direction, e.station, e.gate, Date.parse(e.at), e.eventId, 'sibling');
    });
  }

  clearSiblingUses(uses: readonly ClearedUse[], atMs: number): number {
    return this.write('clear sibling uses', () => clearSiblingUses(this.db, uses, atMs));
  }

  pruneLedger(arrivalBeforeMs: number, passedBeforeMs: number, limit: number): number {
    return this.write(
      'prune ledger',
      () => this.s.pruneLedger.run({ arrivalBefore: arrivalBeforeMs, passedBefore: passedBeforeMs, limit }).changes,
    );
  }

  pruneClearedUses(beforeMs: number, limit: number): number {
    return this.write('prune cleared uses', () => this.s.pruneCleared.run(beforeMs, limit).changes);
  }

  uses(ticketId: string): LedgerUse[] {
    return (
      this.s.uses.all(ticketId) as { direction: Direction; station: string; gate: string; at_ms: number; source: LedgerUse['source'] }[]
    ).map((r) => ({
      direction: r.direction,
      station: r.station,
      gate: r.gate,
      atMs: r.at_ms,
      source: r.source,
    }));
  }

  private take(
    ticket: string,
    direction: Direction,
    station: string,
    gate: string,
    at: number,
    eventId: string,
    source: 'local' | 'sibling',
  ): boolean {
    return this.s.consume.run({ ticket, direction, station, gate, at, eventId, source }).changes === 1;
  }

  /** One transaction (a savepoint inside the lane journal's); any SQLite failure becomes a LedgerError. */
  private write<T>(what: string, fn: () => T): T {
    return sqliteWrite(this.db, fn, (err) => toLedgerError(err, what));
  }
}
