// The decision core: (document, cache view, rules, context with the time) -> Decision. No I/O of its own (the
// view is the only door to data) and no clock reads: `ctx.now` is the time. The rules are those of issue 2:
//   lane mode -> document structure -> expiry (station's local date) -> cache age -> passport verification ->
//   tickets for this station and direction -> status, ledger, time window.
import type { CacheView, CachedTicket } from '../cache/view.js';
import type { Rules } from '../config/schema.js';
import { identitiesOf, isChinesePermit, isChipCard, type Document } from '../identity/document.js';
import { documentErrors } from '../identity/validate.js';
import { messageFor } from './messages.js';
import { type Decision, type Direction, type LaneDirection, type Reason, type StaffedCheckDetail, type TicketSummary } from './reasons.js';
import { verdictBeforeDocument, type LaneMode } from './lane-rules.js';
import type { ReadFailureReason, ReadOutcome } from '../readers/outcome.js';

export type { LaneMode } from './lane-rules.js';

export interface DecideContext {
  station: string;
  /** entry, exit, or transfer (an in-station transfer channel: an entry for the onward ticket). */
  direction: LaneDirection;
  now: Date;
  /** The lane's mode (default normal): locked and maintenance refuse everyone, free lets everyone through. */
  mode?: LaneMode;
  /** Fire alarm: the microcontroller has opened the lane; nobody is held back and no ticket is consumed. */
  emergency?: boolean;
  /** The MCU link is up (default true: `gate decide` has no MCU and decides as if it answered). */
  mcuUp?: boolean;
}

export type DecideRules = Pick<Rules, 'timeZone' | 'entry' | 'exit' | 'maxCacheAgeMinutes'> & Partial<Pick<Rules, 'transfer'>>;

const MINUTE = 60_000;

// Intl formatters are costly to build (tens of microseconds) and to run (microseconds): one is kept per time zone,
// and the last answer per zone is reused within the same minute (zone offsets are whole minutes, so the date
// cannot change inside one).
const dateFormats = new Map<string, { format: Intl.DateTimeFormat; minute: number; date: string }>();

/** The calendar date YYYY-MM-DD at `at` in a time zone (en-CA formats dates as YYYY-MM-DD). */
export function localDate(at: Date, timeZone: string): string {
  const minute = Math.floor(at.getTime() / MINUTE);
  let f = dateFormats.get(timeZone);
  if (!f) {
    f = {
      format: new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }),
      minute: NaN,
      date: '',
    };
    dateFormats.set(timeZone, f);
  }
  if (f.minute !== minute) {
    f.date = f.format.format(at);
    f.minute = minute;
  }
  return f.date;
}

function summary(t: CachedTicket): TicketSummary {
  return { id: t.id, train: t.train, car: t.car, seat: t.seat, departure: t.departure };
}

function decision(reason: Reason, ticket: CachedTicket | null = null, detail?: StaffedCheckDetail): Decision {
  const d: Decision = {
    decision: reason === 'ok' ? 'open' : 'reject',
    reason,
    ticket: ticket && summary(ticket),
    message: messageFor(reason, detail),
  };
  if (detail) d.detail = detail;
  return d;
}

/** The lane's conditions first (src/decide/lane-rules.ts), then a failed read's reason: the same order as the lane. */
function before(ctx: DecideContext, readFailure?: { reason: ReadFailureReason }): Decision | null {
  const c = { mode: ctx.mode ?? 'normal', emergency: ctx.emergency ?? false, mcuUp: ctx.mcuUp ?? true };
  const v = verdictBeforeDocument(c, readFailure?.reason);
  return v && { decision: v.decision, reason: v.reason, ticket: null, message: messageFor(v.reason) };
}

/** A read as the lane gets it (a Document, or the reader's reason) -> Decision, as the running gate decides it. */
export function decideRead(
  read: Pick<ReadOutcome, 'ok'> & ({ ok: true; document: Document } | { ok: false; reason: ReadFailureReason }),
  view: CacheView,
  rules: DecideRules,
  ctx: DecideContext,
): Decision {
  if (!read.ok) return before(ctx, read)!;
  return decide(read.document, view, rules, ctx);
}

/** The time window in which a ticket opens this gate: [start, end) in epoch ms. */
export function ticketWindow(
  t: Pick<CachedTicket, 'departureMs' | 'arrivalMs'>,
  direction: Direction,
  rules: DecideRules,
): [number, number] {
  if (direction === 'entry') {
    return [t.departureMs - rules.entry.opensMinutesBefore * MINUTE, t.departureMs - rules.entry.closesMinutesBefore * MINUTE];
  }
  return [t.departureMs, t.arrivalMs + rules.exit.graceMinutesAfterArrival * MINUTE];
}

