import type { Db } from '../db.js';

// Every decision, passage and alarm, committed before the lane counts it done; `seq` is the gap-free per-gate
// sequence (AUTOINCREMENT is not used: seq = max + 1 inside the writing transaction keeps it gap-free).
export function outboxSchema(db: Db): void {
  db.exec(`
    CREATE TABLE outbox (
      seq        INTEGER PRIMARY KEY,
      event_id   TEXT NOT NULL UNIQUE,
      kind       TEXT NOT NULL CHECK (kind IN ('decision','passage','alarm')),
      payload    TEXT NOT NULL,
      created_ms INTEGER NOT NULL,
      sent_ms    INTEGER
    ) STRICT;
    CREATE INDEX outbox_unsent ON outbox(seq) WHERE sent_ms IS NULL;
  `);
}
