// Writes an ICAO 9303 MRZ from fields with every check digit computed: the scanner simulator, the bench and the
// property tests make their documents with it. The inverse of parse.ts for well-formed input.
import { icaoCheckDigit } from '../../identity/check-digits.js';
import type { MrzFormat } from './parse.js';

export interface MrzFields {
  format: MrzFormat;
  documentCode: string; // 'P', 'PO', 'I', 'ID', ...
  issuingState: string; // 3 letters, or 'D' for Germany
  surname: string;
  givenNames: string;
  number: string; // up to 9 characters; TD1/TD2 up to 22 with the overflow into the optional data
  nationality: string;
  birthDate: string; // YYMMDD (or with < fillers)
  sex: 'M' | 'F' | '<';
  expiryDate: string; // YYMMDD
  optionalData?: string;
}

const fit = (s: string, width: number) => s.replace(/ /g, '<').padEnd(width, '<').slice(0, width);
const cd = (s: string) => String(icaoCheckDigit(s) ?? 0);

function nameField(f: MrzFields, width: number): string {
  const given = f.givenNames ? `<<${f.givenNames.trim().replace(/ +/g, '<')}` : '';
  return fit(f.surname.trim().replace(/ +/g, '<') + given, width);
}

/** The number's 9-character field, its check digit, and what goes at the start of the optional data. */
function numberFields(number: string, optional: string): { nine: string; check: string; optional: string } {
  if (number.length <= 9) {
    const nine = fit(number, 9);
    return { nine, check: cd(nine), optional };
  }
  const nine = number.slice(0, 9);
  const rest = number.slice(9);
  return { nine, check: '<', optional: rest + cd(number) + '<' + optional };
}

export function buildMrz(f: MrzFields): string[] {
  const code = fit(f.documentCode, 2);
  const issuing = fit(f.issuingState, 3);
  const nat = fit(f.nationality, 3);
  const birth = f.birthDate + cd(f.birthDate);
  const expiry = f.expiryDate + cd(f.expiryDate);
  switch (f.format) {
    case 'TD3': {
      const nine = fit(f.number, 9);
      const num = nine + cd(nine);
      const personal = fit(f.optionalData ?? '', 14);
      const pcd = /^<+$/.test(personal) ? '<' : cd(personal);
      const upper = num + nat + birth + f.sex + expiry + personal + pcd;
      const composite = cd(num + birth + expiry + personal + pcd);
      return [code + issuing + nameField(f, 39), upper + composite];
    }
    case 'TD2': {
      const n = numberFields(f.number, f.optionalData ?? '');
      const optional = fit(n.optional, 7);
      const line2 = n.nine + n.check + nat + birth + f.sex + expiry + optional;
      return [code + issuing + nameField(f, 31), line2 + cd(n.nine + n.check + birth + expiry + optional)];
    }
    case 'TD1': {
      const n = numberFields(f.number, f.optionalData ?? '');
      const optional1 = fit(n.optional, 15);
      const line1 = code + issuing + n.nine + n.check + optional1;
      const optional2 = fit('', 11);
      const line2 = birth + f.sex + expiry + nat + optional2;
      const composite = cd(line1.slice(5) + birth + expiry + optional2);
      return [line1, line2 + composite, nameField(f, 30)];
    }
  }
}

export interface PermitMrzFields {
  documentCode: 'CR' | 'CT';
  number: string; // CR: H or M + 8 digits; CT: 8 digits
  issueCount: number; // 0-99
  expiryDate: string; // YYMMDD
  sex: 'M' | 'F' | '<';
  birthDate: string; // YYMMDD
  /** Line 2 column 18: A 18xx, B 19xx, C 20xx (docs/documents.md). */
  centuryFlag: string;
  /** CR: the HK/Macao ID (up to 9 characters, check digit added); CT: the Taiwan ID (up to 10). */
  regionIdNumber: string;
  surname: string;
  givenNames: string;
  /** CT only: the issuing office's 4-letter code at the end of line 3. */
  office?: string;
}

/** The 3x30 MRZ of a CR/CT permit card (layout: src/readers/mrz/permit.ts), every check digit computed. */
export function buildPermitMrz(f: PermitMrzFields): string[] {
  const number = fit(f.number, 9);
  const issue = String(f.issueCount).padStart(2, '0');
  const line1 =
    f.documentCode + number + cd(number) + issue + cd(issue) + f.expiryDate + cd(f.expiryDate) + f.sex + f.birthDate + cd(f.birthDate);
  const region = f.documentCode === 'CR' ? fit(f.regionIdNumber, 9) + cd(fit(f.regionIdNumber, 9)) : fit(f.regionIdNumber, 10);
  const line2Body = fit('', 18) + f.centuryFlag + region;
  const composite = cd(line1.slice(2, 22) + line1.slice(23, 30) + region);
  const name =
    f.documentCode === 'CR'
      ? nameField({ surname: f.surname, givenNames: f.givenNames } as MrzFields, 30)
      : nameField({ surname: f.surname, givenNames: f.givenNames } as MrzFields, 26) + fit(f.office ?? '', 4);
  return [line1, line2Body + composite, name];
}
