// Surviving a damaged database at start. A file that fails its integrity check (zeroed or truncated header, damaged
// pages, flipped bytes) is never decided from and never makes `gate run` exit (systemd would restart it into the
// same failure for ever): it is moved aside with its -wal/-shm, kept for inspection, and a fresh file takes its
// place. What can still be read of the gate's own records (ledger, pending authorisations, outbox, command nonces,
// meta, and any other table that is not central's cache) is copied over row by row; the cache itself (passengers,
// tickets, sync state) is not: it comes back whole from central's snapshot, which the daemon asks for.
import { existsSync, renameSync } from 'node:fs';
import Database from 'better-sqlite3';
import { checkIntegrity, openDb, type Db, type IntegrityDepth } from '../cache/db.js';
import { clearCheckAtStart } from './integrity-check.js';
import { errorLine } from '../util/gate-error.js';
import type { Logger } from '../util/log.js';

/** Central's data: rebuilt from a snapshot, never salvaged (a half-copied cache would decide wrongly). */
const CACHE_TABLES = new Set(['passengers', 'tickets', 'sync_state', 'sync_status']);
const isCacheTable = (name: string) => CACHE_TABLES.has(name) || name.startsWith('sync_stage_') || name.startsWith('sqlite_');

/** After a read error a rowid table is resumed this many times, each further past the damage. */
const MAX_RESUMES = 24;

export interface TableSalvage {
  table: string;
  copied: number;
  /** Whether a read error cut the copy short (rows after the damage may be missing). */
  damaged: boolean;
}

export interface StorageRecovery {
  /** Why the file was refused: 'not-a-database' (header) or 'corrupt' (pages). */
  code: 'not-a-database' | 'corrupt';
  detail: string;
  /** Where the damaged file now is (its -wal and -shm beside it with the same name). */
  movedTo: string;
  tables: TableSalvage[];
  /** Set when nothing at all could be read from the damaged file. */
  unreadable: string | null;
}

/** The name the damaged file is kept under: `<db>.corrupt-<UTC time>`, unique per start. */
export function asideName(path: string, nowMs: number): string {
  return `${path}.corrupt-${new Date(nowMs).toISOString().replace(/[:.]/g, '-')}`;
}

/**
 * Check the gate's database (to `depth`: src/daemon/integrity-check.ts says which); when it fails, move it aside,
 * create a fresh one and salvage what can be read. Returns null when the file is fine (or absent). Throws only what
 * checkIntegrity throws (not corruption: the file cannot be opened at all, e.g. permissions), which a human must fix.
 */
export function recoverStorage(path: string, nowMs: number, log?: Logger, depth: IntegrityDepth = 'quick'): StorageRecovery | null {
  const verdict = checkIntegrity(path, depth);
  // A full check asked for by an earlier start has now been done, whatever it found.
  if (depth === 'quick') clearCheckAtStart(path);
  if (verdict.ok) return null;
  const movedTo = asideName(path, nowMs);
  for (const suffix of ['', '-wal', '-shm']) if (existsSync(path + suffix)) renameSync(path + suffix, movedTo + suffix);
  log?.error(
    { code: verdict.code, detail: verdict.detail, movedTo },
    'database failed its integrity check: moved aside, starting from a fresh file',
  );

  const fresh = openDb(path);
  const result: StorageRecovery = { code: verdict.code, detail: verdict.detail, movedTo, tables: [], unreadable: null };
  try {
    let old: Db;
    try {
      old = new Database(movedTo, { readonly: true, fileMustExist: true });
      // Lets SQLite read a file shorter than its header says (cut short by a full disk or a bad copy) instead of
      // refusing every table: the pages that are there can still be read. writable_schema only takes effect outside
      // better-sqlite3's defensive mode; the connection is read-only, so nothing can be written either way.
      old.unsafeMode(true);
      old.pragma('writable_schema = ON');
    } catch (err) {
      result.unreadable = errorLine(err);
      return result;
    }
    try {
      result.tables = salvageTables(old, fresh, (err) => (result.unreadable ??= errorLine(err)));
      keepSequenceAhead(fresh);
    } finally {
      old.close();
    }
  } finally {
    fresh.close();
  }
  log?.warn(
    { tables: result.tables.map((t) => `${t.table}:${t.copied}${t.damaged ? '+damaged' : ''}`).join(','), unreadable: result.unreadable },
    'gate records salvaged',
  );
  return result;
}

function salvageTables(old: Db, fresh: Db, onUnreadable: (err: unknown) => void): TableSalvage[] {
  let names: string[];
  try {
    names = old.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all() as string[];
  } catch (err) {
    onUnreadable(err);
    return [];
  }
  const freshTables = new Set(fresh.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all() as string[]);
  const out: TableSalvage[] = [];
  for (const table of names) {
    if (isCacheTable(table) || !freshTables.has(table)) continue;
    out.push(salvageTable(old, fresh, table));
  }
  return out;
}

const q = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Copy one table's readable rows; a read error skips past the damage (rowid tables) or ends the table. */
function salvageTable(old: Db, fresh: Db, table: string): TableSalvage {
  const result: TableSalvage = { table, copied: 0, damaged: false };
  let cols: string[];
  try {
    const oldCols = (old.pragma(`table_info(${q(table)})`) as { name: string }[]).map((c) => c.name);
    const freshCols = new Set((fresh.pragma(`table_info(${q(table)})`) as { name: string }[]).map((c) => c.name));
    cols = oldCols.filter((c) => freshCols.has(c));
  } catch {
    return { ...result, damaged: true };
  }
  if (cols.length === 0) return result;
  // Rows already in the fresh file (the single-row tables a migration seeds) are replaced by the salvaged ones.
  const insert = fresh.prepare(`INSERT OR REPLACE INTO ${q(table)} (${cols.map(q).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
  const list = cols.map(q).join(', ');
  const withRowid = hasRowid(old, table);
  let after = Number.MIN_SAFE_INTEGER;
  let gap = 1;
  for (let attempt = 0; attempt <= MAX_RESUMES; attempt++) {
    try {
      const rows = withRowid
        ? old
            .prepare(`SELECT rowid AS __rowid, ${list} FROM ${q(table)} WHERE rowid > ? ORDER BY rowid`)
            .raw()
            .iterate(after)
        : old
            .prepare(`SELECT ${list} FROM ${q(table)}`)
            .raw()
            .iterate();
      for (const row of rows as Iterable<unknown[]>) {
        const values = withRowid ? row.slice(1) : row;
        if (withRowid) after = row[0] as number;
        try {
          insert.run(...values);
          result.copied++;
        } catch {
          result.damaged = true; // a row the fresh schema refuses (damaged content): skipped
        }
      }
      return result;
    } catch {
      result.damaged = true;
      if (!withRowid) return result;
      // Skip past the damaged page: further each time, so a long damaged run costs few attempts.
      after = Math.max(after, 0) + gap;
      gap *= 4;
    }
  }
  return result;
}

function hasRowid(db: Db, table: string): boolean {
  try {
    db.prepare(`SELECT rowid FROM ${q(table)} LIMIT 0`).all();
    return true;
  } catch {
    return false;
  }
}

/** The next event's seq must be past every salvaged one, even when outbox_seq itself was lost. */
function keepSequenceAhead(db: Db): void {
  try {
    db.prepare('UPDATE outbox_seq SET last_seq = max(last_seq, (SELECT coalesce(max(seq), 0) FROM outbox)) WHERE id = 1').run();
  } catch {
    // an older schema without outbox_seq: nothing to keep ahead
  }
}
