// The daemon's handle on sync: starts the sync worker thread, supervises it, and turns what it reports into events
// and alarms. The decision path never waits for sync: all parsing, verifying and writing happens in the worker.
// Supervision: a worker that exits, throws or stops answering pings is restarted with backoff; while it is down a
// 'sync-worker-down' alarm is active. Its heap is capped (resourceLimits) so an oversized message kills the worker,
// never the daemon. Refused batches are counted in the worker and reported here at most once a second as counts:
// a flood of garbage on the sync topics costs this thread (the lane's) one message a second, not one per batch.
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { AlarmEvent, NewEvent } from '../gate/events.js';
import type { MqttSettings } from '../mqtt/connection.js';
import { moduleWorker } from '../util/module-worker.js';
import { TypedEvents } from '../util/typed-events.js';
import type { SnapshotProgress } from './apply.js';
import type { SyncStateReport } from './engine.js';
import type { MachineOptions } from './machine.js';
import { createProgress, type Progress } from './progress.js';
import type { Cursor, ResyncRequest } from './wire.js';

export interface WorkerConfig {
  dbPath: string;
  stagePath?: string;
  secret: string;
  /** The next document key during a rotation (config secretNext). */
  secretNext?: string;
  station: string;
  gate: string;
  /**
   * The gate's whole `mqtt` config (every URL, TLS, credentials, backoff): sync connects through the same session layer
   * as the reporter. Without it the worker takes batches from feed() (another transport, tests, the bench).
   */
  mqtt?: MqttSettings;
  /** The sync session's own client id (persistent: the broker queues batches under it). */
  clientId?: string;
  sessionExpirySeconds?: number;
  centralPublicKeys: string[];
  machine?: Partial<MachineOptions>;
  tickMs?: number;
  logLevel?: string;
  /** How long one cache write waits for the file's write lock in all (default src/cache/write-lock.ts). */
  writeWaitMs?: number;
}

export type WorkerEvent =
  | { type: 'ready'; have: (Cursor & { generatedAt: string }) | null }
  | { type: 'connected'; sessionPresent: boolean }
  | { type: 'offline' }
  | { type: 'state'; state: SyncStateReport }
  | { type: 'roster-version'; version: number }
  | { type: 'refusals'; counts: Record<string, number> }
  | { type: 'pong'; id: number }
  | { type: 'storage-fault'; code: string; message: string }
  | { type: 'storage-ok' }
  | { type: 'progress'; progress: SnapshotProgress }
  | { type: 'resync-requested'; request: ResyncRequest }
  | { type: 'handled'; id: number }
  | { type: 'stopped' };

export type WorkerCommand =
  { type: 'stop' } | { type: 'resync' } | { type: 'ping'; id: number } | { type: 'batch'; id: number; topic: string; payload: Uint8Array };

/** Why the worker is down: it exited, threw, or did not answer a ping in time. */
export type WorkerDownReason = 'exit' | 'error' | 'hang';

export interface SyncEvents {
  ready: (Cursor & { generatedAt: string }) | null;
  connected: { sessionPresent: boolean };
  offline: void;
  state: SyncStateReport;
  /** Central's signed head names the station roster's current version. */
  'roster-version': number;
  /** Batches refused since the last report, by SyncErrorCode (at most one report a second). */
  refused: Record<string, number>;
  /** The worker died or hangs; a restart is scheduled after `retryInMs`. */
  down: { reason: WorkerDownReason; detail: string; retryInMs: number };
  /** The worker runs again after being down. */
  up: { restarts: number };
  'storage-fault': { code: string; message: string };
  /** The cache takes batches again after a storage fault (the alarm is cleared). */
  'storage-ok': void;
  progress: SnapshotProgress;
  'resync-requested': ResyncRequest;
  /** A fed batch has been handled (applied, held or refused). */
  handled: number;
  error: Error;
}

export interface SupervisionOptions {
  /** How often the worker is pinged. */
  pingMs: number;
  /** A ping unanswered this long means the worker hangs: it is terminated and restarted. Loading a snapshot chunk
   *  keeps the worker busy for a while, so this is generous. */
  hangMs: number;
  /** Restart delays: initialMs doubling up to maxMs; back to initialMs once a worker ran stableMs. */
  restartInitialMs: number;
  restartMaxMs: number;
  stableMs: number;
}

