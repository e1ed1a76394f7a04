// The sync I/O loop around the pure machine: bytes from a topic -> verify (signature, hashes) -> machine -> apply.
// Synchronous and transport-agnostic: the MQTT subscriber calls handle() for each message and acknowledges it only
// after handle() returns, so a batch is either in the cache or still owed by the broker (persistent session).
import type { Db } from '../cache/db.js';
import type { Logger } from '../util/log.js';
import { withWriteLock } from '../cache/write-lock.js';
import { uuidv7 } from '../util/uuidv7.js';
import type { CacheApplier, SnapshotProgress } from './apply.js';
import { SyncError, type SyncErrorCode } from './errors.js';
import {
  DEFAULT_MACHINE_OPTIONS,
  initialState,
  step,
  type MachineAction,
  type MachineInput,
  type MachineOptions,
  type MachineState,
} from './machine.js';
import { syncStatus } from './status.js';
import { checkTopic, openChunk, openEnvelope, type KeyRing } from './verify.js';
import {
  WIRE_VERSION,
  parseTopic,
  topics,
  type Chunk,
  type Cursor,
  type Delta,
  type Manifest,
  type ResyncReason,
  type ResyncRequest,
  type SyncTopic,
} from './wire.js';

/** How long a bookkeeping write (the sync_status row) waits for the write lock: it may be skipped, a batch may not. */
const BOOKKEEPING_WAIT_MS = 2000;

/**
 * The reason a resync request gives after an action failed, as docs/sync.md section 6 lists them: the database
 * refused the write (apply-failed), a snapshot failed its whole-hash or count check (snapshot-incomplete), or a
 * delta was refused as it was applied and left a hole in the sequence (gap).
 */
export function failureReason(code: SyncErrorCode, action: MachineAction<Delta>['type']): ResyncReason {
  if (code === 'apply-failed') return 'apply-failed';
  return action === 'apply-delta' ? 'gap' : 'snapshot-incomplete';
}

export interface SyncStateReport extends Cursor {
  generatedAt: string;
}

export interface Rejection {
  code: SyncErrorCode;
  /** Which kind of message was refused: manifest, chunk, delta or head. */
  topic: SyncTopic['kind'];
  message: string;
}

export interface EngineOptions {
  station: string;
  gate: string;
  keys: KeyRing;
  applier: CacheApplier;
  /** The applier's connection, for the sync_status row. */
  db: Db;
  publish(topic: string, payload: Buffer): void;
  clock?: () => number;
  machine?: Partial<MachineOptions>;
  log?: Logger;
  /** A batch refused before it touched the cache: the daemon raises a 'sync-rejected' alarm. */
  onRejected?(r: Rejection): void;
  /** Writing to the gate's file failed (disk full, I/O): the daemon raises a 'storage-fault' alarm. */
  onStorageFault?(e: SyncError): void;
  /** A write to the gate's file worked again after onStorageFault: the daemon clears the alarm. */
  onStorageRecovered?(): void;
  /** The cache moved to a new position. */
  onState?(s: SyncStateReport): void;
  /** A verified head names the station roster's current version (the lane's thread holds the roster). */
  onRosterVersion?(version: number): void;
  onProgress?(p: SnapshotProgress): void;
  onResyncRequested?(r: ResyncRequest): void;
}

export class SyncEngine {
  private state: MachineState<Delta>;
  private readonly clock: () => number;
  private readonly machine: MachineOptions;
  /** The verified message being handled, for the actions its step produces. */
  private pendingManifest: Manifest | null = null;
  private pendingChunk: { n: number; chunk: Chunk; bytes: Uint8Array } | null = null;
  private lastRefusalNoted: number | null = null;
  /** Refusals not yet in the sync_status row: how many, and the last one's code. */
  private unnoted: { code: SyncErrorCode; count: number } | null = null;
  /** A write failed and none has worked since (the 'storage-fault' alarm is active). */
  private storageFaulty = false;

  constructor(private readonly o: EngineOptions) {
    this.clock = o.clock ?? Date.now;
    this.machine = { ...DEFAULT_MACHINE_OPTIONS, ...o.machine };
    const cur = o.applier.current();
    this.state = initialState(cur && { epoch: cur.epoch, seq: cur.seq });
  }

  get snapshot(): MachineState<Delta> {
    return this.state;
  }

