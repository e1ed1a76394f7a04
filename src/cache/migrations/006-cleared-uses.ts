import type { Db } from '../db.js';
// Sibling passages central cleared with a delta's clearUses: their eventIds are kept so that the same signed passage,
// replayed from the broker afterwards, cannot take the ticket again (the signature is still valid; only its eventId
// tells it apart). Pruned with the ledger's other old rows.
export function clearedUsesSchema(db: Db): void {
  db.exec(`
    CREATE TABLE cleared_uses (
      event_id   TEXT PRIMARY KEY,
      ticket_id  TEXT NOT NULL,
      cleared_ms INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
  `);
}
