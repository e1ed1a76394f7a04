// Ed25519 signatures over exact bytes, each bound to one purpose: central signs sync batches, the roster and
// commands, a gate signs its passage events. What is signed is `station-gate/v2/<purpose>\n` followed by the bytes
// the receiver will parse, so nothing can ride along outside the signature and a signature made for one purpose
// (a command) never verifies as another (a sync batch), even under the same key.
// Keys travel as base64 of the DER (SPKI public, PKCS#8 private) or as PEM.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

export const SIGNING_PURPOSES = ['command', 'sync-manifest', 'sync-delta', 'sync-head', 'roster', 'passage'] as const;
export type SigningPurpose = (typeof SIGNING_PURPOSES)[number];

/** The bytes a signature of `purpose` covers: the domain line, then the body exactly as it travels. */
export function purposeBytes(purpose: SigningPurpose, body: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`station-gate/v2/${purpose}\n`, 'utf8'), body]);
}

/** A short public id of a key: the first 8 bytes of SHA-256 over its SPKI DER, hex. Lets a receiver name the key it lacks. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

export interface KeyPairText {
  publicKey: string;
  privateKey: string;
}

export function generateSigningKeys(): KeyPairText {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    privateKey: privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64'),
  };
}

export function parsePublicKey(text: string): KeyObject {
  const t = text.trim();
  return t.startsWith('-----') ? createPublicKey(t) : createPublicKey({ key: Buffer.from(t, 'base64'), format: 'der', type: 'spki' });
}

export function parsePrivateKey(text: string): KeyObject {
  const t = text.trim();
  return t.startsWith('-----') ? createPrivateKey(t) : createPrivateKey({ key: Buffer.from(t, 'base64'), format: 'der', type: 'pkcs8' });
}

/** Signature (base64) of `body` for `purpose`. */
export function signFor(purpose: SigningPurpose, privateKey: KeyObject, body: Uint8Array): string {
  return sign(null, purposeBytes(purpose, body), privateKey).toString('base64');
}

/** True when `signature` (base64) is a valid signature of `body` for `purpose` by one of the keys. */
export function verifyFor(purpose: SigningPurpose, publicKeys: readonly KeyObject[], body: Uint8Array, signature: string): boolean {
  return verifyBytes(publicKeys, purposeBytes(purpose, body), signature);
}

/** True when `signature` (base64) is a valid signature of bytes by any of the keys. */
function verifyBytes(publicKeys: readonly KeyObject[], bytes: Uint8Array, signature: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) return false;
  const sig = Buffer.from(signature, 'base64');
  if (sig.length !== 64) return false;
  return publicKeys.some((k) => {
    try {
      return verify(null, bytes, k, sig);
    } catch {
      return false;
    }
  });
}

/** Public keys by key id (a rotation lists the old and the new key); only Ed25519 keys are taken. */
export class KeyRing {
  private readonly keys = new Map<string, KeyObject>();

  /** Throws (with the key's type) for a key that is not Ed25519: a config error, found at start. */
  constructor(publicKeys: readonly (string | KeyObject)[]) {
    for (const k of publicKeys) {
      const key = typeof k === 'string' ? parsePublicKey(k) : k;
      if (key.asymmetricKeyType !== 'ed25519') throw new Error(`key ${keyIdOf(key)} is ${key.asymmetricKeyType}, not ed25519`);
      this.keys.set(keyIdOf(key), key);
    }
  }

  get(keyId: string): KeyObject | undefined {
    return this.keys.get(keyId);
  }

  ids(): string[] {
    return [...this.keys.keys()];
  }

  get size(): number {
    return this.keys.size;
  }
}
