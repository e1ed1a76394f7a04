// Errors of the sync layer. Every refusal of a batch central sent is one of these codes, raised BEFORE the batch
// touches the cache; the code becomes the `detail` of the 'sync-rejected' alarm (never the batch's content).
import { GateError, type Recovery } from '../util/gate-error.js';

export const SYNC_ERROR_CODES = [
  'malformed', // not JSON, too deep, duplicate or forbidden members, or not the shape of docs/sync.md
  'too-large', // larger than its topic's limit (src/sync/limits.ts): refused before parsing
  'unsigned', // no signature where one is required
  'unknown-key', // signed by a key this gate does not trust
  'bad-signature', // signature does not match the bytes (tampered, or signed by another key with the same id)
  'hash-mismatch', // a snapshot chunk (or the whole snapshot) is not the one the signed manifest names
  'count-mismatch', // a snapshot's row counts differ from its manifest
  'station-mismatch', // the batch is for another station
  'topic-mismatch', // the topic and the signed content disagree (epoch, seq or chunk number)
  'doc-key-mismatch', // keyed under a document key this gate does not hold (neither secret nor secretNext)
  'gap', // deltas are missing: the gate asked for a resync
  'apply-failed', // SQLite refused the write (disk full, I/O error): the transaction rolled back
] as const;
export type SyncErrorCode = (typeof SYNC_ERROR_CODES)[number];

export const SYNC_RECOVERY: Record<SyncErrorCode, Recovery> = {
  malformed: 'drop',
  'too-large': 'drop',
  unsigned: 'drop',
  'unknown-key': 'fix-config',
  'bad-signature': 'drop',
  'hash-mismatch': 'resync',
  'count-mismatch': 'resync',
  'station-mismatch': 'fix-config',
  'topic-mismatch': 'drop',
  'doc-key-mismatch': 'fix-config',
  gap: 'resync',
  'apply-failed': 'resync',
};

export class SyncError extends GateError<SyncErrorCode> {
  constructor(code: SyncErrorCode, message: string, options?: { cause?: unknown }) {
    super('sync', code, message, SYNC_RECOVERY[code], options);
  }
}

export function isSyncError(e: unknown): e is SyncError {
  return e instanceof SyncError;
}
