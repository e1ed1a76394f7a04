// The two implementations of each store interface, opened the same way, for the contract suites (describe.each):
// the gate's SQLite file in a temp folder, and the memory stand-ins the lane tests use (test/support/memory-stores.ts).
// `reopen` is a daemon restart: SQLite closes and opens the same file; memory keeps its objects, as the fake does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, type Db } from '../../src/cache/db.js';
import type { LaneStore } from '../../src/gate/events.js';
import type { PassageLedger } from '../../src/ledger/passage-ledger.js';
import { SqliteCommandNonces, type CommandNonces } from '../../src/mqtt/nonce-store.js';
import { sqliteLaneJournal } from '../../src/outbox/lane-journal.js';
import type { Outbox, OutboxOptions } from '../../src/outbox/outbox.js';
import { MemoryCommandNonces, memoryLaneJournal } from './memory-stores.js';

export interface OpenStores {
  outbox: Outbox;
  ledger: PassageLedger;
  journal: LaneStore;
  nonces: CommandNonces;
  /** A ticket in the cache with its arrival (the ledger takes it along for retention). */
  addTicket(id: string, arrivalMs: number): void;
  /** From now on taking a ticket in the ledger fails (SQLite: a trigger refuses the insert). */
  breakLedger(): void;
  /** From now on every append to the outbox fails. */
  breakOutbox(): void;
  /** A daemon restart over the same storage; returns the parts as the new process sees them. */
  reopen(): OpenStores;
  close(): void;
}

export interface StoreImpl {
  name: string;
  open(opts: OutboxOptions): OpenStores;
}

const sqlite: StoreImpl = {
  name: 'sqlite',
  open(opts) {
    const dir = mkdtempSync(join(tmpdir(), 'stores-'));
    const path = join(dir, 'gate.db');
    let db: Db;
    const parts = (): OpenStores => {
      db = openDb(path);
      const { journal, outbox, ledger } = sqliteLaneJournal(db, opts);
      const failOn = (table: string) =>
        db.exec(`CREATE TEMP TRIGGER fail_${table} BEFORE INSERT ON main.${table} BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`);
      return {
        outbox,
        ledger,
        journal,
        nonces: new SqliteCommandNonces(db),
        addTicket: (id, arrivalMs) =>
          db
            .prepare(
              `INSERT INTO tickets (id, doc_key, train, date, from_station, to_station, departure, arrival, departure_ms, arrival_ms, car, seat, status)
               VALUES (?, 'k', 'G1', '2026-03-01', 'BJP', 'SHH', ?, ?, ?, ?, '01', '01A', 'valid')`,
            )
            .run(id, new Date(arrivalMs - 3_600_000).toISOString(), new Date(arrivalMs).toISOString(), arrivalMs - 3_600_000, arrivalMs),
        breakLedger: () => failOn('ledger'),
        breakOutbox: () => failOn('outbox'),
        reopen: () => {
          db.close();
          return parts();
        },
        close: () => {
          db.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    };
    return parts();
  },
};

const memory: StoreImpl = {
  name: 'memory',
  open(opts) {
    const arrivals = new Map<string, number>();
    const { journal, outbox, ledger } = memoryLaneJournal(opts, (id) => arrivals.get(id) ?? null);
    const nonces = new MemoryCommandNonces();
    const parts: OpenStores = {
      outbox,
      ledger,
      journal,
      nonces,
      addTicket: (id, arrivalMs) => void arrivals.set(id, arrivalMs),
      breakLedger: () => void (ledger.refuseUses = true),
      breakOutbox: () => void (outbox.failing = true),
      reopen: () => parts,
      close: () => undefined,
    };
    return parts;
  },
};

export const STORE_IMPLS: readonly StoreImpl[] = [sqlite, memory];
