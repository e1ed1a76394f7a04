// Gate events: what the lane records (outbox, same transaction as the ledger change) and MQTT publishes on
// gates/v1/<station>/<gate>/events/{decision,passage,alarm}. These zod schemas are the contract for central:
// docs/ JSON Schemas are generated from them. No name, document number or photo: documents appear as docKey (HMAC).
import { z } from 'zod';
import { REASONS, STAFFED_CHECK_DETAILS } from '../decide/reasons.js';
import { DOCUMENT_TYPES } from '../identity/document.js';

const envelope = {
  eventId: z.uuid(),
  /** Gap-free per-gate sequence, assigned when the event is committed. */
  seq: z.number().int().positive(),
  station: z.string(),
  gate: z.string(),
  /** When it happened on the gate, ISO 8601 UTC. */
  at: z.iso.datetime({ offset: true }),
};

/** The face check as central sees it: liveness-failed and a face that never showed count as no-match. */
export const FACE_OUTCOMES = ['match', 'no-match', 'unavailable', 'not-required'] as const;
export type FaceOutcome = (typeof FACE_OUTCOMES)[number];

export const decisionEventSchema = z
  .object({
    ...envelope,
    kind: z.literal('decision'),
    direction: z.enum(['entry', 'exit']),
    decision: z.enum(['open', 'reject']),
    reason: z.enum(REASONS),
    /** With reason staffed-check: which check the staff make (child ticket, student concession, ...). */
    detail: z.enum(STAFFED_CHECK_DETAILS).optional(),
    docType: z.enum(DOCUMENT_TYPES).nullable(),
    /** HMAC-SHA256 of the document's canonical identity (never the number). */
    docKey: z.string().nullable(),
    ticketId: z.string().nullable(),
    train: z.string().nullable(),
    /** The face check (docs/face-match.md): an outcome only, never the score or an image. Absent in older events. */
    face: z.enum(FACE_OUTCOMES).optional(),
  })
  .strict();

export const PASSAGE_OUTCOMES = ['passed', 'timeout', 'cancelled', 'sibling'] as const;

export const passageEventSchema = z
  .object({
    ...envelope,
    kind: z.literal('passage'),
    direction: z.enum(['entry', 'exit']),
    /** passed: the sensors confirmed the passenger walked through, the ticket is consumed; timeout/cancelled: it stays valid. */
    outcome: z.enum(PASSAGE_OUTCOMES),
    ticketId: z.string().nullable(),
    docKey: z.string().nullable(),
    /** The eventId of the decision that opened the gate. */
    decisionEventId: z.string().nullable(),
  })
  .strict();

export const ALARM_TYPES = [
  'tailgating',
  'forced-entry',
  'reverse-passage',
  'intrusion',
  'door-fault',
  'emergency-on',
  'emergency-off',
  'power',
  'mcu-reset',
  'mcu-silent',
  'reader-fault',
  'sync-rejected',
  'storage-fault',
  // Refused network input, coalesced per kind and minute (src/daemon/refusals.ts): detail `<kind>:<code>x<count>,...`.
  'network-refused',
  // The sync worker thread died or stopped answering (active) / runs again (inactive); detail: exit, error, hang.
  'sync-worker-down',
  // The gate's database failed its integrity check at start: moved aside, readable rows copied to a fresh file.
  'storage-corrupt',
  // A technician acted in the web console (src/console): detail `<login>:<action>:<ok|refused>` (never a passenger's data).
  'console-action',
  // The face matcher did not answer in time or said it is unavailable (active); its next answer clears it.
  'face-unavailable',
] as const;
export type AlarmType = (typeof ALARM_TYPES)[number];

export const alarmEventSchema = z
  .object({
    ...envelope,
    kind: z.literal('alarm'),
    type: z.enum(ALARM_TYPES),
    /** Machine-readable detail code (e.g. the error code), never personal data. */
    detail: z.string().nullable(),
    active: z.boolean(),
  })
  .strict();

export const gateEventSchema = z.discriminatedUnion('kind', [decisionEventSchema, passageEventSchema, alarmEventSchema]);

export type DecisionEvent = z.infer<typeof decisionEventSchema>;
export type PassageEvent = z.infer<typeof passageEventSchema>;
export type AlarmEvent = z.infer<typeof alarmEventSchema>;
export type GateEvent = z.infer<typeof gateEventSchema>;

/** An event before the store gives it eventId, seq, station and gate. */
export type NewEvent<E extends GateEvent> = Omit<E, 'eventId' | 'seq' | 'station' | 'gate'>;

/** An authorisation handed to the MCU, remembered until its passage is recorded (survives a daemon restart). */
export interface PendingAuthorisation {
  authId: number;
  direction: 'entry' | 'exit';
  ticketId: string | null;
  docKey: string | null;
  decisionEventId: string | null;
  atMs: number;
}

/** An authorisation about to be handed to the MCU, remembered in the same transaction as the decision it follows. */
export type NewAuthorisation = Omit<PendingAuthorisation, 'decisionEventId'>;

/**
 * What the lane needs from storage. Implemented over the gate's SQLite file (ledger + outbox in one transaction).
 * Each method commits durably (synchronous=FULL) before it returns: the lane counts nothing done before that.
 * Throws a GateError with recovery 'refuse' or 'retry' when the write fails (disk full): the lane then refuses to open.
 */
export interface LaneStore {
  /**
   * With `authorisation`, the authorisation the lane will send for this decision is remembered (decisionEventId = the
   * new event's) in the same transaction: one durable commit between the card and the flap, not two.
   */
  recordDecision(e: NewEvent<DecisionEvent>, authorisation?: NewAuthorisation): DecisionEvent;
  /**
   * For outcome 'passed': consume the ticket in the ledger (once per direction) and record the passage event in one
   * transaction. `consumed` is false when the ledger already held it (the event is still recorded).
   * With `authId`, the authorisation's pending row is cleared in the same transaction; a 'passed' passage the lane
   * could not attribute (ticketId null: given before a restart) takes its ticket, docKey and decision from that row.
   */
  recordPassage(e: NewEvent<PassageEvent>, authId?: number | null): { event: PassageEvent; consumed: boolean };
  /** Remember an authorisation before it goes to the MCU (optional: a store without it cannot attribute after a restart). */
  rememberAuthorisation?(a: PendingAuthorisation): void;
  /** The newest remembered authId, so a restarted lane does not reuse one the MCU may still hold. */
  lastAuthId?(): number | null;
  recordAlarm(e: NewEvent<AlarmEvent>): AlarmEvent;
}
