// The outbox's contract, held by the SQLite outbox and the memory one alike: every event gets a UUIDv7 eventId, this
// gate's station and gate, and the next seq with no gap (also across a refused event, pruning and a restart); the
// publisher reads unsent rows in seq order; only sent rows past retention are pruned.
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { gateEventSchema, type AlarmEvent, type DecisionEvent, type NewEvent, type PassageEvent } from '../../src/gate/events.js';
import { STORE_IMPLS, type OpenStores } from '../support/store-impls.js';

const T0 = Date.parse('2026-03-01T08:00:00Z');
const HOUR = 3_600_000;
const at = (ms = T0) => new Date(ms).toISOString();
const alarm = (detail: string): NewEvent<AlarmEvent> => ({ kind: 'alarm', at: at(), type: 'door-fault', detail, active: true });
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe.each(STORE_IMPLS)('outbox contract: $name', (impl) => {
  let now = T0;
  const keys = generateKeyPairSync('ed25519');
  let s: OpenStores;
  // The gate signs a passage's exact payload bytes (src/mqtt/gate-key.ts); here a plain Ed25519 key does.
  const open = () =>
    (s = impl.open({
      station: 'BJP',
      gate: '03',
      now: () => now,
      signPassage: (p) => sign(null, p, keys.privateKey).toString('base64url'),
    }));

  afterEach(() => s.close());

  it('gives every event a UUIDv7 eventId, this gate, and a gap-free seq; the pending rows are exactly the events, in seq order', () => {
    open();
    const a = s.outbox.append(alarm('a'));
    const d = s.outbox.append<DecisionEvent>({
      kind: 'decision',
      at: at(),
      direction: 'entry',
      decision: 'reject',
      reason: 'no-ticket',
      docType: 'cn-resident-id',
      docKey: 'k',
      ticketId: null,
      train: null,
    });
    const p = s.outbox.append<PassageEvent>({
      kind: 'passage',
      at: at(),
      direction: 'entry',
      outcome: 'timeout',
      ticketId: 'T1',
      docKey: 'k',
      decisionEventId: d.eventId,
    });
    expect([a.seq, d.seq, p.seq]).toEqual([1, 2, 3]);
    for (const e of [a, d, p]) {
      expect(e.eventId).toMatch(UUID_V7);
      expect(e).toMatchObject({ station: 'BJP', gate: '03' });
    }
    const rows = s.outbox.pendingAfter(0, 10);
    expect(rows.map((r) => [r.seq, r.kind, r.eventId])).toEqual([
      [1, 'alarm', a.eventId],
      [2, 'decision', d.eventId],
      [3, 'passage', p.eventId],
    ]);
    expect(rows.map((r) => gateEventSchema.parse(JSON.parse(r.payload)))).toEqual([a, d, p]);
    expect(s.outbox.pendingAfter(1, 1).map((r) => r.seq)).toEqual([2]);
  });

  it('signs a passage payload as published (and nothing else)', () => {
    open();
    const p = s.outbox.append<PassageEvent>({
      kind: 'passage',
      at: at(),
      direction: 'exit',
      outcome: 'passed',
      ticketId: 'T1',
      docKey: 'k',
      decisionEventId: null,
    });
    s.outbox.append(alarm('x'));
    const [pr, ar] = s.outbox.pendingAfter(0, 10);
    expect(pr.seq).toBe(p.seq);
    expect(verify(null, Buffer.from(pr.payload, 'utf8'), keys.publicKey, Buffer.from(pr.sig ?? '', 'base64url'))).toBe(true);
    expect(ar.sig).toBeNull();
  });

  it('refuses an event that does not match its schema with invalid-event (drop), and the next event takes the seq it left', () => {
    open();
    s.outbox.append(alarm('a'));
    expect(() => s.outbox.append({ ...alarm('b'), type: 'no-such-alarm' } as never)).toThrow(
      expect.objectContaining({ layer: 'outbox', code: 'invalid-event', recovery: 'drop' }),
    );
    expect(s.outbox.append(alarm('c')).seq).toBe(2);
    expect(s.outbox.backlog()).toEqual({ pending: 2, lastSeq: 2, oldestPendingMs: T0 });
  });

  it('marks rows sent once, skips them when draining, and counts the backlog', () => {
    open();
    for (let i = 0; i < 4; i++) {
      now = T0 + i * 1000;
      s.outbox.append(alarm(`d${i}`));
    }
    s.outbox.markSent([1, 3], T0 + 5000);
    s.outbox.markSent([1], T0 + 9000); // a late second PUBACK changes nothing
    expect(s.outbox.pendingAfter(0, 10).map((r) => r.seq)).toEqual([2, 4]);
    expect(s.outbox.counts()).toEqual({ pending: 2, sent: 2, lastSeq: 4, oldestPendingMs: T0 + 1000 });
    expect(s.outbox.backlog()).toEqual({ pending: 2, lastSeq: 4, oldestPendingMs: T0 + 1000 });
    expect(s.outbox.pendingCount()).toBe(2);
    expect(s.outbox.lastRows(3).map((r) => [r.seq, r.sentMs])).toEqual([
      [4, null],
      [3, T0 + 5000],
      [2, null],
    ]);
  });

  it('prunes only sent rows past retention, never an unsent one, and never reuses a seq after pruning or a restart', () => {
    open();
    for (let i = 0; i < 5; i++) s.outbox.append(alarm(`d${i}`));
    s.outbox.markSent([1, 2, 3, 4], T0);
    now = T0 + 10 * HOUR;
    expect(s.outbox.prune(72 * HOUR)).toBe(0);
    now = T0 + 73 * HOUR;
    expect(s.outbox.prune(72 * HOUR)).toBe(4);
    expect(s.outbox.counts()).toMatchObject({ pending: 1, sent: 0, lastSeq: 5 });
    s.outbox.markSent([5], now);
    now += 73 * HOUR;
    expect(s.outbox.prune(72 * HOUR)).toBe(1);
    s = s.reopen();
    expect(s.outbox.append(alarm('after')).seq).toBe(6);
    expect(s.outbox.counts()).toEqual({ pending: 1, sent: 0, lastSeq: 6, oldestPendingMs: now });
  });
});
