// `gate cache stats --db PATH`: what the cache holds and how old it is. Reads only; needs no secret.
import { statSync } from 'node:fs';
import { parseOptions, requireOption, writeJson, type Command } from '../command.js';
import { schemaVersion, type Db } from '../../cache/db.js';
import { openReadOnly } from '../../cache/read-only.js';
import { MIGRATIONS } from '../../cache/migrations/index.js';
import { cacheCounts, SqliteCacheView } from '../../cache/view.js';

/** Rows of every table of the file, by name (the schema's own tables only). */
function tableRows(db: Db): Record<string, number> {
  const names = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .pluck()
    .all() as string[];
  return Object.fromEntries(
    names.map((n) => [
      n,
      db
        .prepare(`SELECT count(*) FROM "${n.replaceAll('"', '""')}"`)
        .pluck()
        .get() as number,
    ]),
  );
}

/** A file's size; 0 when it does not exist (no WAL after a clean close). */
function sizeOr0(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

export const cacheStatsCommand: Command = {
  name: 'cache stats',
  summary: 'counts, snapshot time and schema version of a cache file',
  help: `usage: gate cache stats --db PATH

Prints, as JSON: the number of passengers, tickets and ledger rows, the snapshot's station, time
(generatedAt), epoch and sequence, when it was applied, its age, the file's schema version and size, the rows of
every table (tables) and the sizes of the database file and its write-ahead log (files: db, wal, in bytes).

options:
  --db PATH    the gate's SQLite file (must exist)`,
  async run(args, io) {
    const { values } = parseOptions(args, { db: { type: 'string' } });
    const dbPath = requireOption(values.db, 'db');
    const db = openReadOnly(dbPath);
    try {
      const counts = cacheCounts(db);
      // The secret is not needed to read the sync state; an empty one keys nothing here.
      const sync = new SqliteCacheView(db, '').syncState();
      const latest = MIGRATIONS[MIGRATIONS.length - 1].version;
      writeJson(io, {
        ...counts,
        snapshot: sync
          ? {
              station: sync.station,
              generatedAt: sync.generatedAt,
              ageMinutes: Math.floor((Date.now() - sync.generatedAtMs) / 60_000),
              epoch: sync.epoch,
              seq: sync.seq,
              appliedAt: sync.appliedAt,
            }
          : null,
        schemaVersion: schemaVersion(db),
        latestSchemaVersion: latest,
        bytes: statSync(dbPath).size,
        tables: tableRows(db),
        files: { db: statSync(dbPath).size, wal: sizeOr0(`${dbPath}-wal`) },
      });
    } finally {
      db.close();
    }
    return 0;
  },
};
