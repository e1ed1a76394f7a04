// A snapshot never loses to a decision (issue 13): the lane's connection holds the gate file's write lock (a decision
// being committed, held on purpose here) exactly when a manifest arrives and when the last chunk is swapped in. The
// real sync worker thread waits for the lock instead of failing, the snapshot loads, and every decision committed
// meanwhile is in the outbox. A lock held past the worker's bound costs one 'storage-fault' alarm and a resync
// asked for with the reason docs/sync.md gives (apply-failed); the alarm clears when the next batch is written.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../src/cache/db.js';
import { cacheCounts } from '../../src/cache/view.js';
import { buildSnapshot, type OutMessage } from '../../src/central/build.js';
import type { AlarmEvent, NewEvent } from '../../src/gate/events.js';
import { GateStore } from '../../src/daemon/gate-store.js';
import { failureReason } from '../../src/sync/engine.js';
import { SyncService, type SyncEvents, type SyncServiceOptions } from '../../src/sync/service.js';
import type { ResyncRequest } from '../../src/sync/wire.js';
import { waitForEvent } from '../../src/util/wait.js';
import { SECRET, STATION, newKey, snapshotFile, tempDir } from './fixtures.js';

const central = newKey();
let tmp: ReturnType<typeof tempDir>;
let lane: Db;
let store: GateStore;
let svc: SyncService | undefined;
let alarms: NewEvent<AlarmEvent>[];
let resyncs: ResyncRequest[];

beforeEach(() => {
  tmp = tempDir();
  lane = openDb(join(tmp.dir, 'gate.db'));
  store = new GateStore(lane, { station: STATION, gate: '01' });
  alarms = [];
  resyncs = [];
});
afterEach(async () => {
  await svc?.stop();
  svc = undefined;
  if (lane.inTransaction) lane.exec('ROLLBACK');
  lane.close();
  tmp.cleanup();
});

async function startSync(extra: Partial<SyncServiceOptions> = {}): Promise<SyncService> {
  const s = await SyncService.start({
    dbPath: join(tmp.dir, 'gate.db'),
    secret: SECRET,
    station: STATION,
    gate: '01',
    centralPublicKeys: [central.publicPem],
    logLevel: 'silent',
    // The real worker boots through tsx and may be slow to answer on a loaded machine: never judged hung here.
    supervision: { hangMs: 120_000 },
    onAlarm: (a) => alarms.push(a),
    ...extra,
  });
  s.on('resync-requested', (r) => resyncs.push(r));
  return s;
}

/**
 * The lane commits a decision while holding the write lock for `holdMs` (as a slow commit would): BEGIN IMMEDIATE,
 * the decision, and the COMMIT only after holdMs. Resolves with the decision's eventId and when the lock was let go.
 */
function decisionHoldingLock(holdMs: number): { eventId: string; released: Promise<number> } {
  lane.exec('BEGIN IMMEDIATE');
  const e = store.recordDecision({
    kind: 'decision',
    at: new Date().toISOString(),
    direction: 'entry',
    decision: 'reject',
    reason: 'no-ticket',
    docType: 'mrz',
    docKey: 'k',
    ticketId: null,
    train: null,
  });
  const released = new Promise<number>((resolve) =>
    setTimeout(() => {
      lane.exec('COMMIT');
      resolve(Date.now());
    }, holdMs),
  );
  return { eventId: e.eventId, released };
}

/** Feed messages to the worker; resolves when it has handled the last one, with the time it said so. */
async function feed(s: SyncService, msgs: OutMessage[]): Promise<number> {
  let last = 0;
  for (const m of msgs) last = s.feed(m.topic, m.payload);
  await waitForEvent(s, 'handled', (id) => id === last, 60_000, `the worker to handle ${msgs.length} message(s)`);
  return Date.now();
}

const outboxHas = (eventId: string) => lane.prepare('SELECT count(*) FROM outbox WHERE event_id = ?').pluck().get(eventId) === 1;

describe('a snapshot meets a decision holding the write lock', () => {
  it('the manifest and the swap wait for the lock (longer than busy_timeout): the snapshot loads and no decision is lost', async () => {
    svc = await startSync();
    const [manifest, ...rest] = buildSnapshot(snapshotFile(30), { docSecret: SECRET, key: central.key, epoch: 100, chunkRows: 7 }).messages;
    const head = rest.pop()!;
    const lastChunk = rest.pop()!;

    // Held 6 s: past the connection's own busy_timeout (5 s), so only the bounded wait of the write lock carries it.
    const first = decisionHoldingLock(6000);
    const manifestHandled = feed(svc, [manifest]);
    const [releasedAt, handledAt] = await Promise.all([first.released, manifestHandled]);
    expect(handledAt).toBeGreaterThanOrEqual(releasedAt);

    await feed(svc, rest);
    const second = decisionHoldingLock(500);
    const loaded = waitForEvent<SyncEvents, 'state'>(svc, 'state', (s) => s.epoch === 100, 60_000, 'the snapshot to be swapped in');
    svc.feed(lastChunk.topic, lastChunk.payload);
    const [released2] = await Promise.all([second.released, loaded]);
    expect(Date.now()).toBeGreaterThanOrEqual(released2);
    await feed(svc, [head]);

    expect(cacheCounts(lane)).toMatchObject({ passengers: 30, tickets: 30 });
    expect(outboxHas(first.eventId) && outboxHas(second.eventId)).toBe(true);
    expect(alarms).toEqual([]);
    expect(resyncs).toEqual([]);
  }, 90_000);

  it('a lock held past the bound: one storage-fault alarm, a resync for apply-failed, the alarm cleared once the snapshot loads', async () => {
    svc = await startSync({ writeWaitMs: 300 });
    const messages = buildSnapshot(snapshotFile(12), { docSecret: SECRET, key: central.key, epoch: 100, chunkRows: 7 }).messages;

    const held = decisionHoldingLock(1500);
    const asked = waitForEvent<SyncEvents, 'resync-requested'>(svc, 'resync-requested', () => true, 30_000, 'a resync request');
    svc.feed(messages[0].topic, messages[0].payload);
    expect((await asked).reason).toBe('apply-failed');
    expect(alarms.map((a) => [a.type, a.active, a.detail])).toEqual([['storage-fault', true, 'apply-failed']]);
    await held.released;

    // Central answers the request with the snapshot again, same bytes.
    const cleared = waitForEvent(svc, 'storage-ok', () => true, 30_000, 'the storage fault to end');
    await feed(svc, messages);
    await cleared;
    expect(cacheCounts(lane)).toMatchObject({ passengers: 12, tickets: 12 });
    expect(outboxHas(held.eventId)).toBe(true);
    expect(alarms.map((a) => [a.type, a.active, a.detail])).toEqual([
      ['storage-fault', true, 'apply-failed'],
      ['storage-fault', false, 'apply-failed'],
    ]);
  }, 90_000);
});

describe('the reason a resync request gives after a failed action (docs/sync.md section 6)', () => {
  it.each([
    ['apply-failed', 'begin-snapshot', 'apply-failed'],
    ['apply-failed', 'stage-chunk', 'apply-failed'],
    ['apply-failed', 'commit-snapshot', 'apply-failed'],
    ['apply-failed', 'apply-delta', 'apply-failed'],
    ['hash-mismatch', 'commit-snapshot', 'snapshot-incomplete'],
    ['count-mismatch', 'commit-snapshot', 'snapshot-incomplete'],
    ['doc-key-mismatch', 'apply-delta', 'gap'],
  ] as const)('%s while %s -> %s', (code, action, reason) => {
    expect(failureReason(code, action)).toBe(reason);
  });
});
