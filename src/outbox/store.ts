// The lane's durable record: every decision, passage and alarm goes into the outbox in the same SQLite transaction
// as the ledger change it reports, with a UUIDv7 eventId and a gap-free per-gate seq. Each call returns only after
// COMMIT (synchronous=FULL, set by openDb), so what the lane counts as done survives a crash or power loss.
// The publisher reads pending rows in seq order and marks them sent on PUBACK; sent rows are pruned after retention.
import type { Statement } from 'better-sqlite3';
import type { Db } from '../cache/db.js';
import {
  alarmEventSchema,
  decisionEventSchema,
  passageEventSchema,
  type AlarmEvent,
  type DecisionEvent,
  type GateEvent,
  type LaneStore,
  type NewEvent,
  type PendingAuthorisation,
  type PassageEvent,
} from '../gate/events.js';
import { GateError, type Recovery } from '../util/gate-error.js';
import { uuidv7 } from '../util/uuidv7.js';

export type OutboxErrorCode = 'disk-full' | 'io-error' | 'busy' | 'read-only' | 'corrupt' | 'write-failed' | 'invalid-event';

// Nothing committed means nothing may open: the lane refuses passengers until a write succeeds again.
export const OUTBOX_RECOVERY: Record<OutboxErrorCode, Recovery> = {
  'disk-full': 'refuse',
  'io-error': 'refuse',
  busy: 'retry',
  'read-only': 'refuse',
  corrupt: 'refuse',
  'write-failed': 'refuse',
  'invalid-event': 'drop',
};

export class OutboxError extends GateError<OutboxErrorCode> {
  constructor(code: OutboxErrorCode, message: string, options?: { cause?: unknown }) {
    super('outbox', code, message, OUTBOX_RECOVERY[code], options);
  }
}

export type EventKind = GateEvent['kind'];

const ROSTER_META_KEY = 'station-roster';
const ROSTER_MIN_META_KEY = 'station-roster-min-version';

export interface OutboxRow {
  seq: number;
  eventId: string;
  kind: EventKind;
  /** The event as JSON: exactly what is published. */
  payload: string;
  createdMs: number;
  sentMs: number | null;
  /** The gate's signature of a passage payload (MQTT 5 user property `sig`), null otherwise. */
  sig: string | null;
}

/** What still waits for central: read through the partial index of unsent rows, cheap whatever the table holds. */
export interface OutboxBacklog {
  pending: number;
  lastSeq: number;
  /** created_ms of the oldest unsent row. */
  oldestPendingMs: number | null;
}

export interface OutboxCounts extends OutboxBacklog {
  /** Sent rows kept for retention: counting them scans the table (for `gate events tail`, not for a timer). */
  sent: number;
}

export interface OutboxStoreOptions {
  station: string;
  gate: string;
  /** The clock: eventIds and created_ms come from it. */
  now?: () => number;
  /** Signs a passage event's exact payload (the gate's key, purpose `passage`); without it passages go unsigned. */
  signPassage?: (payload: Buffer) => string;
}

interface RawRow {
  seq: number;
  event_id: string;
  kind: EventKind;
  payload: string;
  created_ms: number;
  sent_ms: number | null;
  sig: string | null;
}

const toRow = (r: RawRow): OutboxRow => ({ seq: r.seq, eventId: r.event_id, kind: r.kind, payload: r.payload, createdMs: r.created_ms, sentMs: r.sent_ms, sig: r.sig ?? null });

/** Map a better-sqlite3 failure to the outbox error the lane acts on (it refuses to open on any of them). */
export function toOutboxError(err: unknown, what: string): OutboxError {
  if (err instanceof OutboxError) return err;
  const code = (err as { code?: unknown })?.code;
  const c = typeof code === 'string' ? code : '';
  const mapped: OutboxErrorCode = c.startsWith('SQLITE_FULL')
    ? 'disk-full'
    : c.startsWith('SQLITE_IOERR')
      ? 'io-error'
      : c.startsWith('SQLITE_BUSY') || c.startsWith('SQLITE_LOCKED')
        ? 'busy'
        : c.startsWith('SQLITE_READONLY')
          ? 'read-only'
          : c.startsWith('SQLITE_CORRUPT') || c.startsWith('SQLITE_NOTADB')
            ? 'corrupt'
            : 'write-failed';
  return new OutboxError(mapped, `${what}: ${c || 'error'} ${(err as Error)?.message ?? String(err)}`.trim(), { cause: err });
}

