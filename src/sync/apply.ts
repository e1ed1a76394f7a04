// Writing verified batches into the gate's SQLite file. Runs on the sync worker's own connection (WAL: the decision
// connection keeps reading the previous state until a commit). A delta is one transaction. A snapshot is staged
// chunk by chunk (one short transaction each) into staging tables in the gate's file that nothing else reads, then
// swapped in by ONE transaction that drops the live cache tables and renames the staged ones in their place: no row
// is copied a second time, the lane sees the old cache or the new one, never a mix, and the ledger and the outbox
// are not touched. Every write here takes the write lock up front and waits for it within a bound
// (src/cache/write-lock.ts): the lane's decision commits never make a batch fail, they only delay it.
import { createHash, type Hash } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../cache/db.js';
import {
  PASSENGER_COLUMNS,
  TICKET_COLUMNS,
  boundSecretIndex,
  deletePassengers,
  deleteTickets,
  passengerRow,
  rebindSecret,
  setSyncState,
  ticketRow,
  upsertPassengers,
  upsertTickets,
} from '../cache/write.js';
import { docKeyIdOf } from '../cache/keyed.js';
import { DEFAULT_WRITE_WAIT_MS, isBusy, withWriteLock } from '../cache/write-lock.js';
import { SyncError } from './errors.js';
import { clearSiblingUses } from '../ledger/passage-ledger.js';
import type { Chunk, Cursor, Delta, Manifest } from './wire.js';

export interface SnapshotProgress {
  epoch: number;
  seq: number;
  chunks: number;
  chunksStaged: number;
  rows: number;
  totalRows: number;
}

export interface ApplierOptions {
  station: string;
  secret: string | Buffer;
  /** The next document key during a rotation (config secretNext): batches keyed under it are taken too. */
  secretNext?: string | Buffer;
  /** Where versions before in-file staging assembled a snapshot: a scratch file left there is removed. */
  stagePath?: string;
  now?: () => Date;
  /** How long one write may wait for the file's write lock in all (default DEFAULT_WRITE_WAIT_MS). */
  writeWaitMs?: number;
}

interface Staging {
  manifest: Manifest;
  insertPassenger: Statement;
  insertTicket: Statement;
  /** SHA-256 over the chunks in order: chunks that arrive early wait in `early` for their predecessors. */
  whole: Hash;
  nextInOrder: number;
  early: Map<number, { chunk: Chunk; bytes: Uint8Array }>;
  rows: number;
}

/** How long dropping staging tables left behind waits for the write lock (best effort, done again later). */
const DROP_WAIT_MS = 1000;

function removeDbFiles(path: string): void {
  for (const f of [path, `${path}-wal`, `${path}-shm`, `${path}-journal`]) rmSync(f, { force: true });
}

/** Each cache table and the staging table its next contents are assembled in, with the staged rows' columns. */
const CACHE_TABLES = [
  { live: 'passengers', stage: 'sync_stage_passengers', columns: PASSENGER_COLUMNS, key: 'doc_key' },
  { live: 'tickets', stage: 'sync_stage_tickets', columns: TICKET_COLUMNS, key: 'id' },
] as const;

/** Duplicates inside a snapshot collapse as a delta's upsert would: the last one wins. */
function stagingUpsert(t: (typeof CACHE_TABLES)[number]): string {
  const set = t.columns.filter((c) => c !== t.key).map((c) => `${c} = excluded.${c}`);
  return `INSERT INTO ${t.stage} (${t.columns.join(', ')}) VALUES (${t.columns.map(() => '?').join(', ')})
    ON CONFLICT (${t.key}) DO UPDATE SET ${set.join(', ')}`;
}

export class CacheApplier {
  private staging: Staging | null = null;
  private readonly now: () => Date;
  /** The gate's document keys (current, then next) with their ids. */
  private readonly docKeys: { secret: string | Buffer; id: string }[];

  constructor(
    private readonly db: Db,
    private readonly opts: ApplierOptions,
  ) {
    this.now = opts.now ?? (() => new Date());
    this.docKeys = [opts.secret, ...(opts.secretNext ? [opts.secretNext] : [])].map((secret) => ({ secret, id: docKeyIdOf(secret) }));
    // A snapshot cut short by a crash left its staging tables (and, before in-file staging, a scratch file).
    this.dropStagingTables();
    if (opts.stagePath) removeDbFiles(opts.stagePath);
  }

  /** The stream position the cache holds; null after a file import (its epoch is not central's) or when empty. */
  current(): (Cursor & { generatedAt: string }) | null {
    const row = this.db.prepare('SELECT station, epoch, seq, generated_at FROM sync_state WHERE id = 1').get() as
      { station: string; epoch: string; seq: number; generated_at: string } | undefined;
    if (!row || row.station !== this.opts.station || !/^[1-9][0-9]{0,15}$/.test(row.epoch)) return null;
    return { epoch: Number(row.epoch), seq: row.seq, generatedAt: row.generated_at };
  }

