// Documents are keyed by an HMAC of their canonical identity so that the cache, the ledger and every event
// name a traveller without holding the document number: a stolen gate's cache does not list who travels.
import { createHmac } from 'node:crypto';
import type { DocumentIdentity } from './document.js';

/** The canonical form: kind|COUNTRY|NUMBER, upper case, spaces and fillers removed. */
export function canonicalIdentity(id: DocumentIdentity): string {
  const clean = (s: string) => s.normalize('NFKC').toUpperCase().replace(/[\s<]/g, '');
  return `${id.kind}|${clean(id.country)}|${clean(id.number)}`;
}

/** HMAC-SHA256 of the canonical identity, hex. The secret is site config and never leaves the gate. */
export function documentKey(secret: string | Buffer, id: DocumentIdentity): string {
  return createHmac('sha256', secret).update(canonicalIdentity(id)).digest('hex');
}
