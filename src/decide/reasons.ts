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
  // Issue 17: passengers a self-service gate cannot serve alone, transfer lanes, overtravel, mis-scanned documents.
  'staffed-check',
  'no-onward-ticket',
  'transfer-window',
  'fare-adjustment',
  'present-passport-page',
  'present-resident-card',
  // The face at the gate is not the card's photo (or the face check could not be done): src/face, docs/face-match.md.
  'face-mismatch',
] as const;
export type Reason = (typeof REASONS)[number];

/** Why a ticket needs the staffed lane (`staffed-check`): the lane display and the events carry it. Never rename one. */
export const STAFFED_CHECK_DETAILS = [
  'child-ticket-on-document',
  'student-not-verified',
  'student-outside-journey',
  'concession-check',
] as const;
export type StaffedCheckDetail = (typeof STAFFED_CHECK_DETAILS)[number];

/** A direction a passage is recorded in: the ledger, the passage events, the MCU's release. */
export type Direction = 'entry' | 'exit';

/** What a lane serves: a direction, or a transfer channel (an entry for the onward ticket, made inside the station). */
export const LANE_DIRECTIONS = ['entry', 'exit', 'transfer'] as const;
export type LaneDirection = (typeof LANE_DIRECTIONS)[number];

/** The direction a lane's passages are recorded in: a transfer consumes the onward ticket's entry. */
export function passageDirection(d: LaneDirection): Direction {
  return d === 'exit' ? 'exit' : 'entry';
}

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
  /** Only with reason `staffed-check`: which check the staff make. */
  detail?: StaffedCheckDetail;
  ticket: TicketSummary | null;
  message: Message;
}
