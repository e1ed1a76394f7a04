// Broker outage while passengers keep passing: the broker goes away, the gate keeps deciding and recording, and
// after the broker returns central receives every event, first seen in seq order, with no gap. CI holds the outage
// for seconds; FAULTS_FULL=1 for three minutes (the gate's reconnect backoff reaches its maximum meanwhile).
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/util/wait.js';
import { firstSeenSeqs, startLoadedGate, startWorld, travellerMrz, type World } from '../daemon/world.js';
import { scaled, tally } from './support/tally.js';

const OUTAGE_MS = scaled(6_000, 180_000);
const TRAVELLERS = scaled(2000, 8000);

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('broker outage', () => {
  it(
    `passengers pass through a ${OUTAGE_MS / 1000} s outage; afterwards central has every event in seq order, no gap`,
    async () => {
      world = await startWorld({ travellers: TRAVELLERS, resultHoldMs: 150, passageTimeoutMs: 3000, mcuWalkMs: 20 });
      const w = world;
      const gate = await startLoadedGate(w);
      let i = 0;
      const pass = async () => {
        await w.scanner.scan(travellerMrz(i++));
        await waitFor(() => w.mcu.auth !== null, 3000, 'the authorisation');
        await w.mcu.walkThrough();
        await waitFor(() => w.mcu.auth === null, 3000, 'the passage');
      };
      await pass();
      await pass();
      await waitFor(() => w.query('SELECT 1 FROM outbox WHERE sent_ms IS NULL').length === 0, 5000, 'the first events out');
      // ...and at central, before the outage starts.
      const sentBefore = w.query<{ last_seq: number }>('SELECT last_seq FROM outbox_seq')[0].last_seq;
      await waitFor(() => new Set(w.received.map((e) => e.seq)).size === sentBefore, 20_000, 'central to have the first events');

      // The broker goes away and comes back as a service restart does: it saves its sessions and queues on the way
      // down. What the gate sees is the same as a crash (its connection drops, publishes fail, it reconnects with
      // backoff). A crash of the broker itself loses what it took since its last autosave and can lose central's
      // session; that is the broker's own window (docs/deployment.md). Twice in CI, with a killed broker, central then
      // received none of what the gate sent after it came back, though the gate's outbox had drained (central having
      // lost its session fits; the diagnostics below name central's connects and the broker's log if it recurs).
      await w.broker.stop(true);
      const until = Date.now() + OUTAGE_MS;
      const before = i;
      // Each passenger has their own ticket: stop before running out of them.
      while (Date.now() < until && i < TRAVELLERS - 10) await pass();
      const duringOutage = i - before;
      await waitFor(() => w.query('SELECT 1 FROM ledger').length === i, 3000, 'the last passage recorded');
      const pending = w.query('SELECT 1 FROM outbox WHERE sent_ms IS NULL').length;
      expect(pending).toBeGreaterThanOrEqual(duringOutage * 2);

      await w.broker.start();
      const restartedAt = Date.now();
      await waitFor(() => w.query('SELECT 1 FROM outbox WHERE sent_ms IS NULL').length === 0, 60_000, 'the outbox to drain');
      const lastSeq = w.query<{ last_seq: number }>('SELECT last_seq FROM outbox_seq')[0].last_seq;
      await waitFor(() => new Set(w.received.map((e) => e.seq)).size === lastSeq, 60_000, 'central to have every event').catch((err) => {
        // Say which events are missing and what the broker said: a bare timeout here cannot be diagnosed from CI's log.
        const seen = new Set(w.received.map((e) => e.seq));
        const missing = Array.from({ length: lastSeq }, (_, k) => k + 1).filter((s) => !seen.has(s));
        console.log(`DIAG missing ${missing.length} of ${lastSeq}: ${missing.slice(0, 20).join(',')} ... ${missing.slice(-5).join(',')}`);
        console.log(`DIAG outage held seqs ${sentBefore + 1}..${lastSeq}; central received ${w.received.length}`);
        console.log(
          `DIAG broker restarted at ${restartedAt}; central connects ${JSON.stringify(w.centralConnects)}; connected now ${w.central.connected}`,
        );
        console.log(
          `DIAG broker log: ${w.broker
            .log()
            .replace(/^.*Saving in-memory database.*\n/gm, '')
            .slice(-4000)}`,
        );
        throw err;
      });
      expect(firstSeenSeqs(w)).toEqual(Array.from({ length: lastSeq }, (_, k) => k + 1));
      const passed = w.received.filter((e) => e.kind === 'passage' && e.outcome === 'passed');
      expect(new Set(passed.map((e) => e.eventId)).size).toBe(i);
      gate.proc.kill('SIGTERM');
      expect((await gate.exited).code).toBe(0);
      const lost = lastSeq - new Set(w.received.map((e) => e.seq)).size;
      tally({ scenario: 'broker-outage', cycles: duringOutage, lost, doubleUsed: 0 });
      console.log(
        `broker outage: ${OUTAGE_MS / 1000} s, ${duringOutage} passages meanwhile, ${pending} events held, ${lastSeq} delivered in order`,
      );
    },
    OUTAGE_MS + 120_000,
  );
});
