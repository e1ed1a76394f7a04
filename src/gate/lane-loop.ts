// The thin I/O loop around the pure lane: feeds it reads, MCU reports, link changes and clock ticks; carries out
// its commands against the decision function, the LaneStore and the bridge link. A report from the MCU is
// acknowledged only after the store has committed what it means, so a write that failed (disk full) is redone
// when the MCU sends the report again.
import { TypedEvents } from '../util/typed-events.js';
import { errorLine, GateError, isGateError } from '../util/gate-error.js';
import type { Logger } from '../util/log.js';
import type { Document } from '../identity/document.js';
import type { ReadFailureReason } from '../readers/outcome.js';
import type { LaneDirection } from '../decide/reasons.js';
import type { BridgeLink } from '../bridge/link.js';
import { BridgeError } from '../bridge/errors.js';
import type { AlarmEvent, DecisionEvent, LaneStore, PassageEvent } from './events.js';
import type { DisplayMessage } from './display.js';
import type { FaceMatcher } from '../face/client.js';
import {
  ACCEPTING,
  initialLane,
  isBusy,
  stepLane,
  type LaneCommand,
  type LaneDecideContext,
  type LaneDecision,
  type LaneInput,
  type LaneFaceRules,
  type LaneMode,
  type LaneState,
  type LaneTiming,
  type LaneTransition,
} from './lane.js';

/** The parts of the bridge link the lane uses (a BridgeLink, or a fake in tests). */
export type LaneBridge = Pick<
  BridgeLink,
  'authorise' | 'cancel' | 'setMode' | 'display' | 'sound' | 'onReport' | 'events' | 'state' | 'mcu'
>;

/** `language`: the passenger's, as the lane chose it (languageOf), for whoever reports the decision. */
export type LaneDecide = (document: Document, ctx: LaneDecideContext, language: string | null) => LaneDecision;

export interface LaneLoopOptions {
  station: string;
  direction: LaneDirection;
  mode: LaneMode;
  timing: LaneTiming;
  decide: LaneDecide;
  /** The document's HMAC key (null when no secret is configured). */
  keyOf: (document: Document) => string | null;
  /** The language of the document's holder for their screens (src/i18n); none: the panel's Chinese and English. */
  languageOf?: (document: Document) => string | null;
  store: LaneStore;
  bridge: LaneBridge;
  now?: () => number;
  tickMs?: number;
  log?: Logger;
  /** The face check's rules and the matcher it asks (docs/face-match.md); no check without them. */
  face?: { rules: LaneFaceRules; matcher: FaceMatcher };
}

export interface LaneEvents {
  transition: LaneTransition;
  decision: DecisionEvent;
  passage: { event: PassageEvent; consumed: boolean };
  alarm: AlarmEvent;
  display: DisplayMessage;
  /** A command that failed (storage, bridge): the lane has already reacted; this is for logs and status. */
  error: GateError;
  /** An authorise frame was handed to the link (for the latency bench). */
  authorising: { authId: number; at: bigint };
  /** A match request was handed to the matcher / its answer came back (for the face overhead bench). No photo. */
  'face-request': { requestId: string; at: bigint };
  'face-answer': { requestId: string; result: string; at: bigint };
}

