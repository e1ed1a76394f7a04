// In-memory stand-ins for the gate's stores, held to the same contract suites as the SQLite ones
// (test/outbox/outbox.contract.test.ts, test/ledger/passage-ledger.contract.test.ts,
// test/mqtt/nonce-store.contract.test.ts, test/outbox/lane-journal.contract.test.ts). `failing` makes every write
// throw the part's disk-full error, as a full disk would. Each part can checkpoint and roll back, so the memory lane
// journal keeps the one promise SQLite's transaction keeps: a record and its ledger change land together or not at all.
import type { LedgerUse } from '../../src/cache/view.js';
import type { GateEvent, NewEvent, PassageEvent, PendingAuthorisation } from '../../src/gate/events.js';
import { LedgerError } from '../../src/ledger/errors.js';
import {
  PENDING_AUTH_KEEP_MS,
  isSiblingUse,
  type ClearedUse,
  type Direction,
  type LedgerOptions,
  type LocalUse,
  type PassageLedger,
} from '../../src/ledger/passage-ledger.js';
import { LaneJournal, type Transact } from '../../src/outbox/lane-journal.js';
import {
  OutboxError,
  sealEvent,
  type Outbox,
  type OutboxBacklog,
  type OutboxCounts,
  type OutboxOptions,
  type OutboxRow,
} from '../../src/outbox/outbox.js';
import type { CommandNonces } from '../../src/mqtt/nonce-store.js';
import { GateError } from '../../src/util/gate-error.js';

/** A part whose state can be put back as it was (the memory transaction). */
interface Checkpointed {
  checkpoint(): () => void;
}

export class MemoryOutbox implements Outbox, Checkpointed {
  readonly station: string;
  readonly gate: string;
  failing = false;
  private rows: OutboxRow[] = [];
  private lastSeq = 0;
  private readonly now: () => number;

  constructor(private readonly opts: OutboxOptions) {
    this.station = opts.station;
    this.gate = opts.gate;
    this.now = opts.now ?? Date.now;
  }

  /** Every event still held, in seq order. */
  get events(): GateEvent[] {
    return this.rows.map((r) => JSON.parse(r.payload) as GateEvent);
  }

  append<E extends GateEvent>(e: NewEvent<E>): E {
    this.check();
    const nowMs = this.now();
    const { event, payload, sig } = sealEvent(e, this.lastSeq + 1, nowMs, this.opts);
    this.lastSeq = event.seq;
    this.rows.push({ seq: event.seq, eventId: event.eventId, kind: event.kind, payload, createdMs: nowMs, sentMs: null, sig });
    return event;
  }

  pendingAfter(afterSeq: number, limit: number): OutboxRow[] {
    return this.rows
      .filter((r) => r.sentMs === null && r.seq > afterSeq)
      .slice(0, limit)
      .map((r) => ({ ...r }));
  }

  markSent(seqs: readonly number[], atMs: number = this.now()): void {
    if (seqs.length === 0) return;
    this.check();
    const wanted = new Set(seqs);
    for (const r of this.rows) if (wanted.has(r.seq) && r.sentMs === null) r.sentMs = atMs;
  }

  prune(retentionMs: number, nowMs: number = this.now()): number {
    this.check();
    const before = this.rows.length;
    this.rows = this.rows.filter((r) => r.sentMs === null || r.sentMs >= nowMs - retentionMs);
    return before - this.rows.length;
  }

  backlog(): OutboxBacklog {
    const pending = this.rows.filter((r) => r.sentMs === null);
    return { pending: pending.length, lastSeq: this.lastSeq, oldestPendingMs: pending[0]?.createdMs ?? null };
  }

  pendingCount(): number {
    return this.backlog().pending;
  }

  counts(): OutboxCounts {
    return { ...this.backlog(), sent: this.rows.filter((r) => r.sentMs !== null).length };
  }

  lastRows(limit: number): OutboxRow[] {
    return this.rows
      .slice(-limit)
      .reverse()
      .map((r) => ({ ...r }));
  }

  checkpoint(): () => void {
    const rows = this.rows.map((r) => ({ ...r }));
    const lastSeq = this.lastSeq;
    return () => {
      this.rows = rows;
      this.lastSeq = lastSeq;
    };
  }

  private check(): void {
    if (this.failing) throw new OutboxError('disk-full', 'record: SQLITE_FULL database or disk is full');
  }
}

export interface MemoryLedgerRow extends LedgerUse {
  ticketId: string;
  eventId: string;
  /** The ticket's arrival as the cache knew it when the row was taken (null: not in the cache). */
  arrivalMs: number | null;
}

export class MemoryPassageLedger implements PassageLedger, Checkpointed {
  /** Every write fails (a full disk). */
  failing = false;
  /** Only taking a ticket fails (the contract suite's broken ledger table, as SQLite's refusing trigger). */
  refuseUses = false;
  /** `${ticketId}|${direction}` -> the row that took it. */
  rows = new Map<string, MemoryLedgerRow>();
  /** authId -> the authorisation the MCU holds. */
  pending = new Map<number, PendingAuthorisation>();
  /** eventId of a cleared sibling passage -> when it was cleared. */
  cleared = new Map<string, number>();

  constructor(
    private readonly self: LedgerOptions,
    /** The cache's arrival of a ticket (SQLite reads it from the tickets table when the row is taken). */
    private readonly arrivalOf: (ticketId: string) => number | null = () => null,
  ) {}

  consume(use: LocalUse): boolean {
    return this.take(use.ticketId, use.direction, this.self.station, this.self.gate, use.atMs, use.eventId, 'local');
  }

