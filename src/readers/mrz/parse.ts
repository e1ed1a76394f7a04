// ICAO Doc 9303 TD1 (3x30), TD2 (2x36) and TD3 (2x44) machine readable zones -> Document. Pure: the clock is a
// parameter (century inference). Every check digit and the composite are verified; OCR letter/digit confusions in
// the numeric fields are corrected only when the check digits then pass, and each correction is a warning.
// Facts and vectors: research/mrz.md (finding numbers below refer to its section 0).
import type { Document } from '../../identity/document.js';
import { icaoCheckDigit } from '../../identity/check-digits.js';
import { checkDigitError, MrzError } from './errors.js';
import {
  applyCorrection,
  asDigits,
  birthDateOf,
  checkNumeric,
  countryOf,
  expiryOf,
  fail,
  Failure,
  fillersToSpaces,
  isoDate,
  matches,
  MRZ_WARNINGS,
  namesOf,
  sexOf,
  utcDay,
  type Slot,
} from './fields.js';
import { isExitPermitLine, isPermitBlock, isVisaBlock, parsePermitLines } from './permit.js';

export { MRZ_WARNINGS } from './fields.js';

export type MrzFormat = 'TD1' | 'TD2' | 'TD3';

export type MrzParseResult = { ok: true; document: Document } | { ok: false; error: MrzError };

const LENGTHS: Record<MrzFormat, { lines: number; width: number }> = {
  TD1: { lines: 3, width: 30 },
  TD2: { lines: 2, width: 36 },
  TD3: { lines: 2, width: 44 },
};

interface Layout {
  documentCode: Slot;
  issuingState: Slot;
  names: Slot;
  number: Slot;
  numberCheck: Slot;
  /** Where a long document number continues (TD1, TD2); absent for TD3. */
  overflow?: Slot;
  birthDate: Slot;
  birthCheck: Slot;
  sex: Slot;
  validTo: Slot;
  validToCheck: Slot;
  nationality: Slot;
  /** Optional data fields in reading order; for TD3 the personal number. */
  optional: Slot[];
  personalCheck?: Slot;
  composite: Slot;
  compositeInput: Slot[];
}

const LAYOUTS: Record<MrzFormat, Layout> = {
  TD1: {
    documentCode: [0, 0, 2],
    issuingState: [0, 2, 5],
    number: [0, 5, 14],
    numberCheck: [0, 14, 15],
    overflow: [0, 15, 30],
    optional: [
      [0, 15, 30],
      [1, 18, 29],
    ],
    birthDate: [1, 0, 6],
    birthCheck: [1, 6, 7],
    sex: [1, 7, 8],
    validTo: [1, 8, 14],
    validToCheck: [1, 14, 15],
    nationality: [1, 15, 18],
    composite: [1, 29, 30],
    compositeInput: [
      [0, 5, 30],
      [1, 0, 7],
      [1, 8, 15],
      [1, 18, 29],
    ],
    names: [2, 0, 30],
  },
  TD2: {
    documentCode: [0, 0, 2],
    issuingState: [0, 2, 5],
    names: [0, 5, 36],
    number: [1, 0, 9],
    numberCheck: [1, 9, 10],
    nationality: [1, 10, 13],
    birthDate: [1, 13, 19],
    birthCheck: [1, 19, 20],
    sex: [1, 20, 21],
    validTo: [1, 21, 27],
    validToCheck: [1, 27, 28],
    overflow: [1, 28, 35],
    optional: [[1, 28, 35]],
    composite: [1, 35, 36],
    compositeInput: [
      [1, 0, 10],
      [1, 13, 20],
      [1, 21, 35],
    ],
  },
  TD3: {
    documentCode: [0, 0, 2],
    issuingState: [0, 2, 5],
    names: [0, 5, 44],
    number: [1, 0, 9],
    numberCheck: [1, 9, 10],
    nationality: [1, 10, 13],
    birthDate: [1, 13, 19],
    birthCheck: [1, 19, 20],
    sex: [1, 20, 21],
    validTo: [1, 21, 27],
    validToCheck: [1, 27, 28],
    optional: [[1, 28, 42]],
    personalCheck: [1, 42, 43],
    composite: [1, 43, 44],
    compositeInput: [
      [1, 0, 10],
      [1, 13, 20],
      [1, 21, 43],
    ],
  },
};

/** The MRZ lines of a text: lines joined by CR/LF, surrounding whitespace and blank lines ignored. */
export function mrzLines(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/\r\n|\r|\n/)) {
    const line = raw.trim();
    if (line) out.push(line);
  }
  return out;
}

/** The MRZ format of a set of lines by their count and width, or null. */
export function formatOf(lines: readonly string[]): MrzFormat | null {
  const width = lines[0]?.length;
  for (const f of ['TD1', 'TD2', 'TD3'] as const) {
    const s = LENGTHS[f];
    if (lines.length === s.lines && width === s.width && lines.every((l) => l.length === width)) return f;
  }
  return null;
}

