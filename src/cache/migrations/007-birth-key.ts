import type { Db } from '../db.js';
// Issue 14: central sends a keyed birth value (birthKey, docs/sync.md) instead of the birth date, and the cache binds
// its key with a slow salted verifier instead of a fast fingerprint. Rows written before hold plain birth dates that
// no keyed value can be compared with, so the cache is emptied (the ledger and outbox are kept): the gate sends
// passengers to the staffed lane as cache-stale and asks central for a snapshot (`no-data`) at once.
export function birthKeySchema(db: Db): void {
  db.exec(`
    DELETE FROM passengers;
    DELETE FROM tickets;
    DELETE FROM sync_state;
    DELETE FROM meta WHERE key = 'secret-check';
    ALTER TABLE passengers RENAME COLUMN birth_date TO birth_key;
  `);
}
