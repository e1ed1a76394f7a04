// The lane: one passenger at a time, as a pure state machine. Inputs are events (a document read, a decision, what
// storage and the MCU answered, time ticks); outputs are commands for the loop (decide, record, authorise, display)
// and the transitions it made. Time is an input (`at`, ms); nothing here reads a clock or does I/O.
//
//   idle -> deciding -> [verifying-face] -> authorised -> passing -> done | timeout | alarm -> idle (after resultHoldMs)
//
// verifying-face (docs/face-match.md): a chip card whose ticket decision is `open` is held there while the face
// matcher compares the passenger with the card's photo; the decision is recorded only once the face outcome is known,
// so nothing is authorised (and no ticket can be consumed) before a match. The photo rides in the passenger's state
// for that one request and is dropped as soon as the outcome is known.
//
// Safety rules kept here: a ticket is consumed only by a 'passed' passage the MCU confirmed; a timeout, cancel or
// MCU reset leaves it valid; while the fire alarm is on nobody is authorised and no lock is ever sent; if storage
// fails the lane does not open and says why.
import { passageDirection, type Decision, type Direction, type LaneDirection, type Reason } from '../decide/reasons.js';
import { mayAuthorise, verdictBeforeDocument, type LaneConditions, type LaneMode } from '../decide/lane-rules.js';
import type { ReadFailureReason } from '../readers/outcome.js';
import type { Document, DocumentType } from '../identity/document.js';
import type { AlarmEvent, AlarmType, DecisionEvent, FaceOutcome, NewEvent, PassageEvent } from './events.js';
import type { FaceAnswer } from '../face/client.js';
import { faceRequired, judgeFace, type LaneFaceRules } from './face-step.js';
import type { Report, Sound } from '../bridge/messages.js';
import { show, showIdle, showOpen, showReject, type DisplayMessage } from './display.js';

export type { LaneMode } from '../decide/lane-rules.js';
/** Every phase of the lane, in the order a passenger goes through them: the one source the loop, the daemon and the
 *  status file take them from. */
export const LANE_PHASES = ['idle', 'deciding', 'verifying-face', 'authorised', 'passing', 'done', 'timeout', 'alarm'] as const;
export type LanePhase = (typeof LANE_PHASES)[number];
/** Phases in which the lane takes the next passenger (a result on the display does not hold them up). */
export const ACCEPTING: readonly LanePhase[] = ['idle', 'done', 'timeout', 'alarm'];
/** Phases with a passenger being served: a shutdown or a reload waits for the lane to leave them. */
export const BUSY: readonly LanePhase[] = LANE_PHASES.filter((p) => !ACCEPTING.includes(p));
export const isBusy = (phase: LanePhase): boolean => BUSY.includes(phase);
export type { LaneFaceRules } from './face-step.js';
export type LaneDecision = Pick<Decision, 'decision' | 'reason' | 'ticket' | 'detail'>;

/** What the injected decision function is told besides the document (the shape of src/decide's DecideContext). */
export interface LaneDecideContext {
  station: string;
  direction: LaneDirection;
  now: Date;
  mode: LaneMode;
  emergency: boolean;
  mcuUp: boolean;
}

export interface LaneTiming {
  /** Sent to the MCU with each authorisation. */
  passageTimeoutMs: number;
  /** How long a result (open, reject, alarm) stays on the display before the lane is idle again. */
  resultHoldMs: number;
  /** Beyond passageTimeoutMs, how long the lane waits for the MCU's word before it gives up on its own. */
  guardMs: number;
}

