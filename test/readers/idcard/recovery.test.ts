// The ID-card session acts on an error's recovery, not on its code: retry polls again and escalates to a SAM reset
// after N in a row; reset-device resets the SAM at once; reopen (the port), drop (the card) and fix-config (a human)
// poll again without counting against the SAM. The loop test drives the real reader over a FakeTransport on fake
// timers, with a simulated reader behind it.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IdCardReader } from '../../../src/readers/idcard/reader.js';
import { initialSession, step, type SessionConfig, type SessionState } from '../../../src/readers/idcard/session.js';
import { parseResponse, serializeResponse } from '../../../src/readers/idcard/index.js';
import { ReaderError } from '../../../src/readers/idcard/errors.js';
import { IdCardReaderSim } from '../../../src/devices/sim/idcard-reader-sim.js';
import { DeviceError } from '../../../src/devices/transport.js';
import { GateError, type Recovery } from '../../../src/util/gate-error.js';
import { FakeTransport } from '../../support/fake-transport.js';
import { RESIDENT } from './fixtures.js';
import type { Document } from '../../../src/identity/document.js';

const CFG: SessionConfig = { pollIntervalMs: 300, findTimeoutMs: 200, readTimeoutMs: 3000, resetAfterFailures: 3 };

/** A session that has sent find, with `failures` failures behind it. */
function finding(failures: number): SessionState {
  return { ...step(initialSession(0), { type: 'tick', now: 0 }, CFG).state, failures };
}

const failWith = (s: SessionState, error: GateError) => step(s, { type: 'answer', now: 100, result: { ok: false, error } }, CFG);

describe('session: each recovery, one reaction', () => {
  const cases: { recovery: Recovery; error: GateError; failuresAfter: number; next: 'idle' | 'resetting' }[] = [
    { recovery: 'retry', error: new ReaderError('bad-checksum', 'x'), failuresAfter: 2, next: 'idle' },
    { recovery: 'reset-device', error: new ReaderError('sam-self-test-failed', 'x', 0x60), failuresAfter: 1, next: 'resetting' },
    { recovery: 'reopen', error: new ReaderError('write-failed', 'x'), failuresAfter: 1, next: 'idle' },
    { recovery: 'reopen', error: new DeviceError('disconnected', 'x'), failuresAfter: 1, next: 'idle' },
    { recovery: 'drop', error: new ReaderError('sam-rejected-card', 'x', 0x32), failuresAfter: 1, next: 'idle' },
    { recovery: 'fix-config', error: new ReaderError('sam-not-authorised', 'x', 0x66), failuresAfter: 1, next: 'idle' },
  ];
  it.each(cases)(
    '$recovery ($error.code): phase $next, failures 1 -> $failuresAfter, the error reported',
    ({ recovery, error, failuresAfter, next }) => {
      expect(error.recovery).toBe(recovery);
      const out = failWith(finding(1), error);
      expect(out.state.phase).toBe(next);
      expect(out.state.failures).toBe(failuresAfter);
      expect(out.effects[0]).toEqual({ type: 'error', error });
      if (next === 'resetting') expect(out.effects[1]).toEqual({ type: 'send', command: 'resetSam', timeoutMs: 3000 });
    },
  );

  it('retry escalates: the Nth retry failure in a row leads to a SAM reset at the next poll; reopen never does', () => {
    const afterRetries = failWith(finding(2), new ReaderError('read-failed', 'x', 0x41)).state;
    expect(step(afterRetries, { type: 'tick', now: 400 }, CFG).effects).toEqual([{ type: 'send', command: 'resetSam', timeoutMs: 3000 }]);
    let s = finding(0);
    for (let i = 0; i < 10; i++) {
      s = failWith(s, new ReaderError('write-failed', 'x')).state;
      const next = step(s, { type: 'tick', now: s.nextPollAt }, CFG);
      expect(next.effects).toEqual([{ type: 'send', command: 'find', timeoutMs: 200 }]);
      s = next.state;
    }
  });

  it('a success after a reset-device goes on as usual', () => {
    const resetting = failWith(finding(0), new ReaderError('unknown-status', 'x', 0x99)).state;
    const reset = step(
      resetting,
      { type: 'answer', now: 200, result: parseResponse('resetSam', serializeResponse({ command: 'resetSam' })) },
      CFG,
    );
    expect(reset.effects).toEqual([{ type: 'sam-reset' }]);
    expect(reset.state).toMatchObject({ phase: 'idle', failures: 0 });
  });
});

describe('reader loop: the recovery reaches the device', () => {
  let transport: FakeTransport;
  let sim: IdCardReaderSim;
  let reader: IdCardReader;
  let docs: Document[];
  let errors: GateError[];
  let resets: number;

  beforeEach(async () => {
    vi.useFakeTimers();
    transport = new FakeTransport('idcard');
    sim = new IdCardReaderSim((b) => transport.deliver(b), { delayMs: 20 });
    transport.connect((b) => sim.receive(b));
    await transport.open();
    reader = new IdCardReader(transport, { session: CFG, clock: () => Date.now() });
    docs = [];
    errors = [];
    resets = 0;
    reader.events.on('document', (d) => docs.push(d));
    reader.events.on('error', (e) => errors.push(e));
    reader.events.on('sam-reset', () => resets++);
  });

  afterEach(async () => {
    await reader.stop();
    sim.stop();
    vi.useRealTimers();
  });

  it('a failed write is write-failed (not a timeout), recovered by the port, never by resetting the SAM', async () => {
    transport.failWrites = { count: 6, error: new Error('EIO: i/o error, write') };
    sim.placeCard(RESIDENT);
    reader.start();
    await vi.advanceTimersByTimeAsync(3000);
    expect(errors.slice(0, 6).map((e) => [e.code, e.recovery])).toEqual(Array(6).fill(['write-failed', 'reopen']));
    expect(errors[0].message).toBe('find not written: EIO: i/o error, write');
    expect(resets).toBe(0);
    expect(sim.received).not.toContain('resetSam');
    expect(docs.map((d) => d.number)).toEqual(['11010519491231002X']);
  });

  it('a SAM status that calls for a reset is answered with a reset at once, not after N polls', async () => {
    sim.setBehaviour({ stuckStatus: 0x60 });
    sim.placeCard(RESIDENT);
    reader.start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(errors.map((e) => [e.code, e.recovery])).toEqual([['sam-self-test-failed', 'reset-device']]);
    expect(sim.received.slice(0, 2)).toEqual(['find', 'resetSam']);
    expect(resets).toBe(1);
    expect(docs).toHaveLength(1);
  });
});