export const DEFAULT_SUPERVISION: SupervisionOptions = {
  pingMs: 5000,
  hangMs: 60_000,
  restartInitialMs: 1000,
  restartMaxMs: 60_000,
  stableMs: 60_000,
};

/** The worker's heap cap: a snapshot chunk (8 MiB at most) parses in far less; a 100 MB message does not. */
// The young generation is what a thread keeps resident between collections: 8 MB (was 32) takes about 10 MB off the
// daemon's RSS at rest (bench daemon.rss); the worker's allocations are per-row and short-lived, so scavenges stay cheap.
export const DEFAULT_WORKER_LIMITS: ResourceLimits = { maxOldGenerationSizeMb: 384, maxYoungGenerationSizeMb: 8, stackSizeMb: 4 };

/** Delay before restart number `failures` (0 = the first). */
export function restartDelay(failures: number, o: Pick<SupervisionOptions, 'restartInitialMs' | 'restartMaxMs'>): number {
  return Math.min(o.restartMaxMs, o.restartInitialMs * 2 ** Math.min(failures, 30));
}

export interface SyncServiceOptions extends WorkerConfig {
  /** Wire to LaneStore.recordAlarm: a failed cache write ('storage-fault'), the worker down and back
   *  ('sync-worker-down'). Refused batches go to onRefused instead (coalesced by the daemon's refusal tally). */
  onAlarm?: (alarm: NewEvent<AlarmEvent>) => void;
  /** `count` batches were refused with `code` (SyncErrorCode) since the previous call. */
  onRefused?: (code: string, count: number) => void;
  supervision?: Partial<SupervisionOptions>;
  resourceLimits?: ResourceLimits;
  /** How a worker thread is started (tests wrap it to kill or hang the worker). */
  spawn?: (cfg: WorkerConfig, limits: ResourceLimits) => Worker;
  /** Where snapshot loading progress goes (a TTY gets a live line, anything else plain lines). */
  progressOut?: NodeJS.WritableStream & { isTTY?: boolean };
  clock?: () => Date;
}

/** How to start the worker: the compiled .js next to this file, or the .ts source through tsx (tests, bench). */
export function spawnSyncWorker(cfg: WorkerConfig, resourceLimits: ResourceLimits = DEFAULT_WORKER_LIMITS): Worker {
  return moduleWorker(import.meta.url, 'worker', { workerData: cfg, resourceLimits });
}

export class SyncService extends TypedEvents<SyncEvents> {
  private progress: Progress | null = null;
  private progressKey = '';
  private worker: Worker | null = null;
  private readonly sup: SupervisionOptions;
  private readonly cfg: WorkerConfig;
  private stopping = false;
  /** Set while the worker is down: why, and the restart timer. */
  private down: { reason: WorkerDownReason; detail: string; timer: NodeJS.Timeout | null } | null = null;
  private failures = 0;
  private restarts = 0;
  private upSinceMs = 0;
  private heartbeat: NodeJS.Timeout | null = null;
  private ping: { id: number; sentMs: number } | null = null;
  private pings = 0;
  /** The code of the storage fault whose alarm is active (null: none): raised once, cleared when writes work. */
  private storageFault: string | null = null;

  private constructor(private readonly o: SyncServiceOptions) {
    super();
    const { onAlarm: _a, onRefused: _r, progressOut: _p, clock: _c, supervision: _s, resourceLimits: _l, spawn: _w, ...cfg } = o;
    this.cfg = cfg;
    this.sup = { ...DEFAULT_SUPERVISION, ...o.supervision };
  }

  /**
   * Start the worker; resolves once it has opened the database (the MQTT connection comes up on its own). A worker
   * that fails to start is supervised like one that died later: start() still resolves, with the service down.
   */
  static async start(o: SyncServiceOptions): Promise<SyncService> {
    const { service, ready } = SyncService.begin(o);
    await ready;
    return service;
  }