export class SqliteOutboxStore implements LaneStore {
  readonly station: string;
  readonly gate: string;
  private readonly now: () => number;
  private readonly signPassage: ((payload: Buffer) => string) | undefined;
  private readonly s: {
    nextSeq: Statement;
    insert: Statement;
    consume: Statement;
    pendingAfter: Statement;
    markSent: Statement;
    counts: Statement;
    backlog: Statement;
    prune: Statement;
    last: Statement;
    nonceSeen: Statement;
    nonceAdd: Statement;
    noncePrune: Statement;
    nonceHighWater: Statement;
    getMeta: Statement;
    setMeta: Statement;
    cleared: Statement;
    pendingAuth: Statement;
    forgetAuth: Statement;
    rememberAuth: Statement;
    pruneAuth: Statement;
    lastAuth: Statement;
    pruneLedger: Statement;
    pruneCleared: Statement;
  };

  constructor(
    private readonly db: Db,
    opts: OutboxStoreOptions,
  ) {
    this.station = opts.station;
    this.gate = opts.gate;
    this.now = opts.now ?? Date.now;
    this.signPassage = opts.signPassage;
    this.s = {
      nextSeq: db.prepare('UPDATE outbox_seq SET last_seq = last_seq + 1 WHERE id = 1 RETURNING last_seq'),
      insert: db.prepare('INSERT INTO outbox (seq, event_id, kind, payload, created_ms, sig) VALUES (?, ?, ?, ?, ?, ?)'),
      // The ticket's arrival comes along from the cache (migration 8): the row is pruned by it once no gate can need it.
      consume: db.prepare(
        `INSERT INTO ledger (ticket_id, direction, station, gate, at_ms, event_id, source, arrival_ms)
         VALUES (@ticket, @direction, @station, @gate, @at, @eventId, @source, (SELECT arrival_ms FROM tickets WHERE id = @ticket)) ON CONFLICT DO NOTHING`,
      ),
      pendingAfter: db.prepare('SELECT * FROM outbox WHERE sent_ms IS NULL AND seq > ? ORDER BY seq LIMIT ?'),
      markSent: db.prepare('UPDATE outbox SET sent_ms = ? WHERE seq = ? AND sent_ms IS NULL'),
      counts: db.prepare(
        `SELECT (SELECT count(*) FROM outbox WHERE sent_ms IS NULL) AS pending,
                (SELECT count(*) FROM outbox WHERE sent_ms IS NOT NULL) AS sent,
                (SELECT last_seq FROM outbox_seq WHERE id = 1) AS lastSeq,
                (SELECT created_ms FROM outbox WHERE sent_ms IS NULL ORDER BY seq LIMIT 1) AS oldestPendingMs`,
      ),
      backlog: db.prepare(
        `SELECT (SELECT count(*) FROM outbox WHERE sent_ms IS NULL) AS pending,
                (SELECT last_seq FROM outbox_seq WHERE id = 1) AS lastSeq,
                (SELECT created_ms FROM outbox WHERE sent_ms IS NULL ORDER BY seq LIMIT 1) AS oldestPendingMs`,
      ),
      prune: db.prepare('DELETE FROM outbox WHERE sent_ms IS NOT NULL AND sent_ms < ?'),
      last: db.prepare('SELECT * FROM outbox ORDER BY seq DESC LIMIT ?'),
      nonceSeen: db.prepare('SELECT 1 FROM command_nonces WHERE nonce = ?'),
      nonceAdd: db.prepare('INSERT INTO command_nonces (nonce, issued_ms, seen_ms) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
      noncePrune: db.prepare('DELETE FROM command_nonces WHERE issued_ms < ?'),
      nonceHighWater: db.prepare('SELECT max(issued_ms) FROM command_nonces').pluck(),
      getMeta: db.prepare('SELECT value FROM meta WHERE key = ?').pluck(),
      cleared: db.prepare('SELECT 1 FROM cleared_uses WHERE event_id = ?'),
      setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      pendingAuth: db.prepare('SELECT ticket_id, doc_key, decision_event_id FROM pending_auth WHERE auth_id = ?'),
      forgetAuth: db.prepare('DELETE FROM pending_auth WHERE auth_id = ?'),
      rememberAuth: db.prepare('INSERT OR REPLACE INTO pending_auth (auth_id, direction, ticket_id, doc_key, decision_event_id, at_ms) VALUES (?, ?, ?, ?, ?, ?)'),
      pruneAuth: db.prepare('DELETE FROM pending_auth WHERE at_ms < ?'),
      lastAuth: db.prepare('SELECT auth_id FROM pending_auth ORDER BY at_ms DESC, rowid DESC LIMIT 1').pluck(),
      // Bounded batches (LIMIT inside the key subquery): each call is one short transaction, never a long lock.
      pruneLedger: db.prepare(
        `DELETE FROM ledger WHERE (ticket_id, direction) IN (
           SELECT ticket_id, direction FROM ledger
           WHERE CASE WHEN arrival_ms IS NULL THEN at_ms < @passedBefore ELSE arrival_ms < @arrivalBefore END LIMIT @limit)`,
      ),
      pruneCleared: db.prepare('DELETE FROM cleared_uses WHERE event_id IN (SELECT event_id FROM cleared_uses WHERE cleared_ms < ? LIMIT ?)'),
    };
  }

  recordDecision(e: NewEvent<DecisionEvent>): DecisionEvent {
    return this.write('record decision', () => this.append(decisionEventSchema, e));
  }

  recordPassage(e: NewEvent<PassageEvent>, authId: number | null = null): { event: PassageEvent; consumed: boolean } {
    return this.write('record passage', () => {
      if (authId) {
        const pending = this.s.pendingAuth.get(authId) as { ticket_id: string | null; doc_key: string | null; decision_event_id: string | null } | undefined;
        if (pending && e.outcome === 'passed' && e.ticketId === null) {
          e = { ...e, ticketId: pending.ticket_id, docKey: pending.doc_key, decisionEventId: pending.decision_event_id };
        }
        this.s.forgetAuth.run(authId);
      }
      const event = this.append(passageEventSchema, e);
      let consumed = false;
      if (event.outcome === 'passed' && event.ticketId !== null) {
        const at = Date.parse(event.at);
        consumed = this.consume(event.ticketId, event.direction, this.station, this.gate, at, event.eventId, 'local');
      }
      return { event, consumed };
    });
  }

  rememberAuthorisation(a: PendingAuthorisation): void {
    this.write('remember authorisation', () => {
      // Old rows (a passage never reported: the MCU rebooted) would only grow the table.
      this.s.pruneAuth.run(a.atMs - 24 * 3_600_000);
      this.s.rememberAuth.run(a.authId, a.direction, a.ticketId, a.docKey, a.decisionEventId, a.atMs);
    });
  }

  lastAuthId(): number | null {
    return (this.s.lastAuth.get() as number | undefined) ?? null;
  }

  recordAlarm(e: NewEvent<AlarmEvent>): AlarmEvent {
    return this.write('record alarm', () => this.append(alarmEventSchema, e));
  }

  /**
   * A passage another gate of this station reported: mark the ticket used in this gate's ledger (source 'sibling')
   * so it is refused here at once. Idempotent; true when the ledger did not hold it yet. Nothing goes to the outbox:
   * the event is the other gate's to report.
   */
  recordSiblingPassage(e: PassageEvent): boolean {
    if (e.outcome !== 'passed' || e.ticketId === null || e.gate === this.gate || e.station !== this.station) return false;
    const ticketId = e.ticketId;
    return this.write('record sibling passage', () => {
      // A passage central already cleared (clearUses) stays cleared, however often its message is replayed.
      if (this.s.cleared.get(e.eventId) !== undefined) return false;
      return this.consume(ticketId, e.direction, e.station, e.gate, Date.parse(e.at), e.eventId, 'sibling');
    });
  }

  /** The station roster message last taken (its signed bytes, verified again when read), or null. */
  savedRoster(): Buffer | null {
    const v = this.s.getMeta.get(ROSTER_META_KEY) as string | undefined;
    return v === undefined ? null : Buffer.from(v, 'base64');
  }

  saveRoster(bytes: Uint8Array): void {
    this.write('save roster', () => this.s.setMeta.run(ROSTER_META_KEY, Buffer.from(bytes).toString('base64')));
  }

  /** The smallest roster version central's signed head has vouched for (0: none yet). */
  rosterMinVersion(): number {
    return Number(this.s.getMeta.get(ROSTER_MIN_META_KEY) ?? 0);
  }

  saveRosterMinVersion(version: number): void {
    this.write('save roster minimum', () => this.s.setMeta.run(ROSTER_MIN_META_KEY, String(version)));
  }

  /** Unsent rows after `afterSeq`, in seq order. */
  pendingAfter(afterSeq: number, limit: number): OutboxRow[] {
    return (this.s.pendingAfter.all(afterSeq, limit) as RawRow[]).map(toRow);
  }

  /** Mark rows sent (their PUBACK arrived), in one transaction. */
  markSent(seqs: readonly number[], atMs: number = this.now()): void {
    if (seqs.length === 0) return;
    this.write('mark sent', () => {
      for (const seq of seqs) this.s.markSent.run(atMs, seq);
    });
  }

  counts(): OutboxCounts {
    return this.s.counts.get() as OutboxCounts;
  }

  /** Pending rows, last seq and the oldest pending row's age, without the sent rows' scan (the daemon's status timer). */
  backlog(): OutboxBacklog {
    return this.s.backlog.get() as OutboxBacklog;
  }

  pendingCount(): number {
    return this.backlog().pending;
  }

  /** The newest rows, newest first. */
  lastRows(limit: number): OutboxRow[] {
    return (this.s.last.all(limit) as RawRow[]).map(toRow);
  }

  /** Delete rows sent before now - retention; returns how many. Unsent rows are never pruned. */
  prune(retentionMs: number, nowMs: number = this.now()): number {
    return this.write('prune outbox', () => this.s.prune.run(nowMs - retentionMs).changes);
  }

  /**
   * Delete up to `limit` ledger rows (own and sibling passages) whose ticket can open no gate any more: its arrival
   * is before `arrivalBeforeMs`, or, for a row whose ticket the cache did not hold when it was recorded, the passage
   * itself is before `passedBeforeMs`. The caller (src/outbox/retention.ts) derives both from the exit grace.
   */
  pruneLedger(arrivalBeforeMs: number, passedBeforeMs: number, limit: number): number {
    return this.write('prune ledger', () => this.s.pruneLedger.run({ arrivalBefore: arrivalBeforeMs, passedBefore: passedBeforeMs, limit }).changes);
  }

  /** Delete up to `limit` cleared sibling passages (cleared_uses) cleared before `beforeMs`. */
  pruneClearedUses(beforeMs: number, limit: number): number {
    return this.write('prune cleared uses', () => this.s.pruneCleared.run(beforeMs, limit).changes);
  }

  nonceSeen(nonce: string): boolean {
    return this.s.nonceSeen.get(nonce) !== undefined;
  }

  /** Remember an authorised command's nonce; false when it was already there (a replay). */
  rememberNonce(nonce: string, issuedMs: number, nowMs: number = this.now()): boolean {
    return this.write('remember nonce', () => this.s.nonceAdd.run(nonce, issuedMs, nowMs).changes === 1);
  }

  /**
   * The newest issuedAt of any command accepted (ms), or null: the replay high-water mark. Pruning only ever removes
   * nonces far below it, so the newest row always stays and the mark survives restarts and clock steps.
   */
  nonceHighWater(): number | null {
    return (this.s.nonceHighWater.get() as number | null | undefined) ?? null;
  }

  /** Forget nonces of commands issued before `beforeMs`: those are refused as stale anyway. */
  pruneNonces(beforeMs: number): number {
    return this.write('prune nonces', () => this.s.noncePrune.run(beforeMs).changes);
  }

  /** Take the ticket in the ledger for one direction; false when it was already taken. */
  private consume(ticket: string, direction: string, station: string, gate: string, at: number, eventId: string, source: 'local' | 'sibling'): boolean {
    return this.s.consume.run({ ticket, direction, station, gate, at, eventId, source }).changes === 1;
  }

  private append<E extends GateEvent>(schema: { safeParse(v: unknown): { success: true; data: E } | { success: false; error: unknown } }, e: NewEvent<E>): E {
    const nowMs = this.now();
    const { last_seq: seq } = this.s.nextSeq.get() as { last_seq: number };
    const candidate = { ...e, eventId: uuidv7(nowMs), seq, station: this.station, gate: this.gate };
    const parsed = schema.safeParse(candidate);
    if (!parsed.success) throw new OutboxError('invalid-event', `${e.kind} event does not match its schema`, { cause: parsed.error });
    const event = parsed.data;
    const payload = JSON.stringify(event);
    const sig = event.kind === 'passage' && this.signPassage ? this.signPassage(Buffer.from(payload, 'utf8')) : null;
    this.s.insert.run(seq, event.eventId, event.kind, payload, nowMs, sig);
    return event;
  }

  /** One transaction; any SQLite failure becomes an OutboxError (the whole change is rolled back). */
  private write<T>(what: string, fn: () => T): T {
    try {
      return this.db.transaction(fn).immediate();
    } catch (err) {
      throw toOutboxError(err, what);
    }
  }
}