interface Passenger {
  docType: DocumentType | null;
  docKey: string | null;
  decision: LaneDecision | null;
  decisionEventId: string | null;
  authId: number | null;
  /**
   * The authId remembered with the decision (record-decision's authorisation), before it is sent: it becomes authId
   * when the decision is recorded and the lane may still open; otherwise it was never sent and is left to expire.
   */
  rememberedAuthId?: number | null;
  /** The phase to enter once storage has the passage (set while a record-passage is outstanding). */
  after: 'done' | 'timeout' | 'alarm' | null;
  /** A release by a technician or central (no document, no ticket): recorded, authorised, consumes nothing. */
  release?: boolean;
  /** The language of the document's holder (src/i18n), sent with their screens; null: the panel's own languages. */
  language?: string | null;
  /** The chip's photo block, kept only until the face outcome is known (never recorded, never in a command but match-face). */
  photo?: Uint8Array | null;
  /** The face outcome once known (recorded with the decision). */
  face?: FaceOutcome;
  /** The match request in flight: its id and the time after which the lane stops waiting. */
  faceRequest?: { id: string; deadline: number } | null;
  /** When verifying-face began (the no-face wait counts from here) and when to ask again after a no-face. */
  faceSince?: number;
  faceRetryAt?: number | null;
}

export interface LaneState {
  phase: LanePhase;
  since: number;
  mode: LaneMode;
  emergency: boolean;
  linkUp: boolean;
  /** The link was up once and went down: its return is worth an alarm (the first connection is not). */
  linkLost: boolean;
  /** The store's error code while writes fail; the lane opens for nobody meanwhile. */
  storeFault: string | null;
  /** The code of the lane's active 'storage-fault' alarm: raised once per fault, cleared by the next write that works. */
  storeAlarm: string | null;
  /** What the lane serves; its passages are recorded and released in passageDirection(direction). */
  direction: LaneDirection;
  station: string;
  nextAuthId: number;
  passenger: Passenger | null;
  /** Authorisations already closed: a late or repeated report about them changes nothing. */
  closed: number[];
  /** A passage of an unknown authorisation being recorded: once stored, a repeat of it must not count twice. */
  unknownPending: number | null;
  /**
   * A document read while the previous passenger was still being served (the next passenger scans while the one
   * before walks through). It is decided as soon as the lane is free; a newer read replaces it; it expires after
   * HELD_READ_MS (that passenger has walked away).
   */
  held: { document: Document; docKey: string | null; at: number; language?: string | null; photo?: Uint8Array | null } | null;
  timing: LaneTiming;
  /** The face check's rules (face.* in the config); disabled unless given. */
  face: LaneFaceRules;
  /** The face-unavailable alarm is raised (cleared by the matcher's next answer). */
  faceDown: boolean;
  /** Counter for match request ids. */
  nextFaceRequest: number;
}

export type LaneInput =
  /** photo: the chip's photo block (ID cards), for the face check only. */
  | { type: 'document'; at: number; document: Document; docKey: string | null; language?: string | null; photo?: Uint8Array | null }
  /** The face matcher's answer to match-face `requestId` (the loop turns every failure into `unavailable`). */
  | { type: 'face-answer'; at: number; requestId: string; answer: FaceAnswer }
  /** A reader saw a document and could not make one of it: the passenger's reason (src/readers/outcome.ts). */
  | { type: 'read-failed'; at: number; reason: ReadFailureReason }
  | { type: 'decided'; at: number; decision: LaneDecision }
  | { type: 'decision-recorded'; at: number; eventId: string }
  | { type: 'passage-recorded'; at: number; consumed: boolean }
  | { type: 'store-failed'; at: number; code: string; what: 'decision' | 'passage' | 'alarm' }
  | { type: 'authorise-failed'; at: number; code: string }
  | { type: 'report'; at: number; report: Report }
  | { type: 'link'; at: number; up: boolean; emergency?: boolean; detail?: string }
  | { type: 'set-mode'; at: number; mode: LaneMode }
  | { type: 'release'; at: number }
  | { type: 'tick'; at: number };

