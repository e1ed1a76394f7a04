// What a failed SQLite write means for the part that asked, whichever store it was (outbox, ledger, nonces): each
// layer wraps it in its own error type with the recovery that code calls for, so the mapping is written once.
import { GateError, type Recovery } from '../util/gate-error.js';
import type { Db } from './db.js';

export const SQLITE_FAILURES = ['disk-full', 'io-error', 'busy', 'read-only', 'corrupt', 'write-failed'] as const;
export type SqliteFailure = (typeof SQLITE_FAILURES)[number];

/**
 * What a store the lane commits through (outbox, ledger) does on each failure: nothing committed means nothing may
 * open, so the lane refuses passengers until a write succeeds again; only a lock another writer held is retried.
 */
export const STORE_WRITE_RECOVERY: Readonly<Record<SqliteFailure, Recovery>> = {
  'disk-full': 'refuse',
  'io-error': 'refuse',
  busy: 'retry',
  'read-only': 'refuse',
  corrupt: 'refuse',
  'write-failed': 'refuse',
};

/** The failure a better-sqlite3 error stands for, from its extended result code (SQLITE_FULL, SQLITE_IOERR_..., ...). */
export function sqliteFailureOf(err: unknown): SqliteFailure {
  const code = (err as { code?: unknown })?.code;
  const c = typeof code === 'string' ? code : '';
  if (c.startsWith('SQLITE_FULL')) return 'disk-full';
  if (c.startsWith('SQLITE_IOERR')) return 'io-error';
  if (c.startsWith('SQLITE_BUSY') || c.startsWith('SQLITE_LOCKED')) return 'busy';
  if (c.startsWith('SQLITE_READONLY')) return 'read-only';
  if (c.startsWith('SQLITE_CORRUPT') || c.startsWith('SQLITE_NOTADB')) return 'corrupt';
  return 'write-failed';
}

/** One line for the failure: what was being done, the SQLite code and its message. */
export function sqliteFailureLine(err: unknown, what: string): string {
  const code = (err as { code?: unknown })?.code;
  return `${what}: ${typeof code === 'string' ? code : 'error'} ${(err as Error)?.message ?? String(err)}`.trim();
}

/**
 * Run `fn` as one IMMEDIATE transaction (a savepoint inside the caller's, so a store's write joins a larger commit),
 * and turn any failure into the layer's error. A GateError thrown inside (another part's, already precise) passes as is.
 */
export function sqliteWrite<T>(db: Db, fn: () => T, toError: (err: unknown) => GateError): T {
  try {
    return db.transaction(fn).immediate();
  } catch (err) {
    throw err instanceof GateError ? err : toError(err);
  }
}
