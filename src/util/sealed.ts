// The signed envelope every signed message from the network travels in (commands, sync batches, the roster):
//   {"v":2,"keyId":"<16 hex>","sig":"<base64 Ed25519>","body":"<the content as JSON text>"}
// The signature covers the purpose's domain line and the body string's UTF-8 bytes (src/util/signing.ts), and the
// receiver parses exactly that string after the signature checks out: there is no canonical form to disagree about,
// so no member can be added, dropped or reordered outside the signature. Both layers are parsed within bounds.
import type { KeyObject } from 'node:crypto';
import { parseBoundedJson, type BoundedJsonCode } from './bounded-json.js';
import { signFor, verifyFor, type KeyRing, type SigningPurpose } from './signing.js';

export const ENVELOPE_VERSION = 2;

export interface SealingKey {
  privateKey: KeyObject;
  keyId: string;
}

export type OpenCode = BoundedJsonCode | 'unsigned' | 'unknown-key' | 'bad-signature' | 'rate-limited';

export type Opened = { ok: true; value: unknown; keyId: string } | { ok: false; code: OpenCode; message: string };

export interface OpenBounds {
  /** The whole message's bytes at most (checked before parsing). */
  maxBytes: number;
  /** Nesting of the body at most. */
  maxDepth: number;
  /** Asked just before the Ed25519 verification (the costly step): false refuses the message as `rate-limited`. */
  mayVerify?: () => boolean;
}

/** The bytes of a signed message: `content` becomes the body text, signed for `purpose`. */
export function seal(key: SealingKey, purpose: SigningPurpose, content: unknown): Buffer {
  const body = JSON.stringify(content);
  const sig = signFor(purpose, key.privateKey, Buffer.from(body, 'utf8'));
  return Buffer.from(JSON.stringify({ v: ENVELOPE_VERSION, keyId: key.keyId, sig, body }), 'utf8');
}

/** Check size, envelope, key and signature for `purpose`, then parse the body; never throws. */
export function openSealed(bytes: Uint8Array | string, purpose: SigningPurpose, keys: KeyRing, bounds: OpenBounds): Opened {
  const outer = parseBoundedJson(bytes, { maxBytes: bounds.maxBytes, maxDepth: 1 });
  if (!outer.ok) return outer;
  const env = outer.value;
  if (!env || typeof env !== 'object' || Array.isArray(env)) return { ok: false, code: 'malformed', message: 'not a JSON object' };
  const { v, keyId, sig, body, ...rest } = env as Record<string, unknown>;
  if (sig === undefined || sig === null || sig === '') return { ok: false, code: 'unsigned', message: 'carries no signature' };
  if (
    v !== ENVELOPE_VERSION ||
    typeof keyId !== 'string' ||
    typeof sig !== 'string' ||
    typeof body !== 'string' ||
    Object.keys(rest).length > 0
  ) {
    return { ok: false, code: 'malformed', message: `not a v${ENVELOPE_VERSION} envelope {v, keyId, sig, body}` };
  }
  const key = keys.get(keyId);
  if (!key) return { ok: false, code: 'unknown-key', message: `signed by key ${keyId.slice(0, 16)}, which is not trusted here` };
  if (bounds.mayVerify && !bounds.mayVerify())
    return { ok: false, code: 'rate-limited', message: 'too many signed messages to verify just now' };
  const bodyBytes = Buffer.from(body, 'utf8');
  if (!verifyFor(purpose, [key], bodyBytes, sig))
    return { ok: false, code: 'bad-signature', message: `signature by key ${keyId} is not a ${purpose} signature of this body` };
  const inner = parseBoundedJson(bodyBytes, bounds);
  if (!inner.ok) return inner;
  return { ok: true, value: inner.value, keyId };
}
