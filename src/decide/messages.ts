// What the lane display says for each reason, in Chinese and English: what happened and what to do next. The texts
// live in the message packs (src/i18n/packs/zh.json and en.json, beside the other languages): a new reason gets
// its text there, in every pack (test/i18n/packs.test.ts lists what is missing).
import { PACKS } from '../i18n/packs.js';
import { REASONS, type Message, type Reason } from './reasons.js';

export const MESSAGES: Record<Reason, Message> = Object.fromEntries(
  REASONS.map((r) => [r, { zh: PACKS.zh.reasons[r] ?? r, en: PACKS.en.reasons[r] ?? r }]),
) as Record<Reason, Message>;

export function messageFor(reason: Reason): Message {
  return MESSAGES[reason];
}
