// Writing verified batches into the gate's SQLite file. Runs on the sync worker's own connection (WAL: the decision
// connection keeps reading the previous state until a commit). A delta is one transaction. A snapshot is staged
// chunk by chunk into a separate scratch file (no lock on the gate's file while chunks trickle in), then swapped in
// by ONE transaction that empties the cache tables and copies the staged rows: the lane sees the old cache or the
// new one, never a mix, and the ledger is kept.
import { createHash, type Hash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { openDb, type Db } from '../cache/db.js';
import { bindSecret, clearCache, deletePassengers, deleteTickets, setSyncState, upsertPassengers, upsertTickets, withTicketIndexDeferred } from '../cache/write.js';
import { SyncError } from './errors.js';
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
  /** The scratch file a snapshot is assembled in (default: the gate's file + ".sync-stage"). */
  stagePath: string;
  now?: () => Date;
}

interface Staging {
  manifest: Manifest;
  db: Db;
  /** SHA-256 over the chunks in order: chunks that arrive early wait in `early` for their predecessors. */
  whole: Hash;
  nextInOrder: number;
  early: Map<number, { chunk: Chunk; bytes: Uint8Array }>;
  rows: number;
}

function removeDbFiles(path: string): void {
  for (const f of [path, `${path}-wal`, `${path}-shm`, `${path}-journal`]) rmSync(f, { force: true });
}

export class CacheApplier {
  private staging: Staging | null = null;
  private readonly now: () => Date;

  constructor(
    private readonly db: Db,
    private readonly opts: ApplierOptions,
  ) {
    this.now = opts.now ?? (() => new Date());
  }

  /** The stream position the cache holds; null after a file import (its epoch is not central's) or when empty. */
  current(): (Cursor & { generatedAt: string }) | null {
    const row = this.db.prepare('SELECT station, epoch, seq, generated_at FROM sync_state WHERE id = 1').get() as
      | { station: string; epoch: string; seq: number; generated_at: string }
      | undefined;
    if (!row || row.station !== this.opts.station || !/^[1-9][0-9]{0,15}$/.test(row.epoch)) return null;
    return { epoch: Number(row.epoch), seq: row.seq, generatedAt: row.generated_at };
  }

  /** One delta, one transaction: deletes, then upserts, then the new position. All or nothing. */
  applyDelta(d: Delta): void {
    this.write(() =>
      this.db.transaction(() => {
        deletePassengers(this.db, this.opts.secret, d.deletes.passengers);
        deleteTickets(this.db, d.deletes.tickets);
        upsertPassengers(this.db, this.opts.secret, d.upserts.passengers);
        upsertTickets(this.db, this.opts.secret, d.upserts.tickets);
        this.setState(d.epoch, d.seq, d.generatedAt);
      })(),
    );
  }

  /** A head that names exactly what the cache holds vouches that the data is still current as of its time. */
  confirmCurrent(at: Cursor, generatedAt: string): void {
    const cur = this.current();
    if (!cur || cur.epoch !== at.epoch || cur.seq !== at.seq || Date.parse(generatedAt) <= Date.parse(cur.generatedAt)) return;
    this.write(() => this.setState(at.epoch, at.seq, generatedAt));
  }

  beginSnapshot(manifest: Manifest): void {
    this.abortSnapshot();
    removeDbFiles(this.opts.stagePath);
    const db = openDb(this.opts.stagePath);
    // The scratch file is thrown away on a crash: no fsync per chunk, and no doc_key index to maintain while loading.
    db.pragma('synchronous = OFF');
    db.exec('DROP INDEX IF EXISTS tickets_by_doc');
    this.staging = { manifest, db, whole: createHash('sha256'), nextInOrder: 0, early: new Map(), rows: 0 };
  }

