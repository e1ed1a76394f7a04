// The sync_status row (migration 003): written by the sync worker, read by `gate sync status` and the status topic.
import type { Db } from '../cache/db.js';
import type { Cursor, ResyncReason } from './wire.js';
import type { SyncErrorCode } from './errors.js';

export interface SyncStatusReport {
  station: string | null;
  /** What the cache holds; epoch is text because a file import writes `import:<...>` there. */
  applied: { epoch: string; seq: number; generatedAt: string; appliedAt: string } | null;
  head: (Cursor & { generatedAt: string | null }) | null;
  /** Deltas central has published that the cache lacks (same epoch only); null when unknown. */
  behindBy: number | null;
  snapshot: { epoch: number; seq: number; chunks: number; received: number; startedAt: string } | null;
  lastResync: { reason: string; at: string; requests: number } | null;
  lastRejected: { code: string; at: string; count: number } | null;
}

function upsert(db: Db, set: Record<string, unknown>, nowIso: string): void {
  const cols = Object.keys(set);
  const assign = cols.map((c) => `${c} = excluded.${c}`).join(', ');
  db.prepare(
    `INSERT INTO sync_status (id, ${cols.join(', ')}, updated_at) VALUES (1, ${cols.map((c) => '@' + c).join(', ')}, @updated_at)
     ON CONFLICT (id) DO UPDATE SET ${assign}, updated_at = excluded.updated_at`,
  ).run({ ...set, updated_at: nowIso });
}

export const syncStatus = {
  head(db: Db, head: Cursor & { generatedAt: string }, nowIso: string): void {
    upsert(db, { head_epoch: head.epoch, head_seq: head.seq, head_generated_at: head.generatedAt }, nowIso);
  },
  snapshot(db: Db, s: { epoch: number; seq: number; chunks: number; received: number } | null, nowIso: string): void {
    if (!s)
      upsert(
        db,
        { snapshot_epoch: null, snapshot_seq: null, snapshot_chunks: null, snapshot_received: null, snapshot_started_at: null },
        nowIso,
      );
    else {
      const started = s.received === 0 ? { snapshot_started_at: nowIso } : {};
      upsert(
        db,
        { snapshot_epoch: s.epoch, snapshot_seq: s.seq, snapshot_chunks: s.chunks, snapshot_received: s.received, ...started },
        nowIso,
      );
    }
  },
  resync(db: Db, reason: ResyncReason, nowIso: string): void {
    const n = (db.prepare('SELECT resync_requests FROM sync_status WHERE id = 1').pluck().get() as number | undefined) ?? 0;
    upsert(db, { resync_reason: reason, resync_at: nowIso, resync_requests: n + 1 }, nowIso);
  },
  /** `count` refusals (the engine writes a flood's refusals in one go, at most once a second), the last with `code`. */
  rejected(db: Db, code: SyncErrorCode, nowIso: string, count = 1): void {
    const n = (db.prepare('SELECT rejected_count FROM sync_status WHERE id = 1').pluck().get() as number | undefined) ?? 0;
    upsert(db, { rejected_code: code, rejected_at: nowIso, rejected_count: n + count }, nowIso);
  },
};

interface StatusRow {
  head_epoch: number | null;
  head_seq: number | null;
  head_generated_at: string | null;
  snapshot_epoch: number | null;
  snapshot_seq: number | null;
  snapshot_chunks: number | null;
  snapshot_received: number | null;
  snapshot_started_at: string | null;
  resync_reason: string | null;
  resync_at: string | null;
  resync_requests: number;
  rejected_code: string | null;
  rejected_at: string | null;
  rejected_count: number;
}

export function readSyncStatus(db: Db): SyncStatusReport {
  const a = db.prepare('SELECT station, epoch, seq, generated_at, applied_at FROM sync_state WHERE id = 1').get() as
    { station: string; epoch: string; seq: number; generated_at: string; applied_at: string } | undefined;
  // A file older than migration 003 (read-only, not migrated) has no sync_status table yet.
  const hasStatus = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sync_status'").get() !== undefined;
  const r = hasStatus ? (db.prepare('SELECT * FROM sync_status WHERE id = 1').get() as StatusRow | undefined) : undefined;
  const head =
    r && r.head_epoch !== null && r.head_seq !== null ? { epoch: r.head_epoch, seq: r.head_seq, generatedAt: r.head_generated_at } : null;
  const behindBy = head && a && a.epoch === String(head.epoch) ? Math.max(0, head.seq - a.seq) : null;
  return {
    station: a?.station ?? null,
    applied: a ? { epoch: a.epoch, seq: a.seq, generatedAt: a.generated_at, appliedAt: a.applied_at } : null,
    head,
    behindBy,
    snapshot:
      r && r.snapshot_epoch !== null
        ? {
            epoch: r.snapshot_epoch,
            seq: r.snapshot_seq ?? 0,
            chunks: r.snapshot_chunks ?? 0,
            received: r.snapshot_received ?? 0,
            startedAt: r.snapshot_started_at ?? '',
          }
        : null,
    lastResync: r && r.resync_reason ? { reason: r.resync_reason, at: r.resync_at ?? '', requests: r.resync_requests } : null,
    lastRejected: r && r.rejected_code ? { code: r.rejected_code, at: r.rejected_at ?? '', count: r.rejected_count } : null,
  };
}