  /**
   * The service at once, and its worker's first start as a promise: the daemon's start does not wait for the worker
   * to load (it serves passengers from the cache meanwhile). stop() may be called before `ready` settles.
   */
  static begin(o: SyncServiceOptions): { service: SyncService; ready: Promise<void> } {
    const svc = new SyncService(o);
    const ready = svc.launch().then(() => {
      if (svc.stopping) return;
      svc.heartbeat = setInterval(() => svc.checkHeartbeat(), svc.sup.pingMs);
      svc.heartbeat.unref?.();
    });
    return { service: svc, ready };
  }

  /** Whether the worker is down (died or hung, restart pending), and why. */
  get downReason(): WorkerDownReason | null {
    return this.down?.reason ?? null;
  }

  /** Supervision runs on the real clock: the demo's virtual clock runs fast and would make every worker look hung. */
  private now(): number {
    return Date.now();
  }

  /** Alarm times are on the daemon's clock, like every other event. */
  private at(): string {
    return (this.o.clock?.() ?? new Date()).toISOString();
  }

  /** Spawn a worker and wait for its 'ready' (or its death, which schedules the next attempt). */
  private launch(): Promise<void> {
    const worker = (this.o.spawn ?? spawnSyncWorker)(this.cfg, this.o.resourceLimits ?? DEFAULT_WORKER_LIMITS);
    this.worker = worker;
    this.ping = null;
    return new Promise<void>((resolve) => {
      let settled = false;
      const settle = () => {
        if (!settled) resolve();
        settled = true;
      };
      worker.on('message', (e: WorkerEvent) => {
        if (e.type === 'ready' && worker === this.worker) {
          this.upSinceMs = this.now();
          // After a restart the worker counts as back once it answers a ping (ready alone is not working).
          if (this.down) this.sendPing(worker, this.upSinceMs);
          settle();
        }
        this.dispatch(e);
      });
      worker.on('error', (err) => {
        this.emit('error', err);
        this.died(worker, 'error', errorCode(err));
        settle();
      });
      worker.on('exit', (code) => {
        this.died(worker, 'exit', `code-${code}`);
        settle();
      });
    });
  }

  /** The worker ended (or is being ended for hanging): raise the alarm once and schedule a restart. */
  private died(worker: Worker, reason: WorkerDownReason, detail: string): void {
    if (worker !== this.worker || this.stopping) return;
    this.worker = null;
    this.ping = null;
    if (this.now() - this.upSinceMs >= this.sup.stableMs) this.failures = 0;
    const retryInMs = restartDelay(this.failures++, this.sup);
    const wasDown = this.down !== null;
    this.down = { reason, detail, timer: setTimeout(() => this.restart(), retryInMs) };
    this.down.timer?.unref?.();
    if (!wasDown) this.o.onAlarm?.({ kind: 'alarm', type: 'sync-worker-down', detail: `${reason}:${detail}`, active: true, at: this.at() });
    this.emit('down', { reason, detail, retryInMs });
  }

  private restart(): void {
    if (this.stopping || !this.down) return;
    this.down.timer = null;
    this.restarts++;
    void this.launch();
  }

  private cameUp(): void {
    const d = this.down!;
    this.down = null;
    this.o.onAlarm?.({ kind: 'alarm', type: 'sync-worker-down', detail: `${d.reason}:${d.detail}`, active: false, at: this.at() });
    this.emit('up', { restarts: this.restarts });
  }

  /** One heartbeat: a ping out, or, when the last one is unanswered for hangMs, the worker ended as hung. */
  private checkHeartbeat(nowMs = this.now()): void {
    const worker = this.worker;
    if (!worker || this.stopping) return;
    if (this.ping) {
      if (nowMs - this.ping.sentMs < this.sup.hangMs) return;
      this.died(worker, 'hang', `no-pong-${Math.round((nowMs - this.ping.sentMs) / 1000)}s`);
      // terminate() stops even a thread stuck in a loop; its 'exit' is ignored (it is no longer this.worker).
      void worker.terminate();
      return;
    }
    this.sendPing(worker, nowMs);
  }

