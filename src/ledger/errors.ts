import { GateError, type Recovery } from '../util/gate-error.js';
import { STORE_WRITE_RECOVERY, sqliteFailureLine, sqliteFailureOf, type SqliteFailure } from '../cache/sqlite-failure.js';

export type LedgerErrorCode = SqliteFailure;

// As for the outbox: a ledger that cannot be written cannot promise exactly-once, so the lane refuses passengers
// until a write succeeds again (retry only when another writer held the lock).
export const LEDGER_RECOVERY: Readonly<Record<LedgerErrorCode, Recovery>> = STORE_WRITE_RECOVERY;

export class LedgerError extends GateError<LedgerErrorCode> {
  constructor(code: LedgerErrorCode, message: string, options?: { cause?: unknown }) {
    super('ledger', code, message, LEDGER_RECOVERY[code], options);
  }
}

export function toLedgerError(err: unknown, what: string): LedgerError {
  if (err instanceof LedgerError) return err;
  return new LedgerError(sqliteFailureOf(err), sqliteFailureLine(err, what), { cause: err });
}