export function parseMrz(text: string, now: Date): MrzParseResult {
  try {
    return { ok: true, document: parseLines(mrzLines(text), now) };
  } catch (err) {
    if (err instanceof Failure) return { ok: false, error: err.error };
    throw err;
  }
}

function parseLines(input: string[], now: Date): Document {
  if (input.length === 0) fail('empty', 'lines', 'no MRZ lines');
  // Documents a passenger scans by mistake are named, so the lane can say what to present instead (issue 17).
  if (isExitPermitLine(input))
    fail('exit-permit', 'documentCode', `an exit permit (${input[0].slice(0, 2)}) is not a document for domestic trains`);
  const format = formatOf(input);
  if (!format) {
    fail(
      'bad-shape',
      'lines',
      `expected 3 lines of 30, 2 of 36 or 2 of 44 characters; got ${input.length} line(s) of ${input.map((l) => l.length).join(', ')}`,
    );
  }
  for (let li = 0; li < input.length; li++) {
    const line = input[li];
    for (let i = 0; i < line.length; i++) {
      const c = line.charCodeAt(i);
      if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || c === 60)) {
        fail('bad-character', 'lines', `line ${li + 1} column ${i + 1} holds ${JSON.stringify(line[i])}, not one of A-Z 0-9 <`);
      }
    }
  }
  const lines = input.slice();
  const first = lines[0][0];
  if (isVisaBlock(lines)) fail('visa', 'documentCode', `a visa (MRV-${format === 'TD3' ? 'A' : 'B'}) is not the passport's photo page`);
  if (first === 'V') fail('unsupported', 'documentCode', 'a V document code in a 3-line block is no visa layout');
  // The CR/CT permit cards are 3x30 like TD1 but laid out otherwise: tell them apart before the TD1 code test.
  if (isPermitBlock(lines)) return parsePermitLines(lines, now);
  if (format === 'TD2' && lines[0].startsWith('IDFRA'))
    fail('unsupported', 'documentCode', 'the pre-2021 French identity card does not follow the ICAO TD2 layout');
  if (format === 'TD3' ? first !== 'P' : first !== 'A' && first !== 'C' && first !== 'I') {
    fail(
      'bad-document-code',
      'documentCode',
      `document code ${JSON.stringify(lines[0].slice(0, 2))} does not start with ${format === 'TD3' ? 'P' : 'A, C or I'}`,
    );
  }

  const L = LAYOUTS[format];
  const warnings: string[] = [];
  const at = (s: Slot) => lines[s[0]].slice(s[1], s[2]);

  // Check digits. Corrections are applied to `lines` only after a field's check digit passes with them.
  const number = checkNumber(lines, L, warnings);
  checkNumeric('birthDate', L.birthDate, L.birthCheck, lines, warnings);
  checkNumeric('validTo', L.validTo, L.validToCheck, lines, warnings);
  if (L.personalCheck) checkPersonalNumber(L.optional[0], L.personalCheck, lines, warnings);
  checkComposite(L, lines, warnings);

  const today = utcDay(now);
  const birth = birthDateOf(at(L.birthDate), today, warnings);
  const validTo = expiryOf(at(L.validTo), today, birth, warnings);
  const sex = sexOf(at(L.sex), warnings);
  const issuingState = countryOf('issuingState', at(L.issuingState));
  const nationality = countryOf('nationality', at(L.nationality));
  const { surname, givenNames } = namesOf(at(L.names), warnings);

  const optional = (number.optionalRest ?? [at(L.optional[0])]).concat(L.optional.slice(1).map(at));
  const optionalData = optional.map(fillersToSpaces).filter(Boolean).join(' ');

  return {
    type: 'mrz',
    number: number.value,
    nationality,
    nameLatin: givenNames ? `${surname} ${givenNames}`.trim() : surname,
    sex,
    birthDate: birth ? isoDate(birth) : null,
    validTo: validTo ? isoDate(validTo) : null,
    format,
    documentCode: at(L.documentCode).replace(/<+$/, ''),
    issuingState,
    surname,
    givenNames,
    optionalData,
    warnings,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Check digits

/** TD3 personal number: alphanumeric (never corrected); an empty one may have `<` or 0 as its check digit. */
function checkPersonalNumber(valueSlot: Slot, cdSlot: Slot, lines: string[], warnings: string[]): void {
  const value = lines[valueSlot[0]].slice(valueSlot[1], valueSlot[2]);
  const cd = lines[cdSlot[0]][cdSlot[1]];
  const fixedCd = asDigits(cd);
  const expected = icaoCheckDigit(value)!;
  if (!matches(value, fixedCd, expected)) throw new Failure(checkDigitError('optionalData', cd, expected));
  applyCorrection(lines, cdSlot, fixedCd, 'optionalData', warnings);
}

interface NumberResult {
  value: string;
  /** For a long number: what is left of the optional field after the overflow and its check digit. */
  optionalRest?: string[];
}

/**
 * The document number. A TD1/TD2 number longer than 9 characters puts `<` in the check digit position and
 * continues in the optional data up to its check digit, followed by `<` (9303 part 5 note j, research V6/V7).
 * Issuers disagree on whether the `<` belongs to the check digit input (finding 3), so both readings are tried.
 */
function checkNumber(lines: string[], L: Layout, warnings: string[]): NumberResult {
  const nine = lines[L.number[0]].slice(L.number[1], L.number[2]);
  const cd = lines[L.numberCheck[0]][L.numberCheck[1]];
  if (cd === '<' && L.overflow) {
    const [li, start, end] = L.overflow;
    const optional = lines[li].slice(start, end);
    const stop = optional.indexOf('<');
    const run = stop < 0 ? optional : optional.slice(0, stop);
    if (run.length === 0) throw new Failure(checkDigitError('number', cd, icaoCheckDigit(nine)!));
    if (run.length < 2) {
      throw new Failure(new MrzError('bad-number', 'number', 'a long document number has no continuation before its check digit'));
    }
    const reading = longNumberReading(nine, run);
    if (!reading) throw new Failure(checkDigitError('number', run[run.length - 1], icaoCheckDigit(nine + run.slice(0, -1))!));
    if (reading.withFiller) warnings.push(MRZ_WARNINGS.longNumberWithFiller);
    applyCorrection(lines, [li, start + run.length - 1, start + run.length], reading.cd, 'number', warnings);
    const value = (nine + run.slice(0, -1)).replace(/</g, '');
    if (!value) fail('bad-number', 'number', 'the document number is empty');
    return { value, optionalRest: [optional.slice(run.length)] };
  }
  const fixedCd = asDigits(cd);
  const expected = icaoCheckDigit(nine)!;
  if (!matches(nine, fixedCd, expected) || /^<*$/.test(nine)) {
    if (/^<*$/.test(nine)) fail('bad-number', 'number', 'the document number is empty');
    throw new Failure(checkDigitError('number', cd, expected));
  }
  // The same blind spot in the check digit column: O/Q/D there may be a misread `<` marking a long number.
  if (fixedCd !== cd && fixedCd === '0' && L.overflow) {
    const [li, start, end] = L.overflow;
    const optional = lines[li].slice(start, end);
    const stop = optional.indexOf('<');
    const run = stop < 0 ? optional : optional.slice(0, stop);
    if (run.length >= 2 && longNumberReading(nine, run)) ambiguousNumber();
  }
  applyCorrection(lines, L.numberCheck, fixedCd, 'number', warnings);
  return { value: nine.replace(/<+$/, '').replace(/</g, '') };
}

/**
 * The check digit of a long number continued by `run` (the number's overflow and its check digit). Issuers disagree
 * on whether the `<` belongs to the check digit input (finding 3): the standard reading is tried first, the
 * filler reading only when the standard one fails. The check digit is never OCR-corrected here: its position is
 * found by where the run ends, so a letter there may as well be the number's last character (a `1` misread as `<`
 * after a number ending in Z would otherwise yield the number without its Z, and pass the composite).
 */
function longNumberReading(nine: string, run: string): { cd: string; withFiller: boolean } | null {
  const rest = run.slice(0, -1);
  const cd = run[run.length - 1];
  if (cd < '0' || cd > '9') return null;
  if (matches(nine + rest, cd, icaoCheckDigit(nine + rest)!)) return { cd, withFiller: false };
  if (matches(`${nine}<${rest}`, cd, icaoCheckDigit(`${nine}<${rest}`)!)) return { cd, withFiller: true };
  return null;
}

function ambiguousNumber(): never {
  throw new Failure(
    new MrzError(
      'bad-number',
      'number',
      'the document number is ambiguous: a check digit read as O, Q or D may be a misread < that ends the number',
    ),
  );
}

/** The composite check digit over the (corrected) upper/middle line fields. */
function checkComposite(L: Layout, lines: string[], warnings: string[]): void {
  let input = '';
  for (const s of L.compositeInput) input += lines[s[0]].slice(s[1], s[2]);
  const cd = lines[L.composite[0]][L.composite[1]];
  const fixedCd = asDigits(cd);
  const expected = icaoCheckDigit(input)!;
  // The composite is always a digit: `<` never stands for 0 here.
  if (fixedCd.charCodeAt(0) - 48 !== expected) throw new Failure(checkDigitError('composite', cd, expected));
  applyCorrection(lines, L.composite, fixedCd, 'composite', warnings);
}
