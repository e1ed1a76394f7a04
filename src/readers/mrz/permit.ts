// The MRZ of the two Chinese permit cards 12306 sells tickets on, 3 lines of 30 characters that are NOT ICAO TD1:
//   CR  港澳居民来往内地通行证  Mainland Travel Permit for Hong Kong and Macao Residents ("Home Return Permit")
//   CT  台湾居民来往大陆通行证  Mainland Travel Permit for Taiwan Residents
// No primary (NIA) specification is public; the layout is that of public reader code and is recorded with its
// sources, and the points no real card has confirmed, in docs/documents.md. Where sources disagree we accept a
// reading only when its check digits pass. 0-based columns:
//   line 1: 0-1 code | 2-10 permit number | 11 cd | 12-13 issue count | 14 cd | 15-20 expiry | 21 cd | 22 sex |
//           23-28 birth | 29 cd
//   line 2: 0-17 not read | 18 birth-century flag | CR: 19-27 HK/Macao ID, 28 cd | CT: 19-28 Taiwan ID |
//           29 composite over L1[2-21] + L1[23-29] + L2[19-28]
//   line 3: CR: 0-29 name | CT: 0-25 name, 26-29 issuing-office code
// Also the one-line exit permits (CS/CD) and visas, which a passenger scans by mistake: recognised, never read.
import type { Document } from '../../identity/document.js';
import { icaoCheckDigit } from '../../identity/check-digits.js';
import { checkDigitError } from './errors.js';
import {
  applyCorrection,
  asDigits,
  checkCalendar,
  checkNumeric,
  expiryOf,
  fail,
  Failure,
  fillersToSpaces,
  isoDate,
  key,
  matches,
  namesOf,
  sexOf,
  utcDay,
  type Slot,
  type Ymd,
} from './fields.js';

export const PERMIT_CODES = ['CR', 'CT'] as const;
export type PermitCode = (typeof PERMIT_CODES)[number];

/** Warnings only the permit parser gives. */
export const PERMIT_WARNINGS = {
  // Line 2 column 18 is not A, B or C: the century comes from "born in the past" (docs/documents.md, unconfirmed).
  birthCenturyInferred: 'birth-century-inferred',
} as const;

const WIDTH = 30;

/** 3 lines of 30 starting with CR or CT: the permit layout, not ICAO TD1 (whose codes also start with C). */
export function isPermitBlock(lines: readonly string[]): boolean {
  return lines.length === 3 && lines.every((l) => l.length === WIDTH) && (lines[0].startsWith('CR') || lines[0].startsWith('CT'));
}

/** One line of 30 starting with CS or CD: a mainland resident's exit permit (往来港澳/台湾通行证). */
export function isExitPermitLine(lines: readonly string[]): boolean {
  return lines.length === 1 && lines[0].length === WIDTH && /^C[SD][A-Z0-9<]{28}$/.test(lines[0]);
}

/** A visa's MRZ: MRV-A (2x44) or MRV-B (2x36), document code V + a letter or filler. */
export function isVisaBlock(lines: readonly string[]): boolean {
  const w = lines[0]?.length;
  return lines.length === 2 && (w === 44 || w === 36) && lines[1].length === w && /^V[A-Z<]/.test(lines[0]);
}

const NUMBER: Slot = [0, 2, 11];
const NUMBER_CD: Slot = [0, 11, 12];
const ISSUE: Slot = [0, 12, 14];
const ISSUE_CD: Slot = [0, 14, 15];
const EXPIRY: Slot = [0, 15, 21];
const EXPIRY_CD: Slot = [0, 21, 22];
const SEX: Slot = [0, 22, 23];
const BIRTH: Slot = [0, 23, 29];
const BIRTH_CD: Slot = [0, 29, 30];
const CENTURY: Slot = [1, 18, 19];
const REGION_ID_CR: Slot = [1, 19, 28];
const REGION_ID_CR_CD: Slot = [1, 28, 29];
const REGION_ID_CT: Slot = [1, 19, 29];
const COMPOSITE: Slot = [1, 29, 30];
const COMPOSITE_INPUT: Slot[] = [
  [0, 2, 22],
  [0, 23, 30],
  [1, 19, 29],
];
const NAME_CR: Slot = [2, 0, 30];
const NAME_CT: Slot = [2, 0, 26];
const OFFICE_CT: Slot = [2, 26, 30];

const CENTURY_FLAGS: Record<string, number> = { A: 1800, B: 1900, C: 2000 };

