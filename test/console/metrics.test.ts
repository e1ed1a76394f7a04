// /metrics counts what the gate's events say: the face match's outcomes (only for decisions that needed one) and how
// long the module took to answer, beside the decisions they belong to. The gate is a fake that emits the daemon's and
// the lane's real event types; the text is read back with a Prometheus parser, not by string matching.
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { GateMetrics } from '../../src/console/metrics.js';
import type { DaemonEvents, GateDaemon } from '../../src/daemon/gate-daemon.js';
import type { DecisionEvent } from '../../src/gate/events.js';
import type { LaneEvents } from '../../src/gate/lane-loop.js';
import { TypedEvents } from '../../src/util/typed-events.js';

function fakeGate() {
  const events = new TypedEvents<DaemonEvents>();
  const laneEvents = new TypedEvents<LaneEvents>();
  const status = {
    outbox: { pending: 0, oldestPendingAgeSeconds: null },
    cache: { ageSeconds: 60 },
    devices: {},
  };
  const gate = { events, lane: { events: laneEvents, state: { emergency: false } }, statusSnapshot: () => status };
  return { events, laneEvents, gate: gate as unknown as Pick<GateDaemon, 'events' | 'lane' | 'statusSnapshot'> };
}

let seq = 0;
const decision = (face: DecisionEvent['face'], decision: 'open' | 'reject' = 'open'): DecisionEvent => ({
  kind: 'decision',
  eventId: `0190d0a0-0000-7000-8000-${String(++seq).padStart(12, '0')}`,
  seq,
  station: 'SHH',
  gate: '01',
  at: new Date().toISOString(),
  direction: 'entry',
  decision,
  reason: decision === 'open' ? 'ok' : 'face-mismatch',
  docType: 'cn-resident-id',
  docKey: 'k',
  ticketId: 'T1',
  train: 'G1',
  face,
});

describe('metrics: face match', () => {
  it('counts each face outcome once per decision that needed one, and times the module from request to answer', async () => {
    const f = fakeGate();
    const m = new GateMetrics(f.gate, { station: 'SHH', gate: '01' });
    try {
      f.laneEvents.emit('face-request', { requestId: 'r1', at: 1_000_000_000n });
      f.laneEvents.emit('face-answer', { requestId: 'r1', result: 'match', at: 1_180_000_000n });
      f.events.emit('decision', decision('match'));
      f.laneEvents.emit('face-request', { requestId: 'r2', at: 2_000_000_000n });
      f.laneEvents.emit('face-answer', { requestId: 'r2', result: 'no-match', at: 2_040_000_000n });
      f.events.emit('decision', decision('no-match', 'reject'));
      // A passport needs no match: its decision is not a face outcome.
      f.events.emit('decision', decision('not-required'));
      // An answer to a request this process never saw (a restart in between) is not timed.
      f.laneEvents.emit('face-answer', { requestId: 'old', result: 'match', at: 3_000_000_000n });

      const families = new Map(parsePrometheusTextFormat(await m.text()).map((fam) => [fam.name, fam]));
      const outcomes = Object.fromEntries(
        families.get('gate_face_outcomes_total')!.metrics.map((x) => [x.labels!.outcome, Number(x.value)]),
      );
      expect(outcomes).toEqual({ match: 1, 'no-match': 1 });
      const latency = families.get('gate_face_match_seconds')!.metrics[0];
      // 180 ms and 40 ms (this parser leaves out _sum and _count when the gate's labels are on them; the buckets say it).
      expect(Number(latency.buckets!['+Inf'])).toBe(2);
      expect(Number(latency.buckets!['0.025'])).toBe(0);
      expect(Number(latency.buckets!['0.05'])).toBe(1);
      expect(Number(latency.buckets!['0.1'])).toBe(1);
      expect(Number(latency.buckets!['0.25'])).toBe(2);
      const decisions = families.get('gate_decisions_total')!.metrics.map((x) => Number(x.value));
      expect(decisions.reduce((a, b) => a + b, 0)).toBe(3);
    } finally {
      m.close();
    }
  });
});
