// A gate on a hostile station network: card-to-authorise (passport scanned -> AUTHORISE at the MCU) of the real
// `gate run` while an adversary process publishes 5,000 unsigned two-byte messages per card, beside the same figure
// with no flood in the same run (its baseline). Two floods:
// - hostile.flood: the attack, on the station's sync topics. Those are received, counted and refused in the
//   sync worker's thread, and cross to the lane's thread as counts once a second (goal: p99 ratio <= 2);
// - hostile.flood-gate-topics: on the gate's own command topic and a forged gate's passage topic. Those arrive on
//   the lane's MQTT connection (commands and siblings must reach the lane), so each costs the lane's thread the MQTT
//   packet and a refusal; measured so that what an attacker can still cost a passenger is in the results.
import { percentile, type BenchContext } from '../harness.js';
import { startFlooder } from '../../test/daemon/adversary.js';
import { GATE, STATION, passTraveller, startLoadedGate, startWorld } from '../../test/daemon/world.js';

export default async function hostileBench(ctx: BenchContext): Promise<void> {
  const n = ctx.quick ? 10 : 30;
  const world = await startWorld({ travellers: 3 * n + 3, resultHoldMs: 100 });
  try {
    const gate = await startLoadedGate(world);
    let t = 0;
    for (let i = 0; i < 3; i++) await passTraveller(world, t++); // warm-up
    const quiet: number[] = [];
    for (let i = 0; i < n; i++) quiet.push(await passTraveller(world, t++));
    const flooded = async (adversary: Awaited<ReturnType<typeof startFlooder>>) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        // Each card is read while a fresh burst of 5,000 messages is arriving.
        const sent = adversary.burst(5000);
        out.push(await passTraveller(world, t++));
        await sent;
      }
      await adversary.close();
      return out;
    };
    const sync = await flooded(await startFlooder(world.broker.url, STATION));
    const gateTopics = await flooded(await startFlooder(world.broker.url, STATION, GATE, 'gate'));
    const p = (xs: number[], q: number) => percentile(xs, q).toFixed(1);
    ctx.log(
      `quiet p50/p99 ${p(quiet, 50)}/${p(quiet, 99)} ms; sync-topic flood ${p(sync, 50)}/${p(sync, 99)} ms; gate-topic flood ${p(gateTopics, 50)}/${p(gateTopics, 99)} ms (${n} cards each)`,
    );
    ctx.record('hostile.flood.card-to-authorise.p99', {
      value: percentile(sync, 99),
      unit: 'ms',
      baseline: percentile(quiet, 99),
      goal: 'ratio <= 2',
    });
    ctx.record('hostile.flood.card-to-authorise.p50', { value: percentile(sync, 50), unit: 'ms', baseline: percentile(quiet, 50) });
    ctx.record('hostile.flood-gate-topics.card-to-authorise.p99', {
      value: percentile(gateTopics, 99),
      unit: 'ms',
      baseline: percentile(quiet, 99),
    });
    gate.proc.kill('SIGTERM');
    await gate.exited;
  } finally {
    await world.close();
  }
}
