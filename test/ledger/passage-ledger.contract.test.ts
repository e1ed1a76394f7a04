// The passage ledger's contract, held by the SQLite ledger and the memory one alike: a ticket is taken at most once
// per direction, by this gate or a sibling; a sibling passage is idempotent and only a sibling's; central's cleared
// uses give the ticket back for good (a replay stays refused, also after a restart); pending authorisations are taken
// once; pruning goes by the ticket's arrival (or the passage time when the cache did not know it), in bounded batches.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PassageEvent } from '../../src/gate/events.js';
import { PENDING_AUTH_KEEP_MS } from '../../src/ledger/passage-ledger.js';
import { STORE_IMPLS, type OpenStores } from '../support/store-impls.js';

const T0 = Date.parse('2026-03-01T08:00:00Z');
const HOUR = 3_600_000;
let n = 0;
const eventId = () => `0190d0a0-0000-7000-8000-${String(++n).padStart(12, '0')}`;

/** A passage another gate of the station published. */
const siblingPassage = (ticketId: string, o: Partial<PassageEvent> = {}): PassageEvent => ({
  kind: 'passage',
  eventId: eventId(),
  seq: 17,
  station: 'BJP',
  gate: '04',
  at: new Date(T0).toISOString(),
  direction: 'entry',
  outcome: 'passed',
  ticketId,
  docKey: 'k',
  decisionEventId: null,
  ...o,
});

