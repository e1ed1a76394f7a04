// Migration 8 (issue 17): tickets gain fare, concession check, registered journey and calling stations. A gate
// upgraded from version 7 keeps its tickets (they are adult tickets, as central sent them) and reads them back
// unchanged; tickets central then sends with the new fields read back with them.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, openDb, schemaVersion } from '../../src/cache/db.js';
import { MIGRATIONS } from '../../src/cache/migrations/index.js';
import { SqliteCacheView } from '../../src/cache/view.js';
import { upsertTickets } from '../../src/cache/write.js';
import { keyedTickets } from '../support/keyed.js';
import { tempDir } from '../sync/fixtures.js';

const SECRET = 'test-aeff15d6362f85765ba3a78408830de61e1e8d3a39f19d278532327358833288';
let tmp: ReturnType<typeof tempDir> | undefined;
afterEach(() => tmp?.cleanup());

describe('migration 8: ticket fares', () => {
  it('keeps a version-7 ticket as an adult ticket and stores the new fields of the next ones', () => {
    tmp = tempDir();
    const path = join(tmp.dir, 'gate.db');
    const old = new Database(path);
    migrate(
      old,
      MIGRATIONS.filter((m) => m.version <= 7),
    );
    old
      .prepare(
        `INSERT INTO tickets (id, doc_key, train, date, from_station, to_station, departure, arrival, departure_ms, arrival_ms, car, seat, status)
         VALUES ('OLD', 'k1', 'G1', '2026-03-01', 'SHH', 'VNP', '2026-03-01T08:00:00+08:00', '2026-03-01T12:00:00+08:00', 0, 0, '01', '1A', 'valid')`,
      )
      .run();
    old.close();

    const db = openDb(path);
    try {
      expect(schemaVersion(db)).toBeGreaterThanOrEqual(8);
      const view = new SqliteCacheView(db, SECRET);
      const [kept] = view.tickets(['k1']);
      expect(kept).toMatchObject({ id: 'OLD', train: 'G1', status: 'valid' });
      expect(kept).not.toHaveProperty('fare');
      expect(kept).not.toHaveProperty('calls');

      const student = {
        id: 'NEW',
        kind: 'cn-resident-id' as const,
        country: 'CHN',
        number: '11010219900101011X',
        train: 'G3',
        date: '2026-03-01',
        from: 'SHH',
        to: 'VNP',
        departure: '2026-03-01T09:00:00+08:00',
        arrival: '2026-03-01T13:00:00+08:00',
        car: '02',
        seat: '2B',
        status: 'valid' as const,
        fare: 'student' as const,
        concessionVerified: false,
        registeredJourney: { from: 'VNP', to: 'SHH' },
        calls: ['SHH', 'NJH', 'VNP'],
      };
      const [keyed] = keyedTickets(SECRET, [student]);
      upsertTickets(db, [keyed]);
      expect(view.tickets([keyed.docKey])).toEqual([
        expect.objectContaining({
          id: 'NEW',
          fare: 'student',
          concessionVerified: false,
          registeredJourney: { from: 'VNP', to: 'SHH' },
          calls: ['SHH', 'NJH', 'VNP'],
        }),
      ]);
      expect(() => db.prepare("UPDATE tickets SET fare = 'senior' WHERE id = 'NEW'").run()).toThrow(/CHECK/);
    } finally {
      db.close();
    }
  });
});
