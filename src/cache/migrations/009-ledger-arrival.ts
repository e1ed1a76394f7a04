import type { Db } from '../db.js';
// Issue 20: retention by meaning. A ledger row (own or sibling passage) is needed only while its ticket can still open
// a gate; the last window any ticket has is exit, which ends at its scheduled arrival plus the exit grace. The row
// keeps that arrival, copied from the cache when the passage is recorded: the morning snapshot replaces the tickets
// table, so the ticket itself is gone by the time the row may be pruned. Rows whose ticket the cache no longer holds
// stay NULL and are pruned by their own time instead (src/outbox/retention.ts).
export function ledgerArrivalSchema(db: Db): void {
  db.exec(`
    ALTER TABLE ledger ADD COLUMN arrival_ms INTEGER;
    UPDATE ledger SET arrival_ms = (SELECT t.arrival_ms FROM tickets t WHERE t.id = ledger.ticket_id);
  `);
}
