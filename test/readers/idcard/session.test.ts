import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IdCardReader } from '../../../src/readers/idcard/reader.js';
import { initialSession, step, wakeAt, type SessionConfig, type SessionState } from '../../../src/readers/idcard/session.js';
import { buildResponse, parseResponse, serializeResponse } from '../../../src/readers/idcard/index.js';
import { IdCardReaderSim } from '../../../src/devices/sim/idcard-reader-sim.js';
import { FakeTransport } from '../../support/fake-transport.js';
import { HMT_PERMIT, PR_2023, RESIDENT } from './fixtures.js';
import type { Document } from '../../../src/identity/document.js';
import type { GateError } from '../../../src/util/gate-error.js';

const CFG: SessionConfig = { pollIntervalMs: 300, findTimeoutMs: 200, readTimeoutMs: 3000, resetAfterFailures: 3 };

describe('session machine (pure)', () => {
  const found = parseResponse('find', serializeResponse({ command: 'find', iin: new Uint8Array(4) }));
  const noCard = parseResponse('find', buildResponse(0x80));

  it('polls find at the poll interval with the find timeout, and waits while a command is out', () => {
    let s = initialSession(1000);
    expect(wakeAt(s)).toBe(1000);
    const out = step(s, { type: 'tick', now: 1000 }, CFG);
    expect(out.effects).toEqual([{ type: 'send', command: 'find', timeoutMs: 200 }]);
    s = out.state;
    expect(wakeAt(s)).toBeNull();
    const after = step(s, { type: 'answer', now: 1050, result: noCard }, CFG);
    expect(after.effects).toEqual([]);
    expect(wakeAt(after.state)).toBe(1350);
    expect(step(after.state, { type: 'tick', now: 1349 }, CFG).effects).toEqual([]);
  });

  it('goes find -> select -> read with the read timeout', () => {
    let s = step(initialSession(0), { type: 'tick', now: 0 }, CFG).state;
    const sel = step(s, { type: 'answer', now: 10, result: found }, CFG);
    expect(sel.effects).toEqual([{ type: 'send', command: 'select', timeoutMs: 200 }]);
    s = sel.state;
    const rd = step(
      s,
      { type: 'answer', now: 20, result: parseResponse('select', serializeResponse({ command: 'select', sn: new Uint8Array(8) })) },
      CFG,
    );
    expect(rd.effects).toEqual([{ type: 'send', command: 'read', timeoutMs: 3000 }]);
  });

  it('resets the SAM after N failures in a row, and "no card" is not a failure', () => {
    let s: SessionState = initialSession(0);
    let now = 0;
    const tick = () => {
      const o = step(s, { type: 'tick', now }, CFG);
      s = o.state;
      return o.effects;
    };
    for (let i = 0; i < 3; i++) {
      expect(tick()).toEqual([{ type: 'send', command: 'find', timeoutMs: 200 }]);
      const o = step(s, { type: 'timeout', now: (now += 200) }, CFG);
      expect(o.effects[0]).toMatchObject({ type: 'error', error: { code: 'timeout' } });
      s = o.state;
      now += 300;
    }
    expect(tick()).toEqual([{ type: 'send', command: 'resetSam', timeoutMs: 3000 }]);
    const reset = step(s, { type: 'answer', now: (now += 100), result: parseResponse('resetSam', buildResponse(0x90)) }, CFG);
    expect(reset.effects).toEqual([{ type: 'sam-reset' }]);
    expect(reset.state.failures).toBe(0);
    s = reset.state;
    now += 300;
    tick();
    s = step(s, { type: 'answer', now, result: noCard }, CFG).state;
    expect(s.failures).toBe(0);
  });
});

