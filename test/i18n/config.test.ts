// The station's language overrides in the config: accepted for a pack language, refused with one precise line
// otherwise (gate config check and gate run say the same).
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';

function problemsOf(input: unknown): string[] {
  try {
    parseConfig(input);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected the config to be refused');
}

describe('config passengerLanguage', () => {
  it('defaults to no override; takes overrides to pack languages', () => {
    expect(parseConfig({ station: 'VNP' }).passengerLanguage).toEqual({ byNationality: {} });
    expect(
      parseConfig({ station: 'VNP', passengerLanguage: { byNationality: { BEL: 'fr', D: 'en' } } }).passengerLanguage.byNationality,
    ).toEqual({ BEL: 'fr', D: 'en' });
  });

  it('refuses a language without a pack, a nationality that is not a code, and an unknown key, naming the key', () => {
    const [uk] = problemsOf({ station: 'VNP', passengerLanguage: { byNationality: { UKR: 'uk' } } });
    expect(uk).toMatch(/passengerLanguage\.byNationality\.UKR/);
    expect(uk).toMatch(/expected one of "zh", "en", .*got "uk"/);
    expect(problemsOf({ station: 'VNP', passengerLanguage: { byNationality: { belgium: 'fr' } } }).join('\n')).toMatch(
      /passengerLanguage\.byNationality/,
    );
    expect(problemsOf({ station: 'VNP', passengerLanguage: { default: 'fr' } }).join('\n')).toMatch(/passengerLanguage/);
  });
});
