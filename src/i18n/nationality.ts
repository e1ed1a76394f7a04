// The passenger's language, from the nationality on the document. Not a hand-made table: the language of a
// territory comes from Unicode CLDR's territory data (cldr-core, pinned in package.json): the official (or de
// facto official) language spoken by the largest share of the population; alpha-3 codes become CLDR's
// territories through CLDR's own code mappings. Only ICAO's codes that ISO does not have are mapped by hand
// (ICAO_ONLY). Chinese resident ID cards and HK/Macao/Taiwan permits stay Chinese; a station overrides a
// nationality in its config (passengerLanguage.byNationality); English where no pack exists.
import { createRequire } from 'node:module';
import { z } from 'zod';
import type { DocumentType } from '../identity/document.js';
import { I18nError } from './errors.js';
import { FALLBACK_LANGUAGE, isPackLanguage, type PackLanguage } from './packs.js';

/**
 * ICAO Doc 9303 Part 3 nationality codes that are not ISO 3166-1 alpha-3, with the CLDR territory whose language
 * their holders read; null: no territory (an organisation's laissez-passer, a stateless person or a refugee), so
 * English. test/i18n/nationality.test.ts checks that every ICAO code is either here or known to CLDR.
 */
export const ICAO_ONLY: Readonly<Record<string, string | null>> = {
  D: 'DE', // Germany's one-letter code (the MRZ reader already turns it into DEU)
  GBD: 'GB', // British Overseas Territories Citizen
  GBN: 'HK', // British National (Overseas): a status only ever held by people of Hong Kong
  GBO: 'GB', // British Overseas Citizen
  GBP: 'GB', // British Protected Person
  GBS: 'GB', // British Subject
  RKS: 'XK', // Kosovo, as its passports print it
  XXK: 'XK', // Kosovo, as some readers spell it
  UNK: 'XK', // resident of Kosovo, travel document issued by UNMIK
  EUE: null, // European Union laissez-passer
  UNO: null, // United Nations Organization
  UNA: null, // United Nations specialized agency
  XBA: null, // African Development Bank
  XIM: null, // African Export-Import Bank
  XCE: null, // Council of Europe
  XCO: null, // Common Market for Eastern and Southern Africa
  XDC: null, // Southern African Development Community
  XEC: null, // Economic Community of West African States
  XES: null, // Organisation of Eastern Caribbean States
  XOM: null, // Sovereign Military Order of Malta
  XPO: null, // INTERPOL
  XXA: null, // stateless person (1954 Convention)
  XXB: null, // refugee (1951 Convention)
  XXC: null, // refugee, other
  XXX: null, // nationality unspecified
};

/** Documents whose holder the gate addresses in Chinese whatever else the card says. */
const CHINESE_CARDS: readonly DocumentType[] = ['cn-resident-id', 'cn-hmt-permit'];

// The parts of cldr-core's JSON this module reads (other members are ignored).
const territoryInfoSchema = z.object({
  supplemental: z.object({
    territoryInfo: z.record(
      z.string(),
      z.object({
        languagePopulation: z
          .record(z.string(), z.object({ _populationPercent: z.string().regex(/^[0-9.]+$/), _officialStatus: z.string().optional() }))
          .optional(),
      }),
    ),
  }),
});
const codeMappingsSchema = z.object({
  supplemental: z.object({ codeMappings: z.record(z.string(), z.object({ _alpha3: z.string().optional() })) }),
});

/** An official language counts over any unofficial one; regional status does not make a national language. */
const OFFICIAL = new Set(['official', 'de_facto_official']);

export interface TerritoryData {
  /** ISO alpha-3 (as CLDR maps it) -> CLDR territory. */
  territoryOfAlpha3: ReadonlyMap<string, string>;
  /** CLDR territory -> its primary language's base code (zh_Hant -> zh). */
  languageOfTerritory: ReadonlyMap<string, string>;
}

