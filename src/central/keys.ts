// Central's Ed25519 signing key: `gate central keygen` writes the pair, the publishing tools load the private half.
// The gate's config lists the public half (sync.centralPublicKeys); the key id names it in every signed batch.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { parsePrivateKey, parsePublicKey } from '../util/signing.js';
import { CentralError } from './errors.js';
import { keyIdOf, type SigningKey } from '../sync/wire.js';

export interface KeyFiles {
  privateKeyPath: string;
  publicKeyPath: string;
  keyId: string;
  publicKeyPem: string;
}

/** Write central-signing.key (PKCS#8 PEM, mode 0600) and central-signing.pub (SPKI PEM) into dir. */
export function generateKeyFiles(dir: string): KeyFiles {
  mkdirSync(dir, { recursive: true });
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const privateKeyPath = join(dir, 'central-signing.key');
  const publicKeyPath = join(dir, 'central-signing.pub');
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  // flag 'wx': never overwrite a key that gates already trust.
  writeFileSync(privateKeyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600, flag: 'wx' });
  writeFileSync(publicKeyPath, publicKeyPem, { mode: 0o644, flag: 'wx' });
  return { privateKeyPath, publicKeyPath, keyId: keyIdOf(publicKey), publicKeyPem };
}

export function signingKeyFrom(privateKey: KeyObject | string): SigningKey {
  const key = typeof privateKey === 'string' ? parsePrivateKey(privateKey) : privateKey;
  return { privateKey: key, keyId: keyIdOf(createPublicKey(key)) };
}

/**
 * Central's private signing key from a file. A public key (the .pub beside it, PEM or base64 DER) or anything else
 * is refused with one line naming the mistake, not OpenSSL's decoder error.
 */
export function loadSigningKey(path: string): SigningKey {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  let key: KeyObject;
  try {
    key = parsePrivateKey(text);
  } catch {
    if (isPublicKey(text)) {
      throw new CentralError(
        'public-key',
        `${path} is a public key; --key needs the private key (central-signing.key, not central-signing.pub)`,
      );
    }
    throw new CentralError('bad-key', `${path} is not a private key (PKCS#8 PEM as gate central keygen writes it)`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new CentralError('bad-key', `${path} is an ${key.asymmetricKeyType} key; central signs with Ed25519 (gate central keygen)`);
  }
  return signingKeyFrom(key);
}

function isPublicKey(text: string): boolean {
  try {
    parsePublicKey(text);
    return true;
  } catch {
    return false;
  }
}
