// Nationality -> language: table tests on CLDR's real data (cldr-core), ICAO's own codes, Chinese cards, the
// station's override and the English fallback; and the derivation rule on a hand-made CLDR extract.
import { states } from 'mrz';
import { describe, expect, it } from 'vitest';
import {
  cldrTerritoryData,
  deriveTerritoryData,
  ICAO_ONLY,
  passengerLanguage,
  territoryOf,
  type TerritoryData,
} from '../../src/i18n/nationality.js';
import { I18nError } from '../../src/i18n/errors.js';

const passport = (nationality: string) => ({ type: 'mrz' as const, nationality });

describe('passenger language from the nationality', () => {
  it.each([
    // nationality as the document prints it, language, why
    ['JPN', 'ja', 'cldr'],
    ['KOR', 'ko', 'cldr'],
    ['PRK', 'ko', 'cldr'],
    ['RUS', 'ru', 'cldr'],
    ['KAZ', 'ru', 'cldr'], // Russian and Kazakh are both official; more people speak Russian
    ['BLR', 'ru', 'cldr'],
    ['FRA', 'fr', 'cldr'],
    ['LUX', 'fr', 'cldr'],
    ['DEU', 'de', 'cldr'],
    ['D', 'de', 'cldr'], // ICAO's one-letter Germany
    ['AUT', 'de', 'cldr'],
    ['CHE', 'de', 'cldr'], // German over Swiss German (de facto) and French
    ['ESP', 'es', 'cldr'],
    ['MEX', 'es', 'cldr'],
    ['ARG', 'es', 'cldr'],
    ['BRA', 'pt', 'cldr'],
    ['PRT', 'pt', 'cldr'],
    ['AGO', 'pt', 'cldr'],
    ['SAU', 'ar', 'cldr'],
    ['EGY', 'ar', 'cldr'],
    ['MAR', 'ar', 'cldr'], // Arabic over French (de facto) by CLDR's official status
    ['VNM', 'vi', 'cldr'],
    ['THA', 'th', 'cldr'],
    ['USA', 'en', 'cldr'],
    ['GBR', 'en', 'cldr'],
    ['GBD', 'en', 'cldr'], // British Overseas Territories Citizen
    ['GBO', 'en', 'cldr'],
    ['GBN', 'zh', 'cldr'], // British National (Overseas): Hong Kong
    ['SGP', 'en', 'cldr'],
    ['CHN', 'zh', 'cldr'], // a Chinese citizen's passport
    ['TWN', 'zh', 'cldr'], // zh_Hant: the Chinese pack
    ['HKG', 'zh', 'cldr'],
    ['MAC', 'zh', 'cldr'],
    ['UKR', 'en', 'fallback'], // Ukrainian: no pack; never Russian
    ['BEL', 'en', 'fallback'], // Dutch: no pack
    ['IND', 'en', 'fallback'], // Hindi: no pack
    ['RKS', 'en', 'fallback'], // Kosovo: Albanian, no pack
    ['XXA', 'en', 'fallback'], // stateless
    ['XXB', 'en', 'fallback'], // refugee
    ['UNO', 'en', 'fallback'], // United Nations laissez-passer
    ['EUE', 'en', 'fallback'],
    ['ZZZ', 'en', 'fallback'], // not a code at all
  ])('%s -> %s (%s)', (nationality, language, source) => {
    expect(passengerLanguage(passport(nationality))).toMatchObject({ language, source });
  });

  it('says which language CLDR gives even when no pack exists for it', () => {
    expect(passengerLanguage(passport('UKR'))).toEqual({ language: 'en', source: 'fallback', cldr: 'uk' });
    expect(passengerLanguage(passport('BEL')).cldr).toBe('nl');
    expect(passengerLanguage(passport('XXA')).cldr).toBeNull();
  });

  it("Chinese resident ID cards and HK/Macao/Taiwan permits stay Chinese; PR cards follow the holder's nationality", () => {
    expect(passengerLanguage({ type: 'cn-resident-id', nationality: 'CHN' })).toMatchObject({ language: 'zh', source: 'chinese-card' });
    expect(passengerLanguage({ type: 'cn-hmt-permit', nationality: 'CHN' }, { byNationality: { CHN: 'en' } })).toMatchObject({
      language: 'zh',
      source: 'chinese-card',
    });
    expect(passengerLanguage({ type: 'cn-pr-2023', nationality: 'RUS' })).toMatchObject({ language: 'ru', source: 'cldr' });
    expect(passengerLanguage({ type: 'cn-pr-2017', nationality: 'JPN' })).toMatchObject({ language: 'ja', source: 'cldr' });
  });

  it("a station's override wins over CLDR for that nationality only", () => {
    const byNationality = { BEL: 'fr', UKR: 'ru', KAZ: 'en' };
    expect(passengerLanguage(passport('BEL'), { byNationality })).toEqual({ language: 'fr', source: 'station-override', cldr: 'nl' });
    expect(passengerLanguage(passport('KAZ'), { byNationality })).toMatchObject({ language: 'en', source: 'station-override' });
    expect(passengerLanguage(passport('NLD'), { byNationality })).toMatchObject({ language: 'en', source: 'fallback' });
    // An override naming a language without a pack is refused by the config check; here it is simply not used.
    expect(passengerLanguage(passport('JPN'), { byNationality: { JPN: 'xx' } })).toMatchObject({ language: 'ja', source: 'cldr' });
  });

  it('every nationality code ICAO lists is either an ISO code CLDR maps or one of ICAO_ONLY', () => {
    const data = cldrTerritoryData() as TerritoryData;
    const unknown = Object.keys(states).filter((code) => !(code in ICAO_ONLY) && !data.territoryOfAlpha3.has(code));
    expect(unknown).toEqual([]);
    // ... and every hand-mapped territory exists in CLDR with a language.
    for (const t of Object.values(ICAO_ONLY)) if (t) expect(data.languageOfTerritory.get(t), t).toBeTruthy();
    expect(territoryOf('D<<', data)).toBe('DE');
  });
});