describe('reader loop on fake timers with a simulated reader', () => {
  let transport: FakeTransport;
  let sim: IdCardReaderSim;
  let reader: IdCardReader;
  let docs: Document[];
  let errors: GateError[];
  let removed: number;
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
    removed = 0;
    resets = 0;
    reader.events.on('document', (d) => docs.push(d));
    reader.events.on('error', (e) => errors.push(e));
    reader.events.on('card-removed', () => removed++);
    reader.events.on('sam-reset', () => resets++);
    reader.start();
  });

  afterEach(async () => {
    await reader.stop();
    sim.stop();
    vi.useRealTimers();
  });

  it('reads a placed card once, not again while it stays, and again after it left and came back', async () => {
    await vi.advanceTimersByTimeAsync(1000);
    expect(docs).toEqual([]);
    sim.placeCard(RESIDENT);
    await vi.advanceTimersByTimeAsync(1000);
    expect(docs.map((d) => d.number)).toEqual(['11010519491231002X']);
    await vi.advanceTimersByTimeAsync(10_000); // left on the reader: find keeps answering "found"
    expect(docs).toHaveLength(1);
    expect(sim.reads).toBe(1);
    sim.removeCard();
    await vi.advanceTimersByTimeAsync(1000);
    expect(removed).toBe(1);
    sim.placeCard(RESIDENT);
    await vi.advanceTimersByTimeAsync(1000);
    expect(docs).toHaveLength(2);
    expect(errors).toEqual([]);
  });

  it('does not re-read a card whose presence flickers once (one "no card" answer)', async () => {
    sim.placeCard(PR_2023);
    await vi.advanceTimersByTimeAsync(1000);
    expect(docs).toHaveLength(1);
    sim.setBehaviour({ findAfterRead: 'no-card' }); // one poll sees no card...
    await vi.advanceTimersByTimeAsync(320);
    sim.setBehaviour({ findAfterRead: 'found' }); // ...then the card is seen again
    await vi.advanceTimersByTimeAsync(3000);
    expect(docs).toHaveLength(1);
    expect(removed).toBe(0);
  });

  it('after failed reads in a row it resets the SAM, then reads', async () => {
    sim.placeCard(HMT_PERMIT);
    sim.setBehaviour({ failReads: 3 });
    await vi.advanceTimersByTimeAsync(5000);
    expect(errors.map((e) => e.code)).toEqual(['read-failed', 'read-failed', 'read-failed']);
    expect(resets).toBe(1);
    expect(sim.received).toContain('resetSam');
    expect(docs.map((d) => d.type)).toEqual(['cn-hmt-permit']);
  });

  it('times a silent reader out per step, and a SAM stuck on an error status is reset', async () => {
    sim.setBehaviour({ silent: true });
    await vi.advanceTimersByTimeAsync(2000);
    expect(errors.length).toBeGreaterThanOrEqual(3);
    expect(errors.every((e) => e.code === 'timeout')).toBe(true);
    sim.setBehaviour({ silent: false, stuckStatus: 0x60 });
    errors.length = 0;
    sim.placeCard(RESIDENT);
    await vi.advanceTimersByTimeAsync(8000);
    expect(errors.some((e) => e.code === 'sam-self-test-failed')).toBe(true);
    expect(docs).toHaveLength(1);
  });

  it('a checksum-corrupted answer is a failure, not a document, and the next read succeeds', async () => {
    sim.placeCard(RESIDENT);
    sim.setBehaviour({ corruptNext: 3 }); // find, select, read... each corrupted once
    await vi.advanceTimersByTimeAsync(6000);
    expect(errors.map((e) => e.code)).toContain('timeout');
    expect(docs).toHaveLength(1);
  });

  it('pauses while the port is unplugged and carries on after the replug', async () => {
    await vi.advanceTimersByTimeAsync(250);
    transport.unplug();
    const before = transport.written.length;
    await vi.advanceTimersByTimeAsync(2000);
    expect(transport.written).toHaveLength(before);
    transport.replug();
    sim.placeCard(RESIDENT);
    await vi.advanceTimersByTimeAsync(1000);
    expect(docs).toHaveLength(1);
  });
});
