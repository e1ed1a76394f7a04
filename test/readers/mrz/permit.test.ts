// The CR/CT permit cards (3x30, not ICAO TD1) and the documents passengers scan by mistake (visas, CS/CD exit
// permits): specimen lines with hand-derived check digits (permit-vectors.ts), property tests, the reason the lane
// gets, and the scanner's line assembler.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { icaoCharValue } from '../../../src/identity/check-digits.js';
import { identityOf } from '../../../src/identity/document.js';
import { documentErrors } from '../../../src/identity/validate.js';
import { MrzLineAssembler, parseMrz } from '../../../src/readers/mrz/index.js';
import { buildPermitMrz, type PermitMrzFields } from '../../../src/readers/mrz/build.js';
import { readOutcome } from '../../../src/readers/outcome.js';
import { CD_LINE, CR_HK, CR_MO, CS_LINE, CT_TW } from './permit-vectors.js';
import { V } from './vectors.js';

const NOW = new Date('2026-12-05T04:00:00Z');
const parse = (lines: readonly string[]) => parseMrz(lines.join('\n'), NOW);
const failure = (lines: readonly string[]) => {
  const r = parse(lines);
  if (r.ok) throw new Error('expected a failure');
  return r.error;
};
const swap = (lines: readonly string[], line: number, col: number, c: string) =>
  lines.map((l, i) => (i === line ? l.slice(0, col) + c + l.slice(col + 1) : l));

describe('CR Home Return Permit card', () => {
  it('reads the Hong Kong specimen: number, issue count, dates, sex, HK ID and name', () => {
    const r = parse(CR_HK);
    expect(r).toEqual({
      ok: true,
      document: {
        type: 'mrz',
        number: 'H12345678',
        nationality: 'CHN',
        nameLatin: 'CHAN TAI MAN',
        sex: 'M',
        birthDate: '1988-04-12',
        validTo: '2030-01-15',
        format: 'CN-3x30',
        documentCode: 'CR',
        issuingState: 'CHN',
        surname: 'CHAN',
        givenNames: 'TAI MAN',
        issueCount: 1,
        regionIdNumber: 'A1234563',
        optionalData: '',
        warnings: [],
      },
    });
  });

  it('reads the Macao specimen, a child born 2012 by the century flag C', () => {
    const r = parse(CR_MO);
    expect(r.ok && r.document).toMatchObject({
      number: 'M87654321',
      issueCount: 0,
      birthDate: '2012-03-05',
      validTo: '2029-09-30',
      sex: 'F',
      regionIdNumber: '12345678',
    });
  });

  it('is its own identity for the cache, and a valid document', () => {
    const r = parse(CR_HK);
    if (!r.ok) throw new Error(r.error.toLine());
    expect(identityOf(r.document)).toEqual({ kind: 'hk-mo-home-return-permit', country: 'CHN', number: 'H12345678' });
    expect(documentErrors(r.document)).toEqual([]);
  });

  it.each([
    ['number', 0, 11, '4', '3'],
    ['issueCount', 0, 14, '4', '3'],
    ['validTo', 0, 21, '7', '6'],
    ['birthDate', 0, 29, '4', '3'],
    ['regionIdNumber', 1, 28, '5', '4'],
    ['composite', 1, 29, '9', '8'],
  ] as const)('a wrong %s check digit is named with the digit expected', (field, line, col, wrong, expected) => {
    expect(failure(swap(CR_HK, line, col, wrong))).toMatchObject({ code: 'check-digit', field, found: wrong, expected });
  });

  it('corrects an O read for a 0 in the number only because the check digit then passes', () => {
    const r = parse(swap(CR_MO, 0, 1 + 9, 'I')); // M8765432[1] -> I
    expect(r.ok && r.document.number).toBe('M87654321');
    expect(r.ok && r.document.warnings).toEqual(['ocr-corrected:number:I->1@1:11']);
  });

  it('takes the century from line 2 column 18 (A 18xx) and infers it, with a warning, from any other flag', () => {
    const withFlag = (flag: string) => parse(swap(CR_HK, 1, 18, flag));
    expect(withFlag('A')).toMatchObject({ ok: true, document: { birthDate: '1888-04-12' } });
    expect(withFlag('<')).toMatchObject({ ok: true, document: { birthDate: '1988-04-12', warnings: ['birth-century-inferred'] } });
  });

  it('refuses a birth date the century flag puts in the future', () => {
    const born2088 = swap(CR_HK, 1, 18, 'C');
    expect(failure(born2088)).toMatchObject({ code: 'bad-date', field: 'birthDate' });
  });

  it('gate decide refuses a CR number of the wrong form as document-invalid', () => {
    const lines = buildPermitMrz({ ...CR_FIELDS, number: 'X12345678' });
    const r = parse(lines);
    if (!r.ok) throw new Error(r.error.toLine());
    expect(documentErrors(r.document).map((p) => p.field)).toEqual(['number']);
  });
});

