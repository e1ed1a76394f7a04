// Migration 7 (issue 14): a gate upgraded from a version that stored plain birth dates and a fast secret fingerprint
// comes up with neither: the cache is emptied (cache-stale, the gate asks central for a snapshot), the ledger and
// outbox are kept, and the column now holds only keyed birth values.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, openDb, schemaVersion } from '../../src/cache/db.js';
import { MIGRATIONS } from '../../src/cache/migrations/index.js';
import { tempDir } from '../sync/fixtures.js';

let tmp: ReturnType<typeof tempDir> | undefined;
afterEach(() => tmp?.cleanup());

describe('migration 6: keyed birth dates', () => {
  it('empties a cache that holds plain birth dates and keeps the ledger', () => {
    tmp = tempDir();
    const path = join(tmp.dir, 'gate.db');
    const old = new Database(path);
    migrate(
      old,
      MIGRATIONS.filter((m) => m.version <= 6),
    );
    expect(schemaVersion(old)).toBe(6);
    old.prepare("INSERT INTO passengers (doc_key, kind, status, birth_date) VALUES ('k1', 'passport', 'verified', '1964-08-12')").run();
    old.prepare("INSERT INTO meta (key, value) VALUES ('secret-check', '0123456789abcdef')").run();
    old
      .prepare(
        "INSERT INTO sync_state (id, station, epoch, seq, generated_at, applied_at) VALUES (1, 'SHH', '7', 0, '2026-03-01T06:00:00Z', '2026-03-01T06:00:01Z')",
      )
      .run();
    old.prepare("INSERT INTO ledger VALUES ('T1', 'entry', 'SHH', '01', 1, 'e1', 'local')").run();
    old.close();

    const db = openDb(path);
    try {
      expect(schemaVersion(db)).toBe(MIGRATIONS[MIGRATIONS.length - 1].version);
      expect(db.prepare('SELECT count(*) FROM passengers').pluck().get()).toBe(0);
      expect(db.prepare('SELECT count(*) FROM sync_state').pluck().get()).toBe(0);
      expect(db.prepare("SELECT count(*) FROM meta WHERE key = 'secret-check'").pluck().get()).toBe(0);
      expect(db.prepare('SELECT count(*) FROM ledger').pluck().get()).toBe(1);
      const columns = (db.prepare('PRAGMA table_info(passengers)').all() as { name: string }[]).map((c) => c.name);
      expect(columns).toEqual(['doc_key', 'kind', 'status', 'birth_key']);
    } finally {
      db.close();
    }
  });
});
