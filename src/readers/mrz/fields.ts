// The MRZ fields every layout shares: check digits with their OCR corrections, dates with their century, sex and
// names. Used by the ICAO parser (parse.ts) and the Chinese permit parser (permit.ts), so both correct and refuse
// the same way. Pure: the clock is a parameter.
import { icaoCheckDigit } from '../../identity/check-digits.js';
import { checkDigitError, MrzError, type MrzField } from './errors.js';

/** Warning codes a parsed Document may carry (an OCR correction adds `ocr-corrected:<field>:<from>-><to>@<line>:<col>`). */
export const MRZ_WARNINGS = {
  ocrCorrected: 'ocr-corrected',
  birthDateUnknown: 'birth-date-unknown', // `<<<<<<`: the holder's birth date is not known
  birthDatePartial: 'birth-date-partial', // `74<<<<` / `7408<<`: year (and month) only
  noExpiry: 'no-expiry-date', // `<<<<<<` with check digit 0 (research V27)
  expiryCenturyFromBirth: 'expiry-century-from-birth-date', // a 2-digit expiry only fits 100 years later (V28)
  nameTruncated: 'name-possibly-truncated', // the name field is full to its last character
  digitsInName: 'digits-in-name', // national transliterations (research V35)
  sexXInMrz: 'sex-x-in-mrz', // ICAO prints `<` in the MRZ and X only in the visual zone
  longNumberWithFiller: 'long-number-check-includes-filler', // finding 3: the BEL-BO-03003 convention
} as const;

/** A range of one line (0-based line, [start, end) columns). */
export type Slot = readonly [line: number, start: number, end: number];

// Letters OCR reads in place of digits (PassportEye's numeric fixers, cheminfo autocorrect).
const DIGIT_FOR: Record<string, string> = { O: '0', Q: '0', D: '0', I: '1', L: '1', Z: '2', S: '5', G: '6', B: '8' };

/** Thrown inside the parser to leave it at the first fatal finding; parse() turns it into `{ ok: false }`. */
export class Failure extends Error {
  constructor(readonly error: MrzError) {
    super(error.message);
  }
}

export function fail(code: ConstructorParameters<typeof MrzError>[0], field: MrzField, message: string): never {
  throw new Failure(new MrzError(code, field, message));
}

/** The field with OCR letters mapped to digits (only letters that OCR confuses with a digit). */
export function asDigits(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += DIGIT_FOR[s[i]] ?? s[i];
  return out;
}

/** Does `cd` (after correction) match the field? A `<` check digit stands for 0 only over an all-filler field. */
export function matches(value: string, cd: string, expected: number): boolean {
  if (cd === '<') return expected === 0 && /^<*$/.test(value);
  return cd.charCodeAt(0) - 48 === expected;
}

/** Replace one slot of `lines` with corrected text and record each changed character as a warning. */
export function applyCorrection(lines: string[], slot: Slot, corrected: string, field: MrzField, warnings: string[]): void {
  const [li, start, end] = slot;
  const original = lines[li].slice(start, end);
  if (original === corrected) return;
  for (let i = 0; i < original.length; i++) {
    if (original[i] !== corrected[i]) {
      warnings.push(`${MRZ_WARNINGS.ocrCorrected}:${field}:${original[i]}->${corrected[i]}@${li + 1}:${start + i + 1}`);
    }
  }
  lines[li] = lines[li].slice(0, start) + corrected + lines[li].slice(end);
}

/** A numeric field (a date) and its check digit: correct letter/digit confusions only if the check digit then passes. */
export function checkNumeric(field: MrzField, valueSlot: Slot, cdSlot: Slot, lines: string[], warnings: string[]): void {
  const value = lines[valueSlot[0]].slice(valueSlot[1], valueSlot[2]);
  const cd = lines[cdSlot[0]][cdSlot[1]];
  const fixedValue = asDigits(value);
  const fixedCd = asDigits(cd);
  const expected = icaoCheckDigit(fixedValue)!;
  if (!matches(fixedValue, fixedCd, expected)) throw new Failure(checkDigitError(field, cd, expected));
  applyCorrection(lines, valueSlot, fixedValue, field, warnings);
  applyCorrection(lines, cdSlot, fixedCd, field, warnings);
}

// ---------------------------------------------------------------------------------------------------------------
// Dates: two-digit years get their century from `now` (birth in the past; expiry at most ~20 years ahead).

export interface Ymd {
  y: number;
  m: number;
  d: number;
}

export const EXPIRY_MAX_YEARS_AHEAD = 20;

