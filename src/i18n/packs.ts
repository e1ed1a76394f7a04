// Passenger message packs: the text of every decision reason and display code, one JSON file per language
// (src/i18n/packs/<language>.json), so a translator edits data, not code. The Chinese and English packs are the
// texts src/decide/messages.ts and src/gate/display.ts give; the MCU's panel renders the same packs (PROTOCOL.md,
// DISPLAY language). test/i18n/packs.test.ts checks that every reason and display code has every language.
import { z } from 'zod';
import ar from './packs/ar.json' with { type: 'json' };
import de from './packs/de.json' with { type: 'json' };
import en from './packs/en.json' with { type: 'json' };
import es from './packs/es.json' with { type: 'json' };
import fr from './packs/fr.json' with { type: 'json' };
import ja from './packs/ja.json' with { type: 'json' };
import ko from './packs/ko.json' with { type: 'json' };
import pt from './packs/pt.json' with { type: 'json' };
import ru from './packs/ru.json' with { type: 'json' };
import th from './packs/th.json' with { type: 'json' };
import vi from './packs/vi.json' with { type: 'json' };
import zh from './packs/zh.json' with { type: 'json' };
import { I18nError } from './errors.js';

/** The languages a pack exists for (ISO 639-1). Add one: a file in packs/, an import above, an entry here. */
export const PACK_LANGUAGES = ['zh', 'en', 'ja', 'ko', 'ru', 'fr', 'de', 'es', 'pt', 'ar', 'vi', 'th'] as const;
export type PackLanguage = (typeof PACK_LANGUAGES)[number];
/** Shown when no pack exists for the passenger's language. */
export const FALLBACK_LANGUAGE: PackLanguage = 'en';

export type TextDirection = 'ltr' | 'rtl';

const text = z.string().trim().min(1, 'a non-empty text');

/**
 * A pack. `reasons` and `display` are keyed by reason and display code; a missing key shows the English text
 * (the every-reason test keeps shipped packs complete). `checked`: the keys ("reasons.ok", "display.idle") a native
 * speaker has checked; docs/i18n-review.md lists every other text.
 */
export const packSchema = z
  .object({
    language: z.string().regex(/^[a-z]{2,3}$/, 'an ISO 639 language code in lower case'),
    name: text.describe('The language in its own script, e.g. 日本語.'),
    englishName: text,
    direction: z.enum(['ltr', 'rtl']).describe('rtl: the panel lays the text out right to left (Arabic).'),
    checked: z.array(z.string().regex(/^(reasons|display)\.[a-z-]+$/, 'a key such as "reasons.ok"')),
    reasons: z.record(z.string(), text),
    display: z.record(z.string(), text),
  })
  .strict();

export type Pack = z.infer<typeof packSchema>;

const RAW: Record<PackLanguage, unknown> = { zh, en, ja, ko, ru, fr, de, es, pt, ar, vi, th };

function load(): Record<PackLanguage, Pack> {
  const out = {} as Record<PackLanguage, Pack>;
  for (const lang of PACK_LANGUAGES) {
    const r = packSchema.safeParse(RAW[lang]);
    if (!r.success) {
      const i = r.error.issues[0];
      throw new I18nError('pack-invalid', `src/i18n/packs/${lang}.json: ${i.path.join('.') || '(top level)'}: ${i.message}`);
    }
    if (r.data.language !== lang) throw new I18nError('pack-invalid', `src/i18n/packs/${lang}.json says it is "${r.data.language}"`);
    out[lang] = r.data;
  }
  return out;
}

export const PACKS: Readonly<Record<PackLanguage, Pack>> = load();

export function isPackLanguage(lang: string): lang is PackLanguage {
  return (PACK_LANGUAGES as readonly string[]).includes(lang);
}

/** A text for the passenger, with the language it is really in (English when the pack lacks the key). */
export interface PassengerText {
  language: PackLanguage;
  direction: TextDirection;
  text: string;
}

/** The text of `section.key` in `lang`, else in English (`packs`: the shipped ones; tests pass partial ones). */
export function lookup(
  section: 'reasons' | 'display',
  key: string,
  lang: PackLanguage,
  packs: Readonly<Record<PackLanguage, Pack>> = PACKS,
): PassengerText {
  for (const l of [lang, FALLBACK_LANGUAGE]) {
    const t = packs[l][section][key];
    if (t !== undefined) return { language: l, direction: packs[l].direction, text: t };
  }
  // Only a reason added without any pack entry gets here: its code is still better than nothing.
  return { language: FALLBACK_LANGUAGE, direction: 'ltr', text: key };
}

/** What the passenger reads for a decision reason, in `lang`. */
export function reasonText(reason: string, lang: PackLanguage): PassengerText {
  return lookup('reasons', reason, lang);
}

/** What the panel shows for a display code, in `lang`. */
export function displayText(code: string, lang: PackLanguage): PassengerText {
  return lookup('display', code, lang);
}

/**
 * The text marked for its direction when it is set inside a left-to-right line (a terminal, a log, a JSON viewer):
 * Unicode's RIGHT-TO-LEFT ISOLATE ... POP DIRECTIONAL ISOLATE, so Arabic reads right to left and the line around it
 * keeps its order. Left-to-right text is returned as it is.
 */
export function isolated(t: Pick<PassengerText, 'direction' | 'text'>): string {
  return t.direction === 'rtl' ? `\u2067${t.text}\u2069` : t.text;
}
