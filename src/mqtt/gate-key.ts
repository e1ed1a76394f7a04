// The gate's own Ed25519 key: it signs the gate's passage events so its siblings can tell them from forgeries.
// Created on first start (mode 0600, atomically) and kept; its public half goes into central's roster.
import { existsSync, readFileSync } from 'node:fs';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import { keyIdOf, parsePrivateKey } from '../util/signing.js';
import { createPublicKey } from 'node:crypto';
import { MqttError } from './errors.js';
import { publicKeyText } from './roster.js';

export interface GateKey {
  privateKey: KeyObject;
  /** base64 SPKI DER, for the roster. */
  publicKey: string;
  keyId: string;
  path: string;
}

/** Where the key lives unless the config says: beside the gate's database. */
export function defaultGateKeyFile(dbPath: string): string {
  return join(dirname(dbPath), 'gate-key.pem');
}

export function loadOrCreateGateKey(path: string): GateKey {
  if (!existsSync(path)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileAtomic(path, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
  }
  let privateKey: KeyObject;
  try {
    privateKey = parsePrivateKey(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new MqttError('bad-gate-key', `cannot read the gate key ${path}: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519')
    throw new MqttError('bad-gate-key', `the gate key ${path} is ${privateKey.asymmetricKeyType}, not ed25519`);
  return { privateKey, publicKey: publicKeyText(privateKey), keyId: keyIdOf(createPublicKey(privateKey)), path };
}
