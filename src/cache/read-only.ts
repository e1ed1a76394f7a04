// Reading the gate's database without writing a byte, for technicians' commands (doctor, status, decide, stats) run
// by a member of the gate's group who may read the file but not write its folder.
// SQLite's WAL mode needs the -shm file beside the database. While the daemon runs it exists and a read-only
// connection shares it. With the daemon stopped it is gone (a clean close checkpoints the WAL into the file and
// removes both), and a user who cannot create it gets SQLITE_READONLY_DIRECTORY on the first query; then the file,
// which is complete, is read into memory instead.
import { existsSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { CacheError, type Db } from './db.js';

/** SQLite's answers when the -shm file can neither be opened nor created. */
const NEEDS_SHM = new Set(['SQLITE_READONLY_DIRECTORY', 'SQLITE_READONLY_CANTINIT', 'SQLITE_CANTOPEN', 'SQLITE_READONLY_CANTLOCK']);

function openFailed(path: string, err: unknown): CacheError {
  const e = err as NodeJS.ErrnoException;
  const why =
    e.code === 'EACCES' || /permission denied/i.test(e.message)
      ? 'permission denied: run as a member of the gate group (install.sh) or with sudo'
      : e.message;
  return new CacheError('open-failed', `cannot read database ${path}: ${why}`, { cause: err });
}

function probe(db: Db): void {
  db.prepare('SELECT count(*) FROM sqlite_schema').pluck().get();
}

/** A read-only connection: the file shared with a running daemon, or a private in-memory copy of it. */
export function openReadOnly(path: string): Db {
  if (!existsSync(path))
    throw new CacheError('open-failed', `no database at ${path}: the gate creates it on start; gate cache import fills one`);
  let db: Db;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw openFailed(path, err);
  }
  try {
    probe(db);
    db.pragma('busy_timeout = 5000');
    return db;
  } catch (err) {
    db.close();
    if (!NEEDS_SHM.has((err as { code?: string }).code ?? '')) throw openFailed(path, err);
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw openFailed(path, err);
  }
  // Bytes 18-19 of the header say "WAL" (2); an in-memory copy has no WAL, so mark it a rollback-journal file (1).
  if (bytes.length >= 20) bytes[18] = bytes[19] = 1;
  try {
    const copy = new Database(bytes, { readonly: true });
    probe(copy);
    return copy;
  } catch (err) {
    throw openFailed(path, err);
  }
}
