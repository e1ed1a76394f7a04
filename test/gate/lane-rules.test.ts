// One owner for the mode, fire-alarm and MCU rules (src/decide/lane-rules.ts) and for the read -> reason mapping
// (src/readers/outcome.ts): for every lane condition and every kind of read, the lane state machine records the
// same decision that `gate decide`'s path (decideRead) gives, and an open decision reaches the MCU only when the
// rules allow it. Before, the lane said reject/emergency while decide() said open/emergency, and a read failure
// was `unreadable` at the lane whatever the mode.
import { afterAll, describe, expect, it } from 'vitest';
import { keyedPassengers, keyedTickets } from '../support/keyed.js';
import { openDb } from '../../src/cache/db.js';
import { setSyncState, upsertPassengers, upsertTickets } from '../../src/cache/write.js';
import { SqliteCacheView } from '../../src/cache/view.js';
import { gateConfigSchema } from '../../src/config/schema.js';
import { decideRead } from '../../src/decide/decide.js';
import { LANE_MODES, mayAuthorise, type LaneConditions } from '../../src/decide/lane-rules.js';
import { initialLane, stepLane, type LaneCommand, type LaneInput, type LaneState } from '../../src/gate/lane.js';
import type { Document } from '../../src/identity/document.js';
import { parseMrz } from '../../src/readers/mrz/index.js';
import { buildMrz } from '../../src/readers/mrz/build.js';
import { readFailureReason, readOutcome, type ReadFailureReason } from '../../src/readers/outcome.js';
import { decodeIdCard, buildReadResponse, encodeCardText, ReaderError } from '../../src/readers/idcard/index.js';
import { CARDS } from '../../src/demo/data.js';

const SECRET = 'test-aeff15d6362f85765ba3a78408830de61e1e8d3a39f19d278532327358833288';
const rules = gateConfigSchema.parse({ station: 'VNP' }).rules;
const AT = Date.parse('2025-06-01T09:30:00+08:00');

const PASSPORT: Document = {
  type: 'mrz',
  number: 'C01X00T47',
  nationality: 'DEU',
  nameLatin: 'ERIKA MUSTERMANN',
  nameChinese: null,
  sex: 'F',
  birthDate: '1964-08-12',
  validFrom: null,
  validTo: '2030-10-31',
  warnings: [],
};

// A real (in-memory) SQLite cache: the passport is verified and holds a ticket in its window.
const db = openDb(':memory:');
upsertPassengers(
  db,
  keyedPassengers(SECRET, [{ kind: 'passport', country: 'DEU', number: 'C01X00T47', status: 'verified', birthDate: '1964-08-12' }]),
);
upsertTickets(
  db,
  keyedTickets(SECRET, [
    {
      id: 'P1',
      kind: 'passport',
      country: 'DEU',
      number: 'C01X00T47',
      train: 'G101',
      date: '2025-06-01',
      from: 'VNP',
      to: 'AOH',
      departure: '2025-06-01T10:00:00+08:00',
      arrival: '2025-06-01T14:30:00+08:00',
      car: '05',
      seat: '12A',
      status: 'valid',
    },
  ]),
);
setSyncState(db, { station: 'VNP', epoch: 'e1', seq: 0, generatedAt: '2025-06-01T06:00:00+08:00', appliedAt: '2025-06-01T06:00:00+08:00' });
const view = new SqliteCacheView(db, SECRET);
afterAll(() => db.close());

type Read = { ok: true; document: Document } | { ok: false; reason: ReadFailureReason };
const READS: [string, Read][] = [
  ['a passport with a ticket', { ok: true, document: PASSPORT }],
  ['an unreadable read', { ok: false, reason: 'unreadable' }],
  ['an invalid document', { ok: false, reason: 'document-invalid' }],
];

/** The lane in the given conditions, fed one read; the decide command answered through decideRead, as the loop does. */
function lane(c: LaneConditions, read: Read): LaneCommand[] {
  let s: LaneState = initialLane({
    station: 'VNP',
    direction: 'entry',
    mode: c.mode,
    timing: { passageTimeoutMs: 10_000, resultHoldMs: 3000, guardMs: 2000 },
    firstAuthId: 1,
    at: AT,
  });
  const out: LaneCommand[] = [];
  const queue: LaneInput[] = [];
  if (c.mcuUp) queue.push({ type: 'link', at: AT, up: true, emergency: c.emergency });
  else if (c.emergency) queue.push({ type: 'report', at: AT, report: { kind: 'emergency', active: true } });
  queue.push(
    read.ok ? { type: 'document', at: AT, document: read.document, docKey: 'k' } : { type: 'read-failed', at: AT, reason: read.reason },
  );
  for (let i = queue.shift(); i; i = queue.shift()) {
    const step = stepLane(s, i);
    s = step.state;
    for (const cmd of step.commands) {
      out.push(cmd);
      if (cmd.type === 'decide')
        queue.push({ type: 'decided', at: AT, decision: decideRead({ ok: true, document: cmd.document }, view, rules, cmd.ctx) });
      if (cmd.type === 'record-decision') queue.push({ type: 'decision-recorded', at: AT, eventId: 'ev-1' });
    }
  }
  return out;
}