/** The primary language of each territory, from CLDR's languagePopulation: pure, so tests feed it tables. */
export function deriveTerritoryData(territoryInfoJson: unknown, codeMappingsJson: unknown): TerritoryData {
  const info = territoryInfoSchema.safeParse(territoryInfoJson);
  if (!info.success)
    throw new I18nError(
      'territory-data',
      `cldr-core territoryInfo.json: ${info.error.issues[0].path.join('.')}: ${info.error.issues[0].message}`,
    );
  const codes = codeMappingsSchema.safeParse(codeMappingsJson);
  if (!codes.success)
    throw new I18nError(
      'territory-data',
      `cldr-core codeMappings.json: ${codes.error.issues[0].path.join('.')}: ${codes.error.issues[0].message}`,
    );

  const languageOfTerritory = new Map<string, string>();
  for (const [territory, { languagePopulation }] of Object.entries(info.data.supplemental.territoryInfo)) {
    let best: { lang: string; official: boolean; pct: number } | null = null;
    for (const [lang, p] of Object.entries(languagePopulation ?? {})) {
      if (lang === 'und') continue;
      const cand = { lang, official: OFFICIAL.has(p._officialStatus ?? ''), pct: Number(p._populationPercent) };
      if (!best || (cand.official && !best.official) || (cand.official === best.official && cand.pct > best.pct)) best = cand;
    }
    if (best) languageOfTerritory.set(territory, best.lang.split('_')[0]);
  }
  const territoryOfAlpha3 = new Map<string, string>();
  for (const [territory, m] of Object.entries(codes.data.supplemental.codeMappings))
    if (m._alpha3) territoryOfAlpha3.set(m._alpha3, territory);
  return { territoryOfAlpha3, languageOfTerritory };
}

let cldr: TerritoryData | I18nError | null = null;

/** cldr-core's data, read on the first passenger (not at start-up), or the error that made it unreadable. */
export function cldrTerritoryData(): TerritoryData | I18nError {
  if (cldr) return cldr;
  try {
    const require = createRequire(import.meta.url);
    cldr = deriveTerritoryData(require('cldr-core/supplemental/territoryInfo.json'), require('cldr-core/supplemental/codeMappings.json'));
  } catch (err) {
    cldr =
      err instanceof I18nError
        ? err
        : new I18nError('territory-data', `cldr-core cannot be read: ${(err as Error).message}`, { cause: err });
  }
  return cldr;
}

/** The CLDR territory of a nationality as printed (ISO alpha-3, or an ICAO-only code); null when none. */
export function territoryOf(nationality: string, data: TerritoryData): string | null {
  const code = nationality.toUpperCase().replace(/<+$/, '');
  if (code in ICAO_ONLY) return ICAO_ONLY[code];
  return data.territoryOfAlpha3.get(code) ?? null;
}

export interface LanguageChoice {
  /** The pack the passenger gets. */
  language: PackLanguage;
  /** Why: a Chinese card, the station's override, CLDR's language, or English for want of a pack or a territory. */
  source: 'chinese-card' | 'station-override' | 'cldr' | 'fallback';
  /** CLDR's language for the nationality even when no pack exists for it (e.g. "uk"); null without a territory. */
  cldr: string | null;
}

export interface LanguageOptions {
  /** passengerLanguage.byNationality from the config: nationality as printed -> pack language. */
  byNationality?: Readonly<Record<string, string>>;
  /** Territory data (tests), or the error that made it unreadable; default cldr-core's. */
  data?: TerritoryData | I18nError;
}

/** The language to address the holder of this document in. Never throws: without CLDR data, English. */
export function passengerLanguage(doc: { type: DocumentType; nationality: string }, opts: LanguageOptions = {}): LanguageChoice {
  if (CHINESE_CARDS.includes(doc.type)) return { language: 'zh', source: 'chinese-card', cldr: 'zh' };
  const data = opts.data ?? cldrTerritoryData();
  const territory = data instanceof I18nError ? null : territoryOf(doc.nationality, data);
  const cldrLang = territory && !(data instanceof I18nError) ? (data.languageOfTerritory.get(territory) ?? null) : null;
  const override = opts.byNationality?.[doc.nationality];
  if (override !== undefined && isPackLanguage(override)) return { language: override, source: 'station-override', cldr: cldrLang };
  if (cldrLang && isPackLanguage(cldrLang)) return { language: cldrLang, source: 'cldr', cldr: cldrLang };
  return { language: FALLBACK_LANGUAGE, source: 'fallback', cldr: cldrLang };
}
