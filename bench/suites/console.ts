// The console must not slow a passenger: ms from a passport scan to the MCU's authorisation (card-to-authorise),
// p99 over the same travellers, on a real `gate run` (test/daemon/world.ts: ptys, Mosquitto, central) with the
// console on, one Chromium signed in and the live view open, beside the same figure with the console off
// (`baseline`), measured in the same run. Goal: ratio <= 1.2.
import { existsSync } from 'node:fs';
import { hashPassword } from '../../src/console/password.js';
import { waitFor } from '../../src/util/wait.js';
import { percentile, type BenchContext } from '../harness.js';
import { passTraveller, startLoadedGate, startWorld } from '../../test/daemon/world.js';
import { CHROMIUM, consoleUrlFromLog, launchBrowser } from '../../test/console/browser.js';

const PASSWORD = 'bench-console-password';
const WARM_UP = 5;

async function cardToAuthorise(travellers: number, consoleOn: boolean, log: (l: string) => void): Promise<number[]> {
  const passwordHash = await hashPassword(PASSWORD, { N: 1 << 14, r: 8, p: 1 });
  const world = await startWorld({
    travellers,
    resultHoldMs: 200,
    mcuWalkMs: 5,
    extraConfig: consoleOn ? { console: { enabled: true, port: 0, users: [{ name: 'bench', passwordHash }] } } : {},
  });
  const browser = consoleOn ? await launchBrowser() : null;
  try {
    const gate = await startLoadedGate(world);
    if (browser) {
      await waitFor(() => consoleUrlFromLog(gate.log()) !== null, 10_000, 'the console');
      const page = await browser.context.newPage();
      await page.goto(`${consoleUrlFromLog(gate.log())}/login`);
      await page.fill('#user', 'bench');
      await page.fill('#password', PASSWORD);
      await page.click('#sign-in');
      await page.locator('#stream.live').waitFor({ timeout: 10_000 });
    }
    // The first passages warm up the JIT and SQLite's page cache in either run: not counted.
    for (let i = 0; i < WARM_UP; i++) await passTraveller(world, i);
    const samples: number[] = [];
    for (let i = WARM_UP; i < travellers; i++) samples.push(await passTraveller(world, i));
    log(
      `${consoleOn ? 'console on, live view open' : 'console off'}: ${samples.length} travellers, p50 ${percentile(samples, 50).toFixed(1)} ms, p99 ${percentile(samples, 99).toFixed(1)} ms`,
    );
    return samples;
  } finally {
    await browser?.close();
    await world.close();
  }
}

export default async function consoleBench(ctx: BenchContext): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    ctx.log(`${CHROMIUM} is missing (apt-get install chromium): console.card-to-authorise not measured`);
    return;
  }
  const travellers = ctx.quick ? 60 : 300;
  const off = await cardToAuthorise(travellers, false, ctx.log);
  const on = await cardToAuthorise(travellers, true, ctx.log);
  ctx.record('console.card-to-authorise.p99', {
    value: percentile(on, 99),
    unit: 'ms',
    baseline: percentile(off, 99),
    goal: 'ratio <= 1.2',
  });
}