export class LaneLoop {
  readonly events = new TypedEvents<LaneEvents>((event, err) =>
    this.opts.log?.error({ event, err: errorLine(err) }, 'lane listener failed'),
  );
  private lane: LaneState;
  private readonly now: () => number;
  private readonly inbox: LaneInput[] = [];
  private draining = false;
  private storeError: GateError | null = null;
  private timer: NodeJS.Timeout | null = null;
  private offs: (() => void)[] = [];
  /** Requests handed to the bridge whose answer has not come back (their failure feeds the lane again). */
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: LaneLoopOptions) {
    this.now = opts.now ?? Date.now;
    const at = this.now();
    // After a restart, continue after the last authorisation the MCU may still hold (never reuse its id).
    let last: number | null = null;
    try {
      last = opts.store.lastAuthId?.() ?? null;
    } catch (err) {
      opts.log?.warn({ err: errorLine(err) }, 'last authorisation unknown');
    }
    this.lane = initialLane({
      station: opts.station,
      direction: opts.direction,
      mode: opts.mode,
      timing: opts.timing,
      firstAuthId: last !== null ? last + 1 : at & 0xffff,
      at,
      face: opts.face?.rules,
    });
  }

  get state(): LaneState {
    return this.lane;
  }

  /** True when no passenger is being served, no input is being handled and no bridge request is outstanding. */
  get idle(): boolean {
    return !isBusy(this.lane.phase) && !this.draining && this.inbox.length === 0 && this.inFlight === 0;
  }

  /**
   * Resolves once the lane has settled (see `idle`): the passage under way is recorded and its last request to the
   * MCU answered. Settled by the loop itself when it gets there, never by polling; bound it with settledWithin.
   */
  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private settle(): void {
    if (this.idleWaiters.length && this.idle) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Read through a call: feed() sets storeError where TypeScript's narrowing (to null, just above) cannot see. */
  private lastStoreError(): GateError | null {
    return this.storeError;
  }

  start(): void {
    const { bridge } = this.opts;
    bridge.onReport((report) => {
      this.storeError = null;
      this.feed({ type: 'report', at: this.now(), report });
      // Not committed: throw so the link leaves the report unacknowledged and the MCU sends it again.
      const failed = this.lastStoreError();
      if (failed) throw failed;
    });
    this.offs.push(
      bridge.events.on('up', (hello) => this.feed({ type: 'link', at: this.now(), up: true, emergency: hello.emergency })),
      bridge.events.on('down', (err) => this.feed({ type: 'link', at: this.now(), up: false, detail: err.code })),
    );
    if (bridge.state === 'up') this.feed({ type: 'link', at: this.now(), up: true, emergency: bridge.mcu?.emergency });
    this.timer = setInterval(() => this.feed({ type: 'tick', at: this.now() }), this.opts.tickMs ?? 100);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const off of this.offs.splice(0)) off();
  }

  /** A document from a reader; `photo`: the chip's photo block, held for the face check only. */
  read(document: Document, photo?: Uint8Array | null): void {
    let docKey: string | null = null;
    try {
      docKey = this.opts.keyOf(document);
    } catch (err) {
      this.opts.log?.warn({ err: errorLine(err) }, 'document key failed');
    }
    let language: string | null = null;
    try {
      language = this.opts.languageOf?.(document) ?? null;
    } catch (err) {
      this.opts.log?.warn({ err: errorLine(err) }, 'passenger language failed'); // the panel's own languages then
    }
    this.feed({ type: 'document', at: this.now(), document, docKey, language, photo: photo ?? null });
  }

  /** A reader saw a document but could not make one of it: the reason is the reader's (src/readers/outcome.ts). */
  readFailed(reason: ReadFailureReason): void {
    this.feed({ type: 'read-failed', at: this.now(), reason });
  }

  /** Release the lane for one passage without a document; false when the lane cannot (busy, emergency, link down, mode). */
  release(): boolean {
    const wasFree = ACCEPTING.includes(this.lane.phase);
    this.feed({ type: 'release', at: this.now() });
    return wasFree && this.lane.passenger?.release === true;
  }

  setMode(mode: LaneMode): void {
    this.feed({ type: 'set-mode', at: this.now(), mode });
  }

  /** Inputs are handled one at a time, in order, each with all its commands, even when a command feeds another. */
  feed(input: LaneInput): void {
    this.inbox.push(input);
    if (this.draining) return;
    this.draining = true;
    try {
      for (let next = this.inbox.shift(); next; next = this.inbox.shift()) {
        const step = stepLane(this.lane, next);
        this.lane = step.state;
        for (const t of step.transitions) this.events.emit('transition', t);
        for (const c of step.commands) this.run(c);
      }
    } finally {
      this.draining = false;
    }
    this.settle();
  }

  /** A bridge request the lane waits on: counted while in flight, so whenIdle() includes its answer. */
  private track(request: Promise<unknown>, onFail: (err: unknown) => void): void {
    this.inFlight++;
    request.then(
      () => {
        this.inFlight--;
        this.settle();
      },
      (err: unknown) => {
        this.inFlight--;
        onFail(err);
        this.settle();
      },
    );
  }

  private run(c: LaneCommand): void {
    const { store, bridge, log } = this.opts;
    switch (c.type) {
      case 'decide': {
        let decision: LaneDecision;
        try {
          decision = this.opts.decide(c.document, c.ctx, c.language);
        } catch (err) {
          log?.error({ err: errorLine(err) }, 'the decision function threw');
          decision = { decision: 'reject', reason: 'unreadable', ticket: null };
        }
        const { decision: verdict, reason, ticket, detail } = decision;
        this.inbox.push({
          type: 'decided',
          at: this.now(),
          decision: detail ? { decision: verdict, reason, ticket, detail } : { decision: verdict, reason, ticket },
        });
        return;
      }
      case 'record-decision':
        return this.record('decision', () => {
          const e = store.recordDecision(c.event, c.authorisation && { ...c.authorisation, atMs: this.now() });
          this.events.emit('decision', e);
          this.inbox.push({ type: 'decision-recorded', at: this.now(), eventId: e.eventId });
        });
      case 'record-passage':
        return this.record('passage', () => {
          const r = store.recordPassage(c.event, c.authId);
          this.events.emit('passage', r);
          this.inbox.push({ type: 'passage-recorded', at: this.now(), consumed: r.consumed });
        });
      case 'record-alarm':
        return this.record('alarm', () => this.events.emit('alarm', store.recordAlarm(c.event)));
      case 'authorise':
        try {
          // Remembered first: if this process dies before the passage is recorded, the next one knows whose it was.
          // Usually it already is, in the decision's own commit (c.remembered).
          if (!c.remembered)
            store.rememberAuthorisation?.({
              authId: c.authId,
              direction: c.direction,
              ticketId: c.ticketId,
              docKey: c.docKey,
              decisionEventId: c.decisionEventId,
              atMs: this.now(),
            });
        } catch (err) {
          this.fail(err);
          this.inbox.push({ type: 'authorise-failed', at: this.now(), code: 'store-failed' });
          return;
        }
        this.events.emit('authorising', { authId: c.authId, at: process.hrtime.bigint() });
        this.track(bridge.authorise({ authId: c.authId, direction: c.direction, count: c.count, timeoutMs: c.timeoutMs }), (err) => {
          this.fail(err);
          const code = err instanceof BridgeError ? (err.nakReason ?? err.code) : 'transport';
          this.feed({ type: 'authorise-failed', at: this.now(), code });
        });
        return;
      case 'cancel':
        this.track(bridge.cancel(c.authId), (err) => this.fail(err));
        return;
      case 'set-mode':
        this.track(bridge.setMode(c.mode), (err) => this.fail(err));
        return;
      case 'display':
        this.events.emit('display', c.display);
        this.track(bridge.display(c.display), (err) => this.fail(err));
        return;
      case 'match-face': {
        const matcher = this.opts.face?.matcher;
        const { requestId } = c;
        if (!matcher) {
          this.inbox.push({ type: 'face-answer', at: this.now(), requestId, answer: { result: 'unavailable', detail: 'no-matcher' } });
          return;
        }
        this.events.emit('face-request', { requestId, at: process.hrtime.bigint() });
        // Not awaited: the answer comes back into the inbox as an input; the catch turns a failed match into one.
        void matcher
          .match({ requestId, photo: c.photo, deadlineMs: c.deadlineMs })
          .catch(() => ({ result: 'unavailable' as const, detail: 'client-failed' }))
          .then((answer) => {
            this.events.emit('face-answer', { requestId, result: answer.result, at: process.hrtime.bigint() });
            this.feed({ type: 'face-answer', at: this.now(), requestId, answer });
          });
        return;
      }
      case 'sound':
        this.track(bridge.sound({ pattern: c.pattern, durationMs: c.pattern === 'alarm' ? 2000 : 300 }), (err) => this.fail(err));
        return;
    }
  }

  private record(what: 'decision' | 'passage' | 'alarm', write: () => void): void {
    try {
      write();
    } catch (err) {
      // Whatever the store threw, nothing was committed: the lane refuses passengers until a write succeeds.
      const e = isGateError(err) ? err : new GateError('lane', 'store-failed', errorLine(err), 'refuse', { cause: err });
      this.storeError = e;
      this.fail(e);
      this.inbox.push({ type: 'store-failed', at: this.now(), code: e.code, what });
    }
  }

  private fail(err: unknown): void {
    // A request refused because the link is down is expected (the lane already shows the fault): not an error.
    if (err instanceof BridgeError && err.code === 'link-down') return;
    const e = isGateError(err) ? err : new GateError('lane', 'failed', errorLine(err), 'retry', { cause: err });
    this.opts.log?.warn({ code: e.code, layer: e.layer }, e.message);
    this.events.emit('error', e);
  }
}
