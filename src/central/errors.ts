// Errors of central's reference tools (`gate central ...`): refusals that protect the gates (a delta or snapshot
// that would break their sync) and keys that are not what the command needs. Every one is a human's to fix.
import { GateError } from '../util/gate-error.js';

export const CENTRAL_ERROR_CODES = [
  'seq-not-next', // a delta whose seq is not the retained head's + 1 (gates would ask for a resync, or skip data)
  'epoch-mismatch', // a delta for another epoch than the retained head's
  'epoch-not-newer', // a snapshot whose epoch is not newer than the retained head's (gates ignore it)
  'no-head', // a delta for a station with no retained head (no snapshot to build on)
  'head-unverified', // the retained head is not signed by this key, or cannot be read
  'public-key', // --key names a public key: signing needs the private half
  'bad-key', // --key is not an Ed25519 private key
  'weak-doc-key', // --doc-key-file holds a key with too little entropy
  'doc-key-changed', // a delta keyed under another document key than its epoch's (rotate with a new snapshot)
] as const;
export type CentralErrorCode = (typeof CENTRAL_ERROR_CODES)[number];

export class CentralError extends GateError<CentralErrorCode> {
  constructor(code: CentralErrorCode, message: string, options?: { cause?: unknown }) {
    super('central', code, message, 'fix-config', options);
  }
}
