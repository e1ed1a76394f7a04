// Ed25519 signatures over canonical JSON: central signs sync batches and commands, the gate verifies them.
// Keys travel as base64 of the DER (SPKI public, PKCS#8 private) or as PEM.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

/** JSON with object keys sorted at every level: the bytes that are signed. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
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

/** Signature (base64) over bytes. */
export function signBytes(privateKey: KeyObject, bytes: Uint8Array): string {
  return sign(null, bytes, privateKey).toString('base64');
}

/** True when `signature` (base64) is a valid signature of bytes by any of the keys. */
export function verifyBytes(publicKeys: readonly KeyObject[], bytes: Uint8Array, signature: string): boolean {
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
