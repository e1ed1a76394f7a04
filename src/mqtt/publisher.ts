// Drains the outbox to gates/v1/<station>/<gate>/events/<kind> at QoS 1, in seq order, with a bounded window of
// publishes in flight (throughput without reordering: one connection, TCP order, and on any failure the connection
// is dropped and the drain restarts at the first unsent seq). A row is marked sent only after its PUBACK; the marks
// are batched into one transaction (a mark lost in a crash only means a duplicate with the same eventId).
// Each publish has a timeout; a PUBACK with a failure reason (MQTT.js has already forgotten the message) keeps the
// row in the outbox and drops the connection, so it is retried after the backoff.
// A PUBACK saying "no matching subscribers" (MQTT 5, 0x10) is a success to MQTT but a loss to the gate: nobody
// received the event (a broker restarted without the sessions it held, central's bridge never subscribed). The row
// stays, and the drain holds and starts again from it after a pause, on the same connection; the pause doubles up to
// HOLD_MAX_MS while nobody subscribes. The events reach central once someone does.
import type { MqttClient, Packet } from 'mqtt';
import type { EventKind, OutboxDrain, OutboxRow } from '../outbox/outbox.js';
import { errorLine } from '../util/gate-error.js';
import { silentLogger, type Logger } from '../util/log.js';
import { TypedEvents } from '../util/typed-events.js';
import type { MqttConnection } from './connection.js';
import { eventTopic } from './topics.js';

/** MQTT 5 PUBACK reason "No matching subscribers". */
const NO_MATCHING_SUBSCRIBERS = 0x10;
const HOLD_FIRST_MS = 500;
const HOLD_MAX_MS = 30_000;

/** Sent marks per transaction at most: each flush is one fsync (synchronous=FULL) on the event loop. */
const MAX_MARKS_PER_FLUSH = 8192;

export interface PublisherOptions {
  /** Publishes awaiting PUBACK at once. */
  window?: number;
  publishTimeoutMs: number;
  /** Rows read from SQLite per query. */
  readBatch?: number;
  /** Sent marks wait at most this long to share one transaction (one fsync) with others; a mark lost in a crash
   *  only means a duplicate. */
  flushDelayMs?: number;
  /** Sent rows older than this are pruned (checked at most once per pruneEveryMs). */
  retentionMs?: number;
  pruneEveryMs?: number;
  now?: () => number;
  log?: Logger;
}

export interface PublisherEvents {
  /** Rows were marked sent; lastSeq is the highest of them. */
  sent: { count: number; lastSeq: number };
  /** Nothing left to publish. */
  drained: { lastSeq: number };
  /** A publish failed (timeout or refused PUBACK); the connection is dropped and the row stays pending. */
  failed: { seq: number; code: string };
  /** The broker had no subscriber for an event: the drain holds for `ms` and starts again from `seq`. */
  held: { seq: number; ms: number };
}

