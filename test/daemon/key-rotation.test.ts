// Key rotation (docs/sync.md 4b) across the real `gate run`: the gate holds the current document key and the next;
// central publishes a new epoch keyed under the next key while passengers keep passing. Every passenger before,
// during and after the swap is let through (none refused for the change), the cache ends bound to the new key, and
// a batch keyed under a third key is refused as doc-key-mismatch and never loaded.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/util/wait.js';
import type { AlarmEvent, DecisionEvent } from '../../src/gate/events.js';
import { boundSecretIndex } from '../../src/cache/write.js';
import { openDb } from '../../src/cache/db.js';
import { DEMO_SECRET } from '../../src/demo/data.js';
import { passTraveller, startLoadedGate, startWorld, stationSnapshot, travellerMrz, type World } from './world.js';
import { needlesOf, scanMessages, tapAll } from '../support/wire-tap.js';
import { readStatusFile } from '../support/json.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const epochOf = (w: World) => w.query<{ epoch: string }>('SELECT epoch FROM sync_state WHERE id = 1')[0]?.epoch;

describe('document key rotation with gate run', () => {
  it('passengers pass before, during and after central switches to the next key; a third key is refused', async () => {
    const next = randomBytes(32).toString('hex');
    world = await startWorld({ travellers: 16, resultHoldMs: 200, secretNext: next });
    const w = world;
    // Everything on the station's broker, every topic, both directions, from before the first snapshot.
    const tap = await tapAll(w.broker.url);
    const gate = await startLoadedGate(w);
    let i = 0;
    for (; i < 3; i++) await passTraveller(w, i);

    // Central's step: a new epoch under the next key. Passengers keep coming while it is staged and swapped in.
    const published = w.publishSnapshotKeyed(next, 2);
    while (epochOf(w) !== '2' && i < 12) await passTraveller(w, i++);
    await published;
    await waitFor(() => epochOf(w) === '2', 15_000, 'the epoch keyed under the next key').catch((err) => {
      console.log(
        gate
          .log()
          .split('\n')
          .filter((l) => /sync|snapshot|resync|refus/i.test(l))
          .slice(-30)
          .join('\n'),
      );
      throw err;
    });
    const afterSwap = i;
    for (; i < afterSwap + 3; i++) await passTraveller(w, i);

    // The cache is now bound to the next key (index 1 of [secret, secretNext]).
    const db = openDb(w.dbPath, { readonly: true });
    try {
      expect(boundSecretIndex(db, [DEMO_SECRET, next])).toBe(1);
    } finally {
      db.close();
    }

    // A snapshot keyed under a key this gate does not hold is refused, counted, and the cache stays at epoch 2.
    await w.publishSnapshotKeyed(randomBytes(32).toString('hex'), 3);
    const statusFile = `${w.dbPath}.status.json`;
    await waitFor(() => (readStatusFile(statusFile).refusals?.sync?.total ?? 0) >= 1, 15_000, 'the foreign-key batch refused');
    await waitFor(
      () => w.query("SELECT 1 FROM outbox WHERE kind = 'alarm' AND payload LIKE '%doc-key-mismatch%'").length >= 1,
      70_000,
      'the network-refused alarm naming doc-key-mismatch',
    );
    const alarm = w
      .query<{ payload: string }>("SELECT payload FROM outbox WHERE kind = 'alarm' AND payload LIKE '%doc-key-mismatch%'")
      .map((r) => JSON.parse(r.payload) as AlarmEvent)[0];
    expect(alarm.type).toBe('network-refused');
    expect(epochOf(w)).toBe('2');
    await passTraveller(w, i++);

    const decisions = w
      .query<{ payload: string }>("SELECT payload FROM outbox WHERE kind = 'decision'")
      .map((r) => JSON.parse(r.payload) as DecisionEvent);
    console.log(
      `key rotation: ${i} passengers (${afterSwap - 3} while the new epoch was staged and swapped), ${decisions.filter((d) => d.decision !== 'open').length} refused`,
    );
    expect(decisions.length).toBe(i);
    expect(decisions.filter((d) => d.decision !== 'open')).toEqual([]);
    expect(w.query('SELECT 1 FROM ledger')).toHaveLength(i);
    // No number, birth date or MRZ line of any traveller, nor of central's records, went over the wire.
    await tap.close();
    const snap = stationSnapshot(Date.now(), 16);
    const needles = needlesOf([
      ...snap.passengers.flatMap((p) => [
        { what: `${p.number}`, text: p.number },
        ...(p.birthDate ? [{ what: `${p.number} birth`, text: p.birthDate }] : []),
      ]),
      ...snap.tickets.map((t) => ({ what: `ticket ${t.id} number`, text: t.number })),
      ...Array.from({ length: 16 }, (_, n) => travellerMrz(n).map((l, k) => ({ what: `traveller ${n} mrz[${k}]`, text: l }))).flat(),
    ]);
    const scan = scanMessages(tap.messages, needles);
    console.log(
      `privacy scan on the wire (station test): ${tap.messages.length} messages, ${scan.bytes} bytes, ${needles.length} needles, hits ${scan.hits.length}`,
    );
    expect(scan.hits).toEqual([]);
    expect(scanMessages([{ topic: 'control', bytes: Buffer.from(JSON.stringify(snap)) }], needles).hits.length).toBeGreaterThan(0);
    gate.proc.kill('SIGTERM');
    expect((await gate.exited).code).toBe(0);
  }, 150_000);
});
