// What a read means for the passenger: a Document, or the reason the lane shows. The one mapping from reader and
// MRZ errors to a passenger reason; the daemon (through the readers' `rejected` events), `gate decide` and the demo
// all go through it, so the same bytes give the same answer everywhere.
//
// The rule: bytes that were read cleanly but describe a document that cannot be (a check digit or check character
// that does not match, a date, sex or country code that cannot be, a card type or MRZ kind the gate does not
// accept) are `document-invalid`: reading it again gives the same bytes, so the passenger goes to the staffed
// gate. Bytes that are not a whole document at all (no MRZ, wrong shape or characters, a broken or missing frame,
// a reader status) are `unreadable`: the passenger presents it again. The reason list (src/decide/reasons.ts) says
// the same: `document-invalid` is a bad check digit or structure.
import type { Document } from '../identity/document.js';
import { GateError } from '../util/gate-error.js';
import { MrzError, type MrzErrorCode } from './mrz/errors.js';
import { ReaderError, type ReaderErrorCode } from './idcard/errors.js';

/** The passenger reasons a read can end in (a subset of src/decide/reasons.ts REASONS). */
export type ReadFailureReason = 'unreadable' | 'document-invalid' | 'present-passport-page' | 'present-resident-card';

/** A read that gave no Document: the reason for the passenger and the reader's error (for the log: codes only). */
export interface ReadFailure {
  reason: ReadFailureReason;
  error: GateError;
}

export type ReadOutcome = { ok: true; document: Document } | ({ ok: false } & ReadFailure);

// Codes of a well-read MRZ whose content is impossible; the others (empty, bad-shape, bad-character) mean the text
// is not an MRZ block.
const INVALID_MRZ: ReadonlySet<MrzErrorCode> = new Set<MrzErrorCode>([
  'check-digit',
  'bad-date',
  'bad-sex',
  'bad-country',
  'bad-name',
  'bad-number',
  'bad-document-code',
  'unsupported',
]);

// Documents scanned by mistake: well read, and the passenger is told which document to present instead.
const PRESENT_INSTEAD: Partial<Record<MrzErrorCode, ReadFailureReason>> = {
  visa: 'present-passport-page',
  'exit-permit': 'present-resident-card',
};

// Codes of a card text the SAM delivered intact (the frame's checksum held) that is not a valid card.
const INVALID_IDCARD: ReadonlySet<ReaderErrorCode> = new Set<ReaderErrorCode>(['bad-number-check', 'bad-field', 'unknown-layout']);

/** The passenger's reason for a read that ended in this error. */
export function readFailureReason(error: unknown): ReadFailureReason {
  if (error instanceof MrzError) return PRESENT_INSTEAD[error.code] ?? (INVALID_MRZ.has(error.code) ? 'document-invalid' : 'unreadable');
  if (error instanceof ReaderError) return INVALID_IDCARD.has(error.code) ? 'document-invalid' : 'unreadable';
  return 'unreadable';
}

/** A failed read with its reason. */
export function readFailure(error: GateError): ReadFailure {
  return { reason: readFailureReason(error), error };
}

/** A decoder's result ({ok, document} or {ok: false, error}) as what it means for the passenger. */
export function readOutcome(r: { ok: true; document: Document } | { ok: false; error: GateError }): ReadOutcome {
  return r.ok ? { ok: true, document: r.document } : { ok: false, ...readFailure(r.error) };
}
