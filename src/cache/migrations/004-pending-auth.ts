import type { Db } from '../db.js';

// Authorisations the MCU holds: written before AUTHORISE goes out, deleted with the passage's record. After a
// daemon restart (crash, power) the MCU may still report a passage of an authorisation the new process never
// gave; this row says whose ticket it was, so that passage consumes it exactly once.
export function pendingAuthSchema(db: Db): void {
  db.exec(`
    CREATE TABLE pending_auth (
      auth_id            INTEGER PRIMARY KEY,
      direction          TEXT NOT NULL,
      ticket_id          TEXT,
      doc_key            TEXT,
      decision_event_id  TEXT,
      at_ms              INTEGER NOT NULL
    );
  `);
}
