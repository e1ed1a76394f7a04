// Sync: a signed, chunked snapshot of N tickets (1,000,000; --quick 100,000) applied through the real gate path
// (sync worker thread: SHA-256 + Ed25519 checks, JSON + zod, HMAC doc keys, staging, one swap transaction), against a
// bare better-sqlite3 bulk insert of the same rows (doc keys precomputed, one transaction, the gate's schema) in the
// same run; and the decision latency on the main thread while a snapshot replaces a populated cache.
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { percentile, type BenchContext } from '../harness.js';
import { openDb, type Db } from '../../src/cache/db.js';
import type { PassengerRecord, SnapshotFile, TicketRecord } from '../../src/cache/records.js';
import { SqliteCacheView } from '../../src/cache/view.js';
import { buildSnapshot, type OutMessage } from '../../src/central/build.js';
import { signingKeyFrom } from '../../src/central/keys.js';
import { decide } from '../../src/decide/decide.js';
import type { Document } from '../../src/identity/document.js';
import { canonicalIdentity } from '../../src/identity/document-key.js';
import { SyncService } from '../../src/sync/service.js';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** A full GC now, so that collecting the generated records does not land inside a measurement. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

const STATION = 'SHH';
const SECRET = 'bench-sync-fc105fefc2576fbacfb7bcec1d5541b8b427a9dd81a36a602eb138808ffc3d9c';

const number = (p: number) => `E${String(p).padStart(8, '0')}`;

function records(nTickets: number): SnapshotFile {
  const nPassengers = nTickets / 2;
  const passengers: PassengerRecord[] = Array.from({ length: nPassengers }, (_, p) => ({
    kind: 'passport',
    country: 'DEU',
    number: number(p),
    status: p % 50 === 0 ? 'pending' : 'verified',
    birthDate: '1990-01-01',
  }));
  const tickets: TicketRecord[] = Array.from({ length: nTickets }, (_, i) => {
    const hour = 6 + (i % 16);
    const hh = String(hour).padStart(2, '0');
    return {
      id: `T${String(i).padStart(10, '0')}`,
      kind: 'passport',
      country: 'DEU',
      number: number(i % nPassengers),
      train: `G${100 + (i % 900)}`,
      date: '2026-03-01',
      from: STATION,
      to: 'BJP',
      departure: `2026-03-01T${hh}:00:00+08:00`,
      arrival: `2026-03-01T${hh}:59:00+08:00`,
      car: String(1 + (i % 16)).padStart(2, '0'),
      seat: `${1 + (i % 20)}${'ABCDF'[i % 5]}`,
      status: i % 17 === 0 ? 'refunded' : 'valid',
    };
  });
  return { station: STATION, generatedAt: '2026-03-01T05:00:00+08:00', passengers, tickets };
}

