// The refusal tally: what the gate refused from the network (sync batches, commands, sibling passages), counted
// per kind and reported at most once a minute per kind. A flood of garbage then costs the outbox one alarm row per
// kind per minute, whatever its rate, and central still learns that something is refused and how much of it.
// Pure: the time is an argument; the daemon ticks it from its status timer and records what tick() returns.
import { REFUSAL_KINDS, type RefusalKind, type RefusalStatus, type RefusalsStatus } from '../mqtt/schemas.js';

export { REFUSAL_KINDS, type RefusalKind };

/** The alarm type a report becomes (one event per kind per window). */
export const REFUSAL_ALARM = 'network-refused' as const;

export const REFUSAL_WINDOW_MS = 60_000;
/** At most this many codes are named in one report's detail; the rest are summed under "other". */
const MAX_CODES_IN_DETAIL = 6;
/** Codes come from the layers' enums, never from the input; still, a code never makes a detail longer than this. */
const MAX_CODE_CHARS = 40;

/** One coalesced report: every refusal of `kind` since the previous report of that kind. */
export interface RefusalReport {
  kind: RefusalKind;
  /** Refusals by code, in this window. */
  counts: Record<string, number>;
  total: number;
  /** The alarm's detail: `<kind>:<code>x<count>,...`, largest counts first. No personal data: codes only. */
  detail: string;
  atMs: number;
}

interface KindState {
  total: number;
  pending: Map<string, number>;
  lastReportMs: number | null;
  lastReport: { atMs: number; detail: string } | null;
}

export function refusalDetail(kind: RefusalKind, counts: Record<string, number>): string {
  const sorted = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const named = sorted.slice(0, MAX_CODES_IN_DETAIL).map(([code, n]) => `${code.slice(0, MAX_CODE_CHARS)}x${n}`);
  const other = sorted.slice(MAX_CODES_IN_DETAIL).reduce((a, [, n]) => a + n, 0);
  if (other > 0) named.push(`otherx${other}`);
  return `${kind}:${named.join(',')}`;
}

export class RefusalTally {
  private readonly kinds = new Map<RefusalKind, KindState>(
    REFUSAL_KINDS.map((k) => [k, { total: 0, pending: new Map(), lastReportMs: null, lastReport: null }]),
  );

  constructor(private readonly windowMs = REFUSAL_WINDOW_MS) {}

  /** Count `n` refusals of `kind` with `code` (a layer's error code, never content from the message). O(1). */
  refuse(kind: RefusalKind, code: string, n = 1): void {
    if (!(n > 0)) return;
    const s = this.kinds.get(kind)!;
    s.total += n;
    s.pending.set(code, (s.pending.get(code) ?? 0) + n);
  }

  /**
   * The reports due at `nowMs`: one per kind with pending refusals whose previous report is at least a window old
   * (the first refusal after a quiet window is reported at the next tick). Their counts are reset.
   */
  tick(nowMs: number): RefusalReport[] {
    const out: RefusalReport[] = [];
    for (const [kind, s] of this.kinds) {
      if (s.pending.size === 0) continue;
      if (s.lastReportMs !== null && nowMs - s.lastReportMs < this.windowMs && nowMs >= s.lastReportMs) continue;
      const counts = Object.fromEntries(s.pending);
      const total = [...s.pending.values()].reduce((a, n) => a + n, 0);
      const detail = refusalDetail(kind, counts);
      s.pending.clear();
      s.lastReportMs = nowMs;
      s.lastReport = { atMs: nowMs, detail };
      out.push({ kind, counts, total, detail, atMs: nowMs });
    }
    return out;
  }

  status(): RefusalsStatus {
    const entry = (s: KindState): RefusalStatus => ({
      total: s.total,
      pending: [...s.pending.values()].reduce((a, n) => a + n, 0),
      lastReport: s.lastReport && { at: new Date(s.lastReport.atMs).toISOString(), detail: s.lastReport.detail },
    });
    return Object.fromEntries(REFUSAL_KINDS.map((k) => [k, entry(this.kinds.get(k)!)])) as RefusalsStatus;
  }
}
