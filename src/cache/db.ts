// The gate's SQLite file: cache (passengers, tickets), passage ledger, sync state and the event outbox live in
// one file so that a ledger change and the event reporting it commit in one transaction.
import { existsSync } from 'node:fs';
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
    throw new CacheError(
      'newer-schema',
      `database schema version ${current} is newer than this software (${latest}); upgrade the gate software`,
    );
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

/** What the start-up check found: ok, or why the file cannot be trusted (the SQLite code or quick_check's first line). */
export type IntegrityVerdict = { ok: true } | { ok: false; code: 'not-a-database' | 'corrupt'; detail: string };

const CORRUPTION_CODES: Record<string, 'not-a-database' | 'corrupt'> = { SQLITE_NOTADB: 'not-a-database', SQLITE_CORRUPT: 'corrupt' };

/**
 * How far to look: `quick` is PRAGMA quick_check over the whole file (O(size), no index cross-check, about 0.6 s at
 * a million tickets); `header` reads only the header and the schema (under a millisecond), which is what every
 * later read needs first.
 */
export type IntegrityDepth = 'quick' | 'header';

/**
 * Check the gate's file. `quick` catches a zeroed or truncated header (SQLITE_NOTADB at the first read), damaged
 * b-tree pages (SQLITE_CORRUPT, or quick_check's own findings) and flipped bytes inside pages; `header` only the
 * first kind and a damaged schema. A missing file is ok (it will be created). Other failures (permissions, a full
 * disk) are not corruption: they are thrown as open-failed, for a human to fix, and the file is left alone.
 */
export function checkIntegrity(path: string, depth: IntegrityDepth = 'quick'): IntegrityVerdict {
  if (!existsSync(path)) return { ok: true };
  let db: Db | undefined;
  try {
    // Read-only: a read-write connection would checkpoint a crash's WAL into the file on close, changing a damaged
    // file that is to be kept for inspection as it was. A read-only one still reads the WAL's pages.
    db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    if (depth === 'header') {
      db.pragma('schema_version');
      db.prepare('SELECT count(*) FROM sqlite_schema').get();
      return { ok: true };
    }
    const rows = db.pragma('quick_check') as { quick_check: string }[];
    const first = rows[0]?.quick_check ?? 'no answer';
    return first === 'ok' ? { ok: true } : { ok: false, code: 'corrupt', detail: first.split('\n')[0].slice(0, 200) };
  } catch (err) {
    const code = sqliteCode(err);
    const kind = code && (CORRUPTION_CODES[code] ?? (code.startsWith('SQLITE_CORRUPT') ? 'corrupt' : undefined));
    if (kind) return { ok: false, code: kind, detail: `${code}: ${(err as Error).message.split('\n')[0]}` };
    throw new CacheError('open-failed', `cannot check database ${path}: ${(err as Error).message}`, { cause: err });
  } finally {
    try {
      db?.close();
    } catch {
      // a file that failed its check may fail to close cleanly too; the verdict stands
    }
  }
}

/** The SQLite result code of a better-sqlite3 error (SQLITE_NOTADB, SQLITE_CORRUPT_INDEX, ...), if it has one. */
export function sqliteCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}