/** The baseline: the same rows straight into the gate's schema with one prepared statement per table, one transaction. */
function bareInsert(db: Db, snap: SnapshotFile): number {
  const key = (r: { kind: string; country: string; number: string }) =>
    createHmac('sha256', SECRET)
      .update(canonicalIdentity(r as never))
      .digest('hex');
  const pRows = snap.passengers.map((p) => [
    key(p),
    p.kind,
    p.status,
    p.birthDate
      ? createHmac('sha256', SECRET)
          .update(`birth\n${key(p)}\n${p.birthDate}`)
          .digest('hex')
      : null,
  ]);
  const tRows = snap.tickets.map((t) => [
    t.id,
    key(t),
    t.train,
    t.date,
    t.from,
    t.to,
    t.departure,
    t.arrival,
    Date.parse(t.departure),
    Date.parse(t.arrival),
    t.car,
    t.seat,
    t.status,
  ]);
  const insP = db.prepare('INSERT INTO passengers (doc_key, kind, status, birth_key) VALUES (?, ?, ?, ?)');
  const insT = db.prepare(
    'INSERT INTO tickets (id, doc_key, train, date, from_station, to_station, departure, arrival, departure_ms, arrival_ms, car, seat, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const start = process.hrtime.bigint();
  db.transaction(() => {
    for (const r of pRows) insP.run(...r);
    for (const r of tRows) insT.run(...r);
  })();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

interface ApplyRun {
  ms: number;
  decisionsUs: number[];
}

/** Feed the snapshot's messages to the sync worker and, meanwhile, decide for a passenger every 2 ms on this thread. */
async function applyThroughWorker(
  ctx: BenchContext,
  dbPath: string,
  messages: OutMessage[],
  publicPem: string,
  epoch: number,
  decideOnce?: () => void,
): Promise<ApplyRun> {
  const svc = await SyncService.start({
    dbPath,
    secret: SECRET,
    station: STATION,
    gate: 'bench',
    centralPublicKeys: [publicPem],
    logLevel: 'silent',
  });
  const decisionsUs: number[] = [];
  try {
    const done = new Promise<void>((resolve, reject) => {
      svc.on('state', (s) => s.epoch === epoch && resolve());
      svc.on('refused', (r) => reject(new Error(`snapshot refused: ${Object.keys(r).join(',')}`)));
      svc.on('storage-fault', (f) => reject(new Error(`snapshot write failed: ${f.message}`)));
    });
    let finished = false;
    const t0 = process.hrtime.bigint();
    const at = () => (Number(process.hrtime.bigint() - t0) / 1e6).toFixed(0);
    if (process.env.SYNC_BENCH_TRACE) {
      svc.on('progress', (p) => ctx.log(`${at()} ms: staged ${p.chunksStaged}/${p.chunks}`));
      svc.on('state', () => ctx.log(`${at()} ms: committed`));
    }
    // A passenger every 2 ms; latency counts from the scheduled arrival, so event-loop stalls show up in it.
    const decider = (async () => {
      if (!decideOnce) return;
      let next = process.hrtime.bigint();
      while (!finished) {
        const now = process.hrtime.bigint();
        while (next <= now) {
          decideOnce();
          const us = Number(process.hrtime.bigint() - next) / 1000;
          if (process.env.SYNC_BENCH_TRACE && us > 10_000) ctx.log(`${at()} ms: decision waited ${(us / 1000).toFixed(1)} ms`);
          decisionsUs.push(us);
          next += 2_000_000n;
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    const start = process.hrtime.bigint();
    for (const m of messages) svc.feed(m.topic, m.payload);
    await done;
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    finished = true;
    await decider;
    ctx.log(`applied ${messages.length} messages in ${(ms / 1000).toFixed(2)} s`);
    return { ms, decisionsUs };
  } finally {
    await svc.stop();
  }
}

function centralSideAndBaseline(
  ctx: BenchContext,
  n: number,
  nPassengers: number,
  key: ReturnType<typeof signingKeyFrom>,
): { first: OutMessage[]; second: OutMessage[]; bareMs: number } {
  const snap: SnapshotFile = records(n);
  const t = Date.now();
  const first = buildSnapshot(snap, { docSecret: SECRET, key, epoch: 1 }).messages;
  const second = buildSnapshot({ ...snap, generatedAt: '2026-03-01T05:30:00+08:00' }, { docSecret: SECRET, key, epoch: 2 }).messages;
  ctx.log(
    `central side: ${n} tickets + ${nPassengers} passengers in ${first.length - 2} chunks, built and signed twice in ${Date.now() - t} ms (not timed)`,
  );
  const bareDb = openDb(join(ctx.tmpDir, 'bare.db'));
  const bareMs = bareInsert(bareDb, snap);
  bareDb.close();
  return { first, second, bareMs };
}

export default async function syncBench(ctx: BenchContext): Promise<void> {
  const n = ctx.quick ? 100_000 : 1_000_000;
  const nPassengers = n / 2;
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const key = signingKeyFrom(privateKey);
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const rows = n + nPassengers;

  // Central's side and the baseline first, in their own function: its records are garbage once it returns (a gate
  // never holds them as JS objects), and the collection below frees them before the timed apply.
  const { first, second, bareMs } = centralSideAndBaseline(ctx, n, nPassengers, key);
  collectGarbage();
  ctx.log(`bare better-sqlite3 insert (doc keys precomputed): ${(bareMs / 1000).toFixed(2)} s`);

  // The real path into an empty gate file: the same rows, the same run.
  const gatePath = join(ctx.tmpDir, 'gate.db');
  openDb(gatePath).close();
  const cold = await applyThroughWorker(ctx, gatePath, first, publicPem, 1);
  ctx.record('sync.snapshot.apply', { value: cold.ms / 1000, unit: 's', baseline: bareMs / 1000, goal: '<= 1.5x bare insert' });
  ctx.record('sync.snapshot.rows_per_s', { value: rows / (cold.ms / 1000), unit: 'rows/s', baseline: rows / (bareMs / 1000) });

  // A new epoch replaces the populated cache while the lane decides on the main thread with its own connection.
  const laneDb = openDb(gatePath, { migrate: false });
  const view = new SqliteCacheView(laneDb, SECRET);
  const rules = {
    timeZone: 'Asia/Shanghai',
    entry: { opensMinutesBefore: 120, closesMinutesBefore: 5 },
    exit: { graceMinutesAfterArrival: 120 },
    maxCacheAgeMinutes: 24 * 60,
  };
  const now = new Date('2026-03-01T07:30:00+08:00');
  let k = 0;
  const reasons = new Map<string, number>();
  const decideOnce = () => {
    const doc: Document = {
      type: 'mrz',
      number: number((k++ * 7919) % nPassengers),
      nationality: 'DEU',
      issuingState: 'DEU',
      sex: 'F',
      birthDate: '1990-01-01',
      validTo: '2031-01-01',
      format: 'TD3',
      documentCode: 'P',
      warnings: [],
    };
    const d = decide(doc, view, rules, { station: STATION, direction: 'entry', now });
    reasons.set(d.reason, (reasons.get(d.reason) ?? 0) + 1);
  };
  const idle: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const s = process.hrtime.bigint();
    decideOnce();
    idle.push(Number(process.hrtime.bigint() - s) / 1000);
  }
  collectGarbage();
  const hot = await applyThroughWorker(ctx, gatePath, second, publicPem, 2, decideOnce);
  laneDb.close();
  ctx.log(
    `decisions (src/decide/decide.ts over src/cache/view.ts): ${hot.decisionsUs.length} during the load; reasons ${JSON.stringify(Object.fromEntries(reasons))}`,
  );
  const sorted = [...hot.decisionsUs]
    .sort((a, b) => b - a)
    .slice(0, 5)
    .map((us) => (us / 1000).toFixed(1));
  ctx.log(`slowest decisions during the load (ms): ${sorted.join(', ')}`);
  ctx.record('sync.replace.apply', { value: hot.ms / 1000, unit: 's', baseline: bareMs / 1000 });
  ctx.record('sync.decision.p99_during_load', {
    value: percentile(hot.decisionsUs, 99) / 1000,
    unit: 'ms',
    baseline: percentile(idle, 99) / 1000,
    goal: '< 5 ms',
  });
  ctx.record('sync.decision.max_during_load', { value: Math.max(...hot.decisionsUs) / 1000, unit: 'ms' });
}
