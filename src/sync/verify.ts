// The gate's checks on what central sent, in the order that keeps untrusted bytes away from the cache:
// JSON -> envelope shape -> key known -> Ed25519 signature -> content shape -> station/topic agree.
// Snapshot chunks carry no signature: their SHA-256 must equal the one in the (signed) manifest, checked before parsing.
import type { KeyObject } from 'node:crypto';
import { parsePublicKey, canonicalJson, verifyBytes } from '../util/signing.js';
import { SyncError } from './errors.js';
import {
  chunkSchema,
  envelopeSchema,
  keyIdOf,
  sha256Hex,
  signedSchema,
  type Chunk,
  type Manifest,
  type Signed,
  type SyncTopic,
} from './wire.js';

/** Central's public keys this gate trusts, by key id (a rotation lists the old and the new key). */
export class KeyRing {
  private readonly keys = new Map<string, KeyObject>();

  constructor(publicKeys: readonly (string | KeyObject)[]) {
    for (const k of publicKeys) {
      const key = typeof k === 'string' ? parsePublicKey(k) : k;
      if (key.asymmetricKeyType !== 'ed25519') throw new SyncError('unknown-key', `central key is ${key.asymmetricKeyType}, not ed25519`);
      this.keys.set(keyIdOf(key), key);
    }
  }

  get(keyId: string): KeyObject | undefined {
    return this.keys.get(keyId);
  }

  ids(): string[] {
    return [...this.keys.keys()];
  }
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    throw new SyncError('malformed', 'payload is not JSON');
  }
}

/** Verify a manifest, delta or head and return its content; throws SyncError naming what was wrong. */
export function openEnvelope(bytes: Uint8Array, keys: KeyRing): Signed {
  const json = parseJson(bytes);
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new SyncError('malformed', 'payload is not a JSON object');
  if (!('sig' in json) || !('keyId' in json)) throw new SyncError('unsigned', 'batch carries no signature');
  const env = envelopeSchema.safeParse(json);
  if (!env.success) throw new SyncError('malformed', `envelope: ${env.error.issues[0]?.path.join('.')} ${env.error.issues[0]?.message}`);
  const key = keys.get(env.data.keyId);
  if (!key) throw new SyncError('unknown-key', `signed by key ${env.data.keyId}, which this gate does not trust`);
  // The signature covers canonical JSON of exactly the object we go on to use, so no unsigned field can ride along.
  if (!verifyBytes([key], Buffer.from(canonicalJson(env.data.signed), 'utf8'), env.data.sig)) {
    throw new SyncError('bad-signature', `signature by key ${env.data.keyId} does not match the content`);
  }
  const content = signedSchema.safeParse(env.data.signed);
  if (!content.success) {
    const issue = content.error.issues[0];
    throw new SyncError('malformed', `signed content: ${issue?.path.join('.')} ${issue?.message}`);
  }
  return content.data as Signed;
}

/** The topic and the signed content must agree, so a valid batch cannot be replayed under another name. */
export function checkTopic(topic: SyncTopic, signed: Signed, station: string): void {
  if (signed.station !== station) throw new SyncError('station-mismatch', `batch is for station ${signed.station}, this gate is at ${station}`);
  if (topic.station !== station) throw new SyncError('station-mismatch', `topic is for station ${topic.station}`);
  const want = { manifest: 'snapshot-manifest', delta: 'delta', head: 'head', chunk: 'snapshot-chunk' }[topic.kind];
  if (signed.type !== want) throw new SyncError('topic-mismatch', `a ${signed.type} on a ${topic.kind} topic`);
  if (topic.kind === 'manifest' && topic.epoch !== signed.epoch) throw new SyncError('topic-mismatch', 'manifest epoch differs from its topic');
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
  const parsed = chunkSchema.safeParse(parseJson(bytes));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SyncError('malformed', `chunk ${n}: ${issue?.path.join('.')} ${issue?.message}`);
  }
  const c = parsed.data;
  if (c.station !== manifest.station || c.epoch !== manifest.epoch || c.n !== n) {
    throw new SyncError('topic-mismatch', `chunk ${n} names station ${c.station} epoch ${c.epoch} n ${c.n}`);
  }
  if (c.passengers.length !== entry.passengers || c.tickets.length !== entry.tickets) {
    throw new SyncError('count-mismatch', `chunk ${n} holds ${c.passengers.length}/${c.tickets.length} rows, manifest says ${entry.passengers}/${entry.tickets}`);
  }
  return c;
}
