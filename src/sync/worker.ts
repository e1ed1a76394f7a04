// The sync worker thread: its own SQLite connection, the engine and the MQTT subscriber, all off the thread that
// decides. In WAL mode the lane's connection keeps reading while this one writes; only events cross to the parent.
import { parentPort, workerData } from 'node:worker_threads';
import { openDb } from '../cache/db.js';
import { createLogger, silentLogger } from '../util/log.js';
import { CacheApplier } from './apply.js';
import type { SyncError } from './errors.js';
import { oversized } from './limits.js';
import { SyncEngine } from './engine.js';
import { startSubscriber } from './subscriber.js';
import { KeyRing } from './verify.js';
import type { WorkerConfig, WorkerEvent, WorkerCommand } from './service.js';

const cfg = workerData as WorkerConfig;
const post = (e: WorkerEvent) => parentPort!.postMessage(e);
const log = cfg.logLevel === 'silent' ? silentLogger() : createLogger({ name: 'sync', level: cfg.logLevel });

// Refusals are counted here and sent to the parent as counts at most once a second: the parent's thread runs the
// lane, and a flood of garbage must not cost it one message per batch.
const REFUSAL_REPORT_MS = 1000;
const refused = new Map<string, number>();
let refusalTimer: NodeJS.Timeout | null = null;
function countRefusal(code: string): void {
  refused.set(code, (refused.get(code) ?? 0) + 1);
  refusalTimer ??= setTimeout(reportRefusals, REFUSAL_REPORT_MS);
}
function reportRefusals(): void {
  if (refusalTimer) clearTimeout(refusalTimer);
  refusalTimer = null;
  if (refused.size) post({ type: 'refusals', counts: Object.fromEntries(refused) });
  refused.clear();
}
function refuseUnread(e: SyncError): void {
  log.debug({ code: e.code }, e.message);
  countRefusal(e.code);
}

const db = openDb(cfg.dbPath);
const applier = new CacheApplier(db, {
  station: cfg.station,
  secret: cfg.secret,
  secretNext: cfg.secretNext,
  stagePath: cfg.stagePath ?? `${cfg.dbPath}.sync-stage`,
  writeWaitMs: cfg.writeWaitMs,
});
let lastProgressAt = 0;
const engine = new SyncEngine({
  station: cfg.station,
  gate: cfg.gate,
  keys: new KeyRing(cfg.centralPublicKeys),
  applier,
  db,
  machine: cfg.machine,
  log,
  // Without a broker (batches fed by the parent) a resync request only reaches the parent, as an event.
  publish: (topic, payload) => void subscriber?.publish(topic, payload.toString('utf8')),
  onRejected: (r) => countRefusal(r.code),
  onStorageFault: (e) => post({ type: 'storage-fault', code: e.code, message: e.message }),
  onStorageRecovered: () => post({ type: 'storage-ok' }),
  onState: (s) => post({ type: 'state', state: s }),
  onRosterVersion: (version) => post({ type: 'roster-version', version }),
  onResyncRequested: (r) => post({ type: 'resync-requested', request: r }),
  onProgress: (p) => {
    const now = Date.now();
    if (p.chunksStaged === p.chunks || now - lastProgressAt >= 250) {
      lastProgressAt = now;
      post({ type: 'progress', progress: p });
    }
  },
});
const subscriber =
  cfg.mqtt === undefined
    ? undefined
    : startSubscriber({
        mqtt: cfg.mqtt,
        station: cfg.station,
        gate: cfg.gate,
        engine,
        clientId: cfg.clientId,
        sessionExpirySeconds: cfg.sessionExpirySeconds,
        tickMs: cfg.tickMs,
        log,
        onConnect: (sessionPresent) => post({ type: 'connected', sessionPresent }),
        onOffline: () => post({ type: 'offline' }),
        onRefused: refuseUnread,
      });

const ticker = subscriber ? undefined : setInterval(() => engine.tick(), cfg.tickMs ?? 1000);

parentPort!.on('message', (m: WorkerCommand) => {
  if (m.type === 'ping') {
    post({ type: 'pong', id: m.id });
    return;
  }
  if (m.type === 'batch') {
    const tooLarge = oversized(m.topic, m.payload.byteLength);
    if (tooLarge) refuseUnread(tooLarge);
    else engine.handle(m.topic, m.payload);
    post({ type: 'handled', id: m.id });
    return;
  }
  if (m.type === 'resync') {
    engine.reload();
    return;
  }
  clearInterval(ticker);
  reportRefusals();
  void (subscriber?.stop() ?? Promise.resolve())
    .catch(() => undefined)
    .then(() => {
      applier.abortSnapshot();
      db.close();
      post({ type: 'stopped' });
      parentPort!.close();
    });
});

const cur = applier.current();
post({ type: 'ready', have: cur });