  /**
   * The gate's key a batch was keyed under, or SyncError `doc-key-mismatch`: rows keyed under another key would
   * match nobody, so such a batch never reaches the cache.
   */
  secretFor(docKeyId: string): string | Buffer {
    const k = this.docKeys.find((d) => d.id === docKeyId);
    if (!k)
      throw new SyncError(
        'doc-key-mismatch',
        `batch keyed under document key ${docKeyId}; this gate holds ${this.docKeys.map((d) => d.id).join(' and ')} (set secret or secretNext to the station's document key)`,
      );
    return k.secret;
  }

  /** The id of the key the cache was filled under (null: empty, or bound to none of the gate's keys). */
  cacheDocKeyId(): string | null {
    const i = boundSecretIndex(
      this.db,
      this.docKeys.map((d) => d.secret),
    );
    return i === null || i < 0 ? null : this.docKeys[i].id;
  }

  /** One delta, one transaction: deletes, then upserts, then the new position. All or nothing. */
  applyDelta(d: Delta): void {
    this.secretFor(d.docKeyId);
    const cacheKey = this.cacheDocKeyId();
    if (cacheKey !== d.docKeyId)
      throw new SyncError(
        'doc-key-mismatch',
        `delta ${d.epoch}/${d.seq} keyed under ${d.docKeyId}, the cache under ${cacheKey ?? 'no key of this gate'}`,
      );
    this.write(() => {
      deletePassengers(this.db, d.deletes.passengers);
      deleteTickets(this.db, d.deletes.tickets);
      upsertPassengers(this.db, d.upserts.passengers);
      upsertTickets(this.db, d.upserts.tickets);
      // Central says these sibling uses did not happen (a forged or mistaken passage): the ticket is usable again.
      // The cleared passage's eventId is kept: its signed message, replayed from the broker, is never taken again.
      if (d.clearUses?.length) {
        clearSiblingUses(this.db, d.clearUses, Date.now());
      }
      this.setState(d.epoch, d.seq, d.generatedAt);
    });
  }

  /** A head that names exactly what the cache holds vouches that the data is still current as of its time. */
  confirmCurrent(at: Cursor, generatedAt: string): void {
    const cur = this.current();
    if (!cur || cur.epoch !== at.epoch || cur.seq !== at.seq || Date.parse(generatedAt) <= Date.parse(cur.generatedAt)) return;
    this.write(() => this.setState(at.epoch, at.seq, generatedAt));
  }

  beginSnapshot(manifest: Manifest): void {
    this.secretFor(manifest.docKeyId);
    this.abortSnapshot();
    // The staging tables are created from the live tables' own definitions (constraints, STRICT, WITHOUT ROWID), so
    // what is renamed in is exactly the schema the migrations made; the indexes are built once, at the swap.
    this.write(() => {
      for (const t of CACHE_TABLES) {
        const sql = this.db.prepare("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?").pluck().get(t.live) as
          string | undefined;
        // A table renamed in by an earlier swap has its name quoted in its definition.
        const create = sql?.replace(new RegExp(`^CREATE TABLE\\s+"?${t.live}"?(?=[\\s(])`, 'i'), `CREATE TABLE ${t.stage}`);
        if (!create || create === sql) throw new SyncError('apply-failed', `cannot read the definition of table ${t.live}`);
        this.db.exec(create);
      }
      // Under the write lock taken up front: this reads the schema before it writes, and a deferred transaction
      // would fail at once with SQLITE_BUSY (no busy wait) when the lane commits a passage in between.
    });
    const [p, t] = CACHE_TABLES;
    this.staging = {
      manifest,
      insertPassenger: this.db.prepare(stagingUpsert(p)),
      insertTicket: this.db.prepare(stagingUpsert(t)),
      whole: createHash('sha256'),
      nextInOrder: 0,
      early: new Map(),
      rows: 0,
    };
  }

  /** Stage a chunk that already matched its manifest hash (verify.openChunk). */
  stageChunk(n: number, chunk: Chunk, bytes: Uint8Array): SnapshotProgress {
    const st = this.staging;
    if (!st || chunk.epoch !== st.manifest.epoch) throw new SyncError('topic-mismatch', `chunk ${n} arrived without its manifest`);
    st.early.set(n, { chunk, bytes });
    for (let next = st.early.get(st.nextInOrder); next; next = st.early.get(st.nextInOrder)) {
      st.early.delete(st.nextInOrder);
      st.whole.update(next.bytes);
      // Rows are built before the transaction opens: the gate file's write lock is held for the inserts only.
      const passengers = next.chunk.passengers.map((r) => passengerRow(r));
      const tickets = next.chunk.tickets.map((r) => ticketRow(r));
      this.write(() => {
        for (const row of passengers) st.insertPassenger.run(...row);
        for (const row of tickets) st.insertTicket.run(...row);
      });
      st.rows += passengers.length + tickets.length;
      st.nextInOrder++;
    }
    return this.progress();
  }

