// What the lane display says for each reason, in Chinese and English: what happened and what to do next. One table
// for every reason and every staffed-check detail. The texts live in the message packs (src/i18n/packs/zh.json and
// en.json, beside the other languages): a new reason gets its text there, in every pack (test/i18n/packs.test.ts
// lists what is missing).
import { PACKS } from '../i18n/packs.js';
import { REASONS, STAFFED_CHECK_DETAILS, type Message, type Reason, type StaffedCheckDetail } from './reasons.js';

/** A reason, or the detail of a `staffed-check` (a more precise text for the same reason). */
export type MessageKey = Reason | StaffedCheckDetail;

export const MESSAGE_KEYS: readonly MessageKey[] = [...REASONS, ...STAFFED_CHECK_DETAILS];

export const MESSAGES: Record<MessageKey, Message> = Object.fromEntries(
  MESSAGE_KEYS.map((r) => [r, { zh: PACKS.zh.reasons[r] ?? r, en: PACKS.en.reasons[r] ?? r }]),
) as Record<MessageKey, Message>;

/** The passenger's message: the staffed-check detail's own text when there is one. */
export function messageFor(reason: Reason, detail?: StaffedCheckDetail): Message {
  return MESSAGES[reason === 'staffed-check' && detail ? detail : reason];
}