export const key = (t: Ymd) => t.y * 10_000 + t.m * 100 + t.d;
export const isoDate = (t: Ymd) => `${String(t.y).padStart(4, '0')}-${String(t.m).padStart(2, '0')}-${String(t.d).padStart(2, '0')}`;

export function utcDay(now: Date): Ymd {
  return { y: now.getUTCFullYear(), m: now.getUTCMonth() + 1, d: now.getUTCDate() };
}

function daysIn(y: number, m: number): number {
  return m === 2 ? (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31;
}

export function checkCalendar(field: MrzField, t: Ymd, raw: string): Ymd {
  if (t.m < 1 || t.m > 12 || t.d < 1 || t.d > daysIn(t.y, t.m)) {
    fail('bad-date', field, `${field === 'birthDate' ? 'birth date' : 'expiry date'} ${raw} is not a calendar date`);
  }
  return t;
}

export function birthDateOf(raw: string, today: Ymd, warnings: string[]): Ymd | null {
  if (raw === '<<<<<<') {
    warnings.push(MRZ_WARNINGS.birthDateUnknown);
    return null;
  }
  if (/^\d\d(\d\d|<<)<<$/.test(raw)) {
    warnings.push(MRZ_WARNINGS.birthDatePartial);
    return null;
  }
  if (!/^\d{6}$/.test(raw)) fail('bad-date', 'birthDate', `birth date ${raw} is not YYMMDD`);
  const t = { y: Math.floor(today.y / 100) * 100 + Number(raw.slice(0, 2)), m: Number(raw.slice(2, 4)), d: Number(raw.slice(4, 6)) };
  if (key(t) > key(today)) t.y -= 100;
  return checkCalendar('birthDate', t, raw);
}

export function expiryOf(raw: string, today: Ymd, birth: Ymd | null, warnings: string[]): Ymd | null {
  if (raw === '<<<<<<') {
    warnings.push(MRZ_WARNINGS.noExpiry);
    return null;
  }
  if (!/^\d{6}$/.test(raw)) fail('bad-date', 'validTo', `expiry date ${raw} is not YYMMDD`);
  const t = { y: Math.floor(today.y / 100) * 100 + Number(raw.slice(0, 2)), m: Number(raw.slice(2, 4)), d: Number(raw.slice(4, 6)) };
  if (t.y > today.y + EXPIRY_MAX_YEARS_AHEAD) t.y -= 100;
  else if (t.y <= today.y + EXPIRY_MAX_YEARS_AHEAD - 100) t.y += 100;
  // A document cannot expire before its holder was born: the only consistent reading is a century later.
  if (birth && key(t) < key(birth)) {
    t.y += 100;
    warnings.push(MRZ_WARNINGS.expiryCenturyFromBirth);
  }
  return checkCalendar('validTo', t, raw);
}

// ---------------------------------------------------------------------------------------------------------------
// Sex, countries, names

export function sexOf(c: string, warnings: string[]): 'M' | 'F' | 'X' {
  if (c === 'M' || c === 'F') return c;
  if (c === '<') return 'X';
  if (c === 'X') {
    warnings.push(MRZ_WARNINGS.sexXInMrz);
    return 'X';
  }
  return fail('bad-sex', 'sex', `sex ${JSON.stringify(c)} is none of M, F, <`);
}

/** ICAO's one-letter Germany becomes ISO DEU; ICAO-only codes (GBD, UNO, XXA, ...) stay as printed. */
export function countryOf(field: 'issuingState' | 'nationality', raw: string): string {
  if (raw === 'D<<') return 'DEU';
  if (!/^[A-Z]{3}$/.test(raw))
    fail(
      'bad-country',
      field,
      `${field === 'issuingState' ? 'issuing state' : 'nationality'} ${JSON.stringify(raw)} is not a country code`,
    );
  return raw;
}

export function fillersToSpaces(s: string): string {
  return s.replace(/<+/g, ' ').trim();
}

export function namesOf(raw: string, warnings: string[]): { surname: string; givenNames: string } {
  if (/^<*$/.test(raw)) fail('bad-name', 'names', 'the name field is empty');
  // A name field without a trailing filler may have been cut at the field's width (9303 part 3, truncation).
  if (!raw.endsWith('<')) warnings.push(MRZ_WARNINGS.nameTruncated);
  if (/\d/.test(raw)) warnings.push(MRZ_WARNINGS.digitsInName);
  const split = raw.indexOf('<<');
  const surname = fillersToSpaces(split < 0 ? raw : raw.slice(0, split));
  const givenNames = split < 0 ? '' : fillersToSpaces(raw.slice(split + 2));
  return { surname, givenNames };
}
