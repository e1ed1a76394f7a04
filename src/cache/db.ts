// The gate's SQLite file: cache (passengers, tickets), passage ledger, sync state and the event outbox live in
// one file so that a ledger change and the event reporting it commit in one transaction.
import Database from 'better-sqlite3';
import { MIGRATIONS, type Migration } from './migrations/index.js';
import { GateError } from '../util/gate-error.js';

export type Db = Database.Database;

export type CacheErrorCode = 'open-failed' | 'migration-failed' | 'newer-schema' | 'import-invalid' | 'secret-mismatch';

export class CacheError extends GateError<CacheErrorCode> {
  constructor(code: CacheErrorCode, message: string, options?: { cause?: unknown }) {
    super('cache', code, message, code === 'migration-failed' || code === 'newer-schema' ? 'fatal' : 'fix-config', options);
  }
}

export interface OpenOptions {
  readonly?: boolean;
  /** Skip migrations (a reader connection opened after the writer migrated). */
  migrate?: boolean;
}

/** Open (and create) the gate database in WAL mode with synchronous=FULL, and bring its schema up to date. */
export function openDb(path: string, opts: OpenOptions = {}): Db {
  let db: Db;
  try {
    db = new Database(path, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  } catch (err) {
    throw new CacheError('open-failed', `cannot open database ${path}: ${(err as Error).message}`, { cause: err });
  }
  db.pragma('busy_timeout = 5000');
  if (!opts.readonly) {
    db.pragma('journal_mode = WAL');
    // FULL: a passage the MCU confirmed is on disk before the lane reports it done (power loss safety).
    db.pragma('synchronous = FULL');
    if (opts.migrate ?? true) migrate(db);
  }
  return db;
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Apply every migration newer than the file's user_version, each in its own transaction. */
export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): number {
  const current = schemaVersion(db);
  const latest = migrations.length ? migrations[migrations.length - 1].version : 0;
  if (current > latest) {
    throw new CacheError('newer-schema', `database schema version ${current} is newer than this software (${latest}); upgrade the gate software`);
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    try {
      db.transaction(() => {
        m.up(db);
        db.pragma(`user_version = ${m.version}`);
      })();
    } catch (err) {
      throw new CacheError('migration-failed', `migration ${m.version} (${m.name}) failed: ${(err as Error).message}`, { cause: err });
    }
  }
  return schemaVersion(db);
}
