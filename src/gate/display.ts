// What the passenger display shows: a message code sent to the MCU (PROTOCOL.md, DISPLAY), with the train, car and
// seat for an open, the reason for a reject, and the passenger's language (protocol 1.1) for a screen that is for
// one passenger. The texts are what the code means on the panel, for the demo and for technicians: they come from
// the message packs (src/i18n/packs), which the MCU's language packs are built from.
import type { Reason, StaffedCheckDetail, TicketSummary, Message } from '../decide/reasons.js';
import { DISPLAY_CODES, type DisplayCode, type MessageOf, type ReasonCode } from '../bridge/messages.js';
import { STR8_MAX } from '../bridge/messages.js';
import { PACKS } from '../i18n/packs.js';
import type { LaneMode } from './lane.js';

export type DisplayMessage = Omit<MessageOf<'display'>, 'kind'>;

export const DISPLAY_TEXT: Record<DisplayCode, Message> = Object.fromEntries(
  (Object.keys(DISPLAY_CODES) as DisplayCode[]).map((c) => [c, { zh: PACKS.zh.display[c] ?? c, en: PACKS.en.display[c] ?? c }]),
) as Record<DisplayCode, Message>;

const blank = { train: '', car: '', seat: '' };

/** Printable ASCII only and at most 16 characters, as the wire carries (a seat like "12F" is unchanged). */
export function fit(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?').slice(0, STR8_MAX);
}

/** The passenger's language on a screen for them; left off (the panel's Chinese and English) when unknown. */
const inLanguage = (language: string | null | undefined) => (language ? { language: fit(language) } : {});

export function showOpen(ticket: TicketSummary | null, language?: string | null): DisplayMessage {
  const where = ticket ? { train: fit(ticket.train), car: fit(ticket.car), seat: fit(ticket.seat) } : blank;
  return { code: 'open', reason: 'ok', ...where, ...inLanguage(language) };
}

/** A reject; a staffed-check shows its detail's code (PROTOCOL.md: the panel's more precise text). */
export function showReject(reason: Reason, detail?: StaffedCheckDetail, language?: string | null): DisplayMessage {
  const code: ReasonCode = reason === 'staffed-check' && detail ? detail : reason;
  return { code: 'reject', reason: code, ...blank, ...inLanguage(language) };
}

export function show(code: Exclude<DisplayCode, 'open' | 'reject'>, reason: ReasonCode = 'none', language?: string | null): DisplayMessage {
  return { code, reason, ...blank, ...inLanguage(language) };
}

/** The resting screen for a lane. */
export function showIdle(mode: LaneMode, emergency: boolean, linkUp: boolean, storeFault: boolean): DisplayMessage {
  if (emergency) return show('emergency', 'emergency');
  if (!linkUp) return show('fault-link');
  if (storeFault) return show('fault-storage');
  if (mode === 'free') return show('free');
  if (mode === 'locked' || mode === 'maintenance') return show('closed', 'gate-mode');
  return show('idle');
}
