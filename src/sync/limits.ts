// How large a message on each sync topic may be, checked before a byte of it is parsed. Mosquitto's
// message_size_limit (config/mosquitto/*.conf) must be at least the largest of these; docs/sync.md lists them.
// Depth bounds the nesting of a signed body: the deepest record (a delta's upserted ticket) is 4 levels down.
export const SYNC_LIMITS = {
  manifest: { maxBytes: 64 * 1024, maxDepth: 4 },
  head: { maxBytes: 4 * 1024, maxDepth: 2 },
  delta: { maxBytes: 1024 * 1024, maxDepth: 5 },
  chunk: { maxBytes: 8 * 1024 * 1024, maxDepth: 5 },
} as const;
