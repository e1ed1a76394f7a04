// What the live lane page shows: the mode and phase, the last 50 decisions, recent passages and alarms, kept from
// the daemon's events. Listeners only append to arrays and schedule one flush; subscribers (the server-sent event
// streams) get the new picture at most every FLUSH_MS, so a browser never costs the passenger's path more than an
// array push. Documents appear only as the first characters of their key (an HMAC), never a number or name.
import type { GateDaemon } from '../daemon/gate-daemon.js';
import type { AlarmEvent, DecisionEvent, PassageEvent } from '../gate/events.js';
import type { DecidedInfo } from '../daemon/gate-daemon.js';
import { isPackLanguage, reasonText, type TextDirection } from '../i18n/packs.js';

export const MAX_DECISIONS = 50;
const MAX_PASSAGES = 20;
const MAX_ALARMS = 20;
/** Well inside the one second the page promises, and at most ten pictures a second whatever the lane does. */
export const FLUSH_MS = 100;
/** Characters of the document key shown: enough to tell two passengers apart, useless to identify one. */
export const DOC_KEY_CHARS = 6;

export interface DecisionRow {
  seq: number;
  at: string;
  decision: DecisionEvent['decision'];
  reason: DecisionEvent['reason'];
  docType: DecisionEvent['docType'];
  docKey: string | null;
  train: string | null;
  car: string | null;
  seat: string | null;
  /** The language the passenger was addressed in, and what the panel told them in it (null: no document read). */
  language: string | null;
  said: { text: string; direction: TextDirection } | null;
}

export interface PassageRow {
  seq: number;
  at: string;
  outcome: PassageEvent['outcome'];
  ticketId: string | null;
}

export interface AlarmRow {
  seq: number;
  at: string;
  type: AlarmEvent['type'];
  detail: string | null;
  active: boolean;
}

export interface LivePicture {
  lane: { mode: string; phase: string; emergency: boolean; linkUp: boolean; direction: string };
  decisions: DecisionRow[];
  passages: PassageRow[];
  alarms: AlarmRow[];
}

export function shortKey(docKey: string | null): string | null {
  return docKey === null ? null : `${docKey.slice(0, DOC_KEY_CHARS)}…`;
}

type Gate = Pick<GateDaemon, 'events' | 'lane'>;

export class LiveFeed {
  private readonly decisions: DecisionRow[] = [];
  private readonly passages: PassageRow[] = [];
  private readonly alarms: AlarmRow[] = [];
  private readonly subscribers = new Set<(p: LivePicture) => void>();
  private readonly offs: (() => void)[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** What the last decide() found: the decision event names the train, the page also shows car and seat, and the
   *  passenger's language. */
  private lastDecided: DecidedInfo | null = null;

  constructor(private readonly gate: Gate) {
    const e = gate.events;
    this.offs.push(
      e.on('decided', (d) => (this.lastDecided = d)),
      e.on('decision', (d) => {
        const decided = this.lastDecided;
        this.lastDecided = null;
        const t = decided?.ticket && decided.ticket.id === d.ticketId ? decided.ticket : null;
        // The passenger's language belongs to this decision only if it decided this document (a face mismatch after an
        // open ticket decision is still the same passenger: the reason is what they were told).
        const language = decided && decided.docType === d.docType ? decided.language : null;
        const said = language && isPackLanguage(language) ? reasonText(d.reason, language) : null;
        push(this.decisions, MAX_DECISIONS, {
          seq: d.seq,
          at: d.at,
          decision: d.decision,
          reason: d.reason,
          docType: d.docType,
          docKey: shortKey(d.docKey),
          train: d.train,
          car: t?.car ?? null,
          seat: t?.seat ?? null,
          language,
          said: said && { text: said.text, direction: said.direction },
        });
        this.changed();
      }),
      e.on('passage', (p) => {
        push(this.passages, MAX_PASSAGES, { seq: p.event.seq, at: p.event.at, outcome: p.event.outcome, ticketId: p.event.ticketId });
        this.changed();
      }),
      e.on('alarm', (a) => {
        push(this.alarms, MAX_ALARMS, { seq: a.seq, at: a.at, type: a.type, detail: a.detail, active: a.active });
        this.changed();
      }),
      gate.lane.events.on('transition', () => this.changed()),
    );
  }

  picture(): LivePicture {
    const s = this.gate.lane.state;
    return {
      lane: { mode: s.mode, phase: s.phase, emergency: s.emergency, linkUp: s.linkUp, direction: s.direction },
      decisions: [...this.decisions],
      passages: [...this.passages],
      alarms: [...this.alarms],
    };
  }

  /** `send` gets the picture now and after every change; the returned function unsubscribes. */
  subscribe(send: (p: LivePicture) => void): () => void {
    this.subscribers.add(send);
    send(this.picture());
    return () => this.subscribers.delete(send);
  }

  close(): void {
    for (const off of this.offs.splice(0)) off();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.subscribers.clear();
  }

  private changed(): void {
    if (this.timer || this.subscribers.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const p = this.picture();
      for (const send of this.subscribers) send(p);
    }, FLUSH_MS);
  }
}

/** Newest first, at most `max`. */
function push<T>(list: T[], max: number, row: T): void {
  list.unshift(row);
  if (list.length > max) list.length = max;
}
