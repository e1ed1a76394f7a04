// 5,000 unsigned two-byte messages on the station's sync topics against the real `gate run`: the outbox gains one
// 'network-refused' alarm (not 5,000), the status shows the count, and passengers scanned during the flood are let
// through. The card-to-authorise figures are printed beside the quiet ones (the bench's hostile.flood figure is the
// measured one; here the machine is shared, so only a loose bound is asserted).
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/util/wait.js';
import type { AlarmEvent } from '../../src/gate/events.js';
import { startFlooder } from './adversary.js';
import { STATION, passTraveller, startLoadedGate, startWorld, type World } from './world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('gate run under a flood on the sync topics', () => {
  it('5,000 garbage messages: one network-refused alarm, the count in the status, passengers pass', async () => {
    world = await startWorld({ travellers: 20, resultHoldMs: 200 });
    const w = world;
    const gate = await startLoadedGate(w);
    const quiet: number[] = [];
    for (let i = 0; i < 4; i++) quiet.push(await passTraveller(w, i));

    // The adversary is its own process (as on a station network), so the test's own loop measures undisturbed.
    const adversary = await startFlooder(w.broker.url, STATION);
    const sent = adversary.burst(5000);
    const flood: number[] = [];
    for (let i = 4; i < 8; i++) flood.push(await passTraveller(w, i));
    await sent;
    await adversary.close();

    const statusFile = `${w.dbPath}.status.json`;
    const refusals = () =>
      (JSON.parse(readFileSync(statusFile, 'utf8')) as { refusals?: { sync: { total: number; pending: number } } }).refusals?.sync;
    await waitFor(() => (refusals()?.total ?? 0) >= 4900, 30_000, 'the flood counted in the status');
    const alarms = w
      .query<{ payload: string }>("SELECT payload FROM outbox WHERE kind = 'alarm'")
      .map((r) => JSON.parse(r.payload) as AlarmEvent);
    const refused = alarms.filter((a) => a.type === 'network-refused');
    // One report for the first refusals; the rest wait for the next minute (counted in the status meanwhile).
    expect(refused.length).toBe(1);
    expect(refused[0].detail).toMatch(/^sync:malformedx\d+$/);
    expect(alarms.filter((a) => a.type === 'sync-rejected')).toEqual([]);
    expect(w.query('SELECT 1 FROM ledger')).toHaveLength(8);

    const p = (xs: number[]) => Math.max(...xs).toFixed(1);
    console.log(
      `card-to-authorise max: quiet ${p(quiet)} ms, during a 5,000-message flood ${p(flood)} ms (${quiet.map((x) => x.toFixed(0)).join(',')} / ${flood.map((x) => x.toFixed(0)).join(',')})`,
    );
    expect(Math.max(...flood)).toBeLessThan(Math.max(2000, 5 * Math.max(...quiet)));
    gate.proc.kill('SIGTERM');
    expect((await gate.exited).code).toBe(0);
  }, 120_000);
});