  private sendPing(worker: Worker, nowMs: number): void {
    this.ping = { id: ++this.pings, sentMs: nowMs };
    worker.postMessage({ type: 'ping', id: this.ping.id } satisfies WorkerCommand);
  }

  private dispatch(e: WorkerEvent): void {
    const at = (this.o.clock?.() ?? new Date()).toISOString();
    switch (e.type) {
      case 'ready':
        return this.emit('ready', e.have);
      case 'connected':
        return this.emit('connected', { sessionPresent: e.sessionPresent });
      case 'offline':
        return this.emit('offline', undefined);
      case 'state':
        // A batch in the cache: also after a worker restart, whose engine knows nothing of the fault.
        this.storageRecovered(at);
        return this.emit('state', e.state);
      case 'roster-version':
        return this.emit('roster-version', e.version);
      case 'refusals':
        for (const [code, n] of Object.entries(e.counts)) this.o.onRefused?.(code, n);
        return this.emit('refused', e.counts);
      case 'pong':
        if (this.ping?.id !== e.id) return;
        this.ping = null;
        if (this.down && !this.down.timer) this.cameUp();
        return;
      case 'storage-fault':
        // One alarm for the whole fault, however many writes fail while it lasts.
        if (this.storageFault === null) this.o.onAlarm?.({ kind: 'alarm', type: 'storage-fault', detail: e.code, active: true, at });
        this.storageFault = e.code;
        return this.emit('storage-fault', { code: e.code, message: e.message });
      case 'storage-ok':
        return this.storageRecovered(at);
      case 'progress':
        this.showProgress(e.progress);
        return this.emit('progress', e.progress);
      case 'resync-requested':
        return this.emit('resync-requested', e.request);
      case 'handled':
        return this.emit('handled', e.id);
      case 'stopped':
        return;
    }
  }

  private storageRecovered(at: string): void {
    const code = this.storageFault;
    if (code === null) return;
    this.storageFault = null;
    this.o.onAlarm?.({ kind: 'alarm', type: 'storage-fault', detail: code, active: false, at });
    this.emit('storage-ok', undefined);
  }

  private showProgress(p: SnapshotProgress): void {
    if (!this.o.progressOut) return;
    const key = `${p.epoch}/${p.seq}`;
    if (key !== this.progressKey || !this.progress) {
      this.progressKey = key;
      this.progress = createProgress({ label: `snapshot ${p.epoch}`, total: p.totalRows, out: this.o.progressOut });
    }
    this.progress.update(p.rows);
    if (p.chunksStaged === p.chunks) {
      this.progress.finish();
      this.progress = null;
    }
  }

  private fed = 0;

  /**
   * Hand the worker one message as if it came from the broker (topic + bytes); returns its id, echoed by 'handled'.
   * A buffer that owns its memory is moved, not copied, so a large chunk costs this thread nothing.
   */
  feed(topic: string, payload: Uint8Array): number {
    const id = ++this.fed;
    const owns = payload.byteOffset === 0 && payload.byteLength === payload.buffer.byteLength && payload.buffer instanceof ArrayBuffer;
    const msg: WorkerCommand = { type: 'batch', id, topic, payload };
    // While the worker is down a fed batch is lost, as a message is while the broker is away (central resends).
    this.worker?.postMessage(msg, owns ? [payload.buffer] : []);
    return id;
  }

  /** Central's `resync` command: the worker asks central for the snapshot and loads it again. */
  resync(): void {
    this.worker?.postMessage({ type: 'resync' } satisfies WorkerCommand);
  }

  /** Close the MQTT session (it stays at the broker) and the worker's connection. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.down?.timer) clearTimeout(this.down.timer);
    const worker = this.worker;
    if (worker) {
      const done = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage({ type: 'stop' } satisfies WorkerCommand);
      const timer = setTimeout(() => void worker.terminate(), 5000);
      await done;
      clearTimeout(timer);
    }
    this.removeAll();
  }
}

/** A code for the alarm detail: the error's code (ERR_WORKER_OUT_OF_MEMORY, ...) or its name, never its text. */
function errorCode(err: Error): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : err.name;
}