describe('CT Taiwan compatriot permit card', () => {
  it('reads the specimen: 8-digit number, the 10-character Taiwan ID and the issuing office', () => {
    const r = parse(CT_TW);
    expect(r).toEqual({
      ok: true,
      document: {
        type: 'mrz',
        number: '01234567',
        nationality: 'CHN',
        nameLatin: 'LIN MEI HUA',
        sex: 'F',
        birthDate: '1995-02-28',
        validTo: '2031-06-30',
        format: 'CN-3x30',
        documentCode: 'CT',
        issuingState: 'CHN',
        surname: 'LIN',
        givenNames: 'MEI HUA',
        issueCount: 2,
        regionIdNumber: 'A123456789',
        optionalData: 'HKGL',
        warnings: [],
      },
    });
    if (r.ok) expect(identityOf(r.document)).toEqual({ kind: 'tw-compatriot-permit', country: 'CHN', number: '01234567' });
  });

  it('covers the Taiwan ID by the composite only: one changed character there is refused', () => {
    expect(failure(swap(CT_TW, 1, 20, '2'))).toMatchObject({ code: 'check-digit', field: 'composite', found: '5' });
  });
});

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';
const ALPHABET = DIGITS + LETTERS + '<';
const str = (chars: string, min: number, max: number) => fc.string({ unit: fc.constantFrom(...chars), minLength: min, maxLength: max });
const two = (min: number, max: number) => fc.integer({ min, max }).map((n) => String(n).padStart(2, '0'));
const CR_FIELDS: PermitMrzFields = {
  documentCode: 'CR',
  number: 'H12345678',
  issueCount: 1,
  expiryDate: '300115',
  sex: 'M',
  birthDate: '880412',
  centuryFlag: 'B',
  regionIdNumber: 'A1234563',
  surname: 'CHAN',
  givenNames: 'TAI MAN',
};

const permitArb: fc.Arbitrary<PermitMrzFields> = fc.constantFrom('CR' as const, 'CT' as const).chain((documentCode) =>
  fc.record({
    documentCode: fc.constant(documentCode),
    number: documentCode === 'CR' ? fc.tuple(fc.constantFrom('H', 'M'), str(DIGITS, 8, 8)).map(([a, b]) => a + b) : str(DIGITS, 8, 8),
    issueCount: fc.integer({ min: 0, max: 99 }),
    expiryDate: fc.tuple(two(27, 45), two(1, 12), two(1, 28)).map(([y, m, d]) => y + m + d),
    sex: fc.constantFrom('M' as const, 'F' as const),
    birthDate: fc.tuple(two(0, 99), two(1, 12), two(1, 28)).map(([y, m, d]) => y + m + d),
    centuryFlag: fc.constant('B'),
    regionIdNumber:
      documentCode === 'CR' ? str(LETTERS + DIGITS, 7, 9) : fc.tuple(fc.constantFrom(...LETTERS), str(DIGITS, 9, 9)).map(([a, b]) => a + b),
    surname: str(LETTERS, 1, 10),
    givenNames: fc.array(str(LETTERS, 1, 6), { maxLength: 2 }).map((a) => a.join(' ')),
    office: documentCode === 'CT' ? str(LETTERS, 4, 4) : fc.constant(undefined),
  }),
);

/** Columns covered by a check digit: the permit number to the expiry's digit, birth and its digit, line 2 [19-29]. */
const COVERED: Array<[line: number, start: number, end: number]> = [
  [0, 2, 22],
  [0, 23, 30],
  [1, 19, 30],
];

