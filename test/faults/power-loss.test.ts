// Power loss: the daemon (`gate run`, a child process) is killed with SIGKILL at a random moment while passengers
// pass and the outbox drains, then started again, cycle after cycle. After each kill: every passage the lane
// confirmed to the MCU (the MCU got its ACK) is in the ledger and the outbox, no ticket was consumed twice, and
// PRAGMA integrity_check is ok. At the end central has every event, first seen in seq order, with no gap.
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/util/wait.js';
import { firstSeenSeqs, startLoadedGate, startWorld, travellerMrz, type World } from '../daemon/world.js';
import { scaled, tally } from './support/tally.js';
import { prng } from './support/prng.js';
import { parseJson } from '../support/json.js';
import { passageEventSchema } from '../../src/gate/events.js';

const CYCLES = scaled(8, 100);
const TRAVELLERS = CYCLES * 8 + 20;

let world: World | undefined;
afterAll(async () => world?.close());

describe('power loss: SIGKILL at random moments', () => {
  it(
    `${CYCLES} kill/restart cycles: nothing confirmed is lost, no ticket is used twice, the database stays sound`,
    async () => {
      world = await startWorld({ travellers: TRAVELLERS, resultHoldMs: 150, passageTimeoutMs: 3000, mcuWalkMs: 30 });
      const w = world;
      const rng = prng(Number(process.env.FAULTS_SEED ?? 20261129));
      const rand = rng.next;
      /** authId -> the ticket of the traveller it was given for (the scanner knows whom it read). */
      const ticketOfAuth = new Map<number, string>();
      const confirmed = new Set<string>();
      w.mcu.events.on('delivered', (r) => {
        if (r.kind === 'passage') {
          const t = ticketOfAuth.get(r.authId);
          if (t) confirmed.add(t);
        }
      });
      let next = 0;
      let lost = 0;
      let doubleUsed = 0;

      for (let cycle = 0; cycle < CYCLES; cycle++) {
        const gate = await startLoadedGate(w);
        let alive = true;
        void gate.exited.then(() => (alive = false));
        // The power goes at a random moment: while deciding, walking, recording or draining.
        const killAfter = 300 + Math.floor(rand() * 1500);
        const killer = new Promise<void>((resolve) =>
          setTimeout(() => {
            gate.proc.kill('SIGKILL');
            resolve();
          }, killAfter),
        );
        while (alive && gate.proc.signalCode === null) {
          const i = next++;
          // Now and then a traveller who already passed tries again: already-used, whatever the restarts.
          const again = confirmed.size > 0 && rand() < 0.2;
          if (again) {
            const used = [...confirmed][Math.floor(rand() * confirmed.size)];
            await w.scanner.scan(travellerMrz(Number(used.slice(1))));
          } else await w.scanner.scan(travellerMrz(i));
          const authorised = await waitFor(() => w.mcu.auth !== null || gate.proc.signalCode !== null, 1500, 'auth').then(
            () => w.mcu.auth !== null,
            () => false,
          );
          if (!authorised) continue;
          const auth = w.mcu.auth!;
          if (again) doubleUsed++; // the MCU was told to let a used ticket through
          ticketOfAuth.set(auth.authId, `X${i}`);
          await w.mcu.walkThrough();
          await waitFor(() => w.mcu.auth === null, 1000, 'walk').catch(() => undefined);
        }
        await killer;
        await gate.exited;

        // What the gate promised is on disk.
        const db = new Database(w.dbPath, { readonly: true });
        try {
          expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
          const ledger = db.prepare('SELECT ticket_id AS t, count(*) AS n FROM ledger GROUP BY ticket_id').all() as {
            t: string;
            n: number;
          }[];
          const inLedger = new Set(ledger.map((r) => r.t));
          doubleUsed += ledger.filter((r) => r.n > 1).length;
          const passed = db.prepare("SELECT payload FROM outbox WHERE kind = 'passage'").all() as { payload: string }[];
          const passedTickets = passed.flatMap((r) => {
            const p = parseJson(passageEventSchema, r.payload);
            return p.outcome === 'passed' && p.ticketId ? [p.ticketId] : [];
          });
          const count = new Map<string, number>();
          for (const t of passedTickets) count.set(t, (count.get(t) ?? 0) + 1);
          doubleUsed += [...count.values()].filter((n) => n > 1).length;
          for (const t of confirmed) if (!inLedger.has(t) || !count.has(t)) lost++;
        } finally {
          db.close();
        }
        expect({ cycle, lost, doubleUsed }).toEqual({ cycle, lost: 0, doubleUsed: 0 });
      }

      // The last start drains everything to central.
      const gate = await startLoadedGate(w);
      await waitFor(() => w.query('SELECT 1 FROM outbox WHERE sent_ms IS NULL').length === 0, 30_000, 'the outbox to drain');
      const lastSeq = w.query<{ last_seq: number }>('SELECT last_seq FROM outbox_seq')[0].last_seq;
      await waitFor(() => new Set(w.received.map((e) => e.seq)).size === lastSeq, 15_000, 'central to have every event');
      expect(firstSeenSeqs(w)).toEqual(Array.from({ length: lastSeq }, (_, k) => k + 1));
      gate.proc.kill('SIGTERM');
      await gate.exited;

      expect(confirmed.size).toBeGreaterThan(CYCLES);
      tally({ scenario: 'power-loss', cycles: CYCLES, lost, doubleUsed });
      console.log(
        `power loss: ${CYCLES} cycles, ${next} documents presented, ${confirmed.size} passages confirmed, ${lastSeq} events delivered in order`,
      );
    },
    60_000 + CYCLES * 8_000,
  );
});
