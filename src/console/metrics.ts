// /metrics for the station's Prometheus, in its text format through prom-client (a registry of our own, not the
// library's global one). Counters follow the events the gate records (the same ones central receives), gauges are
// read from the daemon's status at scrape time, and two latency histograms time the passenger's path.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { GateDaemon } from '../daemon/gate-daemon.js';

/** Seconds: a passenger notices 300 ms; the lane's goal is well under 100 ms. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

type Gate = Pick<GateDaemon, 'events' | 'lane' | 'statusSnapshot'>;

export class GateMetrics {
  readonly registry = new Registry();
  private readonly offs: (() => void)[] = [];
  /** When the lane took the document now being decided (performance.now()), or null. */
  private decidingSince: number | null = null;
  /** Match requests in flight: request id -> when asked (hrtime). At most one per passenger, cleared on the answer. */
  private readonly faceAsked = new Map<string, bigint>();

  constructor(gate: Gate, labels: { station: string; gate: string }) {
    const r = this.registry;
    r.setDefaultLabels(labels);
    collectDefaultMetrics({ register: r, prefix: 'gate_process_' });
    const decisions = new Counter({
      name: 'gate_decisions_total',
      help: 'Decisions recorded, by decision and reason.',
      labelNames: ['decision', 'reason'],
      registers: [r],
    });
    const passages = new Counter({
      name: 'gate_passages_total',
      help: 'Passages recorded, by outcome.',
      labelNames: ['outcome'],
      registers: [r],
    });
    const alarms = new Counter({
      name: 'gate_alarms_total',
      help: 'Alarm events recorded, by type.',
      labelNames: ['type'],
      registers: [r],
    });
    const faceOutcomes = new Counter({
      name: 'gate_face_outcomes_total',
      help: 'Decisions that needed a face match, by its outcome (match, no-match, no-face, liveness-failed, unavailable).',
      labelNames: ['outcome'],
      registers: [r],
    });
    const faceLatency = new Histogram({
      name: 'gate_face_match_seconds',
      help: "From a match request to the face module's answer (or the lane's own timeout).",
      buckets: LATENCY_BUCKETS,
      registers: [r],
    });
    const decisionLatency = new Histogram({
      name: 'gate_decision_latency_seconds',
      help: 'From the document reaching the lane to its decision being recorded.',
      buckets: LATENCY_BUCKETS,
      registers: [r],
    });
    const cardToAuthorise = new Histogram({
      name: 'gate_card_to_authorise_seconds',
      help: 'From the document reaching the lane to the authorisation sent to the turnstile.',
      buckets: LATENCY_BUCKETS,
      registers: [r],
    });
    const status = () => gate.statusSnapshot();
    new Gauge({
      name: 'gate_outbox_pending',
      help: 'Events waiting in the outbox for central.',
      registers: [r],
      collect() {
        this.set(status().outbox.pending);
      },
    });
    new Gauge({
      name: 'gate_outbox_oldest_pending_age_seconds',
      help: 'Age of the oldest event waiting in the outbox (0 when none waits).',
      registers: [r],
      collect() {
        this.set(status().outbox.oldestPendingAgeSeconds ?? 0);
      },
    });
    new Gauge({
      name: 'gate_sync_lag_seconds',
      help: "Age of central's data in the cache (snapshot generatedAt); -1 while the cache is empty.",
      registers: [r],
      collect() {
        this.set(status().cache.ageSeconds ?? -1);
      },
    });
    new Gauge({
      name: 'gate_device_up',
      help: 'Each device and link: 1 when ok, 0 when absent, degraded or in fault.',
      labelNames: ['device'],
      registers: [r],
      collect() {
        this.reset();
        for (const [name, d] of Object.entries(status().devices)) this.set({ device: name }, d.state === 'ok' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'gate_lane_emergency',
      help: '1 while the fire alarm holds the lanes open.',
      registers: [r],
      collect() {
        this.set(gate.lane.state.emergency ? 1 : 0);
      },
    });

    this.offs.push(
      gate.lane.events.on('transition', (t) => {
        if (t.to === 'deciding') this.decidingSince = performance.now();
        // A rejection ends the passenger's path here; an open one ends at the authorisation below.
        else if (t.from === 'deciding' && t.to !== 'authorised') this.decidingSince = null;
      }),
      gate.lane.events.on('authorising', () => {
        if (this.decidingSince !== null) cardToAuthorise.observe((performance.now() - this.decidingSince) / 1000);
        this.decidingSince = null;
      }),
      gate.lane.events.on('face-request', (q) => this.faceAsked.set(q.requestId, q.at)),
      gate.lane.events.on('face-answer', (a) => {
        const asked = this.faceAsked.get(a.requestId);
        this.faceAsked.delete(a.requestId);
        if (asked !== undefined) faceLatency.observe(Number(a.at - asked) / 1e9);
      }),
      gate.events.on('decision', (e) => {
        decisions.inc({ decision: e.decision, reason: e.reason });
        if (e.face && e.face !== 'not-required') faceOutcomes.inc({ outcome: e.face });
        if (this.decidingSince !== null) decisionLatency.observe((performance.now() - this.decidingSince) / 1000);
      }),
      gate.events.on('passage', (p) => passages.inc({ outcome: p.event.outcome })),
      gate.events.on('alarm', (a) => alarms.inc({ type: a.type })),
    );
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  close(): void {
    for (const off of this.offs.splice(0)) off();
    this.registry.clear();
  }
}
