// The reader session as a pure state machine: find -> select -> read, polling; time is an input, the machine
// returns the next command (with its timeout) and what to report; the loop in reader.ts does the I/O.
// Real readers (research/idcard.md 1.6): poll >= 300 ms, ~100-200 ms for find/select, 2-3 s for a read; after a
// read the card must leave the field before the next one, and a stuck SAM is reset after repeated failures.
import type { Document } from '../../identity/document.js';
import type { GateError } from '../../util/gate-error.js';
import type { CommandName, Response, Result } from './codec.js';
import { decodeCardText } from './card-text.js';
import { ReaderError } from './errors.js';

export interface SessionConfig {
  pollIntervalMs: number;
  findTimeoutMs: number;
  /** Select answers as fast as find on every reader seen; defaults to findTimeoutMs. */
  selectTimeoutMs?: number;
  readTimeoutMs: number;
  /** A SAM reset takes about as long as a read. Defaults to readTimeoutMs. */
  resetTimeoutMs?: number;
  /** Reset the SAM after this many failures in a row. */
  resetAfterFailures: number;
  /**
   * "No card" answers in a row before a read card counts as gone. More than one, because a card at the edge of the
   * field flickers between found and not found, and would otherwise be read twice.
   */
  removalConfirmations?: number;
}

export type SessionPhase = 'idle' | 'finding' | 'selecting' | 'reading' | 'resetting';

export interface SessionState {
  readonly phase: SessionPhase;
  /** When idle: the time of the next find. */
  readonly nextPollAt: number;
  /** Failures in a row (timeouts, error statuses, bad frames); "no card" is not a failure. */
  readonly failures: number;
  /** A card was read (or refused) and has not left the reader yet. */
  readonly cardHeld: boolean;
  /** "No card" answers in a row while a card is held. */
  readonly absentCount: number;
}

export type SessionInput =
  | { type: 'tick'; now: number }
  | { type: 'answer'; now: number; result: Result<Response> | { ok: false; error: GateError } }
  | { type: 'timeout'; now: number };

export type SessionEffect =
  | { type: 'send'; command: CommandName; timeoutMs: number }
  /** photo: the chip's photo block as the card gave it (a view into the read's frame), for the face check only. */
  | { type: 'document'; document: Document; photo?: Uint8Array }
  | { type: 'error'; error: GateError }
  /** A card was read but its text is not a card the gate accepts: the passenger's problem, not the device's. */
  | { type: 'rejected'; error: GateError }
  | { type: 'card-removed' }
  | { type: 'sam-reset' };

export interface Step {
  state: SessionState;
  effects: SessionEffect[];
}

export function initialSession(now: number): SessionState {
  return { phase: 'idle', nextPollAt: now, failures: 0, cardHeld: false, absentCount: 0 };
}

/** When the loop must call in with a tick; null while a command is in flight (its answer or timeout comes first). */
export function wakeAt(state: SessionState): number | null {
  return state.phase === 'idle' ? state.nextPollAt : null;
}

export function step(state: SessionState, input: SessionInput, cfg: SessionConfig): Step {
  const idle = (s: Partial<SessionState>, now: number, effects: SessionEffect[] = []): Step => ({
    state: { ...state, ...s, phase: 'idle', nextPollAt: now + cfg.pollIntervalMs },
    effects,
  });
  const send = (phase: SessionPhase, command: CommandName, timeoutMs: number, s: Partial<SessionState> = {}): Step => ({
    state: { ...state, ...s, phase },
    effects: [{ type: 'send', command, timeoutMs }],
  });
  /** A failed step, handled by what its error's recovery says, not by its code. */
  const failure = (error: GateError, now: number): Step => {
    const report: SessionEffect = { type: 'error', error };
    switch (error.recovery) {
      case 'reset-device':
        // The SAM itself is stuck (self-test failed, unknown status): reset it now, polling would not help.
        return {
          state: { ...state, phase: 'resetting' },
          effects: [report, { type: 'send', command: 'resetSam', timeoutMs: cfg.resetTimeoutMs ?? cfg.readTimeoutMs }],
        };
      case 'retry':
        // Transient (a timeout, a bad checksum, a failed read): poll again; repeated ones escalate to a SAM reset.
        return idle({ failures: state.failures + 1 }, now, [report]);
      default:
        // reopen: the port is the problem and the transport reopens it (a SAM reset would not reach the reader);
        // drop / fix-config: the card or the config, not the SAM. Poll again without counting it against the SAM.
        return idle({}, now, [report]);
    }
  };

  if (input.type === 'tick') {
    if (state.phase !== 'idle' || input.now < state.nextPollAt) return { state, effects: [] };
    if (state.failures >= cfg.resetAfterFailures) return send('resetting', 'resetSam', cfg.resetTimeoutMs ?? cfg.readTimeoutMs);
    return send('finding', 'find', cfg.findTimeoutMs);
  }
  if (state.phase === 'idle') return { state, effects: [] }; // a stray answer: nothing was asked

  const now = input.now;
  if (input.type === 'timeout') {
    const error = new ReaderError('timeout', `no answer to ${COMMAND_OF[state.phase]} in time`);
    if (state.phase === 'resetting') return idle({ failures: 0 }, now, [{ type: 'error', error }]);
    return failure(error, now);
  }

  const result = input.result;
  switch (state.phase) {
    case 'finding': {
      if (result.ok) {
        // The card that was just read is still there: do not read it again.
        if (state.cardHeld) return idle({ failures: 0, absentCount: 0 }, now);
        return send('selecting', 'select', cfg.selectTimeoutMs ?? cfg.findTimeoutMs);
      }
      if (result.error.code === 'no-card') {
        if (!state.cardHeld) return idle({ failures: 0 }, now);
        const absentCount = state.absentCount + 1;
        if (absentCount >= (cfg.removalConfirmations ?? 2))
          return idle({ failures: 0, cardHeld: false, absentCount: 0 }, now, [{ type: 'card-removed' }]);
        return idle({ failures: 0, absentCount }, now);
      }
      return failure(result.error, now);
    }
    case 'selecting':
      return result.ok ? send('reading', 'read', cfg.readTimeoutMs) : failure(result.error, now);
    case 'reading': {
      if (!result.ok) return failure(result.error, now);
      if (result.value.command !== 'read' && result.value.command !== 'readWithFingerprint') {
        return failure(new ReaderError('unexpected-response', 'the answer to a read is not a read'), now);
      }
      const decoded = decodeCardText(result.value.text);
      // A card that cannot be decoded is reported once, then treated as held like a good one: re-reading the same
      // bytes will not make them valid, and the passenger must take the card away anyway.
      const effect: SessionEffect = decoded.ok
        ? { type: 'document', document: decoded.value, photo: result.value.photo }
        : { type: 'rejected', error: decoded.error };
      return idle({ failures: 0, cardHeld: true, absentCount: 0 }, now, [effect]);
    }
    case 'resetting':
      return idle({ failures: 0 }, now, [result.ok ? { type: 'sam-reset' } : { type: 'error', error: result.error }]);
  }
}

const COMMAND_OF: Record<SessionPhase, string> = {
  idle: '-',
  finding: 'find',
  selecting: 'select',
  reading: 'read',
  resetting: 'SAM reset',
};