export type LaneCommand =
  /** language: the passenger's, as the lane holds it (for whoever reports the decision; the rules do not use it). */
  | { type: 'decide'; document: Document; ctx: LaneDecideContext; language: string | null }
  /**
   * authorisation: the one the lane will send once this is recorded, remembered in the same commit (the card-to-flap
   * path holds one durable write, not two); the following 'authorise' then carries `remembered`.
   */
  | {
      type: 'record-decision';
      event: NewEvent<DecisionEvent>;
      authorisation?: { authId: number; direction: Direction; ticketId: string | null; docKey: string | null };
    }
  /** authId: the MCU's authorisation this passage ends (its pending row is cleared; an unknown one is looked up). */
  | { type: 'record-passage'; event: NewEvent<PassageEvent>; authId: number | null }
  | { type: 'record-alarm'; event: NewEvent<AlarmEvent> }
  | {
      type: 'authorise';
      authId: number;
      direction: Direction;
      count: number;
      timeoutMs: number;
      ticketId: string | null;
      docKey: string | null;
      decisionEventId: string | null;
      /** Already remembered with its decision (record-decision's authorisation): the loop writes nothing more. */
      remembered: boolean;
    }
  | { type: 'cancel'; authId: number }
  | { type: 'set-mode'; mode: LaneMode }
  | { type: 'display'; display: DisplayMessage }
  | { type: 'sound'; pattern: Sound }
  /** Ask the face matcher whether the passenger is the card's holder; the answer comes back as face-answer. */
  | { type: 'match-face'; requestId: string; photo: Uint8Array; deadlineMs: number };

export interface LaneTransition {
  from: LanePhase;
  to: LanePhase;
  /** The input type (or report kind) that caused it. */
  cause: string;
  at: number;
}

export interface LaneStep {
  state: LaneState;
  commands: LaneCommand[];
  transitions: LaneTransition[];
}

const CLOSED_MEMORY = 16;
/** After a no-face answer, ask again this much later (a module that answers at once must not be hammered). */
export const FACE_RETRY_MS = 200;
/** How long a read made while the lane was busy stays valid. */
export const HELD_READ_MS = 10_000;

export function initialLane(opts: {
  station: string;
  direction: LaneDirection;
  mode: LaneMode;
  timing: LaneTiming;
  firstAuthId: number;
  at: number;
  face?: LaneFaceRules;
}): LaneState {
  return {
    phase: 'idle',
    since: opts.at,
    mode: opts.mode,
    emergency: false,
    linkUp: false,
    linkLost: false,
    storeFault: null,
    storeAlarm: null,
    direction: opts.direction,
    station: opts.station,
    nextAuthId: clampAuthId(opts.firstAuthId),
    passenger: null,
    closed: [],
    unknownPending: null,
    held: null,
    timing: opts.timing,
    face: opts.face ?? { enabled: false, timeoutMs: 3000, noFaceWaitMs: 8000, minScore: 0.75, onUnavailable: 'staffed' },
    faceDown: false,
    nextFaceRequest: 1,
  };
}

function clampAuthId(n: number): number {
  const v = Math.floor(n) % 0xffff;
  return v <= 0 ? v + 0xffff : v; // 1..65535: 0 means "any" on the wire
}

const iso = (at: number) => new Date(at).toISOString();

