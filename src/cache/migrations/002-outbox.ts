import type { Db } from '../db.js';

// Every decision, passage and alarm, committed before the lane counts it done. `seq` is the gap-free per-gate
// sequence: the last one handed out lives in outbox_seq (not max(seq) of the table: pruning sent rows must never
// let a sequence number be handed out twice; AUTOINCREMENT is not used because a rolled back insert skips one).
// command_nonces: nonces of authorised central commands, kept so a restart does not reopen the replay window.
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

    CREATE TABLE outbox_seq (
      id       INTEGER PRIMARY KEY CHECK (id = 1),
      last_seq INTEGER NOT NULL
    ) STRICT;
    INSERT INTO outbox_seq (id, last_seq) VALUES (1, 0);

    CREATE TABLE command_nonces (
      nonce     TEXT PRIMARY KEY,
      issued_ms INTEGER NOT NULL,
      seen_ms   INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
  `);
}
