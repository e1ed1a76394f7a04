// Check characters of the number formats the gate reads (research/idcard.md section 4, ICAO 9303 part 3).

const MOD11_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const MOD11_CHECK = '10X98765432';

/** ISO 7064 MOD 11-2 check char of the first 17 digits of an 18-character citizen or 2023 PR number. */
export function mod11_2CheckChar(first17: string): string | null {
  if (!/^\d{17}$/.test(first17)) return null;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * MOD11_WEIGHTS[i];
  return MOD11_CHECK[sum % 11];
}

export function isValidMod11_2(number18: string): boolean {
  return number18.length === 18 && mod11_2CheckChar(number18.slice(0, 17)) === number18[17].toUpperCase();
}

/** ICAO 9303 character value: digits as themselves, A=10..Z=35, '<' = 0; null for anything else. */
export function icaoCharValue(c: string): number | null {
  const code = c.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 90) return code - 55;
  if (c === '<') return 0;
  return null;
}

const ICAO_WEIGHTS = [7, 3, 1];

/** ICAO 9303 7-3-1 check digit of a field; null when the field holds a character outside [0-9A-Z<]. */
export function icaoCheckDigit(field: string): number | null {
  let sum = 0;
  for (let i = 0; i < field.length; i++) {
    const v = icaoCharValue(field[i]);
    if (v === null) return null;
    sum += v * ICAO_WEIGHTS[i % 3];
  }
  return sum % 10;
}
