// Decision reasons: stable codes used by the lane display, the events and central. Never rename one.
export const REASONS = [
  'ok',
  'unreadable',
  'document-invalid',
  'document-expired',
  'not-verified',
  'verification-pending',
  'verification-rejected',
  'identity-mismatch',
  'no-ticket',
  'wrong-station',
  'too-early',
  'too-late',
  'already-used',
  'ticket-refunded',
  'cache-stale',
  'gate-mode',
  'emergency',
  // The face at the gate is not the card's photo (or the face check could not be done): src/face, docs/face-match.md.
  'face-mismatch',
] as const;
export type Reason = (typeof REASONS)[number];

export type Direction = 'entry' | 'exit';

export interface TicketSummary {
  id: string;
  train: string;
  car: string;
  seat: string;
  departure: string;
}

export interface Message {
  zh: string;
  en: string;
}

export interface Decision {
  decision: 'open' | 'reject';
  reason: Reason;
  ticket: TicketSummary | null;
  message: Message;
}
