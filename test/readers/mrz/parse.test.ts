import { describe, expect, it } from 'vitest';
import { parseMrz, MRZ_WARNINGS, type MrzParseResult } from '../../../src/readers/mrz/index.js';
import { documentSchema, type Document } from '../../../src/identity/document.js';
import { V, text, type VectorId } from './vectors.js';

// The research date: century inference in these expectations is relative to it.
const NOW = new Date('2026-11-24T12:00:00Z');

/** `id`: a vector's id (vectors.ts) or the MRZ text itself. */
const isVectorId = (id: string): id is VectorId => id in V;
const mrzOf = (id: string) => (isVectorId(id) ? text(id) : id);

function doc(id: string, now = NOW): Document {
  const r = parseMrz(mrzOf(id), now);
  if (!r.ok) throw new Error(`expected a document, got ${r.error.toLine()}`);
  expect(documentSchema.safeParse(r.document).success).toBe(true);
  return r.document;
}

function failure(id: string, now = NOW) {
  const r: MrzParseResult = parseMrz(mrzOf(id), now);
  if (r.ok) throw new Error(`expected an error, got ${JSON.stringify(r.document)}`);
  return { code: r.error.code, field: r.error.field, found: r.error.found, expected: r.error.expected };
}

describe('ICAO Doc 9303 specimens', () => {
  it('V1 TD3 Utopia passport', () => {
    expect(doc('V1')).toEqual({
      type: 'mrz',
      number: 'L898902C3',
      nationality: 'UTO',
      nameLatin: 'ERIKSSON ANNA MARIA',
      sex: 'F',
      birthDate: '1974-08-12',
      validTo: '2012-04-15',
      format: 'TD3',
      documentCode: 'P',
      issuingState: 'UTO',
      surname: 'ERIKSSON',
      givenNames: 'ANNA MARIA',
      optionalData: 'ZE184226B',
      warnings: [],
    });
  });

  it('V3 older TD3 specimen: 8-character number padded with <', () => {
    expect(doc('V3')).toMatchObject({ number: 'L898902C', birthDate: '1969-08-06', validTo: '1994-06-23', sex: 'F' });
  });

  it('V4 TD1 Utopia identity card', () => {
    expect(doc('V4')).toMatchObject({
      format: 'TD1',
      documentCode: 'I',
      issuingState: 'UTO',
      number: 'D23145890',
      optionalData: '',
      birthDate: '1974-08-12',
      sex: 'F',
      validTo: '2012-04-15',
      nationality: 'UTO',
      surname: 'ERIKSSON',
      givenNames: 'ANNA MARIA',
      warnings: [],
    });
  });

  it('V5 TD1 with optional data', () => {
    expect(doc('V5')).toMatchObject({ number: 'D23145890', optionalData: 'ABC' });
  });

  it('V6 TD1 long document number (9303 part 11 appendix D)', () => {
    expect(doc('V6')).toMatchObject({
      number: 'D23145890734',
      sex: 'M',
      birthDate: '1934-07-12',
      validTo: '1995-07-12',
      surname: 'STEVENSON',
      givenNames: 'PETER JOHN',
      optionalData: '',
      warnings: [],
    });
  });

  it('V7 TD2 long document number', () => {
    expect(doc('V7')).toMatchObject({ format: 'TD2', number: 'D23145890734', optionalData: '', birthDate: '1934-07-12' });
  });

  it('V8 TD2 Utopia', () => {
    expect(doc('V8')).toMatchObject({
      format: 'TD2',
      documentCode: 'I',
      number: 'D23145890',
      birthDate: '1974-08-12',
      validTo: '2012-04-15',
      sex: 'F',
      surname: 'ERIKSSON',
      givenNames: 'ANNA MARIA',
      optionalData: '',
    });
  });

  it('TD1 long number with its check digit inside the optional data (cheminfo "Document number field details")', () => {
    expect(doc('td1Optional')).toMatchObject({ number: 'D23145890123', optionalData: '' });
  });

  it('TD2 Stevenson (mrz-java)', () => {
    expect(doc('td2Stevenson')).toMatchObject({
      number: 'D23145890',
      birthDate: '1934-07-12',
      validTo: '1995-07-12',
      sex: 'M',
      givenNames: 'PETER',
    });
  });

  it.each(['V9', 'V10', 'V11', 'V12'] as const)('%s: visas are not travel documents', (id) => {
    expect(failure(id)).toMatchObject({ code: 'visa', field: 'documentCode' });
  });
});

