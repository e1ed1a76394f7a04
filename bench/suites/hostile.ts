// A gate on a hostile station network: card-to-authorise (passport scanned -> AUTHORISE at the MCU) of the real
// `gate run` while an adversary process publishes 5,000 unsigned two-byte messages on the station's sync topics, the
// gate's command topic and a forged gate's passage topic,
// beside the same figure with no flood in the same run (its baseline). Refused batches are counted in the sync
// worker and cross to the lane's thread as counts once a second, so the ratio should stay near 1 (goal <= 2).
import { percentile, type BenchContext } from '../harness.js';
import { startFlooder } from '../../test/daemon/adversary.js';
import { GATE, STATION, passTraveller, startLoadedGate, startWorld } from '../../test/daemon/world.js';

export default async function hostileBench(ctx: BenchContext): Promise<void> {
  const n = ctx.quick ? 10 : 30;
  const world = await startWorld({ travellers: 2 * n + 3, resultHoldMs: 100 });
  try {
    const gate = await startLoadedGate(world);
    const adversary = await startFlooder(world.broker.url, STATION, GATE);
    let t = 0;
    for (let i = 0; i < 3; i++) await passTraveller(world, t++); // warm-up
    const quiet: number[] = [];
    for (let i = 0; i < n; i++) quiet.push(await passTraveller(world, t++));
    const flood: number[] = [];
    for (let i = 0; i < n; i++) {
      // Each card is read while a fresh burst of 5,000 messages is arriving.
      const sent = adversary.burst(5000);
      flood.push(await passTraveller(world, t++));
      await sent;
    }
    await adversary.close();
    const p99 = (xs: number[]) => percentile(xs, 99);
    ctx.log(`quiet p50 ${percentile(quiet, 50).toFixed(1)} ms p99 ${p99(quiet).toFixed(1)} ms; flood p50 ${percentile(flood, 50).toFixed(1)} ms p99 ${p99(flood).toFixed(1)} ms (${n} cards each)`);
    ctx.record('hostile.flood.card-to-authorise.p99', { value: p99(flood), unit: 'ms', baseline: p99(quiet), goal: 'ratio <= 2' });
    ctx.record('hostile.flood.card-to-authorise.p50', { value: percentile(flood, 50), unit: 'ms', baseline: percentile(quiet, 50) });
    gate.proc.kill('SIGTERM');
    await gate.exited;
  } finally {
    await world.close();
  }
}
