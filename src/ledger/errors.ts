import { GateError, type Recovery } from '../util/gate-error.js';
import { sqliteFailureLine, sqliteFailureOf, type SqliteFailure } from '../cache/sqlite-failure.js';

export type LedgerErrorCode = SqliteFailure;

// As for the outbox: a ledger that cannot be written cannot promise exactly-once, so the lane refuses to open
// (retry only when another writer held the lock).
const RECOVERY: Record<LedgerErrorCode, Recovery> = {
  'disk-full': 'fatal',
  'io-error': 'fatal',
  busy: 'retry',
  'read-only': 'fatal',
  corrupt: 'fatal',
  'write-failed': 'fatal',
};

export class LedgerError extends GateError<LedgerErrorCode> {
  constructor(code: LedgerErrorCode, message: string, options?: { cause?: unknown }) {
    super('ledger', code, message, RECOVERY[code], options);
  }
}

export function toLedgerError(err: unknown, what: string): LedgerError {
  if (err instanceof LedgerError) return err;
  return new LedgerError(sqliteFailureOf(err), sqliteFailureLine(err, what), { cause: err });
}