describe('the CLDR rule, on a hand-made extract', () => {
  const info = (t: Record<string, Record<string, { _populationPercent: string; _officialStatus?: string }>>) => ({
    supplemental: { territoryInfo: Object.fromEntries(Object.entries(t).map(([k, v]) => [k, { languagePopulation: v }])) },
  });
  const codes = { supplemental: { codeMappings: { AA: { _alpha3: 'AAA' }, BB: { _alpha3: 'BBB' }, CC: { _alpha3: 'CCC' } } } };

  it('the official language most spoken wins over a more spoken unofficial one; script subtags are dropped', () => {
    const data = deriveTerritoryData(
      info({
        AA: {
          en: { _populationPercent: '90' },
          ja: { _populationPercent: '60', _officialStatus: 'official' },
          ko: { _populationPercent: '70', _officialStatus: 'official_regional' },
        },
        BB: {
          zh_Hant: { _populationPercent: '95', _officialStatus: 'official' },
          en: { _populationPercent: '50', _officialStatus: 'official' },
        },
        CC: { th: { _populationPercent: '40' }, vi: { _populationPercent: '30' } },
      }),
      codes,
    );
    expect(passengerLanguage(passport('AAA'), { data })).toMatchObject({ language: 'ja', cldr: 'ja' });
    expect(passengerLanguage(passport('BBB'), { data })).toMatchObject({ language: 'zh', cldr: 'zh' });
    expect(passengerLanguage(passport('CCC'), { data })).toMatchObject({ language: 'th', cldr: 'th' }); // no official one: the most spoken
  });

  it('data of the wrong shape is an I18nError (territory-data), and without data every passenger gets English', () => {
    expect(() => deriveTerritoryData({ supplemental: {} }, codes)).toThrow(I18nError);
    expect(() => deriveTerritoryData(info({ AA: { en: { _populationPercent: 'lots' } } }), codes)).toThrow(/territoryInfo/);
    const err = (() => {
      try {
        deriveTerritoryData(info({}), { nope: 1 });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(I18nError);
    expect((err as I18nError).code).toBe('territory-data');
    expect((err as I18nError).recovery).toBe('drop');
    expect(passengerLanguage(passport('JPN'), { data: err as I18nError })).toEqual({ language: 'en', source: 'fallback', cldr: null });
    expect(passengerLanguage({ type: 'cn-resident-id', nationality: 'CHN' }, { data: err as I18nError }).language).toBe('zh');
  });
});
