// The lane journal's promise, over SQLite and over the memory parts alike: a passage's event and the ticket it takes
// are recorded together or not at all; a ticket is consumed once per direction; a passage of an authorisation given
// before a restart takes the remembered ticket once; every record gets the next seq. The SQLite-only case at the end
// fills a real disk.
import { afterEach, describe, expect, it } from 'vitest';
import type { DecisionEvent, NewEvent, PassageEvent } from '../../src/gate/events.js';
import { GateError } from '../../src/util/gate-error.js';
import { STORE_IMPLS, type OpenStores } from '../support/store-impls.js';
import { openDb } from '../../src/cache/db.js';
import { sqliteLaneJournal } from '../../src/outbox/lane-journal.js';
import { tempDir } from '../sync/fixtures.js';
import { join } from 'node:path';

const T0 = Date.parse('2026-03-01T08:00:00Z');
const at = (ms = T0) => new Date(ms).toISOString();

const passage = (
  ticketId: string | null,
  outcome: PassageEvent['outcome'] = 'passed',
  direction: PassageEvent['direction'] = 'entry',
): NewEvent<PassageEvent> => ({
  kind: 'passage',
  at: at(),
  direction,
  outcome,
  ticketId,
  docKey: ticketId && 'k',
  decisionEventId: null,
});

const openDecision = (ticketId: string, docKey: string): NewEvent<DecisionEvent> => ({
  kind: 'decision',
  at: at(),
  direction: 'entry',
  decision: 'open',
  reason: 'ok',
  docType: 'mrz',
  docKey,
  ticketId,
  train: 'G1',
});