type TicketVerdict = 'ok' | 'too-early' | 'too-late' | 'already-used' | 'ticket-refunded' | 'superseded';

/** Why this one ticket does or does not open the gate now. */
function judgeTicket(t: CachedTicket, view: CacheView, rules: DecideRules, direction: Direction, nowMs: number): TicketVerdict {
  if (t.status === 'refunded') return 'ticket-refunded';
  // A changed ticket was replaced by a new ticket record; the old one opens nothing.
  if (t.status === 'changed') return 'superseded';
  // After exit the journey is over: the ticket opens neither direction again.
  if (t.status === 'used-exit' || (t.status === 'used-entry' && direction === 'entry')) return 'already-used';
  for (const use of view.ledgerUses(t.id)) {
    if (use.direction === direction || use.direction === 'exit') return 'already-used';
  }
  const [start, end] = ticketWindow(t, direction, rules);
  if (nowMs < start) return 'too-early';
  if (nowMs >= end) return 'too-late';
  return 'ok';
}

// Among tickets that are no longer usable, the one with the latest departure is the one the passenger means;
// at equal departure this order picks the more useful reason.
const STALE_ORDER: Record<string, number> = { 'already-used': 0, 'too-late': 1, 'ticket-refunded': 2 };

function chooseTicket(judged: { t: CachedTicket; v: TicketVerdict }[]): Decision {
  const byDeparture = (a: { t: CachedTicket }, b: { t: CachedTicket }) => a.t.departureMs - b.t.departureMs;
  const usable = judged.filter((j) => j.v === 'ok').sort(byDeparture);
  if (usable.length) {
    const t = usable[0].t;
    // The fare rules apply to a ticket that would otherwise open: a passenger is first told about time and use.
    const sameTrain = usable.filter((j) => j.t.train === t.train && j.t.date === t.date).map((j) => j.t);
    const detail = staffedCheck(t, sameTrain);
    return detail ? decision('staffed-check', t, detail) : decision('ok', t);
  }
  // A later train the passenger can still take beats any ticket that is spent or missed.
  const early = judged.filter((j) => j.v === 'too-early').sort(byDeparture);
  if (early.length) return decision('too-early', early[0].t);
  const spent = judged
    .filter((j) => j.v in STALE_ORDER)
    .sort((a, b) => b.t.departureMs - a.t.departureMs || STALE_ORDER[a.v] - STALE_ORDER[b.v]);
  if (spent.length) return decision(spent[0].v as Reason, spent[0].t);
  return decision('no-ticket');
}

/**
 * Why a usable ticket still needs the staffed lane (issue 17; Harbin's 2019 rules for self-service gates), or null.
 * A child ticket bought on this document means a child with no ID of their own travels with its holder: both go to
 * staff, whichever of the document's tickets would open. Disabled-military tickets are always checked by staff.
 * Student tickets open only after this year's concession check, and only for the registered home-school journey
 * (either way round).
 */
function staffedCheck(t: CachedTicket, sameTrain: readonly CachedTicket[]): StaffedCheckDetail | null {
  if (sameTrain.some((x) => x.fare === 'child')) return 'child-ticket-on-document';
  if (t.fare === 'disabled-military') return 'concession-check';
  if (t.fare === 'student') {
    if (t.concessionVerified !== true) return 'student-not-verified';
    const j = t.registeredJourney;
    const inJourney = j !== undefined && ((t.from === j.from && t.to === j.to) || (t.from === j.to && t.to === j.from));
    if (!inJourney) return 'student-outside-journey';
  }
  return null;
}

/** The ticket's train called here after the ticket's destination (central's calling stations). */
function callsHereAfterDestination(t: CachedTicket, station: string): boolean {
  if (!t.calls) return false;
  const dest = t.calls.indexOf(t.to);
  return dest >= 0 && t.calls.indexOf(station, dest + 1) > dest;
}

// How long after a ticket's arrival an overtravelled passenger may still reach a later station of the same train:
// central sends the calling stations, not their times, and a sleeper runs on for a day or more past a destination.
const OVERTRAVEL_MAX_MS = 48 * 60 * MINUTE;

