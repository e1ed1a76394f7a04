// A virtual clock for `gate run`, for the soak only (`npm run soak`, issue 20): a month of station days in minutes,
// NTP steps and all, against the real process. GATE_TEST_CLOCK_FILE names a file holding an offset in ms that is
// added to the system clock; the daemon reads it at start and again on SIGUSR2, and logs each offset it takes (the
// soak waits for that line). It is deliberately not a config key: a gate in the field never has it, and a daemon
// started with it says so at warn level.
import { readFileSync } from 'node:fs';
import type { Logger } from '../util/log.js';

export const TEST_CLOCK_ENV = 'GATE_TEST_CLOCK_FILE';

function readOffset(file: string): number {
  const n = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isFinite(n)) throw new Error(`${TEST_CLOCK_ENV} ${file}: not a number of ms`);
  return n;
}

/** The clock to give the daemon, or undefined (the system clock) when the variable is not set. */
export function testClockFromEnv(env: NodeJS.ProcessEnv, log: Logger): (() => number) | undefined {
  const file = env[TEST_CLOCK_ENV];
  if (!file) return undefined;
  let offset = readOffset(file);
  log.warn({ offsetMs: offset }, `test clock: ${TEST_CLOCK_ENV} is set, the gate runs on a virtual clock`);
  process.on('SIGUSR2', () => {
    try {
      offset = readOffset(file);
      log.info({ offsetMs: offset }, 'test clock set');
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'test clock not changed');
    }
  });
  return () => Date.now() + offset;
}
