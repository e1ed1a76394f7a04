// How big and how deep a sync message may be, per topic kind, checked on the raw bytes before anything parses them.
// Central's largest genuine messages fit well inside (a chunk holds at most a few MiB of JSON rows; a head is a few
// hundred bytes). The broker's message_size_limit should be at least the largest of these (docs/sync.md). Depth
// bounds the nesting of a signed body: the deepest record (a delta's upserted ticket) is 4 levels down.
import { SyncError } from './errors.js';
import { parseTopic, type SyncTopic } from './wire.js';

const KiB = 1024;
const MiB = 1024 * KiB;

export const SYNC_LIMITS = {
  manifest: { maxBytes: 64 * KiB, maxDepth: 4 },
  head: { maxBytes: 4 * KiB, maxDepth: 2 },
  delta: { maxBytes: 1 * MiB, maxDepth: 5 },
  chunk: { maxBytes: 8 * MiB, maxDepth: 5 },
} as const satisfies Record<SyncTopic['kind'], { maxBytes: number; maxDepth: number }>;

/** Largest accepted payload in bytes, per sync topic kind. */
export const SYNC_SIZE_LIMITS: Readonly<Record<SyncTopic['kind'], number>> = {
  manifest: SYNC_LIMITS.manifest.maxBytes,
  head: SYNC_LIMITS.head.maxBytes,
  delta: SYNC_LIMITS.delta.maxBytes,
  chunk: SYNC_LIMITS.chunk.maxBytes,
};

/** The largest of the limits: what the sync client tells the broker it accepts (MQTT 5 Maximum Packet Size). */
export const SYNC_MAX_MESSAGE_BYTES = Math.max(...Object.values(SYNC_SIZE_LIMITS));
/** Topic name, properties and headers on top of the payload, so a message just under its limit still arrives. */
export const SYNC_PACKET_OVERHEAD_BYTES = 64 * KiB;

/** A 'too-large' refusal when `bytes` is over the limit of the topic's kind; null when it may be parsed. */
export function oversized(topic: string, bytes: number): SyncError | null {
  const t = parseTopic(topic);
  if (!t) return null; // not a sync topic: the engine ignores it unread
  const limit = SYNC_SIZE_LIMITS[t.kind];
  return bytes > limit ? new SyncError('too-large', `${t.kind} message of ${bytes} bytes is over its ${limit}-byte limit`) : null;
}
