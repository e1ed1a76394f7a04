// The 256-byte text block of the four card layouts (research/idcard.md section 3): raw fields <-> bytes, and raw
// fields -> the Document of docs/design.md. All strings are UCS-2LE, space padded; the card type is the char at 248.
import type { Document } from '../../identity/document.js';
import { icaoCheckDigit, isValidMod11_2 } from '../../identity/check-digits.js';
import { ReaderError } from './errors.js';
import { TEXT_LENGTH, encodeUcs2Field, ucs2, type Result } from './codec.js';

export type Layout = 'resident' | 'I' | 'Y' | 'J';

/** Raw, trimmed field values as the card holds them (dates YYYYMMDD or "长期", sex as the GB/T 2261.1 digit). */
export type CardFields =
  | {
      layout: 'resident';
      name: string;
      sex: string;
      nation: string;
      birthDate: string;
      address: string;
      number: string;
      authority: string;
      validFrom: string;
      validTo: string;
    }
  | {
      layout: 'I';
      nameLatin: string;
      sex: string;
      number: string;
      nationality: string;
      nameChinese: string;
      validFrom: string;
      validTo: string;
      birthDate: string;
      cardVersion: string;
      officeCode: string;
    }
  | {
      layout: 'Y';
      nameChinese: string;
      sex: string;
      renewalCount: string;
      birthDate: string;
      /** The whole English name (up to 46 chars); the card splits it over offsets 52 (35 chars) and 220 (11 chars). */
      nameLatin: string;
      number: string;
      validFrom: string;
      validTo: string;
      nationality: string;
      /** Link to the 2017 number: 2-digit city code + 1 sequence digit; blank when the holder never had one. */
      link: string;
    }
  | {
      layout: 'J';
      name: string;
      sex: string;
      birthDate: string;
      address: string;
      number: string;
      authority: string;
      validFrom: string;
      validTo: string;
      permitNumber: string;
      issueCount: string;
    };

type FieldMap = Record<string, readonly [offset: number, size: number]>;

const LAYOUT_FLAG: Record<Layout, string> = { resident: ' ', I: 'I', Y: 'Y', J: 'J' };
const FLAG_OFFSET = 248;

// Byte offset and size of each field (research/idcard.md 3.1-3.5).
const FIELDS = {
  resident: {
    name: [0, 30],
    sex: [30, 2],
    nation: [32, 4],
    birthDate: [36, 16],
    address: [52, 70],
    number: [122, 36],
    authority: [158, 30],
    validFrom: [188, 16],
    validTo: [204, 16],
  },
  I: {
    nameLatin: [0, 120],
    sex: [120, 2],
    number: [122, 30],
    nationality: [152, 6],
    nameChinese: [158, 30],
    validFrom: [188, 16],
    validTo: [204, 16],
    birthDate: [220, 16],
    cardVersion: [236, 4],
    officeCode: [240, 8],
  },
  Y: {
    nameChinese: [0, 30],
    sex: [30, 2],
    renewalCount: [32, 4],
    birthDate: [36, 16],
    number: [122, 36],
    validFrom: [188, 16],
    validTo: [204, 16],
    nationality: [242, 6],
    link: [250, 6],
  },
  J: {
    name: [0, 30],
    sex: [30, 2],
    birthDate: [36, 16],
    address: [52, 70],
    number: [122, 36],
    authority: [158, 30],
    validFrom: [188, 16],
    validTo: [204, 16],
    permitNumber: [220, 18],
    issueCount: [238, 4],
  },
} as const satisfies Record<Layout, FieldMap>;

const Y_NAME_1: readonly [number, number] = [52, 70];
const Y_NAME_2: readonly [number, number] = [220, 22];

export function layoutOf(text: Uint8Array): Layout | null {
  const flag = String.fromCharCode(text[FLAG_OFFSET] | (text[FLAG_OFFSET + 1] << 8));
  return (Object.keys(LAYOUT_FLAG) as Layout[]).find((l) => LAYOUT_FLAG[l] === flag) ?? null;
}

