// The sync worker under supervision, on real threads: killed, hung or out of memory, it is restarted with backoff,
// a 'sync-worker-down' alarm is raised while it is down and cleared when it is back; the parent never dies with it.
// A flood of refused batches reaches the parent as a few counts, not one message per batch.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildSnapshot } from '../../src/central/build.js';
import { openDb } from '../../src/cache/db.js';
import { SqliteCacheView } from '../../src/cache/view.js';
import type { AlarmEvent, NewEvent } from '../../src/gate/events.js';
import { restartDelay, spawnSyncWorker, SyncService, type SyncEvents, type SyncServiceOptions } from '../../src/sync/service.js';
import { SYNC_SIZE_LIMITS } from '../../src/sync/limits.js';
import { waitFor, waitForEvent } from '../../src/util/wait.js';
import { SECRET, STATION, newKey, snapshotFile, tempDir } from './fixtures.js';

const central = newKey();
let tmp: ReturnType<typeof tempDir>;
let svc: SyncService | undefined;
let alarms: NewEvent<AlarmEvent>[];

beforeEach(() => {
  tmp = tempDir();
  alarms = [];
});
afterEach(async () => {
  await svc?.stop();
  svc = undefined;
  tmp.cleanup();
});

// Short delays for the stand-in workers. The real worker boots through tsx and works through its queue before it
// answers a ping: on a loaded machine that takes seconds, so its tests give it the production-like hang limit.
const fast = { pingMs: 100, hangMs: 600, restartInitialMs: 100, restartMaxMs: 1000, stableMs: 60_000 };
const realWorker = { ...fast, hangMs: 60_000 };

function options(extra: Partial<SyncServiceOptions> = {}): SyncServiceOptions {
  return {
    dbPath: join(tmp.dir, 'gate.db'),
    secret: SECRET,
    station: STATION,
    gate: '01',
    centralPublicKeys: [central.publicPem],
    logLevel: 'silent',
    tickMs: 50,
    supervision: fast,
    onAlarm: (a) => alarms.push(a),
    ...extra,
  };
}

/** A stand-in worker that says ready and then hangs in a busy loop at its first ping (or answers, when told not to). */
function fakeWorker(behaviour: 'hang' | 'answer' | 'eat-memory', limits: ConstructorParameters<typeof Worker>[1] = {}): Worker {
  const src = `
    const { parentPort, workerData } = require('node:worker_threads');
    parentPort.postMessage({ type: 'ready', have: null });
    const hold = [];
    parentPort.on('message', (m) => {
      if (m.type === 'stop') return process.exit(0);
      if (m.type !== 'ping') return;
      if (workerData === 'hang') for (;;) {}
      if (workerData === 'eat-memory') for (;;) hold.push(new Array(1e5).fill(Math.random()));
      parentPort.postMessage({ type: 'pong', id: m.id });
    });`;
  return new Worker(src, { eval: true, workerData: behaviour, ...limits });
}