  rememberAuthorisation(a: PendingAuthorisation): void {
    this.check();
    for (const [id, p] of this.pending) if (p.atMs < a.atMs - PENDING_AUTH_KEEP_MS) this.pending.delete(id);
    this.pending.set(a.authId, { ...a });
  }

  takeAuthorisation(authId: number): PendingAuthorisation | null {
    this.check();
    const p = this.pending.get(authId) ?? null;
    this.pending.delete(authId);
    return p;
  }

  lastAuthId(): number | null {
    // As SQLite orders it: the newest by time, then the highest authId (its rowid).
    let last: PendingAuthorisation | null = null;
    for (const p of this.pending.values()) if (!last || p.atMs > last.atMs || (p.atMs === last.atMs && p.authId > last.authId)) last = p;
    return last?.authId ?? null;
  }

  recordSiblingPassage(e: PassageEvent): boolean {
    if (!isSiblingUse(e, this.self)) return false;
    this.check();
    if (this.cleared.has(e.eventId)) return false;
    return this.take(e.ticketId, e.direction, e.station, e.gate, Date.parse(e.at), e.eventId, 'sibling');
  }

  clearSiblingUses(uses: readonly ClearedUse[], atMs: number): number {
    this.check();
    let n = 0;
    for (const u of uses) {
      const key = `${u.ticketId}|${u.direction}`;
      const row = this.rows.get(key);
      if (row?.source !== 'sibling') continue;
      if (!this.cleared.has(row.eventId)) this.cleared.set(row.eventId, atMs);
      this.rows.delete(key);
      n++;
    }
    return n;
  }

  pruneLedger(arrivalBeforeMs: number, passedBeforeMs: number, limit: number): number {
    this.check();
    let n = 0;
    for (const [key, r] of this.rows) {
      if (n === limit) break;
      if (r.arrivalMs === null ? r.atMs < passedBeforeMs : r.arrivalMs < arrivalBeforeMs) {
        this.rows.delete(key);
        n++;
      }
    }
    return n;
  }

  pruneClearedUses(beforeMs: number, limit: number): number {
    this.check();
    let n = 0;
    for (const [id, at] of this.cleared) {
      if (n === limit) break;
      if (at < beforeMs) {
        this.cleared.delete(id);
        n++;
      }
    }
    return n;
  }

  uses(ticketId: string): LedgerUse[] {
    return [...this.rows.values()]
      .filter((r) => r.ticketId === ticketId)
      .sort((a, b) => a.direction.localeCompare(b.direction))
      .map((r) => ({ direction: r.direction, station: r.station, gate: r.gate, atMs: r.atMs, source: r.source }));
  }

  checkpoint(): () => void {
    const rows = new Map(this.rows);
    const pending = new Map(this.pending);
    const cleared = new Map(this.cleared);
    return () => {
      this.rows = rows;
      this.pending = pending;
      this.cleared = cleared;
    };
  }

  private take(
    ticketId: string,
    direction: Direction,
    station: string,
    gate: string,
    atMs: number,
    eventId: string,
    source: 'local' | 'sibling',
  ): boolean {
    this.check();
    if (this.refuseUses) throw new LedgerError('write-failed', 'consume ticket: SQLITE_CONSTRAINT_TRIGGER refused by the test');
    const key = `${ticketId}|${direction}`;
    if (this.rows.has(key)) return false;
    this.rows.set(key, { ticketId, direction, station, gate, atMs, eventId, source, arrivalMs: this.arrivalOf(ticketId) });
    return true;
  }

  private check(): void {
    if (this.failing) throw new LedgerError('disk-full', 'consume ticket: SQLITE_FULL database or disk is full');
  }
}

export class MemoryCommandNonces implements CommandNonces {
  failing = false;
  private readonly nonces = new Map<string, { issuedMs: number; seenMs: number }>();

  seen(nonce: string): boolean {
    return this.nonces.has(nonce);
  }

  remember(nonce: string, issuedMs: number, nowMs: number): boolean {
    if (this.failing) throw new GateError('mqtt', 'store-failed', 'remember nonce: SQLITE_FULL database or disk is full', 'retry');
    if (this.nonces.has(nonce)) return false;
    this.nonces.set(nonce, { issuedMs, seenMs: nowMs });
    return true;
  }

  highWater(): number | null {
    let max: number | null = null;
    for (const n of this.nonces.values()) max = max === null ? n.issuedMs : Math.max(max, n.issuedMs);
    return max;
  }

  pruneBefore(beforeMs: number): number {
    let n = 0;
    for (const [nonce, v] of this.nonces) if (v.issuedMs < beforeMs && this.nonces.delete(nonce)) n++;
    return n;
  }
}

/** All or nothing over the given parts: on a throw each is put back as it was before `fn`. */
export function memoryTransact(parts: readonly Checkpointed[]): Transact {
  return (_what, fn) => {
    const restore = parts.map((p) => p.checkpoint());
    try {
      return fn();
    } catch (err) {
      for (const r of restore) r();
      throw err;
    }
  };
}

/** The lane journal over memory parts: the same LaneJournal code the gate runs over SQLite. */
export function memoryLaneJournal(opts: OutboxOptions, arrivalOf?: (ticketId: string) => number | null) {
  const outbox = new MemoryOutbox(opts);
  const ledger = new MemoryPassageLedger({ station: opts.station, gate: opts.gate }, arrivalOf);
  return { journal: new LaneJournal({ outbox, ledger, transact: memoryTransact([outbox, ledger]) }), outbox, ledger };
}