/** One step of the lane. Never mutates `prev`. */
export function stepLane(prev: LaneState, input: LaneInput): LaneStep {
  const s: LaneState = { ...prev, closed: prev.closed, passenger: prev.passenger && { ...prev.passenger } };
  const commands: LaneCommand[] = [];
  const transitions: LaneTransition[] = [];
  const cause = input.type === 'report' ? input.report.kind : input.type;
  const go = (to: LanePhase) => {
    if (to === s.phase) return;
    transitions.push({ from: s.phase, to, cause, at: input.at });
    s.phase = to;
    s.since = input.at;
  };
  const display = (d: DisplayMessage) => commands.push({ type: 'display', display: d });
  const idleScreen = () => showIdle(s.mode, s.emergency, s.linkUp, s.storeFault !== null);
  const alarm = (type: AlarmType, active: boolean, detail: string | null = null) =>
    commands.push({ type: 'record-alarm', event: { kind: 'alarm', at: iso(input.at), type, detail, active } });
  /** A decision or passage was stored: the storage fault has ended, and so does its alarm. */
  const storeWorks = () => {
    s.storeFault = null;
    if (!s.storeAlarm) return;
    alarm('storage-fault', false, s.storeAlarm);
    s.storeAlarm = null;
  };
  const recordPassage = (
    outcome: PassageEvent['outcome'],
    p: Passenger | null,
    after: Passenger['after'],
    authId: number | null = p?.authId ?? null,
  ) => {
    commands.push({
      type: 'record-passage',
      authId,
      event: {
        kind: 'passage',
        at: iso(input.at),
        direction: passageDirection(s.direction),
        outcome,
        ticketId: p?.decision?.ticket?.id ?? null,
        docKey: p?.docKey ?? null,
        decisionEventId: p?.decisionEventId ?? null,
      },
    });
    if (p && p === s.passenger) p.after = after;
  };
  const closeAuth = () => {
    const id = s.passenger?.authId;
    if (id) s.closed = [...s.closed, id].slice(-CLOSED_MEMORY);
  };
  const conditions = (): LaneConditions => ({ mode: s.mode, emergency: s.emergency, mcuUp: s.linkUp });
  /** The lane's conditions (and a failed read) decide on their own: src/decide/lane-rules.ts holds the rules. */
  const decideHere = (readFailure?: ReadFailureReason): LaneDecision | null => {
    const v = verdictBeforeDocument(conditions(), readFailure);
    return v && { ...v, ticket: null };
  };
  /** An open decision the lane would hand to the MCU under the conditions as they are now. */
  const wouldAuthorise = (d: LaneDecision, p: Passenger): boolean =>
    d.decision === 'open' &&
    !(s.mode === 'free' && !s.emergency) &&
    (!!p.release || !!d.ticket) &&
    mayAuthorise(conditions(), p.release ? 'release' : 'passenger');
  const decided = (d: LaneDecision) => {
    s.passenger!.decision = d;
    const p = s.passenger!;
    p.photo = null;
    p.faceRequest = null;
    p.faceRetryAt = null;
    // The authorisation that will follow is remembered in the decision's own commit (one fsync on the path, not two).
    let authorisation: { authId: number; direction: Direction; ticketId: string | null; docKey: string | null } | undefined;
    if (wouldAuthorise(d, p)) {
      p.rememberedAuthId = s.nextAuthId;
      s.nextAuthId = clampAuthId(s.nextAuthId + 1);
      authorisation = {
        authId: p.rememberedAuthId,
        direction: passageDirection(s.direction),
        ticketId: d.ticket?.id ?? null,
        docKey: p.docKey,
      };
    }
    commands.push({
      type: 'record-decision',
      event: {
        kind: 'decision',
        at: iso(input.at),
        direction: passageDirection(s.direction),
        decision: d.decision,
        reason: d.reason,
        ...(d.detail ? { detail: d.detail } : {}),
        docType: p.docType,
        docKey: p.docKey,
        ticketId: d.ticket?.id ?? null,
        train: d.ticket?.train ?? null,
        face: p.face ?? 'not-required',
      },
      ...(authorisation ? { authorisation } : {}),
    });
  };
  /** Send one match request for the passenger's photo (a new id each time: a late answer to an old one is ignored). */
  const askFace = (p: Passenger) => {
    const id = `${s.station}-${input.at.toString(36)}-${s.nextFaceRequest}`;
    s.nextFaceRequest += 1;
    const deadline = Math.min(input.at + s.face.timeoutMs, (p.faceSince ?? input.at) + s.face.noFaceWaitMs + s.face.timeoutMs);
    p.faceRequest = { id, deadline };
    p.faceRetryAt = null;
    commands.push({ type: 'match-face', requestId: id, photo: p.photo!, deadlineMs: deadline - input.at });
  };
  /** The face outcome is known: record the decision it leads to (the lane's own conditions first, as always). */
  const faceDone = (answer: FaceAnswer) => {
    const p = s.passenger!;
    const v = judgeFace(s.face, answer, input.at - (p.faceSince ?? input.at));
    if (v.kind === 'ask-again') {
      p.faceRequest = null;
      p.faceRetryAt = input.at + FACE_RETRY_MS;
      return;
    }
    if (answer.result === 'unavailable' && answer.detail !== 'no-photo' && !s.faceDown) {
      s.faceDown = true;
      alarm('face-unavailable', true, answer.detail ?? 'unavailable');
    } else if (answer.result !== 'unavailable' && s.faceDown) {
      s.faceDown = false;
      alarm('face-unavailable', false, null);
    }
    p.face = v.outcome;
    const ticketDecision = p.decision!;
    decided(decideHere() ?? (v.open ? ticketDecision : { decision: 'reject', reason: 'face-mismatch', ticket: null }));
  };
  const rejectScreen = (reason: Reason, detail?: LaneDecision['detail']): DisplayMessage => {
    const lang = s.passenger?.language;
    return reason === 'emergency'
      ? show('emergency', 'emergency', lang)
      : reason === 'gate-mode' && !s.linkUp
        ? show('fault-link', 'gate-mode', lang)
        : showReject(reason, detail, lang);
  };
  /** A mode the MCU should hold now; never a lock while the fire alarm is on. */
  const sendMode = () => {
    if (!s.linkUp) return;
    if (s.emergency && s.mode !== 'free') return;
    commands.push({ type: 'set-mode', mode: s.mode });
  };

  switch (input.type) {
    case 'document':
    case 'read-failed': {
      if (!ACCEPTING.includes(s.phase)) {
        // One passenger at a time: the next read waits for this one (an unreadable one is read again anyway).
        if (input.type === 'document')
          s.held = { document: input.document, docKey: input.docKey, at: input.at, language: input.language, photo: input.photo ?? null };
        break;
      }
      s.held = null;
      s.passenger = {
        docType: input.type === 'document' ? input.document.type : null,
        docKey: input.type === 'document' ? input.docKey : null,
        decision: null,
        decisionEventId: null,
        authId: null,
        after: null,
        language: input.type === 'document' ? (input.language ?? null) : null,
        photo: input.type === 'document' ? (input.photo ?? null) : null,
      };
      go('deciding');
      const here = decideHere(input.type === 'read-failed' ? input.reason : undefined);
      if (here) decided(here);
      else {
        // No 'checking' screen: the decision is synchronous and takes microseconds, and a display request in flight
        // would hold the authorise behind its ACK (one outstanding request on the link).
        commands.push({
          type: 'decide',
          document: (input as { document: Document }).document,
          ctx: {
            station: s.station,
            direction: s.direction,
            now: new Date(input.at),
            mode: s.mode,
            emergency: s.emergency,
            mcuUp: s.linkUp,
          },
          language: s.passenger.language ?? null,
        });
      }
      break;
    }

    case 'release': {
      // One walk-through without a document (maintenance test, a wheelchair or staff passage released by central).
      // Recorded like a decision so central sees it; never during the fire alarm (the lanes are open anyway), never
      // without the MCU, and never over a passenger already being served.
      if (!ACCEPTING.includes(s.phase) || !mayAuthorise(conditions(), 'release')) break;
      s.passenger = { docType: null, docKey: null, decision: null, decisionEventId: null, authId: null, after: null, release: true };
      go('deciding');
      decided({ decision: 'open', reason: 'ok', ticket: null });
      break;
    }

    case 'decided': {
      if (s.phase !== 'deciding' || !s.passenger || s.passenger.decision) break;
      // The decision function may not know the lane's state: the lane's own rules come first.
      const d = decideHere() ?? input.decision;
      const p = s.passenger;
      if (d.decision === 'open' && d.ticket && faceRequired(s.face, p.docType)) {
        // The ticket is good; the face comes next. Nothing is recorded or authorised until it is known.
        p.decision = d;
        p.faceSince = input.at;
        go('verifying-face');
        display(show('look-at-camera'));
        if (p.photo && p.photo.length > 0) askFace(p);
        else faceDone({ result: 'unavailable', detail: 'no-photo' });
      } else decided(d);
      break;
    }

    case 'face-answer': {
      const p = s.passenger;
      if (s.phase !== 'verifying-face' || !p?.faceRequest || p.faceRequest.id !== input.requestId) break; // late or unknown
      faceDone(input.answer);
      break;
    }

    case 'decision-recorded': {
      const p = s.passenger;
      if ((s.phase !== 'deciding' && s.phase !== 'verifying-face') || !p?.decision || p.faceRequest || p.faceRetryAt) break;
      p.decisionEventId = input.eventId;
      const d = p.decision;
      storeWorks();
      if (d.decision === 'open' && s.mode === 'free' && !s.emergency) {
        display(show('free'));
        go('done');
      } else if (wouldAuthorise(d, p)) {
        const remembered = p.rememberedAuthId ?? null;
        if (remembered !== null) p.authId = remembered;
        else {
          p.authId = s.nextAuthId;
          s.nextAuthId = clampAuthId(s.nextAuthId + 1);
        }
        p.rememberedAuthId = null;
        commands.push({
          type: 'authorise',
          authId: p.authId,
          remembered: remembered !== null,
          direction: passageDirection(s.direction),
          count: 1,
          timeoutMs: s.timing.passageTimeoutMs,
          ticketId: d.ticket?.id ?? null,
          docKey: p.docKey,
          decisionEventId: p.decisionEventId,
        });
        display(showOpen(d.ticket, p.language));
        commands.push({ type: 'sound', pattern: 'accept' });
        go('authorised');
      } else {
        display(rejectScreen(d.decision === 'open' ? 'gate-mode' : d.reason, d.detail));
        commands.push({ type: 'sound', pattern: 'reject' });
        go('done');
      }
      break;
    }

    case 'store-failed': {
      s.storeFault = input.code;
      display(show('fault-storage'));
      if (input.what === 'decision' && (s.phase === 'deciding' || s.phase === 'verifying-face')) {
        // Nothing was recorded, so nothing may open: the passenger is told to use another gate.
        if (!s.storeAlarm) alarm('storage-fault', true, input.code);
        s.storeAlarm ??= input.code;
        go('done');
      }
      // While authorised/passing the passage report stays unacknowledged and comes again: stay put, and take it
      // as new when it does.
      if (input.what === 'passage') {
        if (s.unknownPending !== null) s.unknownPending = null;
        else if (s.passenger?.after) s.passenger.after = null;
      }
      break;
    }

    case 'authorise-failed': {
      const p = s.passenger;
      if (s.phase !== 'authorised' || !p?.authId) break;
      commands.push({ type: 'cancel', authId: p.authId });
      display(input.code === 'emergency' ? show('emergency', 'emergency') : show('fault-link'));
      recordPassage('cancelled', p, 'done');
      break;
    }

    case 'passage-recorded': {
      if (s.unknownPending !== null) {
        s.closed = [...s.closed, s.unknownPending].slice(-CLOSED_MEMORY);
        s.unknownPending = null;
        break;
      }
      const p = s.passenger;
      if (!p?.after) break;
      storeWorks();
      const to = p.after;
      p.after = null;
      closeAuth();
      if (to === 'done') display(idleScreen());
      go(to);
      break;
    }

    case 'report':
      onReport(input.report);
      break;

    case 'link': {
      const wasUp = s.linkUp;
      s.linkUp = input.up;
      if (input.up) {
        if (input.emergency !== undefined) s.emergency = input.emergency;
        if (s.linkLost) alarm('mcu-silent', false, input.detail ?? null);
        s.linkLost = false;
        sendMode();
        if (ACCEPTING.includes(s.phase)) display(idleScreen());
      } else if (wasUp) {
        s.linkLost = true;
        alarm('mcu-silent', true, input.detail ?? null);
      }
      // A passage under way is not given up here: the MCU reports its end in the next session (or the guard fires).
      break;
    }

    case 'set-mode': {
      s.mode = input.mode;
      sendMode();
      if (ACCEPTING.includes(s.phase)) display(idleScreen());
      break;
    }

    case 'tick': {
      const held = input.at - s.since;
      if ((s.phase === 'done' || s.phase === 'timeout' || s.phase === 'alarm') && held >= s.timing.resultHoldMs) {
        s.passenger = null;
        display(idleScreen());
        go('idle');
      } else if (
        (s.phase === 'authorised' || s.phase === 'passing') &&
        !s.passenger?.after &&
        held >= s.timing.passageTimeoutMs + s.timing.guardMs
      ) {
        // The MCU never told us how it ended: count it as a timeout, which leaves the ticket valid.
        const p = s.passenger!;
        if (p.authId && s.linkUp) commands.push({ type: 'cancel', authId: p.authId });
        recordPassage('timeout', p, 'timeout');
      } else if (s.phase === 'verifying-face' && s.passenger?.faceRequest && input.at >= s.passenger.faceRequest.deadline) {
        // The matcher did not answer by the deadline (the loop's client says so too; whichever comes first counts).
        faceDone({ result: 'unavailable', detail: 'timeout' });
      } else if (s.phase === 'verifying-face' && s.passenger?.faceRetryAt && input.at >= s.passenger.faceRetryAt) {
        askFace(s.passenger);
      } else if (s.phase === 'deciding' && held >= s.timing.guardMs && !s.passenger?.decision) {
        // A decision that never came (the decision function threw): the passenger is not left waiting.
        decided({ decision: 'reject', reason: 'unreadable', ticket: null });
      }
      break;
    }
  }

  // The lane is free again and a passenger is waiting with a document already read: serve them now.
  if (s.held && ACCEPTING.includes(s.phase) && input.type !== 'document' && input.type !== 'read-failed') {
    const held = s.held;
    s.held = null;
    if (input.at - held.at <= HELD_READ_MS) {
      const next = stepLane(s, {
        type: 'document',
        at: input.at,
        document: held.document,
        docKey: held.docKey,
        language: held.language,
        photo: held.photo ?? null,
      });
      return { state: next.state, commands: [...commands, ...next.commands], transitions: [...transitions, ...next.transitions] };
    }
  }

  function onReport(r: Report): void {
    const p = s.passenger;
    const current =
      (s.phase === 'authorised' || s.phase === 'passing') && !!p?.authId && 'authId' in r && r.authId === p.authId && !p.after;
    const known = 'authId' in r && s.closed.includes(r.authId);
    switch (r.kind) {
      case 'passage-started':
        if (current && s.phase === 'authorised') go('passing');
        return;
      case 'passage':
        if (current) {
          recordPassage('passed', p, 'done');
        } else if (!known && !(p?.after && p.authId === r.authId)) {
          // A passage the MCU counted for an authorisation this process does not know (given before a restart):
          // it is recorded, but no ticket is consumed, since we cannot say whose it was.
          recordPassage('passed', null, null, r.authId || null);
          s.unknownPending = r.authId || null;
        }
        return;
      case 'passage-timeout':
        if (current) {
          display(idleScreen());
          recordPassage('timeout', p, 'timeout');
        }
        return;
      case 'reverse-passage':
        alarm('reverse-passage', true, null);
        if (current) {
          display(showReject('gate-mode'));
          recordPassage('cancelled', p, 'alarm');
        } else if (ACCEPTING.includes(s.phase)) go('alarm');
        return;
      case 'tailgating':
      case 'forced-entry':
      case 'intrusion':
        alarm(r.kind, true, null);
        commands.push({ type: 'sound', pattern: 'alarm' });
        if (ACCEPTING.includes(s.phase)) go('alarm');
        return;
      case 'door-fault':
        alarm('door-fault', r.active, r.fault);
        return;
      case 'power':
        alarm('power', r.state !== 'mains', r.state);
        return;
      case 'emergency':
        alarm(r.active ? 'emergency-on' : 'emergency-off', r.active, null);
        s.emergency = r.active;
        // On: the MCU has opened the lanes and ends unstarted authorisations itself (passage-timeout follows).
        // Off: the lanes stay open until we set a mode again.
        if (!r.active) sendMode();
        if (ACCEPTING.includes(s.phase) || r.active) display(r.active ? show('emergency', 'emergency') : idleScreen());
        return;
      case 'mcu-reset':
        alarm('mcu-reset', false, r.cause);
        if (p?.authId && !p.after && (s.phase === 'authorised' || s.phase === 'passing')) {
          // The reboot lost the authorisation and will never report it: the ticket stays valid.
          display(idleScreen());
          recordPassage('cancelled', p, 'alarm');
        }
        return;
      case 'watchdog-expired':
        alarm('mcu-silent', false, `watchdog-${r.failMode}`);
        return;
    }
  }

  return { state: s, commands, transitions };
}