describe.each(STORE_IMPLS)('passage ledger contract: $name', (impl) => {
  let s: OpenStores;
  const local = (ticketId: string, direction: PassageEvent['direction'] = 'entry', atMs = T0) =>
    s.ledger.consume({ ticketId, direction, atMs, eventId: eventId() });

  beforeEach(() => (s = impl.open({ station: 'BJP', gate: '03', now: () => T0 })));
  afterEach(() => s.close());

  it('takes a ticket once per direction, and says so', () => {
    expect(local('T1')).toBe(true);
    expect(local('T1')).toBe(false);
    expect(local('T1', 'exit', T0 + HOUR)).toBe(true);
    expect(s.ledger.uses('T1')).toEqual([
      { direction: 'entry', station: 'BJP', gate: '03', atMs: T0, source: 'local' },
      { direction: 'exit', station: 'BJP', gate: '03', atMs: T0 + HOUR, source: 'local' },
    ]);
    s = s.reopen();
    expect(local('T1')).toBe(false);
    expect(s.ledger.uses('T2')).toEqual([]);
  });

  it("takes a sibling's passage once (a replay takes nothing), and then this gate cannot take the ticket", () => {
    const p = siblingPassage('T9');
    expect(s.ledger.recordSiblingPassage(p)).toBe(true);
    expect(s.ledger.recordSiblingPassage(p)).toBe(false);
    expect(s.ledger.recordSiblingPassage({ ...p, eventId: eventId(), gate: '05' })).toBe(false); // another report of the same use
    expect(s.ledger.uses('T9')).toEqual([{ direction: 'entry', station: 'BJP', gate: '04', atMs: T0, source: 'sibling' }]);
    expect(local('T9')).toBe(false);
    // And the other way round: a ticket this gate took is not taken again by a sibling's report.
    expect(local('T8')).toBe(true);
    expect(s.ledger.recordSiblingPassage(siblingPassage('T8'))).toBe(false);
    expect(s.ledger.uses('T8')).toMatchObject([{ source: 'local', gate: '03' }]);
  });

  it("takes nothing from a passage that is not a sibling's use: this gate's own, another station's, not passed, no ticket", () => {
    expect(s.ledger.recordSiblingPassage(siblingPassage('T1', { gate: '03' }))).toBe(false);
    expect(s.ledger.recordSiblingPassage(siblingPassage('T2', { station: 'SHH' }))).toBe(false);
    expect(s.ledger.recordSiblingPassage(siblingPassage('T3', { outcome: 'timeout' }))).toBe(false);
    expect(s.ledger.recordSiblingPassage(siblingPassage('T4', { outcome: 'sibling' }))).toBe(false);
    expect(s.ledger.recordSiblingPassage({ ...siblingPassage('x'), ticketId: null })).toBe(false);
    for (const t of ['T1', 'T2', 'T3', 'T4']) expect(s.ledger.uses(t)).toEqual([]);
  });

  it('gives back a ticket central cleared, only its sibling use, and refuses the cleared passage for good, also after a restart', () => {
    const forged = siblingPassage('T5');
    expect(s.ledger.recordSiblingPassage(forged)).toBe(true);
    expect(local('T6')).toBe(true);
    expect(
      s.ledger.clearSiblingUses(
        [
          { ticketId: 'T5', direction: 'entry' },
          { ticketId: 'T6', direction: 'entry' },
          { ticketId: 'T7', direction: 'exit' },
        ],
        T0 + HOUR,
      ),
    ).toBe(1);
    expect(s.ledger.uses('T5')).toEqual([]);
    expect(s.ledger.uses('T6')).toMatchObject([{ source: 'local' }]); // central clears sibling uses, never this gate's own
    expect(s.ledger.recordSiblingPassage(forged)).toBe(false);
    s = s.reopen();
    expect(s.ledger.recordSiblingPassage(forged)).toBe(false);
    expect(s.ledger.uses('T5')).toEqual([]);
    // The passenger whose ticket it is can now pass here.
    expect(local('T5')).toBe(true);
  });

  it('prunes cleared uses by the time they were cleared, in batches; then the mark is gone', () => {
    const a = siblingPassage('A');
    const b = siblingPassage('B');
    const c = siblingPassage('C');
    for (const p of [a, b, c]) s.ledger.recordSiblingPassage(p);
    s.ledger.clearSiblingUses([{ ticketId: 'A', direction: 'entry' }], T0);
    s.ledger.clearSiblingUses([{ ticketId: 'B', direction: 'entry' }], T0 + HOUR);
    s.ledger.clearSiblingUses([{ ticketId: 'C', direction: 'entry' }], T0 + 3 * HOUR);
    expect(s.ledger.pruneClearedUses(T0 + 2 * HOUR, 1)).toBe(1);
    expect(s.ledger.pruneClearedUses(T0 + 2 * HOUR, 1)).toBe(1);
    expect(s.ledger.pruneClearedUses(T0 + 2 * HOUR, 1)).toBe(0);
    expect(s.ledger.recordSiblingPassage(c)).toBe(false); // C's mark is younger: kept
    expect(s.ledger.recordSiblingPassage(a)).toBe(true); // retention only prunes marks of tickets past every window
  });

  it('remembers an authorisation across a restart and hands it over once', () => {
    const auth = { authId: 4242, direction: 'entry' as const, ticketId: 'T9', docKey: 'k9', decisionEventId: 'd9', atMs: T0 };
    s.ledger.rememberAuthorisation(auth);
    s = s.reopen();
    expect(s.ledger.lastAuthId()).toBe(4242);
    expect(s.ledger.takeAuthorisation(4242)).toEqual(auth);
    expect(s.ledger.takeAuthorisation(4242)).toBeNull();
    expect(s.ledger.lastAuthId()).toBeNull();
  });

  it('names the newest authorisation last (by time, then the highest id), and forgets those a day older than a new one', () => {
    const auth = (authId: number, atMs: number) => ({
      authId,
      direction: 'exit' as const,
      ticketId: null,
      docKey: null,
      decisionEventId: null,
      atMs,
    });
    s.ledger.rememberAuthorisation(auth(9, T0));
    s.ledger.rememberAuthorisation(auth(3, T0 + 1000));
    expect(s.ledger.lastAuthId()).toBe(3);
    s.ledger.rememberAuthorisation(auth(5, T0 + 1000));
    expect(s.ledger.lastAuthId()).toBe(5);
    s.ledger.rememberAuthorisation(auth(7, T0 + PENDING_AUTH_KEEP_MS + 500));
    expect(s.ledger.takeAuthorisation(9)).toBeNull(); // older than a day before the newest: the MCU rebooted long ago
    expect(s.ledger.takeAuthorisation(3)).toMatchObject({ authId: 3 });
    expect(s.ledger.lastAuthId()).toBe(7);
  });

  it("prunes a row once its ticket's arrival is past (or, unknown to the cache, its passage), in batches of at most `limit`", () => {
    s.addTicket('OLD1', T0);
    s.addTicket('OLD2', T0 + HOUR);
    s.addTicket('NEW', T0 + 10 * HOUR);
    expect(local('OLD1', 'entry', T0 - 2 * HOUR)).toBe(true);
    expect(local('OLD1', 'exit', T0)).toBe(true);
    expect(s.ledger.recordSiblingPassage(siblingPassage('OLD2'))).toBe(true);
    expect(local('NEW', 'entry', T0 - 5 * HOUR)).toBe(true); // passed long ago, but its arrival is ahead: kept
    expect(local('UNKNOWN-OLD', 'entry', T0 - 5 * HOUR)).toBe(true);
    expect(local('UNKNOWN-NEW', 'entry', T0)).toBe(true);
    const arrivalBefore = T0 + 2 * HOUR;
    const passedBefore = T0 - HOUR;
    expect(s.ledger.pruneLedger(arrivalBefore, passedBefore, 2)).toBe(2);
    expect(s.ledger.pruneLedger(arrivalBefore, passedBefore, 2)).toBe(2);
    expect(s.ledger.pruneLedger(arrivalBefore, passedBefore, 2)).toBe(0);
    for (const t of ['OLD1', 'OLD2', 'UNKNOWN-OLD']) expect(s.ledger.uses(t)).toEqual([]);
    expect(s.ledger.uses('NEW')).toHaveLength(1);
    expect(s.ledger.uses('UNKNOWN-NEW')).toHaveLength(1);
  });
});
