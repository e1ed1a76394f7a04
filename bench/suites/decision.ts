// Decision latency on a full-size cache file: 1,000,000 tickets and 200,000 verified-passenger records (quick:
// 100,000 / 20,000), filled through the same write functions as `gate cache import`. Baseline, on the same file
// in the same run: a bare better-sqlite3 point lookup of a holder's tickets by the doc_key index.
import { join } from 'node:path';
import { openDb } from '../../src/cache/db.js';
import { setSyncState, upsertPassengers, upsertTickets, withTicketIndexDeferred } from '../../src/cache/write.js';
import { SqliteCacheView } from '../../src/cache/view.js';
import type { PassengerRecord, TicketRecord } from '../../src/cache/records.js';
import { gateConfigSchema } from '../../src/config/schema.js';
import { decide } from '../../src/decide/decide.js';
import type { Document } from '../../src/identity/document.js';
import { documentKey } from '../../src/identity/document-key.js';
import { mod11_2CheckChar } from '../../src/identity/check-digits.js';
import { percentile, usSince, type BenchContext } from '../harness.js';

const SECRET = 'bench-secret-0123456789abcdef-0123456789';
const NOW = new Date('2025-06-01T09:30:00+08:00');
const MINUTE = 60_000;

/** A small deterministic PRNG (mulberry32), so every run builds the same file. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function residentNumber(i: number): string {
  const first17 = `${110000 + Math.floor(i / 1000)}19800101${String(i % 1000).padStart(3, '0')}`;
  return first17 + mod11_2CheckChar(first17);
}
const passportNumber = (i: number) => `P${String(i).padStart(8, '0')}`;

export default async function decisionBench(ctx: BenchContext): Promise<void> {
  const passports = ctx.quick ? 20_000 : 200_000;
  const ticketsTotal = ctx.quick ? 100_000 : 1_000_000;
  // Two tickets per holder: passport holders and as many resident-card holders as fill the ticket count.
  const residents = ticketsTotal / 2 - passports;
  const random = rng(42);

  const passengerRecords: PassengerRecord[] = [];
  for (let i = 0; i < passports; i++) {
    // 90 % verified, the rest pending or rejected, as central would push them.
    const r = random();
    passengerRecords.push({ kind: 'passport', country: 'DEU', number: passportNumber(i), status: r < 0.9 ? 'verified' : r < 0.95 ? 'pending' : 'rejected', birthDate: '1980-01-01' });
  }
  function* tickets(): Generator<TicketRecord> {
    let id = 0;
    const holder = (i: number) =>
      i < passports ? { kind: 'passport' as const, country: 'DEU', number: passportNumber(i) } : { kind: 'cn-resident-id' as const, country: 'CHN', number: residentNumber(i - passports) };
    for (let i = 0; i < passports + residents; i++) {
      for (let k = 0; k < 2; k++) {
        // Departures from 6 h before to 12 h after the measured instant, to the minute.
        const dep = NOW.getTime() + Math.floor((random() * 18 - 6) * 60) * MINUTE;
        const s = random();
        yield {
          id: `T${String(id++).padStart(8, '0')}`,
          ...holder(i),
          train: `G${100 + (id % 900)}`,
          date: '2025-06-01',
          from: k === 0 ? 'VNP' : 'AOH',
          to: k === 0 ? 'AOH' : 'VNP',
          departure: new Date(dep).toISOString(),
          arrival: new Date(dep + 150 * MINUTE).toISOString(),
          car: String(1 + (id % 16)).padStart(2, '0'),
          seat: `${1 + (id % 20)}${'ABCDF'[id % 5]}`,
          status: s < 0.9 ? 'valid' : s < 0.95 ? 'refunded' : 'used-entry',
        };
      }
    }
  }

  const path = join(ctx.tmpDir, 'decision.db');
  const db = openDb(path);
  const built = process.hrtime.bigint();
  db.transaction(() => {
    upsertPassengers(db, SECRET, passengerRecords);
    withTicketIndexDeferred(db, () => upsertTickets(db, SECRET, tickets()));
    setSyncState(db, { station: 'VNP', epoch: 'bench', seq: 0, generatedAt: '2025-06-01T06:00:00+08:00', appliedAt: '2025-06-01T06:00:00+08:00' });
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  const buildSeconds = usSince(built) / 1e6;
  ctx.log(`built ${ticketsTotal} tickets, ${passports} passengers in ${buildSeconds.toFixed(1)} s`);
  ctx.record('decision.cache-build', { value: ticketsTotal / buildSeconds, unit: 'rows/s' });

  // Random documents: resident cards and passports that hold tickets, plus 10 % unknown documents.
  const samples = ctx.quick ? 20_000 : 100_000;
  const docs: Document[] = [];
  for (let i = 0; i < samples; i++) {
    const r = random();
    const holder = Math.floor(random() * (passports + residents));
    if (r < 0.1) {
      docs.push({ type: 'mrz', number: `Q${String(holder).padStart(8, '0')}`, nationality: 'FRA', issuingState: 'FRA', sex: 'M', birthDate: '1980-01-01', validTo: '2030-01-01', warnings: [] });
    } else if (holder < passports) {
      docs.push({ type: 'mrz', number: passportNumber(holder), nationality: 'DEU', issuingState: 'DEU', sex: 'F', birthDate: '1980-01-01', validTo: '2030-01-01', warnings: [] });
    } else {
      docs.push({ type: 'cn-resident-id', number: residentNumber(holder - passports), nationality: 'CHN', sex: 'M', birthDate: '1980-01-01', validTo: null, warnings: [] });
    }
  }
  const keys = docs.map((d) =>
    documentKey(SECRET, d.type === 'mrz' ? { kind: 'passport', country: d.nationality, number: d.number } : { kind: 'cn-resident-id', country: 'CHN', number: d.number }),
  );

  const rules = gateConfigSchema.parse({ station: 'VNP' }).rules;
  const view = new SqliteCacheView(db, SECRET);
  const lookup = db.prepare('SELECT * FROM tickets WHERE doc_key = ?');
  const run = () => {
    const base: number[] = [];
    const dec: number[] = [];
    const reasons = new Map<string, number>();
    for (let i = 0; i < samples; i++) {
      // Interleaved, so both see the same cache and GC conditions.
      let t = process.hrtime.bigint();
      lookup.all(keys[i]);
      base.push(usSince(t));
      t = process.hrtime.bigint();
      const d = decide(docs[i], view, rules, { station: 'VNP', direction: 'entry', now: NOW });
      dec.push(usSince(t));
      reasons.set(d.reason, (reasons.get(d.reason) ?? 0) + 1);
    }
    return { base, dec, reasons };
  };
  run(); // warm-up: page cache, V8 tiers, prepared statements
  const { base, dec, reasons } = run();
  db.close();

  ctx.log(`reasons: ${[...reasons].map(([r, n]) => `${r} ${n}`).join(', ')}`);
  const goal = 'p99 < 200 us and < 10x the bare lookup';
  ctx.record('decision.p50', { value: percentile(dec, 50), unit: 'us', baseline: percentile(base, 50) });
  ctx.record('decision.p99', { value: percentile(dec, 99), unit: 'us', baseline: percentile(base, 99), goal });
}
