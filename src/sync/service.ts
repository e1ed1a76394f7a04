// The daemon's handle on sync: starts the sync worker thread and turns what it reports into events and alarms.
// The decision path never waits for sync: all parsing, verifying and writing happens in the worker.
import { Worker } from 'node:worker_threads';
import type { AlarmEvent, NewEvent } from '../gate/events.js';
import { TypedEvents } from '../util/typed-events.js';
import type { SnapshotProgress } from './apply.js';
import type { Rejection, SyncStateReport } from './engine.js';
import type { MachineOptions } from './machine.js';
import { createProgress, type Progress } from './progress.js';
import type { Cursor, ResyncRequest } from './wire.js';

export interface WorkerConfig {
  dbPath: string;
  stagePath?: string;
  secret: string;
  station: string;
  gate: string;
  /** The broker; without one the worker takes batches from feed() (another transport, tests, the bench). */
  url?: string;
  clientId?: string;
  username?: string;
  password?: string;
  sessionExpirySeconds?: number;
  centralPublicKeys: string[];
  machine?: Partial<MachineOptions>;
  tickMs?: number;
  logLevel?: string;
}

export type WorkerEvent =
  | { type: 'ready'; have: (Cursor & { generatedAt: string }) | null }
  | { type: 'connected'; sessionPresent: boolean }
  | { type: 'offline' }
  | { type: 'state'; state: SyncStateReport }
  | { type: 'rejected'; rejection: Rejection }
  | { type: 'storage-fault'; code: string; message: string }
  | { type: 'progress'; progress: SnapshotProgress }
  | { type: 'resync-requested'; request: ResyncRequest }
  | { type: 'handled'; id: number }
  | { type: 'stopped' };

export type WorkerCommand = { type: 'stop' } | { type: 'resync' } | { type: 'batch'; id: number; topic: string; payload: Uint8Array };

export interface SyncEvents {
  ready: (Cursor & { generatedAt: string }) | null;
  connected: { sessionPresent: boolean };
  offline: void;
  state: SyncStateReport;
  rejected: Rejection;
  'storage-fault': { code: string; message: string };
  progress: SnapshotProgress;
  'resync-requested': ResyncRequest;
  /** A fed batch has been handled (applied, held or refused). */
  handled: number;
  error: Error;
}

export interface SyncServiceOptions extends WorkerConfig {
  /** Wire to LaneStore.recordAlarm: a refused batch ('sync-rejected') or a failed cache write ('storage-fault'). */
  onAlarm?(alarm: NewEvent<AlarmEvent>): void;
  /** Where snapshot loading progress goes (a TTY gets a live line, anything else plain lines). */
  progressOut?: NodeJS.WritableStream & { isTTY?: boolean };
  clock?: () => Date;
}

/** How to start the worker: the compiled .js next to this file, or the .ts source through tsx (tests, bench). */
function spawnWorker(cfg: WorkerConfig): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const entry = new URL('./worker.ts', here).href;
    const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
    return new Worker(boot, { eval: true, workerData: cfg });
  }
  return new Worker(new URL('./worker.js', here), { workerData: cfg });
}

export class SyncService extends TypedEvents<SyncEvents> {
  private progress: Progress | null = null;
  private progressKey = '';

  private constructor(
    private readonly worker: Worker,
    private readonly o: SyncServiceOptions,
  ) {
    super();
  }

  /** Start the worker; resolves once it has opened the database (the MQTT connection comes up on its own). */
  static async start(o: SyncServiceOptions): Promise<SyncService> {
    const { onAlarm: _a, progressOut: _p, clock: _c, ...cfg } = o;
    const worker = spawnWorker(cfg);
    const svc = new SyncService(worker, o);
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      worker.once('error', onError);
      svc.once('ready', () => {
        worker.off('error', onError);
        resolve();
      });
      worker.on('message', (e: WorkerEvent) => svc.dispatch(e));
    });
    worker.on('error', (err) => svc.emit('error', err));
    return svc;
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
        return this.emit('state', e.state);
      case 'rejected':
        this.o.onAlarm?.({ kind: 'alarm', type: 'sync-rejected', detail: e.rejection.code, active: true, at });
        return this.emit('rejected', e.rejection);
      case 'storage-fault':
        this.o.onAlarm?.({ kind: 'alarm', type: 'storage-fault', detail: e.code, active: true, at });
        return this.emit('storage-fault', { code: e.code, message: e.message });
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
    this.worker.postMessage(msg, owns ? [payload.buffer as ArrayBuffer] : []);
    return id;
  }

  /** Central's `resync` command: the worker asks central for the snapshot and loads it again. */
  resync(): void {
    this.worker.postMessage({ type: 'resync' } satisfies WorkerCommand);
  }

  /** Close the MQTT session (it stays at the broker) and the worker's connection. */
  async stop(): Promise<void> {
    const done = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage({ type: 'stop' } satisfies WorkerCommand);
    const timer = setTimeout(() => void this.worker.terminate(), 5000);
    await done;
    clearTimeout(timer);
    this.removeAll();
  }
}
