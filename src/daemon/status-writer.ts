// The daemon's status file (<db>.status.json, read by `gate status`) written only when something a reader acts on
// changed, plus a heartbeat so a hung daemon still shows as stale. Rewriting it every 2 s cost a flash card ~43,000
// file replacements a day (each a new inode, a directory update and two fsyncs) to say nothing new (issue 20).
// It is not fsynced: after a power cut the daemon writes it anew at start.
import { writeFileAtomic } from '../util/atomic-write.js';

/** A running daemon rewrites an unchanged status this often; readers call it stale after STALE_STATUS_SECONDS. */
export const STATUS_HEARTBEAT_MS = 60_000;

/**
 * What a reader acts on. Left out: what moves with the clock alone (ages, uptime), what moves with every passenger
 * (the lane's phase, the outbox's last seq, the pending count below its order of magnitude) and the process's memory;
 * the heartbeat brings those up to date.
 */
function meaningful(status: Record<string, unknown>): string {
  const {
    writtenAt: _w,
    uptimeSeconds: _u,
    memory: _m,
    lanePhase: _p,
    cache,
    outbox,
    ...rest
  } = status as Record<string, unknown> & {
    cache?: Record<string, unknown>;
    outbox?: Record<string, unknown>;
  };
  const { ageSeconds: _a, ...cacheRest } = cache ?? {};
  const { oldestPendingAgeSeconds: _o, lastSeq: _l, pending, ...outboxRest } = outbox ?? {};
  return JSON.stringify({ ...rest, cache: cacheRest, outbox: { ...outboxRest, backlog: backlogOrder(Number(pending ?? 0)) } });
}

/**
 * The pending count by order of magnitude: a few events in flight come and go with every passenger (and would
 * rewrite the file each time); a backlog that builds (the broker away) crosses 10, 100, ... and is written at once.
 */
function backlogOrder(pending: number): number {
  return pending < 10 ? 0 : Math.floor(Math.log10(pending));
}

export class StatusFileWriter {
  private lastKey = '';
  private lastWriteMs = -Infinity;
  /** Files written since start (the soak counts them). */
  writes = 0;

  constructor(
    private readonly file: string,
    private readonly realNow: () => number = Date.now,
  ) {}

  /** Write when the meaningful content changed, the heartbeat is due, or `force` (start, stop). */
  write(status: Record<string, unknown>, force = false): boolean {
    const key = meaningful(status);
    const now = this.realNow();
    if (!force && key === this.lastKey && now - this.lastWriteMs < STATUS_HEARTBEAT_MS) return false;
    writeFileAtomic(this.file, JSON.stringify(status, null, 2) + '\n', { durable: false });
    this.lastKey = key;
    this.lastWriteMs = now;
    this.writes++;
    return true;
  }
}