/** The raw fields of a 256-byte text block. */
export function readCardFields(text: Uint8Array): Result<CardFields> {
  if (text.length !== TEXT_LENGTH) return fail('unexpected-response', `text block of ${text.length} bytes, expected ${TEXT_LENGTH}`);
  const layout = layoutOf(text);
  if (!layout) {
    const flag = (text[FLAG_OFFSET] | (text[FLAG_OFFSET + 1] << 8)).toString(16).padStart(4, '0');
    return fail('unknown-layout', `unknown card type flag U+${flag.toUpperCase()} at text offset ${FLAG_OFFSET}`);
  }
  // One UTF-16 decode of the whole block, then fields by char offset (byte offset / 2).
  const all = ucs2(text);
  const raw = ([off, size]: readonly [number, number]) => all.slice(off / 2, (off + size) / 2);
  const fields: Record<string, string> = { layout };
  for (const [key, span] of Object.entries(FIELDS[layout] as FieldMap)) fields[key] = raw(span).trim();
  if (layout === 'Y') {
    // Join the raw (padded) halves before trimming: a name may continue mid-word or after a space at char 35.
    fields.nameLatin = (raw(Y_NAME_1) + raw(Y_NAME_2)).trim();
  }
  return { ok: true, value: fields as CardFields };
}

/** The 256-byte text block of a card (the serialize side of readCardFields). Throws when a value does not fit. */
export function encodeCardText(fields: CardFields): Uint8Array {
  const text = encodeUcs2Field('', TEXT_LENGTH);
  const map = FIELDS[fields.layout] as FieldMap;
  const values = fields as unknown as Record<string, string>;
  for (const [key, [off, size]] of Object.entries(map)) text.set(encodeUcs2Field(values[key] ?? '', size), off);
  if (fields.layout === 'Y') {
    const first = Y_NAME_1[1] / 2;
    text.set(encodeUcs2Field(fields.nameLatin.slice(0, first), Y_NAME_1[1]), Y_NAME_1[0]);
    text.set(encodeUcs2Field(fields.nameLatin.slice(first), Y_NAME_2[1]), Y_NAME_2[0]);
  }
  text.set(encodeUcs2Field(LAYOUT_FLAG[fields.layout], 2), FLAG_OFFSET);
  return text;
}

const DOC_TYPE: Record<Layout, Document['type']> = { resident: 'cn-resident-id', I: 'cn-pr-2017', Y: 'cn-pr-2023', J: 'cn-hmt-permit' };

/** Warning codes a Document from a card may carry. */
export const CARD_WARNINGS = {
  pr2017CheckDigit: 'pr-2017-number-check-digit', // 7-3-1 fails; specimen cards fail it, so only a warning
  hmtRegion: 'hmt-number-region', // a J card number outside 81/82/83
  badLink: 'pr-2023-link-unreadable', // the link to the 2017 number is not 3 digits
  badCount: 'renewal-or-issue-count-unreadable',
} as const;

/** The normalised Document of a card's raw fields. */
export function toDocument(f: CardFields): Result<Document> {
  const warnings: string[] = [];
  const sex = sexOf(f.sex);
  if (!sex) return fail('bad-field', `sex code "${f.sex}" is none of 0, 1, 2, 9`);
  const birthDate = isoDate(f.birthDate);
  if (!birthDate) return fail('bad-field', 'birth date is not a date YYYYMMDD');
  const validFrom = isoDate(f.validFrom);
  if (!validFrom) return fail('bad-field', 'valid-from is not a date YYYYMMDD');
  const validTo = f.validTo === '长期' ? null : isoDate(f.validTo);
  if (validTo === undefined) return fail('bad-field', 'valid-to is neither a date YYYYMMDD nor 长期');

  const base = { type: DOC_TYPE[f.layout], sex, birthDate, validFrom, validTo };
  switch (f.layout) {
    case 'resident': {
      const bad = checkNumber18(f.number, /^\d{17}[\dX]$/, f.birthDate);
      if (bad) return { ok: false, error: bad };
      return ok({ ...base, number: f.number, nationality: 'CHN', nameLatin: null, nameChinese: nonEmpty(f.name), warnings });
    }
    case 'J': {
      const bad = checkNumber18(f.number, /^\d{17}[\dX]$/, f.birthDate);
      if (bad) return { ok: false, error: bad };
      if (!/^8[123]/.test(f.number)) warnings.push(CARD_WARNINGS.hmtRegion);
      const issueCount = count(f.issueCount, warnings);
      return ok({
        ...base,
        number: f.number,
        nationality: 'CHN',
        nameLatin: null,
        nameChinese: nonEmpty(f.name),
        ...(f.permitNumber ? { permitNumber: f.permitNumber } : {}),
        ...(issueCount !== undefined ? { issueCount } : {}),
        warnings,
      });
    }
    case 'I': {
      if (!/^[A-Z]{3}\d{12}$/.test(f.number)) return fail('bad-field', 'a 2017 permanent residence number is 3 letters and 12 digits');
      if (!/^[A-Z]{3}$/.test(f.nationality)) return fail('bad-field', 'nationality is not a 3-letter code');
      // The number starts with the nationality and holds the birth date (YYMMDD at 8-13): a read that disagrees
      // with itself is corrupted (see checkNumber18), whatever the uncertain check digit says.
      if (f.number.slice(0, 3) !== f.nationality) return fail('bad-field', "the number's country differs from the card's nationality");
      if (f.number.slice(7, 13) !== f.birthDate.slice(2))
        return fail('bad-field', "the number's birth date differs from the card's birth date");
      if (icaoCheckDigit(f.number.slice(0, 14)) !== Number(f.number[14])) warnings.push(CARD_WARNINGS.pr2017CheckDigit);
      return ok({
        ...base,
        number: f.number,
        nationality: f.nationality,
        nameLatin: nonEmpty(f.nameLatin),
        nameChinese: nonEmpty(f.nameChinese),
        warnings,
      });
    }
    case 'Y': {
      const bad = checkNumber18(f.number, /^9\d{17}$/, f.birthDate);
      if (bad) return { ok: false, error: bad };
      if (!/^[A-Z]{3}$/.test(f.nationality)) return fail('bad-field', 'country code is not 3 letters');
      const renewalCount = count(f.renewalCount, warnings);
      let previousNumber: string | undefined;
      if (f.link) {
        previousNumber = previousPrNumber(f.number, f.nationality, f.link) ?? undefined;
        if (!previousNumber) warnings.push(CARD_WARNINGS.badLink);
      }
      return ok({
        ...base,
        number: f.number,
        nationality: f.nationality,
        nameLatin: nonEmpty(f.nameLatin),
        nameChinese: nonEmpty(f.nameChinese),
        ...(previousNumber ? { previousNumber } : {}),
        ...(renewalCount !== undefined ? { renewalCount } : {}),
        warnings,
      });
    }
  }
}

