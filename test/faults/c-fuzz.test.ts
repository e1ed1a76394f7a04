// Fault suite, opt-in (GATE_FUZZ=1, or the full run FAULTS_FULL=1): the C firmware's frame parser and state
// machine under libFuzzer with AddressSanitizer and UBSan, built with Debian's clang (firmware-bridge/c/fuzz). The
// corpus starts from every message vector. A crash, leak or sanitizer report fails the run and leaves the input in
// firmware-bridge/c/build (replay: build/fuzz_standalone 0 FILE, or build/fuzz_frame FILE).
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FULL, tally } from './support/tally.js';
import { SEED } from './support/prng.js';

const OPT_IN = process.env.GATE_FUZZ === '1' || FULL;
const SECONDS = Number(process.env.GATE_FUZZ_SECONDS ?? (FULL ? 300 : 60));

describe.skipIf(!OPT_IN)('C firmware frame parser under libFuzzer (opt-in: GATE_FUZZ=1 or FAULTS_FULL=1)', () => {
  it(
    `runs ${SECONDS} s without a crash or sanitizer report`,
    () => {
      const clang = spawnSync('clang', ['--version'], { encoding: 'utf8' });
      expect(clang.error, 'clang is needed for the libFuzzer run (Debian: apt-get install clang)').toBeUndefined();
      const r = spawnSync('make', ['-C', resolve('firmware-bridge/c'), 'fuzz-run', `FUZZ_SECONDS=${SECONDS}`, `SEED=${SEED}`], {
        encoding: 'utf8',
        timeout: (SECONDS + 180) * 1000,
        maxBuffer: 64 * 1024 * 1024,
      });
      const out = r.stdout + r.stderr;
      const runs = Number(/Done (\d+) runs/.exec(out)?.[1] ?? 0);
      const crashed = /ERROR: (libFuzzer|AddressSanitizer|UndefinedBehaviorSanitizer)|runtime error:/.test(out);
      tally({ scenario: 'fuzz: C frame parser (libFuzzer)', cycles: runs, lost: 0, doubleUsed: 0, crashes: crashed ? 1 : 0 });
      expect(crashed, out.slice(-4000)).toBe(false);
      expect(r.status, out.slice(-4000)).toBe(0);
      expect(runs).toBeGreaterThan(1000);
    },
    (SECONDS + 240) * 1000,
  );
});
