// Decision latency on a full-size cache file: 1,000,000 tickets and 200,000 verified-passenger records (quick:
// 100,000 / 20,000), filled through the same write functions as `gate cache import`. Baseline, on the same file
// in the same run: a bare better-sqlite3 point lookup of a holder's tickets by the doc_key index.
import { join } from 'node:path';
import { SqliteCacheView } from '../../src/cache/view.js';
import { gateConfigSchema } from '../../src/config/schema.js';
import { decide } from '../../src/decide/decide.js';
import type { Document } from '../../src/identity/document.js';
import { documentKey } from '../../src/identity/document-key.js';
import { percentile, usSince, type BenchContext } from '../harness.js';
import { NOW, SECRET, buildStationCache, passportNumber, residentNumber, rng } from '../support/station-cache.js';

export default async function decisionBench(ctx: BenchContext): Promise<void> {
  const ticketsTotal = ctx.quick ? 100_000 : 1_000_000;
  const random = rng(42);
  const { db, passports, residents, buildSeconds } = buildStationCache(
    join(ctx.tmpDir, 'decision.db'),
    ctx.quick ? 20_000 : 200_000,
    ticketsTotal,
    random,
  );
  ctx.log(`built ${ticketsTotal} tickets, ${passports} passengers in ${buildSeconds.toFixed(1)} s`);
  ctx.record('decision.cache-build', { value: ticketsTotal / buildSeconds, unit: 'rows/s' });

  // Random documents: resident cards and passports that hold tickets, plus 10 % unknown documents.
  const samples = ctx.quick ? 20_000 : 100_000;
  const docs: Document[] = [];
  for (let i = 0; i < samples; i++) {
    const r = random();
    const holder = Math.floor(random() * (passports + residents));
    if (r < 0.1) {
      docs.push({
        type: 'mrz',
        number: `Q${String(holder).padStart(8, '0')}`,
        nationality: 'FRA',
        issuingState: 'FRA',
        sex: 'M',
        birthDate: '1980-01-01',
        validTo: '2030-01-01',
        warnings: [],
      });
    } else if (holder < passports) {
      docs.push({
        type: 'mrz',
        number: passportNumber(holder),
        nationality: 'DEU',
        issuingState: 'DEU',
        sex: 'F',
        birthDate: '1980-01-01',
        validTo: '2030-01-01',
        warnings: [],
      });
    } else {
      docs.push({
        type: 'cn-resident-id',
        number: residentNumber(holder - passports),
        nationality: 'CHN',
        sex: 'M',
        birthDate: '1980-01-01',
        validTo: null,
        warnings: [],
      });
    }
  }
  const keys = docs.map((d) =>
    documentKey(
      SECRET,
      d.type === 'mrz'
        ? { kind: 'passport', country: d.nationality, number: d.number }
        : { kind: 'cn-resident-id', country: 'CHN', number: d.number },
    ),
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
