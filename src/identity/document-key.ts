// Documents are keyed by an HMAC of their canonical identity so that the cache, the ledger and every event
// name a traveller without holding the document number: a stolen gate's cache does not list who travels.
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { DocumentIdentity } from './document.js';

// Plain ASCII is its own NFKC form, so the (costly) normalisation runs only for text that can change under it.
const NON_ASCII = /[^\p{ASCII}]/u;
const SPACE_OR_FILLER = /[\s<]/g;

function clean(s: string): string {
  const n = NON_ASCII.test(s) ? s.normalize('NFKC') : s;
  return n.toUpperCase().replace(SPACE_OR_FILLER, '');
}

/** The canonical form: kind|COUNTRY|NUMBER, upper case, spaces and fillers removed. */
export function canonicalIdentity(id: DocumentIdentity): string {
  return `${id.kind}|${clean(id.country)}|${clean(id.number)}`;
}

/** HMAC-SHA256 of the canonical identity, hex. The secret is site config and never leaves the gate. */
export function documentKey(secret: string | Buffer, id: DocumentIdentity): string {
  return createHmac('sha256', secret).update(canonicalIdentity(id)).digest('hex');
}

export type DocumentKeyer = (id: DocumentIdentity) => string;

/**
 * documentKey with the secret bound once, for bulk loads: a KeyObject spares OpenSSL re-importing the key for
 * every row (a snapshot keys every passenger and ticket). Same bytes as documentKey.
 */
export function documentKeyer(secret: string | Buffer): DocumentKeyer {
  const key: KeyObject = createSecretKey(typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret);
  return (id) => createHmac('sha256', key).update(canonicalIdentity(id)).digest('hex');
}