/**
 * The holder's 15-character 2017 number from a 2023 card (research/idcard.md 3.4, EPRSampleDemo GetOldIDCode):
 * country + province (new[1..2]) + city (link[0..1]) + YYMMDD (new[8..13]) + sequence (link[2]) + 7-3-1 check.
 */
export function previousPrNumber(number: string, country: string, link: string): string | null {
  if (!/^9\d{17}$/.test(number) || !/^[A-Z]{3}$/.test(country) || !/^\d{3}$/.test(link)) return null;
  const first14 = country + number.slice(1, 3) + link.slice(0, 2) + number.slice(8, 14) + link[2];
  return first14 + String(icaoCheckDigit(first14));
}

/** Decode a 256-byte text block to a Document. */
export function decodeCardText(text: Uint8Array): Result<Document> {
  const fields = readCardFields(text);
  return fields.ok ? toDocument(fields.value) : fields;
}

function checkNumber18(number: string, pattern: RegExp, birthDate: string): ReaderError | null {
  if (!pattern.test(number)) return new ReaderError('bad-field', `the number is not 18 characters of the card's format`);
  if (!isValidMod11_2(number)) return new ReaderError('bad-number-check', 'the number check char (MOD 11-2) does not match');
  // Characters 7-14 are the birth date on every 18-character card. The SAM link's checksum is an 8-bit XOR, blind
  // to two flips of one bit: this cross-check refuses a corrupted number the check char alone would let through.
  if (number.slice(6, 14) !== birthDate) return new ReaderError('bad-field', "the number's birth date differs from the card's birth date");
  return null;
}

function sexOf(code: string): Document['sex'] | null {
  if (code === '1') return 'M';
  if (code === '2') return 'F';
  if (code === '0' || code === '9') return 'X';
  return null;
}

/** YYYYMMDD -> YYYY-MM-DD for a real calendar date; undefined otherwise. */
function isoDate(raw: string): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(raw);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (y < 1850 || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return undefined;
  return `${m[1]}-${m[2]}-${m[3]}`;
}

function count(raw: string, warnings: string[]): number | undefined {
  if (raw === '') return undefined;
  if (!/^\d{1,2}$/.test(raw)) {
    warnings.push(CARD_WARNINGS.badCount);
    return undefined;
  }
  return Number(raw);
}

function nonEmpty(s: string): string | null {
  return s === '' ? null : s;
}

function ok(document: Document): Result<Document> {
  return { ok: true, value: document };
}

function fail<T>(code: 'unexpected-response' | 'unknown-layout' | 'bad-field', message: string): Result<T> {
  return { ok: false, error: new ReaderError(code, message) };
}
