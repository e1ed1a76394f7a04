// Structure and check characters of a Document, per type (research/idcard.md section 4). Pure.
// Errors make the document `document-invalid`; warnings are reported but do not reject (2017 PR specimens fail
// their 7-3-1 check digit, so a failure there cannot be trusted to mean a forgery).
import type { Document } from './document.js';
import { icaoCheckDigit, isValidMod11_2 } from './check-digits.js';

export type ProblemCode = 'bad-format' | 'bad-check-char' | 'bad-date' | 'birth-date-mismatch' | 'dates-out-of-order';

export interface DocumentProblem {
  field: string;
  code: ProblemCode;
  severity: 'error' | 'warning';
  message: string;
}

/** A real calendar date YYYY-MM-DD (no 2023-02-30). */
export function isCalendarDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

const error = (field: string, code: ProblemCode, message: string): DocumentProblem => ({ field, code, severity: 'error', message });
const warning = (field: string, code: ProblemCode, message: string): DocumentProblem => ({ field, code, severity: 'warning', message });

/** 18-character numbers (citizen, 2023 PR, HK/Macao/Taiwan permit): 17 digits + MOD 11-2 check, birth date inside. */
function check18(doc: Document, pattern: RegExp, what: string, out: DocumentProblem[]): void {
  const n = doc.number.toUpperCase();
  if (!pattern.test(n)) {
    out.push(error('number', 'bad-format', `expected ${what}`));
    return;
  }
  if (!isValidMod11_2(n)) out.push(error('number', 'bad-check-char', 'MOD 11-2 check character does not match'));
  const embedded = `${n.slice(6, 10)}-${n.slice(10, 12)}-${n.slice(12, 14)}`;
  if (doc.birthDate && embedded !== doc.birthDate) {
    out.push(error('birthDate', 'birth-date-mismatch', "the birth date in the number differs from the card's birth date"));
  }
}

/** 2017 PR number: 3 letters + 12 digits, the last a 7-3-1 check digit (failure is a warning only). */
function checkPr2017Number(field: string, number: string, out: DocumentProblem[]): void {
  if (!/^[A-Z]{3}\d{12}$/.test(number)) {
    out.push(error(field, 'bad-format', 'expected 3 letters and 12 digits'));
    return;
  }
  if (icaoCheckDigit(number.slice(0, 14)) !== Number(number[14])) {
    out.push(warning(field, 'bad-check-char', '7-3-1 check digit does not match (accepted: specimen cards fail it too)'));
  }
}

export function validateDocument(doc: Document): DocumentProblem[] {
  const out: DocumentProblem[] = [];
  switch (doc.type) {
    case 'cn-resident-id':
      check18(doc, /^[1-8]\d{16}[\dX]$/, '18 characters: 17 digits and a check digit or X', out);
      break;
    case 'cn-pr-2023':
      check18(doc, /^9\d{16}[\dX]$/, '18 characters starting with 9', out);
      if (doc.previousNumber) checkPr2017Number('previousNumber', doc.previousNumber, out);
      break;
    case 'cn-hmt-permit':
      check18(doc, /^8[123]\d{15}[\dX]$/, '18 characters starting with 81, 82 or 83', out);
      break;
    case 'cn-pr-2017':
      checkPr2017Number('number', doc.number, out);
      break;
    case 'mrz':
      // The permit cards' numbers have a fixed form (docs/documents.md): H/M + 8 digits (CR), 8 digits (CT).
      if (doc.documentCode === 'CR' && !/^[HM]\d{8}$/.test(doc.number))
        out.push(error('number', 'bad-format', 'expected H or M and 8 digits'));
      else if (doc.documentCode === 'CT' && !/^\d{8}$/.test(doc.number)) out.push(error('number', 'bad-format', 'expected 8 digits'));
      else if (!/^[A-Z0-9]{1,20}$/.test(doc.number)) out.push(error('number', 'bad-format', 'expected 1-20 letters or digits'));
      break;
  }
  if (!/^[A-Z]{1,3}$/.test(doc.nationality)) out.push(error('nationality', 'bad-format', 'expected a 1-3 letter country code'));
  for (const field of ['birthDate', 'validFrom', 'validTo'] as const) {
    const v = doc[field];
    if (v && !isCalendarDate(v)) out.push(error(field, 'bad-date', `expected a real date, got ${v}`));
  }
  if (doc.validFrom && doc.validTo && isCalendarDate(doc.validFrom) && isCalendarDate(doc.validTo) && doc.validTo < doc.validFrom) {
    out.push(error('validTo', 'dates-out-of-order', 'valid-to is before valid-from'));
  }
  return out;
}

export function documentErrors(doc: Document): DocumentProblem[] {
  return validateDocument(doc).filter((p) => p.severity === 'error');
}