/** A ticket whose holder stayed on past its destination and gets off here: 补票 at the staffed lane. */
function overtravelled(tickets: readonly CachedTicket[], view: CacheView, station: string, nowMs: number): CachedTicket | undefined {
  return tickets.find(
    (t) =>
      callsHereAfterDestination(t, station) &&
      t.status !== 'refunded' &&
      t.status !== 'changed' &&
      t.status !== 'used-exit' &&
      !view.ledgerUses(t.id).some((u) => u.direction === 'exit') &&
      nowMs >= t.departureMs &&
      nowMs < t.arrivalMs + OVERTRAVEL_MAX_MS,
  );
}

// Without rules.transfer in an older caller's rules, the config's default.
const DEFAULT_TRANSFER_MINUTES = 240;

/**
 * A transfer lane: the passenger arrived here on one train (a ticket to this station whose train has left its
 * origin and arrived at most rules.transfer.maxMinutesAfterArrival ago, not yet used to exit) and leaves on another
 * (a ticket from this station). The onward ticket is judged, and consumed, as at an entry gate.
 */
function decideTransfer(tickets: readonly CachedTicket[], view: CacheView, rules: DecideRules, station: string, nowMs: number): Decision {
  const onward = tickets.filter((t) => t.from === station);
  if (onward.length === 0) return decision('no-onward-ticket');
  const maxMs = (rules.transfer?.maxMinutesAfterArrival ?? DEFAULT_TRANSFER_MINUTES) * MINUTE;
  const arrived = tickets.some(
    (t) =>
      t.to === station &&
      t.status !== 'refunded' &&
      t.status !== 'changed' &&
      t.status !== 'used-exit' &&
      !view.ledgerUses(t.id).some((u) => u.direction === 'exit') &&
      nowMs >= t.departureMs &&
      nowMs < t.arrivalMs + maxMs,
  );
  if (!arrived) return decision('transfer-window');
  return chooseTicket(onward.map((t) => ({ t, v: judgeTicket(t, view, rules, 'entry', nowMs) })));
}

export function decide(doc: Document, view: CacheView, rules: DecideRules, ctx: DecideContext): Decision {
  const lane = before(ctx);
  if (lane) return lane;

  if (documentErrors(doc).length) return decision('document-invalid');
  const nowMs = ctx.now.getTime();
  // validTo is the last day of validity, in the station's calendar; null is a long-term card.
  if (doc.validTo !== null && doc.validTo < localDate(ctx.now, rules.timeZone)) return decision('document-expired');

  const sync = view.syncState();
  if (!sync || !(nowMs - sync.generatedAtMs <= rules.maxCacheAgeMinutes * MINUTE)) return decision('cache-stale');

  // identitiesOf lists the document's own identity first; each key is one HMAC, computed once.
  const keys = identitiesOf(doc).map((id) => view.keyOf(id));
  // Passports need central's online verification; chip cards are authenticated by the SAM. The CR/CT permit cards
  // need no verification record (12306 checks them against the NIA when the ticket is bought), but a record central
  // does send for one is honoured like a passport's (its status, its keyed birth date).
  const passenger = isChipCard(doc) ? undefined : view.passenger(keys[0]);
  if (!isChipCard(doc) && !passenger && !isChinesePermit(doc)) return decision('not-verified');
  if (passenger) {
    if (passenger.status === 'pending') return decision('verification-pending');
    if (passenger.status === 'rejected') return decision('verification-rejected');
    // Central sends the birth date keyed to the document (birthKey): the gate keys the MRZ's date the same way.
    if (passenger.birthKey && doc.birthDate && passenger.birthKey !== view.birthKeyOf(keys[0], doc.birthDate))
      return decision('identity-mismatch');
  }

  const tickets = view.tickets(keys);
  if (tickets.length === 0) return decision('no-ticket');
  if (ctx.direction === 'transfer') return decideTransfer(tickets, view, rules, ctx.station, nowMs);
  const direction: Direction = ctx.direction;
  const here = tickets.filter((t) => (direction === 'entry' ? t.from : t.to) === ctx.station);
  if (here.length === 0) {
    // At an exit, a ticket whose train called here after its destination is overtravel, not a wrong station.
    const over = direction === 'exit' ? overtravelled(tickets, view, ctx.station, nowMs) : undefined;
    return over ? decision('fare-adjustment', over) : decision('wrong-station');
  }
  return chooseTicket(here.map((t) => ({ t, v: judgeTicket(t, view, rules, direction, nowMs) })));
}