export class OutboxPublisher {
  readonly events: TypedEvents<PublisherEvents>;
  private readonly window: number;
  private pumpScheduled = false;
  private readonly readBatch: number;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly topics: Record<EventKind, string>;
  /** Bumped on every connect/disconnect: callbacks of an older connection are ignored. */
  private generation = 0;
  private client: MqttClient | undefined;
  private cursor = 0;
  private buffer: OutboxRow[] = [];
  private bufferAt = 0;
  private exhausted = false;
  /** seq -> when it was published; a Map keeps insertion (= seq) order, so the first entry is the oldest. */
  private readonly inflight = new Map<number, number>();
  private acked: number[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private lastPrune = 0;
  private offs: (() => void)[] = [];
  /** While set, nothing is published: the broker had no subscriber for the event at the head of the outbox. */
  private holdTimer: NodeJS.Timeout | undefined;
  private holdMs = 0;
  /** Message ids whose PUBACK said "no matching subscribers" (read as packets arrive, before MQTT.js's callback). */
  private readonly unheard = new Set<number>();
  private readonly onPacket = (p: Packet): void => {
    if (p.cmd === 'puback' && p.reasonCode === NO_MATCHING_SUBSCRIBERS && p.messageId !== undefined) this.unheard.add(p.messageId);
  };

  constructor(
    private readonly store: OutboxDrain,
    private readonly connection: MqttConnection,
    private readonly opts: PublisherOptions,
  ) {
    // 1024 in flight: the bench's knee on a local broker (256: 0.6x a bare loop, 1024: 0.8x, 4096: no better).
    this.window = opts.window ?? 1024;
    this.readBatch = opts.readBatch ?? 1024;
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? silentLogger();
    this.events = new TypedEvents((event, err) => this.log.error({ event, err }, 'publisher listener failed'));
    const gateId = { station: store.station, gate: store.gate };
    this.topics = { decision: eventTopic(gateId, 'decision'), passage: eventTopic(gateId, 'passage'), alarm: eventTopic(gateId, 'alarm') };
  }

  start(): void {
    this.offs.push(
      this.connection.events.on('up', () => this.onUp()),
      this.connection.events.on('down', () => this.onDown()),
    );
    if (this.connection.connected) this.onUp();
  }

  /** Stop publishing; marks for PUBACKs already received are written. */
  stop(): void {
    for (const off of this.offs) off();
    this.offs = [];
    this.onDown();
  }

  /** Whether the drain is holding because the broker had no subscriber for the head of the outbox. */
  get holding(): boolean {
    return this.holdTimer !== undefined;
  }

  /** New rows were committed: publish them if connected. */
  kick(): void {
    this.exhausted = false;
    this.pump();
  }

  get inFlight(): number {
    return this.inflight.size;
  }

  private onUp(): void {
    this.client = this.connection.client;
    this.client?.on('packetreceive', this.onPacket);
    this.begin();
  }

  /** A fresh drain on the current client from the first unsent row (a new generation: older callbacks fall silent). */
  private begin(): void {
    this.generation++;
    if (this.watchdog) clearInterval(this.watchdog);
    this.cursor = 0;
    this.buffer = [];
    this.bufferAt = 0;
    this.exhausted = false;
    const gen = this.generation;
    // One timer for every publish in flight (a timer per publish costs a tenth of the throughput).
    this.watchdog = setInterval(() => this.checkTimeouts(gen), Math.max(10, Math.floor(this.opts.publishTimeoutMs / 4)));
    this.pump();
  }

  private checkTimeouts(gen: number): void {
    const oldest = this.inflight.entries().next();
    if (!oldest.done && this.now() - oldest.value[1] >= this.opts.publishTimeoutMs) this.fail(gen, oldest.value[0], 'publish-timeout');
  }

  private onDown(): void {
    this.generation++;
    this.client?.off('packetreceive', this.onPacket);
    this.unheard.clear();
    this.client = undefined;
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
    this.inflight.clear();
    this.buffer = [];
    this.bufferAt = 0;
    this.flush();
  }

  private next(): OutboxRow | undefined {
    if (this.bufferAt >= this.buffer.length) {
      if (this.exhausted) return undefined;
      this.buffer = this.store.pendingAfter(this.cursor, this.readBatch);
      this.bufferAt = 0;
      if (this.buffer.length === 0) {
        this.exhausted = true;
        return undefined;
      }
    }
    return this.buffer[this.bufferAt++];
  }

  private pump(): void {
    const client = this.client;
    if (!client || this.holdTimer) return;
    const gen = this.generation;
    // A callback may end this drain (a hold, a failure) while the loop runs: stop at once when it has.
    while (this.inflight.size < this.window && gen === this.generation) {
      let row: OutboxRow | undefined;
      try {
        row = this.next();
      } catch (err) {
        this.log.error({ err: errorLine(err) }, 'outbox read failed');
        return;
      }
      if (!row) break;
      this.cursor = row.seq;
      this.send(client, gen, row);
    }
    if (gen === this.generation && this.inflight.size === 0 && this.exhausted) {
      this.flush();
      this.maybePrune();
      this.events.emit('drained', { lastSeq: this.cursor });
    }
  }

  private send(client: MqttClient, gen: number, row: OutboxRow): void {
    const seq = row.seq;
    this.inflight.set(seq, this.now());
    // A passage carries the gate's signature of its exact bytes for the station's other gates (src/mqtt/siblings.ts).
    const options = row.sig === null ? { qos: 1 as const } : { qos: 1 as const, properties: { userProperties: { sig: row.sig } } };
    client.publish(this.topics[row.kind], row.payload, options, (err, packet) => {
      if (gen !== this.generation) return;
      if (err) return this.fail(gen, seq, 'publish-refused', err);
      // MQTT.js hands the callback the published packet; the PUBACK's reason was seen on its way in (onPacket).
      const mid = packet?.messageId;
      if (mid !== undefined && this.unheard.delete(mid)) return this.hold(gen, seq);
      this.holdMs = 0;
      if (!this.inflight.delete(seq)) return;
      this.acked.push(seq);
      if (this.acked.length >= MAX_MARKS_PER_FLUSH) this.flush();
      else this.scheduleFlush();
      this.schedulePump();
    });
  }

  /**
   * Refill the window once per turn of the event loop, not once per PUBACK: the PUBACKs of one socket read then
   * free many slots, and the publishes that fill them leave in one write instead of one syscall each.
   */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Nobody subscribed to `seq`: keep it (and what follows it), pause, then drain again from it. */
  private hold(gen: number, seq: number): void {
    if (gen !== this.generation) return;
    this.generation++;
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
    this.inflight.clear();
    this.flush();
    const first = this.holdMs === 0;
    this.holdMs = first ? HOLD_FIRST_MS : Math.min(this.holdMs * 2, HOLD_MAX_MS);
    if (first) this.log.warn({ seq }, "the broker has no subscriber for the gate's events: holding them until one subscribes");
    this.events.emit('held', { seq, ms: this.holdMs });
    this.holdTimer = setTimeout(() => {
      this.holdTimer = undefined;
      if (this.client) this.begin();
    }, this.holdMs);
  }

  private fail(gen: number, seq: number, code: string, err?: Error): void {
    if (gen !== this.generation) return;
    this.log.warn({ seq, code, err: err?.message }, 'event publish failed; reconnecting');
    this.events.emit('failed', { seq, code });
    this.onDown();
    this.connection.drop(code);
  }

  private scheduleFlush(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => this.flush(), this.opts.flushDelayMs ?? 250);
  }

  private flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.acked.length === 0) return;
    const seqs = this.acked;
    this.acked = [];
    try {
      this.store.markSent(seqs, this.now());
      this.events.emit('sent', { count: seqs.length, lastSeq: seqs[seqs.length - 1] });
    } catch (err) {
      // The rows stay pending and go out again later: a duplicate with the same eventId, never a loss.
      this.log.error({ err: errorLine(err) }, 'cannot mark outbox rows sent');
    }
  }

  private maybePrune(): void {
    const { retentionMs, pruneEveryMs = 3_600_000 } = this.opts;
    if (retentionMs === undefined) return;
    const now = this.now();
    if (now - this.lastPrune < pruneEveryMs) return;
    this.lastPrune = now;
    try {
      const n = this.store.prune(retentionMs, now);
      if (n > 0) this.log.info({ pruned: n }, 'pruned sent outbox rows');
    } catch (err) {
      this.log.error({ err: errorLine(err) }, 'outbox prune failed');
    }
  }
}
