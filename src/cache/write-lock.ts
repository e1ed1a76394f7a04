// Writing to the gate's file from a second connection (the sync worker) while the lane commits decisions on its own.
// Every such write takes the file's write lock UP FRONT (BEGIN IMMEDIATE): a deferred transaction that reads first
// and writes later gets SQLITE_BUSY at once, without waiting, when the lane commits in between (issue 13: a snapshot
// lost to a decision). BEGIN IMMEDIATE waits in SQLite's busy handler instead; what still comes back SQLITE_BUSY
// (the lock held past the wait, a WAL recovery under way) is tried again until one bound for the whole write runs
// out. The wait is bounded so a writer that never lets go costs a resync and a storage-fault alarm, not a hung worker.
import type { Db } from './db.js';
import { sqliteCode } from './db.js';

/** How long a sync write may wait for the write lock in all (the worker counts as hung after 60 s). */
export const DEFAULT_WRITE_WAIT_MS = 20_000;

/** Pause between tries when SQLite answered BUSY without waiting itself. */
const RETRY_PAUSE_MS = 25;

export interface WriteLockOptions {
  /** The bound for the whole write, tries included. */
  waitMs?: number;
  /** Told of each try that found the file busy (for a debug line); `attempt` counts from 1. */
  onBusy?(attempt: number, waitedMs: number): void;
}

/** SQLITE_BUSY and its extended codes (BUSY_SNAPSHOT, BUSY_RECOVERY, BUSY_TIMEOUT). */
export function isBusy(err: unknown): boolean {
  return sqliteCode(err)?.startsWith('SQLITE_BUSY') ?? false;
}

// A synchronous pause: better-sqlite3 is synchronous, and the sync worker has nothing else to do meanwhile.
const pauseCell = new Int32Array(new SharedArrayBuffer(4));
function pause(ms: number): void {
  Atomics.wait(pauseCell, 0, 0, ms);
}

/**
 * Run `fn` in one IMMEDIATE transaction on `db`, retrying on SQLITE_BUSY until `waitMs` has passed in all. Each try
 * lets SQLite's busy handler wait at most what is left of the bound. Throws the last SQLite error when the bound runs
 * out, and any other error at once; the transaction has then rolled back.
 */
export function withWriteLock<T>(db: Db, fn: () => T, opts: WriteLockOptions = {}): T {
  const waitMs = opts.waitMs ?? DEFAULT_WRITE_WAIT_MS;
  const own = db.pragma('busy_timeout', { simple: true }) as number;
  const started = Date.now();
  const tx = db.transaction(fn);
  try {
    for (let attempt = 1; ; attempt++) {
      const left = Math.max(0, waitMs - (Date.now() - started));
      db.pragma(`busy_timeout = ${Math.round(left)}`);
      try {
        return tx.immediate();
      } catch (err) {
        const waited = Date.now() - started;
        if (!isBusy(err) || waited >= waitMs) throw err;
        opts.onBusy?.(attempt, waited);
        pause(Math.min(RETRY_PAUSE_MS, waitMs - waited));
      }
    }
  } finally {
    db.pragma(`busy_timeout = ${own}`);
  }
}
