// The gate's checks on what central sent, in the order that keeps untrusted bytes away from the cache:
// size -> envelope shape -> key known -> Ed25519 signature for the topic's purpose -> body parsed within bounds ->
// content shape -> station/topic agree. Snapshot chunks carry no signature: their SHA-256 must equal the one in the
// (signed) manifest, checked before parsing.
import { openSealed } from '../util/sealed.js';
import { KeyRing as SigningKeyRing } from '../util/signing.js';
import { SyncError, type SyncErrorCode } from './errors.js';
import { SYNC_LIMITS } from './limits.js';
import { chunkSchema, sha256Hex, signedSchema, type Chunk, type Manifest, type Signed, type SyncTopic } from './wire.js';

/** Central's sync keys this gate trusts, by key id (a rotation lists the old and the new key). */
export class KeyRing extends SigningKeyRing {
  constructor(publicKeys: ConstructorParameters<typeof SigningKeyRing>[0]) {
    try {
      super(publicKeys);
    } catch (err) {
      throw new SyncError('unknown-key', `central key: ${(err as Error).message}`, { cause: err });
    }
  }
}

const PURPOSE_OF_TOPIC = { manifest: 'sync-manifest', delta: 'sync-delta', head: 'sync-head' } as const;

/** Verify a manifest, delta or head arriving on a topic of `kind` and return its content; throws SyncError naming what was wrong. */
export function openEnvelope(bytes: Uint8Array, keys: KeyRing, kind: Exclude<SyncTopic['kind'], 'chunk'>): Signed {
  const opened = openSealed(bytes, PURPOSE_OF_TOPIC[kind], keys, SYNC_LIMITS[kind]);
  if (!opened.ok) {
    const code: SyncErrorCode =
      opened.code === 'unsigned' || opened.code === 'unknown-key' || opened.code === 'bad-signature'
        ? opened.code
        : opened.code === 'too-large'
          ? 'too-large'
          : 'malformed';
    throw new SyncError(code, `${kind}: ${opened.message}`);
  }
  const content = signedSchema.safeParse(opened.value);
  if (!content.success) {
    const issue = content.error.issues[0];
    throw new SyncError('malformed', `signed content: ${issue?.path.join('.')} ${issue?.message}`);
  }
  return content.data;
}

/** The topic and the signed content must agree, so a valid batch cannot be replayed under another name. */
export function checkTopic(topic: SyncTopic, signed: Signed, station: string): void {
  if (signed.station !== station)
    throw new SyncError('station-mismatch', `batch is for station ${signed.station}, this gate is at ${station}`);
  if (topic.station !== station) throw new SyncError('station-mismatch', `topic is for station ${topic.station}`);
  const want = { manifest: 'snapshot-manifest', delta: 'delta', head: 'head', chunk: 'snapshot-chunk' }[topic.kind];
  if (signed.type !== want) throw new SyncError('topic-mismatch', `a ${signed.type} on a ${topic.kind} topic`);
  if (topic.kind === 'manifest' && topic.epoch !== signed.epoch)
    throw new SyncError('topic-mismatch', 'manifest epoch differs from its topic');
  if (topic.kind === 'delta' && (signed.type !== 'delta' || topic.epoch !== signed.epoch || topic.seq !== signed.seq)) {
    throw new SyncError('topic-mismatch', 'delta epoch/seq differ from its topic');
  }
}

/** Check a chunk's bytes against the manifest BEFORE parsing them, then parse. */
export function openChunk(bytes: Uint8Array, manifest: Manifest, n: number): Chunk {
  const entry = manifest.chunks[n];
  if (!entry) throw new SyncError('topic-mismatch', `chunk ${n} is not in the manifest (${manifest.chunks.length} chunks)`);
  if (bytes.byteLength !== entry.bytes || sha256Hex(bytes) !== entry.sha256) {
    throw new SyncError('hash-mismatch', `chunk ${n} of epoch ${manifest.epoch} does not match its manifest hash`);
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    throw new SyncError('malformed', `chunk ${n} is not JSON`);
  }
  const parsed = chunkSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SyncError('malformed', `chunk ${n}: ${issue?.path.join('.')} ${issue?.message}`);
  }
  const c = parsed.data;
  if (c.station !== manifest.station || c.epoch !== manifest.epoch || c.n !== n) {
    throw new SyncError('topic-mismatch', `chunk ${n} names station ${c.station} epoch ${c.epoch} n ${c.n}`);
  }
  if (c.passengers.length !== entry.passengers || c.tickets.length !== entry.tickets) {
    throw new SyncError(
      'count-mismatch',
      `chunk ${n} holds ${c.passengers.length}/${c.tickets.length} rows, manifest says ${entry.passengers}/${entry.tickets}`,
    );
  }
  return c;
}
