// The sync worker thread: its own SQLite connection, the engine and the MQTT subscriber, all off the thread that
// decides. In WAL mode the lane's connection keeps reading while this one writes; only events cross to the parent.
import { parentPort, workerData } from 'node:worker_threads';
import { openDb } from '../cache/db.js';
import { createLogger, silentLogger } from '../util/log.js';
import { CacheApplier } from './apply.js';
import { SyncEngine } from './engine.js';
import { startSubscriber } from './subscriber.js';
import { KeyRing } from './verify.js';
import type { WorkerConfig, WorkerEvent, WorkerCommand } from './service.js';

const cfg = workerData as WorkerConfig;
const post = (e: WorkerEvent) => parentPort!.postMessage(e);
const log = cfg.logLevel === 'silent' ? silentLogger() : createLogger({ name: 'sync', level: cfg.logLevel });

const db = openDb(cfg.dbPath);
const applier = new CacheApplier(db, { station: cfg.station, secret: cfg.secret, stagePath: cfg.stagePath ?? `${cfg.dbPath}.sync-stage` });
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
  publish: (topic, payload) => subscriber?.client.publish(topic, payload, { qos: 1 }),
  onRejected: (r) => post({ type: 'rejected', rejection: r }),
  onStorageFault: (e) => post({ type: 'storage-fault', code: e.code, message: e.message }),
  onState: (s) => post({ type: 'state', state: s }),
  onResyncRequested: (r) => post({ type: 'resync-requested', request: r }),
  onProgress: (p) => {
    const now = Date.now();
    if (p.chunksStaged === p.chunks || now - lastProgressAt >= 250) {
      lastProgressAt = now;
      post({ type: 'progress', progress: p });
    }
  },
});
const subscriber = cfg.url === undefined ? undefined : startSubscriber({
  url: cfg.url,
  station: cfg.station,
  gate: cfg.gate,
  engine,
  clientId: cfg.clientId,
  username: cfg.username,
  password: cfg.password,
  sessionExpirySeconds: cfg.sessionExpirySeconds,
  tickMs: cfg.tickMs,
  log,
  onConnect: (sessionPresent) => post({ type: 'connected', sessionPresent }),
  onOffline: () => post({ type: 'offline' }),
});

const ticker = subscriber ? undefined : setInterval(() => engine.tick(), cfg.tickMs ?? 1000);

parentPort!.on('message', (m: WorkerCommand) => {
  if (m.type === 'batch') {
    engine.handle(m.topic, m.payload);
    post({ type: 'handled', id: m.id });
    return;
  }
  if (m.type === 'resync') {
    engine.reload();
    return;
  }
  clearInterval(ticker);
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