describe('sync worker supervision', () => {
  it('restarts a killed worker with an alarm while it is down; the new worker loads a snapshot', async () => {
    const workers: Worker[] = [];
    svc = await SyncService.start(
      options({ supervision: realWorker, spawn: (cfg, limits) => (workers.push(spawnSyncWorker(cfg, limits)), workers.at(-1)!) }),
    );
    const down = waitForEvent(svc, 'down', () => true, 5000, 'the worker reported down');
    const up = waitForEvent(svc, 'up', () => true, 45_000, 'the worker running again');
    await workers[0].terminate();
    expect(await down).toMatchObject({ reason: 'exit', retryInMs: 100 });
    expect(svc.downReason).toBe('exit');
    expect(await up).toEqual({ restarts: 1 });
    expect(svc.downReason).toBeNull();
    expect(workers).toHaveLength(2);
    expect(alarms.map((a) => [a.type, a.active, a.detail])).toEqual([
      ['sync-worker-down', true, 'exit:code-1'],
      ['sync-worker-down', false, 'exit:code-1'],
    ]);

    // The restarted worker does the job: a snapshot fed to it is in the file.
    const state = waitForEvent<SyncEvents, 'state'>(svc, 'state', (s) => s.epoch === 3, 20_000, 'the snapshot applied');
    for (const m of buildSnapshot(snapshotFile(5), { docSecret: SECRET, key: central.key, epoch: 3 }).messages)
      svc.feed(m.topic, m.payload);
    await state;
    const db = openDb(join(tmp.dir, 'gate.db'));
    try {
      expect(new SqliteCacheView(db, SECRET).syncState()).toMatchObject({ epoch: '3' });
    } finally {
      db.close();
    }
  }, 60_000);

  it('terminates a worker that stops answering pings and starts a new one', async () => {
    const spawned: string[] = [];
    const spawn = () => {
      const b = spawned.length === 0 ? 'hang' : 'answer';
      spawned.push(b);
      return fakeWorker(b);
    };
    svc = await SyncService.start(options({ spawn }));
    const down = await waitForEvent<SyncEvents, 'down'>(svc, 'down', () => true, 5000, 'the hang noticed');
    expect(down.reason).toBe('hang');
    await waitForEvent(svc, 'up', () => true, 5000, 'the worker running again');
    expect(spawned).toEqual(['hang', 'answer']);
    expect(alarms.map((a) => [a.type, a.active])).toEqual([
      ['sync-worker-down', true],
      ['sync-worker-down', false],
    ]);
  }, 20_000);

  it('a worker over its heap cap dies alone (the parent carries on) and restarts, backing off while it keeps dying', async () => {
    const delays: number[] = [];
    let n = 0;
    const spawn = () =>
      ++n <= 2
        ? fakeWorker('eat-memory', { resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 } })
        : fakeWorker('answer');
    svc = await SyncService.start(options({ spawn }));
    svc.on('down', (d) => delays.push(d.retryInMs));
    const errors: string[] = [];
    svc.on('error', (e) => errors.push((e as { code?: string }).code ?? e.name));
    await waitForEvent(svc, 'up', () => true, 15_000, 'the worker running again');
    expect(errors).toEqual(['ERR_WORKER_OUT_OF_MEMORY', 'ERR_WORKER_OUT_OF_MEMORY']);
    expect(delays).toEqual([100, 200]);
    // One alarm for the whole outage, however many restarts it took.
    expect(alarms.map((a) => [a.type, a.active, a.detail])).toEqual([
      ['sync-worker-down', true, 'error:ERR_WORKER_OUT_OF_MEMORY'],
      ['sync-worker-down', false, 'error:ERR_WORKER_OUT_OF_MEMORY'],
    ]);
  }, 30_000);

  it('restart delays double up to their ceiling', () => {
    expect([0, 1, 2, 3, 10].map((f) => restartDelay(f, { restartInitialMs: 1000, restartMaxMs: 8000 }))).toEqual([
      1000, 2000, 4000, 8000, 8000,
    ]);
  });
});

describe('refused batches at the thread boundary', () => {
  it('a flood of 5,000 garbage messages reaches the parent as a handful of counts', async () => {
    const reports: Record<string, number>[] = [];
    svc = await SyncService.start(options({ supervision: realWorker, onRefused: () => undefined }));
    svc.on('refused', (r) => reports.push(r));
    let last = 0;
    for (let i = 0; i < 5000; i++) last = svc.feed(`stations/v1/${STATION}/sync/head`, Buffer.from('{x'));
    svc.feed(`stations/v1/${STATION}/sync/head`, Buffer.alloc(SYNC_SIZE_LIMITS.head + 1, 0x20));
    const total = () => reports.reduce((a, r) => a + Object.values(r).reduce((x, n) => x + n, 0), 0);
    await waitForEvent(svc, 'handled', (id) => id === last + 1, 30_000, 'the flood handled');
    await waitFor(() => total() === 5001, 5000, 'every refusal counted');
    const merged = reports.reduce<Record<string, number>>((a, r) => {
      for (const [k, n] of Object.entries(r)) a[k] = (a[k] ?? 0) + n;
      return a;
    }, {});
    expect(merged).toEqual({ malformed: 5000, 'too-large': 1 });
    expect(reports.length).toBeLessThanOrEqual(10);
  }, 60_000);
});