/** Parse a CR/CT block (isPermitBlock is true). Throws Failure like the ICAO parser. */
export function parsePermitLines(input: readonly string[], now: Date): Document {
  const lines = input.slice();
  const code = lines[0].slice(0, 2) as PermitCode;
  const warnings: string[] = [];
  const at = (s: Slot) => lines[s[0]].slice(s[1], s[2]);

  checkPermitNumber(lines, warnings);
  checkNumeric('issueCount', ISSUE, ISSUE_CD, lines, warnings);
  checkNumeric('validTo', EXPIRY, EXPIRY_CD, lines, warnings);
  checkNumeric('birthDate', BIRTH, BIRTH_CD, lines, warnings);
  // The HK/Macao ID has its own check digit on the CR card (line 2 column 28); the CT card's 10-character Taiwan ID
  // fills the field to the composite and is covered by the composite only. Letters are legitimate in both
  // (HK IDs start with one or two letters, Taiwan IDs with one), so nothing here is OCR-corrected.
  if (code === 'CR') {
    const expected = icaoCheckDigit(at(REGION_ID_CR))!;
    const cd = at(REGION_ID_CR_CD);
    if (!matches(at(REGION_ID_CR), cd, expected)) throw new Failure(checkDigitError('regionIdNumber', cd, expected));
  }
  let composite = '';
  for (const s of COMPOSITE_INPUT) composite += at(s);
  const expected = icaoCheckDigit(composite)!;
  const cd = at(COMPOSITE);
  const fixedCd = asDigits(cd);
  if (fixedCd.charCodeAt(0) - 48 !== expected) throw new Failure(checkDigitError('composite', cd, expected));
  applyCorrection(lines, COMPOSITE, fixedCd, 'composite', warnings);

  const today = utcDay(now);
  const birth = permitBirthDate(at(BIRTH), at(CENTURY), today, warnings);
  const validTo = expiryOf(at(EXPIRY), today, birth, warnings);
  const number = fillersToSpaces(at(NUMBER)).replace(/ /g, '');
  if (!number) fail('bad-number', 'number', 'the permit number is empty');
  const regionIdNumber = fillersToSpaces(at(code === 'CR' ? REGION_ID_CR : REGION_ID_CT)).replace(/ /g, '');
  const { surname, givenNames } = namesOf(at(code === 'CR' ? NAME_CR : NAME_CT), warnings);

  return {
    type: 'mrz',
    number,
    nationality: 'CHN',
    nameLatin: givenNames ? `${surname} ${givenNames}`.trim() : surname,
    sex: sexOf(at(SEX), warnings),
    birthDate: isoDate(birth),
    validTo: validTo ? isoDate(validTo) : null,
    format: 'CN-3x30',
    documentCode: code,
    issuingState: 'CHN',
    surname,
    givenNames,
    issueCount: Number(at(ISSUE)),
    ...(regionIdNumber ? { regionIdNumber } : {}),
    optionalData: code === 'CT' ? fillersToSpaces(at(OFFICE_CT)) : '',
    warnings,
  };
}

/**
 * The permit number and its check digit. CR numbers are H or M + 8 digits, CT numbers 8 digits (a trailing `<`
 * adds 0 to the sum, so the 8- and 9-column readings of public code give the same digit). OCR letter/digit
 * confusions are corrected in the digits only, and only when the check digit then passes.
 */
function checkPermitNumber(lines: string[], warnings: string[]): void {
  const raw = lines[0].slice(NUMBER[1], NUMBER[2]);
  const cd = lines[0][NUMBER_CD[1]];
  const ct = lines[0].startsWith('CT');
  // CR: a letter, then 8 digits. CT: 8 digits, then `<`, kept as read: `<` and 0 weigh the same in 7-3-1, so an O
  // there "corrected" to 0 would pass every check digit and make a ninth digit out of a filler.
  const candidates = [raw, ct ? asDigits(raw.slice(0, 8)) + raw[8] : raw[0] + asDigits(raw.slice(1))];
  for (const value of candidates) {
    const fixedCd = asDigits(cd);
    if (matches(value, fixedCd, icaoCheckDigit(value)!)) {
      applyCorrection(lines, NUMBER, value, 'number', warnings);
      applyCorrection(lines, NUMBER_CD, fixedCd, 'number', warnings);
      if (ct && value[8] !== '<') fail('bad-number', 'number', 'a CT permit number is 8 digits followed by <');
      return;
    }
  }
  throw new Failure(checkDigitError('number', cd, icaoCheckDigit(raw)!));
}

/** Birth date with its century from line 2 column 18 (A 18xx, B 19xx, C 20xx), else "born in the past". */
function permitBirthDate(raw: string, flag: string, today: Ymd, warnings: string[]): Ymd {
  if (!/^\d{6}$/.test(raw)) fail('bad-date', 'birthDate', `birth date ${raw} is not YYMMDD`);
  const yy = Number(raw.slice(0, 2));
  const t = { y: 0, m: Number(raw.slice(2, 4)), d: Number(raw.slice(4, 6)) };
  const century = CENTURY_FLAGS[flag];
  if (century !== undefined) t.y = century + yy;
  else {
    warnings.push(PERMIT_WARNINGS.birthCenturyInferred);
    t.y = Math.floor(today.y / 100) * 100 + yy;
    if (key(t) > key(today)) t.y -= 100;
  }
  checkCalendar('birthDate', t, raw);
  if (key(t) > key(today)) fail('bad-date', 'birthDate', `birth date ${raw} with century flag ${flag} is in the future`);
  return t;
}
