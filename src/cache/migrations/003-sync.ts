import type { Db } from '../db.js';

// What the sync engine knows beyond the applied (epoch, seq) in sync_state: the newest head central announced,
// a snapshot being assembled, the last resync request and the last refused batch. `gate sync status` reads it
// from another process; the sync worker writes it. Codes only: no record content.
export function syncStatusSchema(db: Db): void {
  db.exec(`
    CREATE TABLE sync_status (
      id                  INTEGER PRIMARY KEY CHECK (id = 1),
      head_epoch          INTEGER,
      head_seq            INTEGER,
      head_generated_at   TEXT,
      snapshot_epoch      INTEGER,
      snapshot_seq        INTEGER,
      snapshot_chunks     INTEGER,
      snapshot_received   INTEGER,
      snapshot_started_at TEXT,
      resync_reason       TEXT,
      resync_at           TEXT,
      resync_requests     INTEGER NOT NULL DEFAULT 0,
      rejected_code       TEXT,
      rejected_at         TEXT,
      rejected_count      INTEGER NOT NULL DEFAULT 0,
      updated_at          TEXT NOT NULL
    ) STRICT;
  `);
}
