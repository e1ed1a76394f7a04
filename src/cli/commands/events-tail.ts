// `gate events tail`: what the gate has to report and what it has reported. Reads the outbox read-only (pending,
// sent, the newest rows), and with --url watches the gate's topics live. Rows are summarised without document
// keys or ticket ids: a technician's screen is not the place for them.
import mqtt from 'mqtt';
import { openReadOnly } from '../../cache/read-only.js';
import { gateEventSchema, type GateEvent } from '../../gate/events.js';
import { SqliteOutbox, type OutboxRow } from '../../outbox/outbox.js';
import { TOPIC_ROOT } from '../../mqtt/topics.js';
import { parseOptions, requireOption, UsageError, writeJson, type CliIO, type Command } from '../command.js';

/** The parts of an event a technician needs, nothing that links to a passenger. */
export function summarise(e: GateEvent): Record<string, unknown> {
  switch (e.kind) {
    case 'decision':
      return { direction: e.direction, decision: e.decision, reason: e.reason, docType: e.docType };
    case 'passage':
      return { direction: e.direction, outcome: e.outcome };
    case 'alarm':
      return { type: e.type, active: e.active, detail: e.detail };
  }
}

function rowView(r: OutboxRow): Record<string, unknown> {
  const parsed = gateEventSchema.safeParse(JSON.parse(r.payload));
  return {
    seq: r.seq,
    eventId: r.eventId,
    kind: r.kind,
    created: new Date(r.createdMs).toISOString(),
    sent: r.sentMs === null ? null : new Date(r.sentMs).toISOString(),
    ...(parsed.success ? summarise(parsed.data) : { invalid: true }),
  };
}

function outboxView(path: string, limit: number, nowMs: number): Record<string, unknown> {
  const db = openReadOnly(path);
  try {
    // station/gate only label the store; the rows carry their own.
    const store = new SqliteOutbox(db, { station: '-', gate: '-' });
    const c = store.counts();
    return {
      pending: c.pending,
      sent: c.sent,
      lastSeq: c.lastSeq,
      oldestPendingAgeSeconds: c.oldestPendingMs === null ? null : Math.round((nowMs - c.oldestPendingMs) / 1000),
      last: store.lastRows(limit).map(rowView),
    };
  } finally {
    db.close();
  }
}

function liveLine(topic: string, payload: Buffer): string {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString());
  } catch {
    return JSON.stringify({ topic, invalid: 'not JSON' });
  }
  const ev = gateEventSchema.safeParse(json);
  if (ev.success) {
    const e = ev.data;
    return JSON.stringify({ topic, seq: e.seq, eventId: e.eventId, kind: e.kind, at: e.at, ...summarise(e) });
  }
  const o = (json && typeof json === 'object' ? json : {}) as Record<string, unknown>;
  if (topic.endsWith('/status')) return JSON.stringify({ topic, state: o.state, laneMode: o.laneMode, outbox: o.outbox, reason: o.reason });
  if (topic.endsWith('/cmd-result')) return JSON.stringify({ topic, name: o.name, ok: o.ok, code: o.code });
  return JSON.stringify({ topic, invalid: 'unknown payload' });
}

async function live(io: CliIO, url: string, station: string, gate: string, count: number | undefined): Promise<void> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 1000, queueQoSZero: false });
  const base = `${TOPIC_ROOT}/${station}/${gate}`;
  let seen = 0;
  await new Promise<void>((resolve) => {
    const done = () => resolve();
    process.once('SIGINT', done);
    client.on('message', (topic, payload) => {
      io.stdout.write(liveLine(topic, payload) + '\n');
      if (count !== undefined && ++seen >= count) done();
    });
    client.subscribe([`${base}/events/#`, `${base}/status`, `${base}/cmd-result`], { qos: 1 }, (err) => {
      if (err) {
        io.stderr.write(`gate events tail: subscribe failed: ${err.message}\n`);
        done();
      } else if (count === 0) done();
    });
  });
  await client.endAsync();
}

export const eventsTailCommand: Command = {
  name: 'events tail',
  summary: 'show the event outbox (pending, sent, newest rows) and, with --url, what is published live',
  help: [
    'usage: gate events tail --db PATH [--limit N] [--url URL --station S [--gate G] [--count N]]',
    '',
    'Prints the outbox of the gate database as JSON: pending and sent counts, the last seq, the age of the oldest',
    'pending event and the newest rows (no document keys or ticket ids). With --url it then subscribes to the',
    "gate's events, status and command results and prints one JSON line per message until Ctrl-C.",
    '',
    '  --db PATH        the gate database (config db)',
    '  --limit N        newest rows to show (default 10)',
    '  --url URL        broker to watch, e.g. mqtt://127.0.0.1:1883',
    '  --station S      station code (required with --url)',
    '  --gate G         gate id (default: every gate of the station)',
    '  --count N        stop after N live messages',
    '',
    'example: gate events tail --db /var/lib/gate/gate.db --url mqtt://broker:1883 --station BJP --gate 03',
  ].join('\n'),
  async run(args, io) {
    const { values } = parseOptions(args, {
      db: { type: 'string' },
      limit: { type: 'string' },
      url: { type: 'string' },
      station: { type: 'string' },
      gate: { type: 'string' },
      count: { type: 'string' },
    });
    const db = requireOption(values.db, 'db');
    const limit = Number(values.limit ?? 10);
    if (!Number.isInteger(limit) || limit < 0) throw new UsageError('--limit must be a whole number');
    const count = values.count === undefined ? undefined : Number(values.count);
    if (count !== undefined && (!Number.isInteger(count) || count < 0)) throw new UsageError('--count must be a whole number');
    writeJson(io, outboxView(db, limit, Date.now()));
    if (values.url === undefined) return 0;
    const station = requireOption(values.station, 'station');
    await live(io, values.url, station, values.gate ?? '+', count);
    return 0;
  },
};
