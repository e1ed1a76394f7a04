// Station siblings: every gate reads the passage events of the other gates of its station and marks those tickets
// used in its own ledger (source 'sibling'), so a ticket used at gate 3 is refused at gate 4 before central's delta
// arrives. Untrusted input from the broker: validated with zod, anything else is dropped with a log line.
import type { SqliteOutboxStore } from '../outbox/store.js';
import { passageEventSchema, type PassageEvent } from '../gate/events.js';
import { errorLine } from '../util/gate-error.js';
import { silentLogger, type Logger } from '../util/log.js';
import { TypedEvents } from '../util/typed-events.js';
import type { MqttConnection } from './connection.js';
import { parseGateTopic, stationPassageFilter } from './topics.js';

export interface SiblingEvents {
  /** A sibling's passage marked a ticket used here (first time only). */
  marked: { ticketId: string; direction: PassageEvent['direction']; fromGate: string; eventId: string };
  /** A message on the passage topic that is not a valid passage event of this station. */
  invalid: { topic: string };
}

export class SiblingPassages {
  readonly events: TypedEvents<SiblingEvents>;
  private readonly log: Logger;

  constructor(
    private readonly store: SqliteOutboxStore,
    private readonly connection: MqttConnection,
    log?: Logger,
  ) {
    this.log = log ?? silentLogger();
    this.events = new TypedEvents((event, err) => this.log.error({ event, err }, 'sibling listener failed'));
  }

  start(): void {
    this.connection.subscribe(stationPassageFilter(this.store.station), 1, (topic, payload) => this.handle(topic, payload));
  }

  handle(topic: string, payload: Buffer): void {
    const t = parseGateTopic(topic);
    if (!t || t.station !== this.store.station || t.gate === this.store.gate) return;
    let json: unknown;
    try {
      json = JSON.parse(payload.toString());
    } catch {
      json = undefined;
    }
    const parsed = passageEventSchema.safeParse(json);
    if (!parsed.success || parsed.data.gate !== t.gate || parsed.data.station !== t.station) {
      this.log.warn({ topic }, 'invalid sibling passage dropped');
      this.events.emit('invalid', { topic });
      return;
    }
    const e = parsed.data;
    if (e.outcome !== 'passed' || e.ticketId === null) return;
    try {
      if (this.store.recordSiblingPassage(e)) {
        this.events.emit('marked', { ticketId: e.ticketId, direction: e.direction, fromGate: e.gate, eventId: e.eventId });
      }
    } catch (err) {
      this.log.error({ err: errorLine(err) }, 'cannot record sibling passage');
    }
  }
}
