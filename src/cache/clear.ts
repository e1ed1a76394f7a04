// Emptying the cache for a fresh start (a new HMAC secret, a cache from another station): passengers, tickets, the
// sync position and the secret's fingerprint go; the passage ledger (which tickets were used) and the event outbox
// (what central has not yet received) stay, so no ticket can be used twice and no event is lost.
import type { Db } from './db.js';
import { clearCache } from './write.js';

export interface ClearResult {
  passengers: number;
  tickets: number;
  /** Kept: counted so the technician sees they are still there. */
  ledgerKept: number;
  outboxKept: number;
}

export function clearCacheKeepLedger(db: Db): ClearResult {
  const count = (table: string) => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
  return db
    .transaction(() => {
      const result = {
        passengers: count('passengers'),
        tickets: count('tickets'),
        ledgerKept: count('ledger'),
        outboxKept: count('outbox'),
      };
      clearCache(db);
      // Without a position the sync worker asks central for a full snapshot at its next start.
      db.prepare('DELETE FROM sync_state').run();
      return result;
      // IMMEDIATE: this reads before it writes; a deferred transaction would fail at once when the running daemon commits.
    })
    .immediate();
}