  /** One message from stations/v1/<station>/sync/#. Never throws: refusals become onRejected. */
  handle(topic: string, payload: Uint8Array): void {
    const now = this.clock();
    const t = parseTopic(topic);
    if (!t) return;
    try {
      if (t.kind === 'chunk') {
        const m = this.o.applier.stagingManifest;
        const a = this.state.assembling;
        // Only a chunk the machine is waiting for is worth hashing; others are dropped by the machine unread.
        if (
          t.station === this.o.station &&
          m &&
          a &&
          m.epoch === t.epoch &&
          a.epoch === t.epoch &&
          t.n < a.chunkCount &&
          !a.received[t.n]
        ) {
          this.pendingChunk = { n: t.n, chunk: openChunk(payload, m, t.n), bytes: payload };
        }
        this.feed({ type: 'chunk', epoch: t.epoch, n: t.n, now });
        return;
      }
      const signed = openEnvelope(payload, this.o.keys, t.kind);
      checkTopic(t, signed, this.o.station);
      // Keyed under a key this gate does not hold: refused (and counted) before it can load a cache matching nobody.
      this.o.applier.secretFor(signed.docKeyId);
      switch (signed.type) {
        case 'snapshot-manifest':
          this.pendingManifest = signed;
          this.feed({ type: 'manifest', epoch: signed.epoch, seq: signed.seq, chunkCount: signed.chunks.length, now });
          break;
        case 'delta':
          this.feed({ type: 'delta', ref: { epoch: signed.epoch, seq: signed.seq, delta: signed }, now });
          break;
        case 'head':
          this.write(() => syncStatus.head(this.o.db, signed, new Date(now).toISOString()));
          this.feed({ type: 'head', epoch: signed.epoch, seq: signed.seq, signedAt: Date.parse(signed.generatedAt), now });
          if (signed.rosterVersion !== undefined) this.o.onRosterVersion?.(signed.rosterVersion);
          if (this.state.have && this.state.have.epoch === signed.epoch && this.state.have.seq === signed.seq) {
            this.write(() => this.o.applier.confirmCurrent(signed, signed.generatedAt));
          }
          break;
      }
    } catch (err) {
      this.refuse(err, t.kind, now);
    } finally {
      this.pendingManifest = null;
      this.pendingChunk = null;
    }
  }

  /** Central's `resync` command: request the whole snapshot again and load it even if its epoch is the one held. */
  reload(): void {
    this.feed({ type: 'reload', now: this.clock() });
  }

  /** Timers: reorder window, head grace, stalled snapshot, resync retries. Call about once a second. */
  tick(): void {
    const now = this.clock();
    if (this.unnoted && (this.lastRefusalNoted === null || now - this.lastRefusalNoted >= 1000 || now < this.lastRefusalNoted))
      this.noteRefusals(now);
    this.feed({ type: 'tick', now });
  }

  private feed(input: MachineInput<Delta>): void {
    const { state, actions } = step(this.state, input, this.machine);
    this.state = state;
    for (const a of actions) {
      try {
        this.execute(a, input.now);
        // Only a batch written proves the file takes writes again (a bookkeeping row may fit where a chunk does not).
        if (a.type === 'apply-delta' || a.type === 'begin-snapshot' || a.type === 'stage-chunk' || a.type === 'commit-snapshot')
          this.storageWorked();
      } catch (err) {
        const e = err instanceof SyncError ? err : new SyncError('apply-failed', (err as Error).message, { cause: err });
        if (e.code === 'apply-failed') {
          this.o.log?.error({ code: e.code, action: a.type }, e.message);
          this.storageFailed(e);
        } else this.refuse(e, a.type === 'apply-delta' ? 'delta' : 'manifest', input.now);
        const cur = this.o.applier.current();
        this.feed({
          type: 'apply-failed',
          have: cur && { epoch: cur.epoch, seq: cur.seq },
          reason: failureReason(e.code, a.type),
          now: input.now,
        });
        return; // the rest of this step's actions assumed the failed one had worked
      }
    }
  }

