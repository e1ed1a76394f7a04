// The MRZ layer's error: why a block of MRZ lines is not a Document. The code says what kind of problem, `field`
// says where (Document field names), so `gate decode mrz` and the lane log can say "check digit of birth date is 3,
// expected 2" and tests can check {code, field} instead of text.
import { GateError, type Recovery } from '../../util/gate-error.js';

export type MrzErrorCode =
  | 'empty' // no MRZ text at all
  | 'bad-shape' // not 3x30, 2x36 or 2x44 characters
  | 'bad-character' // a character outside A-Z 0-9 <
  | 'unsupported' // a well-formed MRZ of a kind the gate does not accept (pre-2021 French ID)
  | 'visa' // a visa (MRV-A 2x44, MRV-B 2x36) scanned instead of the passport's photo page
  | 'exit-permit' // a mainland resident's exit permit (CS/CD, 1x30): not a document for domestic trains
  | 'bad-document-code'
  | 'check-digit' // a check digit (or the composite) does not match
  | 'bad-date'
  | 'bad-sex'
  | 'bad-country'
  | 'bad-name'
  | 'bad-number'; // an empty document number

/** Where in the MRZ: Document field names, plus `composite` for the composite check digit. */
export type MrzField =
  | 'lines'
  | 'documentCode'
  | 'issuingState'
  | 'number'
  | 'birthDate'
  | 'sex'
  | 'validTo'
  | 'nationality'
  | 'optionalData'
  | 'issueCount'
  | 'regionIdNumber'
  | 'composite'
  | 'names';

export const FIELD_LABELS: Record<MrzField, string> = {
  lines: 'MRZ lines',
  documentCode: 'document code',
  issuingState: 'issuing state',
  number: 'document number',
  birthDate: 'birth date',
  sex: 'sex',
  validTo: 'expiry date',
  nationality: 'nationality',
  optionalData: 'personal number',
  issueCount: 'issue count',
  regionIdNumber: 'HK/Macao identity number',
  composite: 'composite',
  names: 'name',
};

export class MrzError extends GateError<MrzErrorCode> {
  constructor(
    code: MrzErrorCode,
    readonly field: MrzField,
    message: string,
    /** For check-digit errors: the digit printed and the digit the field computes to. */
    readonly found?: string,
    readonly expected?: string,
  ) {
    // Every MRZ problem is in the scanned document itself: the lane rejects it and the passenger rescans.
    const recovery: Recovery = 'drop';
    super('mrz', code, message, recovery);
  }
}

export function checkDigitError(field: MrzField, found: string, expected: number): MrzError {
  const what = field === 'composite' ? 'composite check digit' : `check digit of ${FIELD_LABELS[field]}`;
  return new MrzError('check-digit', field, `${what} is ${found}, expected ${expected}`, found, String(expected));
}
