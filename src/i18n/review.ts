// docs/i18n-review.md: every passenger text no native speaker has checked yet, by language. Written by
// `npx tsx scripts/gen-i18n-review.ts`; test/i18n/packs.test.ts fails while the file is stale, so a text added to a
// pack (or a reason added to the product) shows up on the list until someone checks it and adds its key to the
// pack's "checked" array.
import { DISPLAY_CODES } from '../bridge/messages.js';
import { REASONS, STAFFED_CHECK_DETAILS } from '../decide/reasons.js';
import { PACK_LANGUAGES, PACKS, isolated } from './packs.js';

/** Every key a pack must have, in the order the review list shows them. */
export function packKeys(): string[] {
  // A staffed-check's details are passenger texts of their own (the panel shows the detail in the reason's place).
  return [...[...REASONS, ...STAFFED_CHECK_DETAILS].map((r) => `reasons.${r}`), ...Object.keys(DISPLAY_CODES).map((c) => `display.${c}`)];
}

function textOf(lang: (typeof PACK_LANGUAGES)[number], key: string): string | undefined {
  const [section, name] = key.split('.') as ['reasons' | 'display', string];
  return PACKS[lang][section][name];
}

const cell = (s: string) => s.replace(/\|/g, '\\|');

export function reviewMarkdown(): string {
  const keys = packKeys();
  const lines = [
    '# Passenger texts not yet checked by a native speaker',
    '',
    'Written by `npx tsx scripts/gen-i18n-review.ts` from `src/i18n/packs/*.json`; `test/i18n/packs.test.ts` fails',
    'while this file is stale. A reviewer who is a native speaker reads a text on the list in the context of the gate',
    '(a passenger at a ticket gate, a short panel line, the staffed gate and the ticket window as the places to go),',
    'corrects the pack file if needed, adds the key (e.g. `"reasons.not-verified"`) to the pack\'s `"checked"` array',
    'and regenerates this file. Right-to-left texts are marked `rtl` and shown here between Unicode isolates.',
    '',
    "Where the texts come from: `zh` and `en` are the product's original texts (formerly in src/decide/messages.ts and",
    'src/gate/display.ts); the other ten packs were written by an engineer, not by a translator, and none has been read',
    'by a native speaker. `pt` follows Brazilian usage (trem, bilheteria, catraca); a station serving mostly Portuguese',
    'or Angolan passengers may want European wording. Terms to keep consistent within a language: the staffed gate',
    '(人工通道), the station ticket window (车站售票窗口), 12306 (never translated).',
    '',
    'Adding a reason (src/decide/reasons.ts): give it a text under `"reasons"` in every `src/i18n/packs/*.json`',
    '(`test/i18n/packs.test.ts` names each language still missing it; until then English is shown), a wire code in',
    '`REASON_CODES` (src/bridge/messages.ts) and in PROTOCOL.md 4.3 (the MCU renders it from the same packs), then',
    'regenerate this file. Adding a language: a pack file, its import and code in src/i18n/packs.ts, its row in',
    'PROTOCOL.md 4.4; CLDR then sends every nationality whose language it is to the new pack.',
    '',
    '| language | direction | texts | not checked |',
    '|----------|-----------|-------|-------------|',
  ];
  for (const lang of PACK_LANGUAGES) {
    const p = PACKS[lang];
    const open = keys.filter((k) => !p.checked.includes(k));
    lines.push(`| \`${lang}\` ${p.englishName} | ${p.direction} | ${keys.length} | ${open.length} |`);
  }
  for (const lang of PACK_LANGUAGES) {
    const p = PACKS[lang];
    const open = keys.filter((k) => !p.checked.includes(k));
    if (!open.length) continue;
    lines.push(
      '',
      `## \`${lang}\` ${p.englishName} (${p.name})${p.direction === 'rtl' ? ', right to left' : ''}`,
      '',
      '| key | text |',
      '|-----|------|',
    );
    for (const k of open) {
      const t = textOf(lang, k);
      lines.push(
        `| \`${k}\` | ${t === undefined ? '**missing** (English is shown)' : cell(isolated({ direction: p.direction, text: t }))} |`,
      );
    }
  }
  return lines.join('\n') + '\n';
}