const CONDITIONS: LaneConditions[] = LANE_MODES.flatMap((mode) =>
  [false, true].flatMap((emergency) => [true, false].map((mcuUp) => ({ mode, emergency, mcuUp }))),
);

describe('the lane and gate decide share one set of lane rules', () => {
  it.each(CONDITIONS.flatMap((c) => READS.map(([name, read]) => ({ ...c, name, read }))))(
    'mode $mode, emergency $emergency, MCU up $mcuUp, $name: same decision; authorised only when the rules allow',
    ({ mode, emergency, mcuUp, read }) => {
      const c = { mode, emergency, mcuUp };
      const cli = decideRead(read, view, rules, { station: 'VNP', direction: 'entry', now: new Date(AT), ...c });
      const cmds = lane(c, read);
      const recorded = cmds.find((x) => x.type === 'record-decision');
      expect(recorded?.type === 'record-decision' && [recorded.event.decision, recorded.event.reason]).toEqual([cli.decision, cli.reason]);
      const authorised = cmds.some((x) => x.type === 'authorise');
      expect(authorised).toBe(cli.decision === 'open' && cli.ticket !== null && mayAuthorise(c, 'passenger'));
    },
  );

  it('the fire alarm and the modes come before the document and before a failed read', () => {
    const ctx = { station: 'VNP', direction: 'entry' as const, now: new Date(AT) };
    expect(decideRead({ ok: false, reason: 'unreadable' }, view, rules, { ...ctx, emergency: true })).toMatchObject({
      decision: 'reject',
      reason: 'emergency',
    });
    expect(decideRead({ ok: false, reason: 'document-invalid' }, view, rules, { ...ctx, mode: 'free' })).toMatchObject({
      decision: 'open',
      reason: 'ok',
    });
    expect(decideRead({ ok: true, document: PASSPORT }, view, rules, { ...ctx, mcuUp: false })).toMatchObject({
      decision: 'reject',
      reason: 'gate-mode',
    });
    expect(decideRead({ ok: true, document: PASSPORT }, view, rules, ctx)).toMatchObject({
      decision: 'open',
      reason: 'ok',
      ticket: { id: 'P1' },
    });
  });
});

describe('a read failure -> the passenger reason (src/readers/outcome.ts)', () => {
  const mrz = buildMrz({
    format: 'TD3',
    documentCode: 'P',
    issuingState: 'D',
    surname: 'MUSTERMANN',
    givenNames: 'ERIKA',
    number: 'C01X00T47',
    nationality: 'D',
    birthDate: '640812',
    sex: 'F',
    expiryDate: '301031',
  });
  const at = new Date(AT);

  it('an MRZ read cleanly with a bad check digit is document-invalid; text that is no MRZ is unreadable', () => {
    const badDigit = [mrz[0], mrz[1].slice(0, 9) + (mrz[1][9] === '0' ? '1' : '0') + mrz[1].slice(10)].join('\n');
    expect(readOutcome(parseMrz(badDigit, at))).toMatchObject({ ok: false, reason: 'document-invalid', error: { code: 'check-digit' } });
    expect(readOutcome(parseMrz('HELLO WORLD', at))).toMatchObject({ ok: false, reason: 'unreadable' });
    expect(readOutcome(parseMrz(mrz.join('\n'), at))).toMatchObject({ ok: true, document: { number: 'C01X00T47' } });
  });

  it('an ID card with a bad check char or an unknown card type is document-invalid; a broken frame is unreadable', () => {
    const card = (over: object) => buildReadResponse(encodeCardText({ ...CARDS.resident, ...over }));
    expect(readOutcome(decodeIdCard(card({ number: '110105194912310020' })))).toMatchObject({
      ok: false,
      reason: 'document-invalid',
      error: { code: 'bad-number-check' },
    });
    const frame = card({});
    const corrupt = Uint8Array.from(frame);
    corrupt[100] ^= 0xff; // the checksum no longer holds
    expect(readOutcome(decodeIdCard(corrupt))).toMatchObject({ ok: false, reason: 'unreadable', error: { code: 'bad-checksum' } });
    expect(readOutcome(decodeIdCard(frame.subarray(0, 200)))).toMatchObject({ ok: false, reason: 'unreadable' });
    expect(readFailureReason(new ReaderError('unknown-layout', 'card type flag'))).toBe('document-invalid');
    expect(readFailureReason(new ReaderError('read-failed', 'SW3=41'))).toBe('unreadable');
  });
});
