// What the soak's daily samples say: the figures of bench/results.json and the growth that fails the run. Growth that
// levels off (a cache warming up, the outbox filling to its retention) passes; growth that goes on day after day
// (a leak, a table nothing prunes, a WAL that never shrinks) fails, with the series that shows it.

export interface DaySample {
  day: number;
  /** Passages walked so far (cumulative). */
  passages: number;
  /** RSS at the end of the day (the process restarted at three quarters of the day). */
  rssMb: number;
  /** RSS just before the day's restart: a process that has served one whole station day, morning snapshot included. */
  rssBeforeRestartMb: number;
  heapMb: number;
  fds: number;
  dbMb: number;
  walMb: number;
  outboxRows: number;
  outboxPending: number;
  ledgerRows: number;
  /** Bytes written to the storage device by the gate processes so far (cumulative), the snapshots' aside. */
  bytesWritten: number;
  /** Bytes written while the morning snapshots were applied (cumulative): a fixed cost per day. */
  snapshotBytes: number;
  /** Bytes of log lines so far (what journald would store), cumulative. */
  logBytes: number;
}

export interface SoakFigures {
  /** Least-squares slope of the RSS of day-old processes (before each restart), MB per station day. */
  rssGrowthMbPerDay: number;
  /** End-of-day RSS, last day minus first. */
  rssPlusMb: number;
  dbMbDay2: number;
  dbMbLast: number;
  kbWrittenPerPassage: number;
  /** The morning snapshot's writes, MB per day. */
  snapshotMbPerDay: number;
  logBytesPerPassage: number;
}

export interface SoakReport extends SoakFigures {
  days: number;
  passages: number;
  refusals: number;
  lost: number;
  samples: DaySample[];
  /** Mean sizes of the outbox payloads (the bare-insert baseline writes rows of the same size). */
  payloadBytes: { decision: number; passage: number; sig: number };
  failures: string[];
}

/** Least-squares slope of y over x. */
export function slope(points: readonly [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  const num = points.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0);
  const den = points.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

const series = (samples: readonly DaySample[], pick: (s: DaySample) => number): [number, number][] =>
  samples.map((s) => [s.day, pick(s)] as [number, number]).filter(([, v]) => Number.isFinite(v));

export function growthPerDay(samples: readonly DaySample[]): SoakFigures {
  const first = samples[0];
  const last = samples[samples.length - 1];
  // Day 1's process ran three quarters of a day before its restart, the others a whole one: from day 2 on they compare.
  const dayOld = series(samples.length > 2 ? samples.slice(1) : samples, (s) => s.rssBeforeRestartMb);
  return {
    rssGrowthMbPerDay: slope(dayOld),
    rssPlusMb: last.rssMb - first.rssMb,
    dbMbDay2: (samples[1] ?? first).dbMb,
    dbMbLast: last.dbMb,
    kbWrittenPerPassage: last.bytesWritten / 1024 / Math.max(1, last.passages),
    snapshotMbPerDay: last.snapshotBytes / 1048576 / last.day,
    logBytesPerPassage: last.logBytes / Math.max(1, last.passages),
  };
}

/** Why the run fails (empty: it passes). */
export function judgeGrowth(r: SoakReport, perDay = r.passages / Math.max(1, r.days)): string[] {
  const s = r.samples;
  const out: string[] = [];
  const last = s[s.length - 1];
  if (!last) return ['no day was sampled'];
  // Bounded at any length of run.
  if (last.walMb > 16) out.push(`the WAL is ${last.walMb.toFixed(1)} MB at day ${last.day}: it is not truncated`);
  const maxFds = Math.max(...s.map((x) => x.fds));
  const minFds = Math.min(...s.map((x) => x.fds));
  if (maxFds - minFds > 4) out.push(`open file descriptors went from ${minFds} to ${maxFds}: a descriptor leak`);
  // Retention: the ledger holds about the tickets of the last day or two, never the whole run.
  if (s.length >= 2 && last.ledgerRows > 2.5 * perDay)
    out.push(
      `the ledger holds ${last.ledgerRows} rows after ${last.day} days of ${Math.round(perDay)} passages: past passages are not pruned`,
    );
  if (last.outboxPending > 0) out.push(`${last.outboxPending} events still pending at the end`);
  // Levelling off: over the second half of a long enough run, the slopes stay flat.
  if (s.length >= 6) {
    const half = s.slice(Math.floor(s.length / 2));
    const flat = (name: string, pick: (x: DaySample) => number, allowPerDay: number, unit: string) => {
      const k = slope(series(half, pick));
      if (k > allowPerDay)
        out.push(`${name} still grows ${k.toFixed(3)} ${unit}/day over days ${half[0].day}-${last.day} (allowed ${allowPerDay})`);
    };
    flat('RSS of a day-old process', (x) => x.rssBeforeRestartMb, 1, 'MB');
    flat('heap', (x) => x.heapMb, 0.5, 'MB');
    flat('the database file', (x) => x.dbMb, Math.max(0.05, 0.02 * last.dbMb), 'MB');
    flat('the ledger', (x) => x.ledgerRows, 0.05 * perDay, 'rows');
    flat('the outbox', (x) => x.outboxRows, 0.1 * perDay, 'rows');
  }
  return out;
}