describe('real-world cases from public test suites', () => {
  it('V13 German passport: D<< becomes DEU, empty personal number with < check digit', () => {
    expect(doc('V13')).toMatchObject({
      issuingState: 'DEU',
      nationality: 'DEU',
      surname: 'MUSTERMANN',
      givenNames: 'ERIKA',
      number: 'C01X0006H',
      birthDate: '1964-08-12',
      validTo: '2017-10-31',
      optionalData: '',
      warnings: [],
    });
  });

  it('V14 German specimen with a wrong composite', () => {
    expect(failure('V14')).toEqual({ code: 'check-digit', field: 'composite', found: '9', expected: '8' });
  });

  it('V15 D<< issuer with nationality UTO', () => {
    expect(doc('V15')).toMatchObject({
      issuingState: 'DEU',
      nationality: 'UTO',
      number: 'D12345678',
      birthDate: '1965-08-09',
      validTo: '2035-05-20',
      sex: 'M',
    });
  });

  it('V16/V17 Chinese passports PO and PT', () => {
    expect(doc('V16')).toMatchObject({
      documentCode: 'PO',
      issuingState: 'CHN',
      surname: 'ABULIKEMU',
      givenNames: 'ABULA',
      number: 'E59659321',
      birthDate: '1997-01-07',
      sex: 'M',
      validTo: '2025-10-07',
      optionalData: 'LAKCLCLMMBKGG9',
    });
    expect(doc('V17')).toMatchObject({
      documentCode: 'PT',
      number: 'G62292599',
      birthDate: '1983-10-29',
      sex: 'F',
      validTo: '2019-04-22',
      optionalData: 'LCOCMKNENBPJB9',
    });
  });

  it('V18 Portugal: long number, truncated given name', () => {
    const d = doc('V18');
    expect(d).toMatchObject({
      number: '007777779ZZ9',
      surname: 'CACADOR DE ARAUJO',
      givenNames: 'ANDRE ESTEV',
      birthDate: '1983-03-14',
      validTo: '2034-05-28',
    });
    expect(d.warnings).toContain(MRZ_WARNINGS.nameTruncated);
  });

  it('V19 Belgium: long number, check digit computed without the <', () => {
    const d = doc('V19');
    expect(d).toMatchObject({ number: '600001795015', optionalData: '13010198739', birthDate: '2013-01-01', validTo: '2023-11-20' });
    expect(d.warnings).not.toContain(MRZ_WARNINGS.longNumberWithFiller);
  });

  it('V20 Belgium: long number, check digit computed with the <', () => {
    const d = doc('V20');
    expect(d).toMatchObject({ number: '000590240601', givenNames: 'ULRIKE KATIA E', optionalData: '85120100200' });
    expect(d.warnings).toEqual([MRZ_WARNINGS.longNumberWithFiller]);
  });

  it('V20 negative variants name the failing field', () => {
    expect(failure('V20bad1')).toMatchObject({ code: 'check-digit', field: 'number', found: '6' });
    expect(failure('V20bad2')).toEqual({ code: 'check-digit', field: 'birthDate', found: '8', expected: '7' });
  });

  it('V21 Belgium 2020 card', () => {
    expect(doc('V21')).toMatchObject({ number: '000590696101' });
  });

  it('V22 Finland: fillers inside optional data become spaces; compound surname', () => {
    expect(doc('V22')).toMatchObject({
      number: 'XA1000058',
      optionalData: '010195 112X',
      surname: 'SPECIMEN TRAVEL',
      givenNames: 'VILMA SOFIA',
    });
  });

  it('V23 Swiss ID with short number', () => {
    expect(doc('V23')).toMatchObject({ number: 'A1234567', validTo: '2020-09-01', birthDate: '1975-10-25', nationality: 'CHE' });
  });

  it('V24 Austria: valid, and its composite failure', () => {
    expect(doc('V24')).toMatchObject({
      number: '10000999',
      surname: 'MUSTERFRAU',
      givenNames: 'ISOLDE',
      birthDate: '1971-09-09',
      validTo: '2011-12-31',
    });
    expect(failure('V24bad')).toEqual({ code: 'check-digit', field: 'composite', found: '6', expected: '4' });
  });

  it('V25 Serbia: the expiry check digit of the published vector is wrong', () => {
    expect(failure('V25')).toEqual({ code: 'check-digit', field: 'validTo', found: '5', expected: '4' });
  });

  it('V26 US passport card: both optional fields', () => {
    expect(doc('V26')).toMatchObject({
      documentCode: 'IP',
      number: 'C03004964',
      optionalData: '10 30 B22 498 075405229',
      validTo: '2019-11-29',
    });
  });

  it('V27 no expiry date: validTo null, with a warning', () => {
    const d = doc('V27');
    expect(d.validTo).toBeNull();
    expect(d.warnings).toEqual([MRZ_WARNINGS.noExpiry]);
  });

  it('V29 Netherlands: personal number check digit; < is not 0 when the field is not empty', () => {
    expect(doc('V29')).toMatchObject({
      number: 'XX0000000',
      optionalData: '123456782',
      surname: 'MEULENDIJK',
      givenNames: 'LOES ALBERTINE',
    });
    expect(failure('V29b')).toEqual({ code: 'check-digit', field: 'optionalData', found: '<', expected: '0' });
  });

  it('V30 Canada: empty personal number with check digit 0', () => {
    expect(doc('V30')).toMatchObject({ number: 'ZE000509', optionalData: '' });
  });

  it('V31 USA: data in the personal number field', () => {
    expect(doc('V31')).toMatchObject({
      number: '000078004',
      optionalData: '100000000 3815',
      birthDate: '1950-01-01',
      validTo: '2015-11-16',
    });
  });

  it('V32 Poland: compound surname', () => {
    expect(doc('V32')).toMatchObject({ surname: 'KOWALSKA KWIATKOWSKA', givenNames: 'JOANNA', number: 'AA0000000' });
  });

  it('V33 fake MRZ: its document number check digit is the first failure', () => {
    expect(failure('V33')).toMatchObject({ code: 'check-digit', field: 'number' });
  });

  it('V34 day 41: the birth check digit fails; with a check digit that passes it is a bad date', () => {
    expect(doc('V34ok')).toMatchObject({ birthDate: '1988-09-11', validTo: '2020-07-16' });
    expect(failure('V34')).toMatchObject({ code: 'check-digit', field: 'birthDate' });
    // The same day 41 with its check digit and composite made to pass.
    expect(failure(buildPassport('880941', '200716').join('\n'))).toMatchObject({
      code: 'bad-date',
      field: 'birthDate',
    });
  });

  it('V35 Russia: digits in names and no expiry are accepted with warnings', () => {
    const d = doc('V35');
    expect(d).toMatchObject({
      documentCode: 'PN',
      surname: 'ZDRIL7K',
      givenNames: 'SERGEQ ANATOL9EVI3',
      number: '391935349',
      birthDate: '1972-07-23',
      validTo: null,
      optionalData: '4151218910003',
      nationality: 'RUS',
    });
    expect(d.warnings).toEqual(expect.arrayContaining([MRZ_WARNINGS.noExpiry, MRZ_WARNINGS.digitsInName]));
  });

  it('V36 pre-2021 French ID is refused as unsupported, not misread as TD2', () => {
    expect(failure('V36')).toMatchObject({ code: 'unsupported' });
  });

  it('derived unknown birth dates give birthDate null with a warning', () => {
    expect(doc('dobYear')).toMatchObject({ birthDate: null, warnings: [MRZ_WARNINGS.birthDatePartial] });
    expect(doc('dobYearMonth')).toMatchObject({ birthDate: null, warnings: [MRZ_WARNINGS.birthDatePartial] });
    expect(doc('dobUnknown')).toMatchObject({ birthDate: null, warnings: [MRZ_WARNINGS.birthDateUnknown] });
  });
});

