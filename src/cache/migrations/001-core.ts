import type { Db } from '../db.js';

// Documents appear only as doc_key = HMAC-SHA256(secret, canonical identity): no number, no name in this file.
export function coreSchema(db: Db): void {
  db.exec(`
    CREATE TABLE meta (
      key   TEXT PRIMARY KEY,
      value TEXT NOT NULL
    ) STRICT;

    CREATE TABLE passengers (
      doc_key    TEXT PRIMARY KEY,
      kind       TEXT NOT NULL,
      status     TEXT NOT NULL CHECK (status IN ('verified','pending','rejected')),
      birth_date TEXT
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE tickets (
      id           TEXT PRIMARY KEY,
      doc_key      TEXT NOT NULL,
      train        TEXT NOT NULL,
      date         TEXT NOT NULL,
      from_station TEXT NOT NULL,
      to_station   TEXT NOT NULL,
      departure    TEXT NOT NULL,
      arrival      TEXT NOT NULL,
      departure_ms INTEGER NOT NULL,
      arrival_ms   INTEGER NOT NULL,
      car          TEXT NOT NULL,
      seat         TEXT NOT NULL,
      status       TEXT NOT NULL CHECK (status IN ('valid','refunded','changed','used-entry','used-exit'))
    ) STRICT;
    CREATE INDEX tickets_by_doc ON tickets(doc_key);

    -- A ticket is consumed once per direction: the primary key makes a second consumption impossible.
    CREATE TABLE ledger (
      ticket_id TEXT NOT NULL,
      direction TEXT NOT NULL CHECK (direction IN ('entry','exit')),
      station   TEXT NOT NULL,
      gate      TEXT NOT NULL,
      at_ms     INTEGER NOT NULL,
      event_id  TEXT NOT NULL,
      source    TEXT NOT NULL CHECK (source IN ('local','sibling','central')),
      PRIMARY KEY (ticket_id, direction)
    ) STRICT, WITHOUT ROWID;

    CREATE TABLE sync_state (
      id           INTEGER PRIMARY KEY CHECK (id = 1),
      station      TEXT NOT NULL,
      epoch        TEXT NOT NULL,
      seq          INTEGER NOT NULL,
      generated_at TEXT NOT NULL,
      applied_at   TEXT NOT NULL
    ) STRICT;
  `);
}
