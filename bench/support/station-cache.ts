// A full-size station cache file for the benches: verified-passenger records and two tickets per holder, filled
// through the same write functions as `gate cache import`; deterministic (seeded), so every run builds the same file.
import { openDb, type Db } from '../../src/cache/db.js';
import { keyPassenger, keyTicket, keyerFor } from '../../src/cache/keyed.js';
import { setSyncState, upsertPassengers, upsertTickets, withTicketIndexDeferred } from '../../src/cache/write.js';
import type { PassengerRecord, TicketRecord } from '../../src/cache/records.js';
import { mod11_2CheckChar } from '../../src/identity/check-digits.js';
import { usSince } from '../harness.js';

export const SECRET = 'bench-8cb3c1c7deb5f7bef0b3f3423563ca5e49d1dc495516d773b22e0e49e9e52d2e';
export const NOW = new Date('2025-06-01T09:30:00+08:00');
const MINUTE = 60_000;

/** A small deterministic PRNG (mulberry32), so every run builds the same file. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function residentNumber(i: number): string {
  const first17 = `${110000 + Math.floor(i / 1000)}19800101${String(i % 1000).padStart(3, '0')}`;
  return first17 + mod11_2CheckChar(first17);
}
export const passportNumber = (i: number) => `P${String(i).padStart(8, '0')}`;

export interface StationCache {
  db: Db;
  passports: number;
  residents: number;
  buildSeconds: number;
}

/** Build the file at `path`: `passports` passport holders, and resident-card holders up to `ticketsTotal` tickets. */
export function buildStationCache(
  path: string,
  passports: number,
  ticketsTotal: number,
  random: () => number,
  now: Date = NOW,
): StationCache {
  // Two tickets per holder: passport holders and as many resident-card holders as fill the ticket count.
  const residents = ticketsTotal / 2 - passports;
  const passengerRecords: PassengerRecord[] = [];
  for (let i = 0; i < passports; i++) {
    // 90 % verified, the rest pending or rejected, as central would push them.
    const r = random();
    passengerRecords.push({
      kind: 'passport',
      country: 'DEU',
      number: passportNumber(i),
      status: r < 0.9 ? 'verified' : r < 0.95 ? 'pending' : 'rejected',
      birthDate: '1980-01-01',
    });
  }
  function* tickets(): Generator<TicketRecord> {
    let id = 0;
    const holder = (i: number) =>
      i < passports
        ? { kind: 'passport' as const, country: 'DEU', number: passportNumber(i) }
        : { kind: 'cn-resident-id' as const, country: 'CHN', number: residentNumber(i - passports) };
    for (let i = 0; i < passports + residents; i++) {
      for (let k = 0; k < 2; k++) {
        // Departures from 6 h before to 12 h after the measured instant, to the minute.
        const dep = now.getTime() + Math.floor((random() * 18 - 6) * 60) * MINUTE;
        const s = random();
        yield {
          id: `T${String(id++).padStart(8, '0')}`,
          ...holder(i),
          train: `G${100 + (id % 900)}`,
          date: now.toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' }),
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

  const db = openDb(path);
  const built = process.hrtime.bigint();
  db.transaction(() => {
    // Keyed as central keys them (src/cache/keyed.ts), streamed: a million tickets are never one array.
    const k = keyerFor(SECRET);
    upsertPassengers(
      db,
      passengerRecords.map((p) => keyPassenger(k, p)),
    );
    withTicketIndexDeferred(db, () =>
      upsertTickets(
        db,
        (function* () {
          for (const t of tickets()) yield keyTicket(k, t);
        })(),
      ),
    );
    const generatedAt = new Date(now.getTime() - 3.5 * 3_600_000).toISOString();
    setSyncState(db, { station: 'VNP', epoch: 'bench', seq: 0, generatedAt, appliedAt: generatedAt });
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  const buildSeconds = usSince(built) / 1e6;
  return { db, passports, residents, buildSeconds };
}
