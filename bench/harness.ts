// Shared pieces of `npm run bench`: a suite records figures, each beside a baseline measured in the same run.
export interface Figure {
  value: number;
  unit: string;
  baseline?: number;
  ratio?: number;
  goal?: string;
}

export interface BenchContext {
  quick: boolean;
  /** A fresh temporary folder for this suite. */
  tmpDir: string;
  record(name: string, figure: Omit<Figure, 'ratio'>): void;
  log: (line: string) => void;
}

export type BenchSuite = (ctx: BenchContext) => Promise<void>;

/** Percentile (0..100) of a list of samples, nearest-rank. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** Microseconds elapsed since a process.hrtime.bigint() start. */
export function usSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1000;
}

/** Run fn repeatedly for about `ms` milliseconds; return operations per second. */
export function opsPerSecond(fn: () => void, ms: number): number {
  let n = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(ms) * 1_000_000n;
  while (process.hrtime.bigint() < end) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
  }
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}
