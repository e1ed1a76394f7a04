// The message packs: every reason and display code in every language, each pack in its own script, Arabic marked
// right to left, and docs/i18n-review.md current. A reason added to src/decide/reasons.ts fails here, naming
// each language it lacks, until every pack has it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DISPLAY_CODES } from '../../src/bridge/messages.js';
import { REASONS, STAFFED_CHECK_DETAILS } from '../../src/decide/reasons.js';
import { displayText, isolated, lookup, PACK_LANGUAGES, PACKS, packSchema, reasonText } from '../../src/i18n/packs.js';
import { packKeys, reviewMarkdown } from '../../src/i18n/review.js';

/** A letter each pack's texts must contain: a text pasted into the wrong pack fails. */
const SCRIPT: Record<(typeof PACK_LANGUAGES)[number], RegExp> = {
  zh: /\p{Script=Han}/u,
  ja: /[\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Han}]/u,
  ko: /\p{Script=Hangul}/u,
  ru: /\p{Script=Cyrillic}/u,
  ar: /\p{Script=Arabic}/u,
  th: /\p{Script=Thai}/u,
  en: /^[\x20-\x7e]+$/,
  fr: /\p{Script=Latin}/u,
  de: /\p{Script=Latin}/u,
  es: /\p{Script=Latin}/u,
  pt: /\p{Script=Latin}/u,
  vi: /\p{Script=Latin}/u,
};

describe('message packs', () => {
  it('the twelve languages of the issue have a pack', () => {
    expect([...PACK_LANGUAGES].sort()).toEqual(['ar', 'de', 'en', 'es', 'fr', 'ja', 'ko', 'pt', 'ru', 'th', 'vi', 'zh']);
  });

  it('every reason and every display code has a text in every language', () => {
    const missing = PACK_LANGUAGES.flatMap((lang) => [
      ...[...REASONS, ...STAFFED_CHECK_DETAILS].filter((r) => !PACKS[lang].reasons[r]).map((r) => `${lang}: reasons.${r}`),
      ...Object.keys(DISPLAY_CODES)
        .filter((c) => !PACKS[lang].display[c])
        .map((c) => `${lang}: display.${c}`),
    ]);
    expect(missing, 'add these to src/i18n/packs/<language>.json').toEqual([]);
  });

  it('no pack has a key the product does not know (a misspelt reason would never be shown)', () => {
    const known = new Set(packKeys());
    const unknown = PACK_LANGUAGES.flatMap((lang) =>
      (['reasons', 'display'] as const)
        .flatMap((s) => Object.keys(PACKS[lang][s]).map((k) => `${s}.${k}`))
        .filter((k) => !known.has(k))
        .map((k) => `${lang}: ${k}`),
    );
    expect(unknown).toEqual([]);
    for (const lang of PACK_LANGUAGES) for (const k of PACKS[lang].checked) expect(known.has(k), `${lang} checked ${k}`).toBe(true);
  });

  it.each(PACK_LANGUAGES.map((l) => [l]))("%s: every text is in the pack's own script", (lang) => {
    for (const k of packKeys()) {
      const [s, name] = k.split('.') as ['reasons' | 'display', string];
      expect(PACKS[lang][s][name], `${lang} ${k}`).toMatch(SCRIPT[lang]);
    }
  });

  it('Arabic is marked right to left, every other pack left to right, and RTL text is isolated in a mixed line', () => {
    expect(PACK_LANGUAGES.filter((l) => PACKS[l].direction === 'rtl')).toEqual(['ar']);
    const t = reasonText('not-verified', 'ar');
    expect(t.direction).toBe('rtl');
    const line = `REJECT not-verified ${isolated(t)} (en)`;
    expect(line).toContain(`\u2067${t.text}\u2069`);
    expect(isolated(reasonText('not-verified', 'ja'))).toBe(PACKS.ja.reasons['not-verified']);
  });

  it('a key a pack lacks shows the English text and says it is English', () => {
    const partial = { ...PACKS.ja, reasons: { ...PACKS.ja.reasons } };
    delete partial.reasons['too-early'];
    expect(packSchema.safeParse(partial).success).toBe(true); // a partial pack loads: the test above keeps them whole
    expect(lookup('reasons', 'too-early', 'ja', { ...PACKS, ja: partial })).toEqual({
      language: 'en',
      direction: 'ltr',
      text: PACKS.en.reasons['too-early'],
    });
    expect(lookup('reasons', 'too-early', 'ar', { ...PACKS, ar: { ...PACKS.ar, reasons: {} } }).language).toBe('en');
    expect(reasonText('too-early', 'ja')).toEqual({ language: 'ja', direction: 'ltr', text: PACKS.ja.reasons['too-early'] });
    expect(reasonText('no-such-reason', 'ja')).toEqual({ language: 'en', direction: 'ltr', text: 'no-such-reason' });
    expect(displayText('idle', 'de').text).toBe('Bitte Ausweis oder Reisepass auflegen');
  });

  it('a pack with an empty text or an unknown member is refused', () => {
    expect(packSchema.safeParse({ ...PACKS.fr, reasons: { ok: ' ' } }).success).toBe(false);
    expect(packSchema.safeParse({ ...PACKS.fr, rtl: true }).success).toBe(false);
    expect(packSchema.safeParse({ ...PACKS.fr, direction: 'ttb' }).success).toBe(false);
  });

  it('docs/i18n-review.md lists exactly the texts no native speaker has checked (npx tsx scripts/gen-i18n-review.ts)', () => {
    const doc = readFileSync(new URL('../../docs/i18n-review.md', import.meta.url), 'utf8');
    expect(doc).toBe(reviewMarkdown());
    // Nothing is checked yet: every text of every language is on the list.
    for (const lang of PACK_LANGUAGES)
      expect(doc).toMatch(
        new RegExp(`\\| \`${lang}\` .* \\| ${packKeys().length} \\| ${packKeys().length - PACKS[lang].checked.length} \\|`),
      );
    expect(doc).toContain(PACKS.th.reasons['no-ticket']);
  });
});
