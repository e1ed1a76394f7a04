// Retention by meaning (issue 20): ledger rows, own and sibling passages, are kept exactly as long as a gate could
// still need them, and no longer. A ticket opens an entry gate until shortly before departure and an exit gate until
// its arrival plus the exit grace; after that every decision on it is too-late whatever the ledger says, so its rows
// can prove nothing more (anti-passback and exactly-once only ever ask "was this ticket used in this direction?" of a
// ticket that is still inside a window). docs/design.md "Retention" has the argument in full.
//
// The time that decides is never later than central's signed snapshot time: a gate clock that jumps years ahead (a flat RTC
// battery, a bad NTP answer) cannot prune what a corrected clock would still need. Work is done in small batches
// when the lane is idle, one short transaction each, and the WAL is truncated once it has grown past a bound.
import { statSync } from 'node:fs';
import type { Db } from '../cache/db.js';
import type { LedgerPruning } from '../ledger/passage-ledger.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Kept beyond the end of a ticket's last window, for clock error larger than NTP's steps. */
export const RETENTION_MARGIN_MS = 6 * HOUR;
/**
 * A row whose ticket the cache did not hold when it was recorded has no arrival: it is kept this long after the
 * passage itself, the longest a ticket's windows can still run after one of its passages (entry opens at most a day
 * before departure, the longest through journeys take under three days), plus the grace and margin added below.
 */
export const UNKNOWN_ARRIVAL_KEEP_MS = 4 * DAY;

export interface RetentionOptions {
  ledger: LedgerPruning;
  db: Db;
  /** The database file: its `-wal` sibling's size decides when the WAL is truncated. */
  dbPath: string;
  /** The gate's clock (ms). */
  now: () => number;
  /** generatedAt (ms) of the snapshot or delta last applied, or null with no cache: nothing is pruned then. */
  syncGeneratedAtMs: () => number | null;
  /** rules.exit.graceMinutesAfterArrival in ms. */
  exitGraceMs: number;
  /** Rows deleted per transaction. */
  batch?: number;
  /** The WAL is truncated when its file is larger than this. */
  walLimitBytes?: number;
}

export interface RetentionTick {
  ledger: number;
  clearedUses: number;
  /** The WAL was truncated (null: not needed; false: a reader or writer was in the way, tried again next tick). */
  walTruncated: boolean | null;
  /** A batch came back full: there is more to prune (the caller ticks again soon). */
  more: boolean;
}

export class LedgerRetention {
  private readonly batch: number;
  private readonly walLimit: number;

  constructor(private readonly o: RetentionOptions) {
    this.batch = o.batch ?? 200;
    this.walLimit = o.walLimitBytes ?? 8 * 1024 * 1024;
  }

  /**
   * The time before which a ticket's windows must have ended for its rows to go: the gate's clock, but never past
   * the time of central's last signed data (the morning snapshot, the day's deltas). A clock wrongly ahead is then
   * harmless: once it is corrected, every ticket that could open a gate again still has its rows.
   */
  horizon(): number | null {
    const generated = this.o.syncGeneratedAtMs();
    if (generated === null) return null;
    return Math.min(this.o.now(), generated) - this.o.exitGraceMs - RETENTION_MARGIN_MS;
  }

  /** One batch of each kind, then the WAL if it has grown past its bound. */
  tick(): RetentionTick {
    const horizon = this.horizon();
    let ledger = 0;
    let clearedUses = 0;
    if (horizon !== null) {
      ledger = this.o.ledger.pruneLedger(horizon, horizon - UNKNOWN_ARRIVAL_KEEP_MS, this.batch);
      // A cleared sibling passage is refused when replayed; once its ticket is past every window a replay could not
      // take anything either, so its mark goes with the ledger's other rows of that age.
      clearedUses = this.o.ledger.pruneClearedUses(horizon - UNKNOWN_ARRIVAL_KEEP_MS, this.batch);
    }
    return { ledger, clearedUses, walTruncated: this.truncateWalIfLarge(), more: ledger === this.batch || clearedUses === this.batch };
  }

  /**
   * SQLite checkpoints the WAL by itself (PASSIVE, every 1000 pages) but never shrinks the file: one large snapshot
   * apply would leave it at its peak for good. TRUNCATE copies it back and empties it; with busy_timeout 0 it gives up
   * at once instead of blocking the lane behind the sync worker's write.
   */
  private truncateWalIfLarge(): boolean | null {
    if (walBytes(this.o.dbPath) <= this.walLimit) return null;
    const timeout = this.o.db.pragma('busy_timeout', { simple: true }) as number;
    try {
      this.o.db.pragma('busy_timeout = 0');
      const [r] = this.o.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      return r?.busy === 0;
    } catch {
      return false;
    } finally {
      this.o.db.pragma(`busy_timeout = ${timeout}`);
    }
  }
}

/** Size of the database's WAL file (0 when there is none). */
export function walBytes(dbPath: string): number {
  try {
    return statSync(`${dbPath}-wal`).size;
  } catch {
    return 0;
  }
}