describe('century inference', () => {
  it('V28: an expiry that only fits after the birth date goes a century later, with a warning', () => {
    const d = doc('V28');
    expect(d).toMatchObject({ birthDate: '1980-10-10', validTo: '2070-06-01' });
    expect(d.warnings).toContain(MRZ_WARNINGS.expiryCenturyFromBirth);
  });

  it.each([
    // [birth YYMMDD, now, expected birth]
    ['261124', '2026-11-24', '2026-11-24'], // born today
    ['261125', '2026-11-24', '1926-11-25'], // tomorrow cannot be a birth date
    ['000229', '2026-11-24', '2000-02-29'], // 2000 is a leap year
    ['991231', '2026-11-24', '1999-12-31'],
    ['050101', '2104-06-01', '2005-01-01'], // another century: 2005 is the past
  ])('birth %s seen on %s is %s', (birth, now, expected) => {
    const d = doc(buildPassport(birth, '300101').join('\n'), new Date(`${now}T12:00:00Z`));
    expect(d.birthDate).toBe(expected);
  });

  it.each([
    // [expiry YYMMDD, now, expected]
    ['461124', '2026-11-24', '2046-11-24'], // 20 years ahead is still ahead
    ['470101', '2026-11-24', '1947-01-01'], // beyond 20 years ahead: the past century
    ['990101', '2026-11-24', '1999-01-01'],
    ['250101', '2026-11-24', '2025-01-01'], // expired last year
    ['050101', '2094-06-01', '2105-01-01'], // late in a century the window wraps
  ])('expiry %s seen on %s is %s', (expiry, now, expected) => {
    const d = doc(buildPassport('300101', expiry).join('\n'), new Date(`${now}T12:00:00Z`));
    expect(d.validTo).toBe(expected);
  });

  it('29 February of a non-leap year is not a date', () => {
    expect(failure(buildPassport('010229', '300101').join('\n'))).toMatchObject({ code: 'bad-date', field: 'birthDate' });
  });
});