describe('CR/CT properties', () => {
  it('every generated permit parses back to its fields', () => {
    fc.assert(
      fc.property(permitArb, (f) => {
        const r = parse(buildPermitMrz(f));
        if (!r.ok) throw new Error(r.error.toLine());
        expect(r.document).toMatchObject({
          documentCode: f.documentCode,
          number: f.number,
          issueCount: f.issueCount,
          surname: f.surname,
          givenNames: f.givenNames,
          regionIdNumber: f.regionIdNumber,
          birthDate: `19${f.birthDate.slice(0, 2)}-${f.birthDate.slice(2, 4)}-${f.birthDate.slice(4)}`,
          validTo: `20${f.expiryDate.slice(0, 2)}-${f.expiryDate.slice(2, 4)}-${f.expiryDate.slice(4)}`,
        });
      }),
      { numRuns: 500 },
    );
  });

  it('one changed character under a check digit never yields another valid Document', () => {
    const mutation = permitArb.chain((f) => {
      const lines = buildPermitMrz(f);
      const cols = COVERED.flatMap(([l, s, e]) => Array.from({ length: e - s }, (_, i) => [l, s + i] as const));
      return fc.tuple(fc.constant(lines), fc.constantFrom(...cols), fc.constantFrom(...ALPHABET));
    });
    fc.assert(
      fc.property(mutation, ([lines, [li, col], c]) => {
        const orig = lines[li][col];
        // 7-3-1 sums mod 10 cannot see a change by a multiple of 10 (0 <-> A <-> K <-> U): a limit of ICAO 9303.
        fc.pre((icaoCharValue(c)! - icaoCharValue(orig)! + 40) % 10 !== 0);
        const r = parse(swap(lines, li, col, c));
        if (!r.ok) return;
        const original = parse(lines);
        if (!original.ok) throw new Error('the original must parse');
        // The only Document a mutation may yield is the original, recovered by a listed OCR correction.
        expect({ ...r.document, warnings: [] }).toEqual({ ...original.document, warnings: [] });
        expect(r.document.warnings.some((w) => w.startsWith('ocr-corrected:'))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('documents scanned by mistake', () => {
  it.each(['V9', 'V10', 'V11', 'V12'] as const)('%s (a visa) tells the passenger to present the passport page', (id) => {
    const r = parse(V[id]);
    expect(!r.ok && r.error).toMatchObject({ code: 'visa', field: 'documentCode' });
    expect(readOutcome(r)).toMatchObject({ ok: false, reason: 'present-passport-page' });
  });

  it.each([
    ['CS', CS_LINE],
    ['CD', CD_LINE],
  ])('a %s exit permit tells the passenger to present the resident ID card, never unreadable', (_code, line) => {
    const r = parseMrz(line, NOW);
    expect(!r.ok && r.error).toMatchObject({ code: 'exit-permit' });
    expect(readOutcome(r)).toMatchObject({ ok: false, reason: 'present-resident-card' });
  });

  it('a single line of 30 that is no exit permit is still the wrong shape', () => {
    expect(parseMrz('CRH1234567830133001156M8804123', NOW)).toMatchObject({ ok: false, error: { code: 'bad-shape' } });
  });
});

describe('the scanner line assembler', () => {
  const feed = (text: string) => {
    const a = new MrzLineAssembler({ interLineTimeoutMs: 300 });
    return [...a.feed(Buffer.from(text, 'latin1'), 0), ...a.flush()];
  };

  it('assembles the three lines of a CR card (its first line has no ICAO issuing state)', () => {
    expect(feed(CR_HK.join('\r') + '\r')).toEqual([{ kind: 'mrz', format: 'TD1', lines: CR_HK, text: CR_HK.join('\n') }]);
  });

  it('hands over a CS exit permit line at once, without waiting for two more lines', () => {
    const a = new MrzLineAssembler({ interLineTimeoutMs: 300 });
    expect(a.feed(Buffer.from(`${CS_LINE}\r`, 'latin1'), 0)).toEqual([
      { kind: 'mrz', format: 'single-30', lines: [CS_LINE], text: CS_LINE },
    ]);
    expect(a.busy).toBe(false);
  });
});