  /** Stage a chunk that already matched its manifest hash (verify.openChunk). */
  stageChunk(n: number, chunk: Chunk, bytes: Uint8Array): SnapshotProgress {
    const st = this.staging;
    if (!st || chunk.epoch !== st.manifest.epoch) throw new SyncError('topic-mismatch', `chunk ${n} arrived without its manifest`);
    st.early.set(n, { chunk, bytes });
    for (let next = st.early.get(st.nextInOrder); next; next = st.early.get(st.nextInOrder)) {
      st.early.delete(st.nextInOrder);
      st.whole.update(next.bytes);
      this.write(() =>
        st.db.transaction(() => {
          upsertPassengers(st.db, this.opts.secret, next!.chunk.passengers);
          upsertTickets(st.db, this.opts.secret, next!.chunk.tickets);
        })(),
      );
      st.rows += next.chunk.passengers.length + next.chunk.tickets.length;
      st.nextInOrder++;
    }
    return this.progress();
  }

  progress(): SnapshotProgress {
    const st = this.staging;
    if (!st) return { epoch: 0, seq: 0, chunks: 0, chunksStaged: 0, rows: 0, totalRows: 0 };
    const m = st.manifest;
    return { epoch: m.epoch, seq: m.seq, chunks: m.chunks.length, chunksStaged: st.nextInOrder, rows: st.rows, totalRows: m.counts.passengers + m.counts.tickets };
  }

  /** Check the whole against the manifest, then swap it in with one transaction. Throws SyncError; the cache is then unchanged. */
  commitSnapshot(): void {
    const st = this.staging;
    if (!st) throw new SyncError('topic-mismatch', 'commit without a snapshot being staged');
    try {
      const m = st.manifest;
      if (st.nextInOrder !== m.chunks.length) throw new SyncError('count-mismatch', `${st.nextInOrder} of ${m.chunks.length} chunks staged`);
      if (st.whole.digest('hex') !== m.sha256) throw new SyncError('hash-mismatch', `snapshot ${m.epoch}/${m.seq} does not match its whole-snapshot hash`);
      const count = (t: string) => st.db.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number;
      const staged = { passengers: count('passengers'), tickets: count('tickets') };
      if (staged.passengers !== m.counts.passengers || staged.tickets !== m.counts.tickets) {
        // Duplicate ids inside the snapshot collapse on upsert: central sent fewer distinct rows than it counted.
        throw new SyncError('count-mismatch', `staged ${staged.passengers}/${staged.tickets} rows, manifest says ${m.counts.passengers}/${m.counts.tickets}`);
      }
      st.db.close();
      this.swap(m);
    } finally {
      this.abortSnapshot();
    }
  }

  abortSnapshot(): void {
    const st = this.staging;
    this.staging = null;
    if (!st) return;
    if (st.db.open) st.db.close();
    removeDbFiles(this.opts.stagePath);
  }

  get stagingManifest(): Manifest | undefined {
    return this.staging?.manifest;
  }

  private swap(m: Manifest): void {
    const columns = (t: string) => (this.db.prepare(`SELECT name FROM pragma_table_info('${t}')`).pluck().all() as string[]).join(', ');
    const pCols = columns('passengers');
    const tCols = columns('tickets');
    this.db.prepare('ATTACH DATABASE ? AS stage').run(this.opts.stagePath);
    try {
      this.write(() =>
        this.db.transaction(() => {
          clearCache(this.db);
          this.db.exec(`INSERT INTO main.passengers (${pCols}) SELECT ${pCols} FROM stage.passengers`);
          withTicketIndexDeferred(this.db, () => this.db.exec(`INSERT INTO main.tickets (${tCols}) SELECT ${tCols} FROM stage.tickets`));
          bindSecret(this.db, this.opts.secret);
          this.setState(m.epoch, m.seq, m.generatedAt);
        }).immediate(),
      );
    } finally {
      this.db.exec('DETACH DATABASE stage');
    }
  }

  private setState(epoch: number, seq: number, generatedAt: string): void {
    setSyncState(this.db, { station: this.opts.station, epoch: String(epoch), seq, generatedAt, appliedAt: this.now().toISOString() });
  }

  /** A SQLite failure (disk full, I/O) becomes apply-failed; the transaction has rolled back. */
  private write<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof SyncError) throw err;
      throw new SyncError('apply-failed', `cache write failed: ${(err as Error).message}`, { cause: err });
    }
  }
}
