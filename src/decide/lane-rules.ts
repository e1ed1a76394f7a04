// The lane's own rules, in one place: what the mode, the fire alarm and the microcontroller's availability decide
// before any document is looked at, and when an open decision may become an authorisation for the MCU. The lane
// state machine (src/gate/lane.ts) and the decision core (decide.ts, used by `gate decide`) both ask here, so a
// document gets the same answer from the running gate and from the technician's tool.
import type { ReadFailureReason } from '../readers/outcome.js';
import type { Reason } from './reasons.js';

export const LANE_MODES = ['normal', 'free', 'locked', 'maintenance'] as const;
/** normal: documents decide; free: everyone passes (the MCU holds the lane open); locked, maintenance: nobody. */
export type LaneMode = (typeof LANE_MODES)[number];

/** The lane's state that a decision depends on besides the document. */
export interface LaneConditions {
  mode: LaneMode;
  /** Fire alarm: the MCU has opened the lanes on its own (free egress). */
  emergency: boolean;
  /** The MCU link is up: without it the gate cannot open, so nobody is let through on a document. */
  mcuUp: boolean;
}

export interface LaneVerdict {
  decision: 'open' | 'reject';
  reason: Reason;
}

/**
 * What the lane's conditions decide on their own, then what a failed read decides; null when the document decides.
 * Order: fire alarm, mode, MCU, read failure. During the fire alarm the decision is `reject` with reason
 * `emergency`: the gate authorises nothing and consumes no ticket; the passenger walks through the lane the MCU
 * holds open. In free mode everyone passes, even with a document the reader could not read.
 */
export function verdictBeforeDocument(c: LaneConditions, readFailure?: ReadFailureReason): LaneVerdict | null {
  if (c.emergency) return { decision: 'reject', reason: 'emergency' };
  if (c.mode === 'locked' || c.mode === 'maintenance') return { decision: 'reject', reason: 'gate-mode' };
  if (c.mode === 'free') return { decision: 'open', reason: 'ok' };
  if (!c.mcuUp) return { decision: 'reject', reason: 'gate-mode' };
  if (readFailure) return { decision: 'reject', reason: readFailure };
  return null;
}

/**
 * Whether an open decision may be sent to the MCU as an authorisation now: never during the fire alarm or without
 * the MCU; a passenger's ticket only in normal mode; a release (technician or central, no document) in normal or
 * maintenance mode (the maintenance test of the turnstile).
 */
export function mayAuthorise(c: LaneConditions, kind: 'passenger' | 'release'): boolean {
  if (c.emergency || !c.mcuUp) return false;
  return c.mode === 'normal' || (kind === 'release' && c.mode === 'maintenance');
}