  progress(): SnapshotProgress {
    const st = this.staging;
    if (!st) return { epoch: 0, seq: 0, chunks: 0, chunksStaged: 0, rows: 0, totalRows: 0 };
    const m = st.manifest;
    return {
      epoch: m.epoch,
      seq: m.seq,
      chunks: m.chunks.length,
      chunksStaged: st.nextInOrder,
      rows: st.rows,
      totalRows: m.counts.passengers + m.counts.tickets,
    };
  }

  /** Check the whole against the manifest, then swap it in with one transaction. Throws SyncError; the cache is then unchanged. */
  commitSnapshot(): void {
    const st = this.staging;
    if (!st) throw new SyncError('topic-mismatch', 'commit without a snapshot being staged');
    try {
      const m = st.manifest;
      if (st.nextInOrder !== m.chunks.length)
        throw new SyncError('count-mismatch', `${st.nextInOrder} of ${m.chunks.length} chunks staged`);
      if (st.whole.digest('hex') !== m.sha256)
        throw new SyncError('hash-mismatch', `snapshot ${m.epoch}/${m.seq} does not match its whole-snapshot hash`);
      const count = (t: string) => this.db.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number;
      const [p, t] = CACHE_TABLES;
      const staged = { passengers: count(p.stage), tickets: count(t.stage) };
      if (staged.passengers !== m.counts.passengers || staged.tickets !== m.counts.tickets) {
        // Duplicate ids inside the snapshot collapse on upsert: central sent fewer distinct rows than it counted.
        throw new SyncError(
          'count-mismatch',
          `staged ${staged.passengers}/${staged.tickets} rows, manifest says ${m.counts.passengers}/${m.counts.tickets}`,
        );
      }
      this.swap(m);
    } finally {
      this.abortSnapshot();
    }
  }

  abortSnapshot(): void {
    this.staging = null;
    this.dropStagingTables();
  }

  get stagingManifest(): Manifest | undefined {
    return this.staging?.manifest;
  }

  /**
   * One IMMEDIATE transaction: drop the live cache tables (their indexes go with them), rename the staged tables in
   * their place, recreate the indexes under the same names, bind the manifest's key and record the new position.
   */
  private swap(m: Manifest): void {
    this.write(() => {
      const names = CACHE_TABLES.map((t) => t.live);
      const indexes = this.db
        .prepare(
          `SELECT sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (${names.map(() => '?').join(', ')})`,
        )
        .pluck()
        .all(...names) as string[];
      for (const t of CACHE_TABLES) this.db.exec(`DROP TABLE ${t.live}`);
      for (const t of CACHE_TABLES) this.db.exec(`ALTER TABLE ${t.stage} RENAME TO ${t.live}`);
      for (const sql of indexes) this.db.exec(sql);
      // The rows now in are keyed under the manifest's key: a rotation switches the gate's key here, atomically.
      rebindSecret(this.db, this.secretFor(m.docKeyId));
      this.setState(m.epoch, m.seq, m.generatedAt);
    });
  }

  /** Best effort: a table left behind is dropped by the next snapshot or the next start. */
  private dropStagingTables(): void {
    const left = this.db
      .prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name IN (${CACHE_TABLES.map(() => '?').join(', ')})`)
      .pluck()
      .all(...CACHE_TABLES.map((t) => t.stage)) as string[];
    if (left.length === 0) return;
    try {
      // A short wait: this runs after a failure too, and a file still locked then gets its tables dropped later.
      withWriteLock(
        this.db,
        () => {
          for (const name of left) this.db.exec(`DROP TABLE IF EXISTS ${name}`);
        },
        { waitMs: DROP_WAIT_MS },
      );
    } catch {
      // Disk full or I/O: the cache itself is untouched; beginSnapshot drops them again before staging.
    }
  }

  private setState(epoch: number, seq: number, generatedAt: string): void {
    setSyncState(this.db, { station: this.opts.station, epoch: String(epoch), seq, generatedAt, appliedAt: this.now().toISOString() });
  }

  /**
   * One transaction under the write lock, taken up front and waited for within writeWaitMs. A SQLite failure (disk
   * full, I/O, the lock never free) becomes apply-failed; the transaction has rolled back.
   */
  private write<T>(fn: () => T): T {
    const waitMs = this.opts.writeWaitMs ?? DEFAULT_WRITE_WAIT_MS;
    try {
      return withWriteLock(this.db, fn, { waitMs });
    } catch (err) {
      if (err instanceof SyncError) throw err;
      const why = isBusy(err) ? ` (the write lock was not free within ${waitMs} ms)` : '';
      throw new SyncError('apply-failed', `cache write failed: ${(err as Error).message.split('\n')[0]}${why}`, { cause: err });
    }
  }
}