  private execute(a: MachineAction<Delta>, now: number): void {
    const nowIso = new Date(now).toISOString();
    switch (a.type) {
      case 'apply-delta': {
        this.o.applier.applyDelta(a.ref.delta);
        this.o.log?.debug({ epoch: a.ref.epoch, seq: a.ref.seq }, 'delta applied');
        this.o.onState?.({ epoch: a.ref.epoch, seq: a.ref.seq, generatedAt: a.ref.delta.generatedAt });
        break;
      }
      case 'begin-snapshot': {
        const m = this.pendingManifest;
        if (!m || m.epoch !== a.epoch) throw new SyncError('apply-failed', 'snapshot begun without its manifest');
        this.o.applier.beginSnapshot(m);
        this.write(() => syncStatus.snapshot(this.o.db, { epoch: m.epoch, seq: m.seq, chunks: m.chunks.length, received: 0 }, nowIso));
        this.o.log?.info(
          { epoch: m.epoch, seq: m.seq, chunks: m.chunks.length, rows: m.counts.passengers + m.counts.tickets },
          'snapshot started',
        );
        this.o.onProgress?.(this.o.applier.progress());
        break;
      }
      case 'stage-chunk': {
        const c = this.pendingChunk;
        if (!c || c.n !== a.n) throw new SyncError('apply-failed', `chunk ${a.n} staged without its bytes`);
        const p = this.o.applier.stageChunk(c.n, c.chunk, c.bytes);
        this.write(() =>
          syncStatus.snapshot(this.o.db, { epoch: p.epoch, seq: p.seq, chunks: p.chunks, received: p.chunksStaged }, nowIso),
        );
        this.o.onProgress?.(p);
        break;
      }
      case 'commit-snapshot': {
        const m = this.o.applier.stagingManifest;
        this.o.applier.commitSnapshot();
        this.write(() => syncStatus.snapshot(this.o.db, null, nowIso));
        if (m) {
          this.o.log?.info({ epoch: m.epoch, seq: m.seq, passengers: m.counts.passengers, tickets: m.counts.tickets }, 'snapshot applied');
          this.o.onState?.({ epoch: m.epoch, seq: m.seq, generatedAt: m.generatedAt });
        }
        break;
      }
      case 'abort-snapshot':
        this.o.applier.abortSnapshot();
        this.write(() => syncStatus.snapshot(this.o.db, null, nowIso));
        this.o.log?.warn({ epoch: a.epoch, seq: a.seq }, 'snapshot abandoned');
        break;
      case 'request-resync': {
        const req: ResyncRequest = {
          v: WIRE_VERSION,
          type: 'resync-request',
          requestId: uuidv7(now),
          station: this.o.station,
          gate: this.o.gate,
          at: nowIso,
          reason: a.reason,
          have: a.have,
          want: a.want,
        };
        this.o.publish(topics.resyncRequest(this.o.station, this.o.gate), Buffer.from(JSON.stringify(req)));
        this.write(() => syncStatus.resync(this.o.db, a.reason, nowIso));
        this.o.log?.warn({ reason: a.reason, have: a.have, want: a.want }, 'resync requested');
        this.o.onResyncRequested?.(req);
        break;
      }
      case 'drop':
        this.o.log?.debug({ reason: a.reason, epoch: a.epoch, seq: a.seq }, 'batch dropped');
        break;
    }
  }

  private refuse(err: unknown, topic: SyncTopic['kind'], now: number): void {
    const e = err instanceof SyncError ? err : new SyncError('malformed', (err as Error).message, { cause: err });
    if (e.code === 'apply-failed') {
      this.storageFailed(e);
      return;
    }
    // A flood of refusals must not become a flood of log lines and fsyncs (the lane shares the file's write lock):
    // the log line and the sync_status row at most once a second (tick() writes what is left over); the daemon's
    // tally counts every one.
    this.unnoted = { code: e.code, count: (this.unnoted?.count ?? 0) + 1 };
    if (this.lastRefusalNoted === null || now - this.lastRefusalNoted >= 1000 || now < this.lastRefusalNoted) {
      this.o.log?.warn({ code: e.code, topic }, `sync batch refused: ${e.message}`);
      this.noteRefusals(now);
    }
    this.o.onRejected?.({ code: e.code, topic, message: e.message });
  }

  private noteRefusals(now: number): void {
    const u = this.unnoted;
    if (!u) return;
    this.unnoted = null;
    this.lastRefusalNoted = now;
    this.write(() => syncStatus.rejected(this.o.db, u.code, new Date(now).toISOString(), u.count));
  }

  /** Bookkeeping writes must not stop the sync loop: a failure there is logged and the loop carries on. */
  private write(fn: () => void): void {
    try {
      withWriteLock(this.o.db, fn, { waitMs: BOOKKEEPING_WAIT_MS });
    } catch (err) {
      this.o.log?.error({ err: (err as Error).message }, 'sync bookkeeping write failed');
    }
  }

  private storageFailed(e: SyncError): void {
    this.storageFaulty = true;
    this.o.onStorageFault?.(e);
  }

  /** The file took a write: a storage fault reported before has ended. */
  private storageWorked(): void {
    if (!this.storageFaulty) return;
    this.storageFaulty = false;
    this.o.log?.info('cache writes work again');
    this.o.onStorageRecovered?.();
  }
}