describe.each(STORE_IMPLS)('lane journal contract: $name', (impl) => {
  let s: OpenStores;
  const open = () => (s = impl.open({ station: 'BJP', gate: '03', now: () => T0 }));
  afterEach(() => s.close());

  it('records decisions, passages and alarms in one seq, and a passed passage takes its ticket once per direction', () => {
    open();
    const d = s.journal.recordDecision({
      kind: 'decision',
      at: at(),
      direction: 'entry',
      decision: 'open',
      reason: 'ok',
      docType: 'cn-resident-id',
      docKey: 'k',
      ticketId: 'T1',
      train: 'G1',
    });
    const first = s.journal.recordPassage({ ...passage('T1'), decisionEventId: d.eventId });
    const again = s.journal.recordPassage(passage('T1'));
    const exit = s.journal.recordPassage(passage('T1', 'passed', 'exit'));
    const timeout = s.journal.recordPassage(passage('T2', 'timeout'));
    const a = s.journal.recordAlarm({ kind: 'alarm', at: at(), type: 'tailgating', detail: null, active: true });
    expect([first.consumed, again.consumed, exit.consumed, timeout.consumed]).toEqual([true, false, true, false]);
    expect([d, first.event, again.event, exit.event, timeout.event, a].map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(s.outbox.pendingAfter(0, 10).map((r) => r.eventId)).toEqual(
      [d, first.event, again.event, exit.event, timeout.event, a].map((e) => e.eventId),
    );
    expect(s.ledger.uses('T1').map((u) => u.direction)).toEqual(['entry', 'exit']);
    expect(s.ledger.uses('T2')).toEqual([]);
  });

  it('refuses a ticket a sibling gate took: the passage is still reported, nothing more is consumed', () => {
    open();
    s.ledger.recordSiblingPassage({
      ...passage('T9'),
      eventId: '0190d0a0-0000-7000-8000-000000000001',
      seq: 3,
      station: 'BJP',
      gate: '04',
    });
    const r = s.journal.recordPassage(passage('T9'));
    expect(r.consumed).toBe(false);
    expect(s.outbox.backlog().pending).toBe(1); // the sibling's event is not this gate's to report
    expect(s.ledger.uses('T9')).toMatchObject([{ source: 'sibling', gate: '04' }]);
  });

  it('after a restart, a passage of an authorisation given before it consumes the remembered ticket once, and clears it', () => {
    open();
    s.journal.rememberAuthorisation?.({ authId: 4242, direction: 'entry', ticketId: 'T9', docKey: 'k9', decisionEventId: 'd9', atMs: T0 });
    s = s.reopen();
    expect(s.journal.lastAuthId?.()).toBe(4242);
    const r = s.journal.recordPassage(passage(null), 4242);
    expect(r).toMatchObject({ consumed: true, event: { ticketId: 'T9', docKey: 'k9', decisionEventId: 'd9' } });
    expect(s.journal.lastAuthId?.()).toBeNull();
    // The MCU repeats the report (its ACK was lost): recorded, but nothing more is consumed.
    expect(s.journal.recordPassage(passage(null), 4242)).toMatchObject({ consumed: false, event: { ticketId: null } });
    expect(s.ledger.uses('T9')).toHaveLength(1);
  });

  it('a decision recorded with its authorisation remembers it in the same commit, tied to the new event', () => {
    open();
    const d = s.journal.recordDecision(openDecision('T5', 'k5'), {
      authId: 55,
      direction: 'entry',
      ticketId: 'T5',
      docKey: 'k5',
      atMs: T0,
    });
    s = s.reopen();
    expect(s.journal.lastAuthId?.()).toBe(55);
    // The passage the MCU reports after a restart finds the ticket and the decision through it.
    expect(s.journal.recordPassage(passage(null), 55)).toMatchObject({
      consumed: true,
      event: { ticketId: 'T5', decisionEventId: d.eventId },
    });
  });

  it('a decision whose event cannot be stored remembers no authorisation either', () => {
    open();
    s.breakOutbox();
    expect(() =>
      s.journal.recordDecision(openDecision('T1', 'k'), { authId: 9, direction: 'entry', ticketId: 'T1', docKey: 'k', atMs: T0 }),
    ).toThrow(GateError);
    expect(s.journal.lastAuthId?.()).toBeNull();
  });

  it('a passage whose ledger write fails leaves nothing: no event, no seq used, the authorisation still held', () => {
    open();
    s.journal.rememberAuthorisation?.({ authId: 7, direction: 'entry', ticketId: 'T1', docKey: 'k', decisionEventId: null, atMs: T0 });
    s.journal.recordAlarm({ kind: 'alarm', at: at(), type: 'power', detail: null, active: false });
    s.breakLedger();
    let err: unknown;
    try {
      s.journal.recordPassage(passage('T1'), 7);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GateError);
    expect(err).toMatchObject({ layer: 'ledger', recovery: 'refuse' });
    expect(s.outbox.backlog()).toMatchObject({ pending: 1, lastSeq: 1 });
    expect(s.ledger.uses('T1')).toEqual([]);
    expect(s.journal.lastAuthId?.()).toBe(7);
    // Events that take no ticket still go through, and the seq has no gap.
    expect(s.journal.recordPassage(passage('T1', 'timeout')).event.seq).toBe(2);
  });

  it('a passage whose event cannot be stored takes no ticket', () => {
    open();
    s.breakOutbox();
    expect(() => s.journal.recordPassage(passage('T1'))).toThrow(GateError);
    expect(s.ledger.uses('T1')).toEqual([]);
    expect(s.outbox.backlog()).toMatchObject({ pending: 0, lastSeq: 0 });
  });
});

describe('lane journal on a full disk (SQLite)', () => {
  it('refuses with disk-full (the lane refuses passengers) and leaves ledger and outbox consistent', () => {
    const tmp = tempDir();
    const db = openDb(join(tmp.dir, 'gate.db'));
    try {
      const { journal, outbox } = sqliteLaneJournal(db, { station: 'BJP', gate: '03', now: () => T0 });
      db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
      let err: unknown;
      let ok = 0;
      try {
        for (let i = 0; i < 100_000; i++) {
          journal.recordPassage({ ...passage(`TICKET-${i}-${'x'.repeat(200)}`), docKey: 'k'.repeat(1000) });
          ok++;
        }
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(GateError);
      expect(err).toMatchObject({ code: 'disk-full', recovery: 'refuse' });
      expect(db.prepare('SELECT count(*) AS n FROM ledger').get()).toEqual({ n: ok });
      expect(outbox.counts()).toMatchObject({ pending: ok, lastSeq: ok });
    } finally {
      db.close();
      tmp.cleanup();
    }
  });
});
