import type { Db } from '../db.js';
// Issue 17: a ticket's fare (adult, child, student, disabled-military), a student ticket's concession check and
// registered journey, and the stations its train calls at. Existing rows are adult tickets with nothing else known,
// which is what central sent them as: no reload is needed.
export function ticketFaresSchema(db: Db): void {
  db.exec(`
    ALTER TABLE tickets ADD COLUMN fare TEXT NOT NULL DEFAULT 'adult' CHECK (fare IN ('adult','child','student','disabled-military'));
    ALTER TABLE tickets ADD COLUMN concession_verified INTEGER CHECK (concession_verified IN (0, 1));
    ALTER TABLE tickets ADD COLUMN journey_from TEXT;
    ALTER TABLE tickets ADD COLUMN journey_to TEXT;
    ALTER TABLE tickets ADD COLUMN calls TEXT;
  `);
}