describe('OCR confusions', () => {
  it('cheminfo autocorrect example: letters in dates and check digits are corrected and listed', () => {
    const d = doc(`${V.V1[0]}\nL898902C36UTO740BIZZF12041S9ZE184226B<<<<<1O`);
    expect(d).toMatchObject({ birthDate: '1974-08-12', validTo: '2012-04-15' });
    expect(d.warnings).toEqual([
      'ocr-corrected:birthDate:B->8@2:17',
      'ocr-corrected:birthDate:I->1@2:18',
      'ocr-corrected:birthDate:Z->2@2:19',
      'ocr-corrected:birthDate:Z->2@2:20',
      'ocr-corrected:validTo:S->5@2:27',
      'ocr-corrected:composite:O->0@2:44',
    ]);
  });

  it('a letter check digit is corrected when it then passes', () => {
    const d = doc(`${V.V1[0]}\n${V.V1[1].slice(0, 9)}G${V.V1[1].slice(10)}`);
    expect(d.number).toBe('L898902C3');
    expect(d.warnings).toEqual(['ocr-corrected:number:G->6@2:10']);
  });

  it('not corrected where the check digit would still fail', () => {
    // 740B12: B->8 gives 740812 whose check digit is 2, but the line says 3.
    expect(failure(`${V.V1[0]}\nL898902C36UTO740B123F1204159ZE184226B<<<<<10`)).toMatchObject({
      code: 'check-digit',
      field: 'birthDate',
      found: '3',
      expected: '2',
    });
  });

  it('a digit read as another digit is never corrected', () => {
    expect(failure(`${V.V1[0]}\nL898902C36UTO7408132F1204159ZE184226B<<<<<10`)).toMatchObject({ code: 'check-digit', field: 'birthDate' });
  });

  it('letters in the document number are never changed: a wrong O/0 there is a check digit error', () => {
    expect(failure(`${V.V1[0]}\nL8989O2C36UTO7408122F1204159ZE184226B<<<<<10`)).toMatchObject({ code: 'check-digit', field: 'number' });
  });

  it('a correction that fixes the field but breaks the composite is refused', () => {
    // S in the expiry corrects to 5 (expiry check digit passes), but the composite was computed over another date.
    expect(failure(`${V.V1[0]}\nL898902C36UTO7408122F12041S9ZE184226B<<<<<19`)).toMatchObject({ code: 'check-digit', field: 'composite' });
  });
});

describe('shape and structure errors', () => {
  it.each([
    ['', 'empty'],
    ['   \n\n  ', 'empty'],
    [V.V1[0], 'bad-shape'],
    [`${V.V1[0]}\n${V.V1[1].slice(0, 43)}`, 'bad-shape'],
    [`${V.V1[0]}\n${V.V1[1]}\n${V.V1[1]}`, 'bad-shape'],
    [`${V.V1[0]}\n${V.V1[1].toLowerCase()}`, 'bad-character'],
    [`X${V.V1[0].slice(1)}\n${V.V1[1]}`, 'bad-document-code'],
    [`P<U1OERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n${V.V1[1]}`, 'bad-country'],
    [`${V.V1[0]}\n${V.V1[1].slice(0, 20)}Q${V.V1[1].slice(21)}`, 'bad-sex'],
    [`P<UTO${'<'.repeat(39)}\n${V.V1[1]}`, 'bad-name'],
  ])('%j -> %s', (input, code) => {
    expect(failure(input).code).toBe(code);
  });

  it('tolerates surrounding whitespace and CRLF line endings', () => {
    expect(doc(`\n  ${V.V1[0]}\r\n${V.V1[1]}  \r\n\n`).number).toBe('L898902C3');
  });

  it('messages name the field: "check digit of birth date is 8, expected 7"', () => {
    const r = parseMrz(text('V20bad2'), NOW);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toBe('check digit of birth date is 8, expected 7');
  });
});

import { buildMrz } from '../../../src/readers/mrz/build.js';

function buildPassport(birth: string, expiry: string): string[] {
  return buildMrz({
    format: 'TD3',
    documentCode: 'P',
    issuingState: 'UTO',
    surname: 'ERIKSSON',
    givenNames: 'ANNA MARIA',
    number: 'L898902C3',
    nationality: 'UTO',
    birthDate: birth,
    sex: 'F',
    expiryDate: expiry,
    optionalData: 'ZE184226B',
  });
}
