// The event outbox: every decision, passage and alarm the gate reports, each with a UUIDv7 eventId and a gap-free
// per-gate seq, kept until central acknowledged it (PUBACK) and then for the retention period. Appends join the
// caller's transaction: the lane journal (lane-journal.ts) commits an event with the ledger change it reports.
// The publisher reads pending rows in seq order and marks them sent; sent rows are pruned after retention.
import type { Statement } from 'better-sqlite3';
import type { Db } from '../cache/db.js';
import { STORE_WRITE_RECOVERY, sqliteFailureLine, sqliteFailureOf, sqliteWrite, type SqliteFailure } from '../cache/sqlite-failure.js';
import { gateEventSchema, type GateEvent, type NewEvent } from '../gate/events.js';
import { GateError, type Recovery } from '../util/gate-error.js';
import { uuidv7 } from '../util/uuidv7.js';

export type OutboxErrorCode = SqliteFailure | 'invalid-event';

// Nothing committed means nothing may open: the lane refuses passengers until a write succeeds again.
export const OUTBOX_RECOVERY: Readonly<Record<OutboxErrorCode, Recovery>> = { ...STORE_WRITE_RECOVERY, 'invalid-event': 'drop' };

export class OutboxError extends GateError<OutboxErrorCode> {
  constructor(code: OutboxErrorCode, message: string, options?: { cause?: unknown }) {
    super('outbox', code, message, OUTBOX_RECOVERY[code], options);
  }
}

/** Map a better-sqlite3 failure to the outbox error the lane acts on (it refuses to open on any of them). */
export function toOutboxError(err: unknown, what: string): OutboxError {
  if (err instanceof OutboxError) return err;
  return new OutboxError(sqliteFailureOf(err), sqliteFailureLine(err, what), { cause: err });
}

export type EventKind = GateEvent['kind'];

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

/** The writing side, for the lane journal only: called inside its transaction, so an event never outlives a rollback. */
export interface OutboxAppend {
  /** Give the event its eventId, seq, station and gate, check it against its schema and store it; returns it as stored. */
  append<E extends GateEvent>(e: NewEvent<E>): E;
}

/** The publisher's side: which gate's topics, the pending rows in seq order, PUBACKs, retention. */
export interface OutboxDrain {
  readonly station: string;
  readonly gate: string;
  /** Unsent rows after `afterSeq`, in seq order. */
  pendingAfter(afterSeq: number, limit: number): OutboxRow[];
  /** Mark rows sent (their PUBACK arrived), in one transaction. */
  markSent(seqs: readonly number[], atMs?: number): void;
  /** Delete rows sent before now - retention; returns how many. Unsent rows are never pruned. */
  prune(retentionMs: number, nowMs?: number): number;
}

/** What the status, `gate doctor` and `gate events tail` read. */
export interface OutboxStats {
  /** Pending rows, last seq and the oldest pending row's age, without the sent rows' scan (the status timer). */
  backlog(): OutboxBacklog;
  pendingCount(): number;
  counts(): OutboxCounts;
  /** The newest rows, newest first. */
  lastRows(limit: number): OutboxRow[];
}

export interface Outbox extends OutboxAppend, OutboxDrain, OutboxStats {}

export interface OutboxOptions {
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

const toRow = (r: RawRow): OutboxRow => ({
  seq: r.seq,
  eventId: r.event_id,
  kind: r.kind,
  payload: r.payload,
  createdMs: r.created_ms,
  sentMs: r.sent_ms,
  sig: r.sig ?? null,
});

/**
 * Build the stored form of an event (shared by the SQLite outbox and the tests' memory outbox, so both give the same
 * envelope and refuse the same events): envelope, schema check, payload, passage signature.
 */
export function sealEvent<E extends GateEvent>(
  e: NewEvent<E>,
  seq: number,
  nowMs: number,
  o: Pick<OutboxOptions, 'station' | 'gate' | 'signPassage'>,
): { event: E; payload: string; sig: string | null } {
  const candidate = { ...e, eventId: uuidv7(nowMs), seq, station: o.station, gate: o.gate };
  const parsed = gateEventSchema.safeParse(candidate);
  if (!parsed.success) throw new OutboxError('invalid-event', `${e.kind} event does not match its schema`, { cause: parsed.error });
  const event = parsed.data as E;
  const payload = JSON.stringify(event);
  const sig = event.kind === 'passage' && o.signPassage ? o.signPassage(Buffer.from(payload, 'utf8')) : null;
  return { event, payload, sig };
}

export class SqliteOutbox implements Outbox {
  readonly station: string;
  readonly gate: string;
  private readonly now: () => number;
  private readonly signPassage: ((payload: Buffer) => string) | undefined;
  private readonly s: Record<'nextSeq' | 'insert' | 'pendingAfter' | 'markSent' | 'counts' | 'backlog' | 'prune' | 'last', Statement>;

  constructor(
    private readonly db: Db,
    opts: OutboxOptions,
  ) {
    this.station = opts.station;
    this.gate = opts.gate;
    this.now = opts.now ?? Date.now;
    this.signPassage = opts.signPassage;
    this.s = {
      nextSeq: db.prepare('UPDATE outbox_seq SET last_seq = last_seq + 1 WHERE id = 1 RETURNING last_seq'),
      insert: db.prepare('INSERT INTO outbox (seq, event_id, kind, payload, created_ms, sig) VALUES (?, ?, ?, ?, ?, ?)'),
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
    };
  }

  append<E extends GateEvent>(e: NewEvent<E>): E {
    return this.write(`record ${e.kind}`, () => {
      const nowMs = this.now();
      const { last_seq: seq } = this.s.nextSeq.get() as { last_seq: number };
      const { event, payload, sig } = sealEvent(e, seq, nowMs, { station: this.station, gate: this.gate, signPassage: this.signPassage });
      this.s.insert.run(seq, event.eventId, event.kind, payload, nowMs, sig);
      return event;
    });
  }

  pendingAfter(afterSeq: number, limit: number): OutboxRow[] {
    return (this.s.pendingAfter.all(afterSeq, limit) as RawRow[]).map(toRow);
  }

  markSent(seqs: readonly number[], atMs: number = this.now()): void {
    if (seqs.length === 0) return;
    this.write('mark sent', () => {
      for (const seq of seqs) this.s.markSent.run(atMs, seq);
    });
  }

  counts(): OutboxCounts {
    return this.s.counts.get() as OutboxCounts;
  }

  backlog(): OutboxBacklog {
    return this.s.backlog.get() as OutboxBacklog;
  }

  pendingCount(): number {
    return this.backlog().pending;
  }

  lastRows(limit: number): OutboxRow[] {
    return (this.s.last.all(limit) as RawRow[]).map(toRow);
  }

  prune(retentionMs: number, nowMs: number = this.now()): number {
    return this.write('prune outbox', () => this.s.prune.run(nowMs - retentionMs).changes);
  }

  /** One transaction (a savepoint inside the lane journal's); any SQLite failure becomes an OutboxError. */
  private write<T>(what: string, fn: () => T): T {
    return sqliteWrite(this.db, fn, (err) => toOutboxError(err, what));
  }
}
