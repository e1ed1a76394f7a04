// Whether the cache can let anyone through: empty, or older than rules.maxCacheAgeMinutes, means every passenger is
// refused. One verdict and one line for the daemon's start-up warning, `gate status` and `gate doctor`.

export interface CachePosition {
  epoch: string | null;
  seq: number | null;
  /** Age of central's snapshot (its generatedAt) in seconds; null when the cache is empty. */
  ageSeconds: number | null;
}

export type CacheVerdict = { state: 'ok' | 'empty' | 'stale'; line: string };

/** Empty or older than rules.maxCacheAgeMinutes: either way every passenger is refused. */
export function cacheVerdict(cache: CachePosition, maxCacheAgeMinutes: number, extraAgeSeconds = 0): CacheVerdict {
  if (cache.epoch === null || cache.ageSeconds === null) {
    return {
      state: 'empty',
      line: 'empty: every passenger is refused; enable sync (central publishes the snapshot) or load one with gate cache import',
    };
  }
  const ageMin = Math.round((cache.ageSeconds + Math.max(0, extraAgeSeconds)) / 60);
  const where = `epoch ${cache.epoch} seq ${cache.seq}, ${ageMin} min old (max ${maxCacheAgeMinutes})`;
  if (ageMin > maxCacheAgeMinutes)
    return {
      state: 'stale',
      line: `${where}: too old, every passenger is refused (cache-stale); check sync (gate sync status) and central`,
    };
  return { state: 'ok', line: where };
}
