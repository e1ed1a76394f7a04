// Issue 13: a station of gates on one station broker bridged to central, both TLS from the shipped configs (the
// station test's harness, test/station/station.ts). Three figures, each beside a baseline from the same run:
// - station.antipassback.p99: a passenger walks through gate 01; how long until gate 02 holds the passage (the
//   moment a second use of the ticket is refused there). Baseline: a bare MQTT round trip through the same TLS
//   station broker (publish at one gate's certificate, received at another's).
// - station.delta-to-gates.p99: central publishes a delta at central; how long until all three gates have applied
//   it. Baseline: a bare message published at central and received on the station broker through the bridge.
// - station.fleet.events-per-s: 200 gates' event traffic (one TLS client per gate certificate, each publishing its
//   own events QoS 1 under its own prefix) through the station broker and the bridge to a subscriber at central; every
//   event must arrive. Baseline: the same events published by one bare loop straight to central's broker.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { percentile, type BenchContext } from '../harness.js';
import { waitFor } from '../../src/util/wait.js';
import { seqOf, startStation, stationLoaded, travellerMrz, STATION, type Station } from '../../test/station/station.js';

const FLEET = 200;
/** A busy gate: 20,000 passages a day, 15 % of them in the peak hour, two events each (decision, passage). */
const BUSY_STATION_PEAK_EVENTS_PER_S = (FLEET * 20_000 * 0.15 * 2) / 3600;

export default async function stationBench(ctx: BenchContext): Promise<void> {
  const n = ctx.quick ? 10 : 40;
  const fleetIds = Array.from({ length: FLEET }, (_, i) => `F${String(i).padStart(3, '0')}`);
  const s = await startStation({
    gates: [
      { id: '01', direction: 'entry' },
      { id: '02', direction: 'entry' },
      { id: '03', direction: 'exit' },
    ],
    travellers: n + 2,
    extraGateCerts: fleetIds,
  });
  try {
    await stationLoaded(s);
    await antipassback(ctx, s, n);
    await deltaToGates(ctx, s, ctx.quick ? 5 : 20);
    await fleet(ctx, s, fleetIds, ctx.quick ? 10 : 50);
  } finally {
    await s.close();
  }
}

async function antipassback(ctx: BenchContext, s: Station, n: number): Promise<void> {
  const [g1, g2] = s.gates;
  const took: number[] = [];
  for (let i = 0; i < n; i++) {
    await g1.scanner.scan(travellerMrz(i));
    await waitFor(() => g1.mcu.auth !== null, 10_000, 'the authorisation', 1);
    await g1.mcu.walkThrough();
    const t0 = performance.now();
    await waitFor(
      () => g2.query("SELECT 1 FROM ledger WHERE ticket_id = ? AND source = 'sibling'", `X${i}`).length === 1,
      5000,
      `the sibling passage of X${i}`,
      1,
    ).catch((err: unknown) => {
      throw new Error(
        `${(err as Error).message}; gate 01: ${g1.log().split('\n').slice(-6).join(' | ')}; gate 02: ${g2.log().split('\n').slice(-6).join(' | ')}`,
      );
    });
    took.push(performance.now() - t0);
    // The lane shows its result for resultHoldMs before the next card.
    await waitFor(() => g1.mcu.auth === null, 5000, 'the lane to be free', 5);
  }
  const a = await s.clientAs('01');
  const b = await s.clientAs('02');
  const floor: number[] = [];
  try {
    await b.subscribeAsync(`gates/v1/${STATION}/01/events/passage`, { qos: 1 });
    for (let i = 0; i < n; i++) {
      const got = new Promise<void>((r) => b.once('message', () => r()));
      const t0 = performance.now();
      await a.publishAsync(`gates/v1/${STATION}/01/events/passage`, `probe ${i}`, { qos: 1 });
      await got;
      floor.push(performance.now() - t0);
    }
  } finally {
    await a.endAsync();
    await b.endAsync();
  }
  ctx.log(
    `anti-passback p50/p99 ${percentile(took, 50).toFixed(1)}/${percentile(took, 99).toFixed(1)} ms over ${n} passages; bare round trip p99 ${percentile(floor, 99).toFixed(1)} ms`,
  );
  ctx.record('station.antipassback.p99', { value: percentile(took, 99), unit: 'ms', baseline: percentile(floor, 99), goal: '< 200 ms' });
}

async function deltaToGates(ctx: BenchContext, s: Station, n: number): Promise<void> {
  const took: number[] = [];
  for (let i = 0; i < n; i++) {
    const ticket = s.data.tickets[i % s.data.tickets.length];
    const t0 = performance.now();
    await s.feed.delta({
      upserts: { passengers: [], tickets: [{ ...ticket, seat: `${10 + (i % 80)}F` }] },
      deletes: { passengers: [], tickets: [] },
    });
    const want = s.feed.seq;
    await waitFor(() => s.gates.every((g) => seqOf(g) === want), 10_000, `delta ${want} at every gate`, 2);
    took.push(performance.now() - t0);
  }
  // Baseline: the bridge alone, central -> station broker, for a message of the same kind.
  const listener = await s.clientAs('01');
  const floor: number[] = [];
  try {
    await listener.subscribeAsync(`stations/v1/${STATION}/sync/delta/#`, { qos: 1 });
    for (let i = 0; i < n; i++) {
      const got = new Promise<void>((r) => listener.once('message', () => r()));
      const t0 = performance.now();
      await s.centralClient.publishAsync(`stations/v1/${STATION}/sync/delta/999999/${i}`, 'probe', { qos: 1 });
      await got;
      floor.push(performance.now() - t0);
    }
  } finally {
    await listener.endAsync();
  }
  ctx.log(
    `delta to 3 gates p50/p99 ${percentile(took, 50).toFixed(1)}/${percentile(took, 99).toFixed(1)} ms over ${n} deltas; bridge alone p99 ${percentile(floor, 99).toFixed(1)} ms`,
  );
  ctx.record('station.delta-to-gates.p99', { value: percentile(took, 99), unit: 'ms', baseline: percentile(floor, 99), goal: '< 1000 ms' });
}

/** A passage event's size and shape, without a person in it. */
function fleetEvent(gate: string, seq: number): string {
  return JSON.stringify({
    v: 1,
    kind: 'passage',
    seq,
    eventId: `01900000-0000-7000-8000-${String(seq).padStart(12, '0')}`,
    station: STATION,
    gate,
    at: new Date().toISOString(),
    ticketId: `T${seq}`,
    direction: 'entry',
    outcome: 'passed',
    decisionId: null,
    pad: 'x'.repeat(180),
  });
}

async function fleet(ctx: BenchContext, s: Station, ids: string[], perGate: number): Promise<void> {
  const total = ids.length * perGate;
  const counted = new Map<string, number>();
  let arrived = 0;
  const sub = await mqtt.connectAsync(s.centralSystemsUrl, { protocolVersion: 5, clientId: 'bench-fleet-central', ...centralTls(s) });
  sub.on('message', (topic) => {
    const gate = topic.split('/')[3];
    counted.set(gate, (counted.get(gate) ?? 0) + 1);
    arrived++;
  });
  await sub.subscribeAsync(`gates/v1/${STATION}/+/events/decision`, { qos: 1 });
  const clients = await Promise.all(ids.map((id) => s.clientAs(id)));
  try {
    const t0 = performance.now();
    await Promise.all(
      clients.map(async (c, k) => {
        for (let q = 1; q <= perGate; q++)
          await c.publishAsync(`gates/v1/${STATION}/${ids[k]}/events/decision`, fleetEvent(ids[k], q), { qos: 1 });
      }),
    );
    await waitFor(() => arrived >= total, 120_000, `all ${total} fleet events at central`, 5);
    const rate = total / ((performance.now() - t0) / 1000);
    const lost = ids.filter((id) => counted.get(id) !== perGate);
    if (lost.length) throw new Error(`fleet: ${lost.length} gates short at central`);

    // Baseline: one bare loop publishing the same events straight to central's broker (no station broker, no bridge).
    arrived = 0;
    // It speaks with the station bridge's certificate, the one identity central lets publish this station's reports.
    // On central's systems listener: on the stations' listener its client id would be the certificate's, bridge-VNP,
    // and it would close the station's own bridge.
    const bare = await mqtt.connectAsync(s.centralSystemsUrl, { protocolVersion: 5, clientId: 'bench-fleet-bare', ...bridgeTls(s) });
    const t1 = performance.now();
    await Promise.all(
      Array.from({ length: 50 }, async (_, lane) => {
        for (let q = lane; q < total; q += 50)
          await bare.publishAsync(`gates/v1/${STATION}/${ids[q % ids.length]}/events/decision`, fleetEvent(ids[q % ids.length], q), {
            qos: 1,
          });
      }),
    );
    await waitFor(() => arrived >= total, 120_000, 'the bare loop at central', 5);
    const bareRate = total / ((performance.now() - t1) / 1000);
    await bare.endAsync();
    ctx.log(
      `fleet: ${total} events from ${ids.length} gates through the bridge at ${rate.toFixed(0)}/s, every one at central; bare loop to central ${bareRate.toFixed(0)}/s; 10x a busy station's peak is ${(10 * BUSY_STATION_PEAK_EVENTS_PER_S).toFixed(0)}/s`,
    );
    ctx.record('station.fleet.events-per-s', {
      value: rate,
      unit: 'events/s',
      baseline: bareRate,
      goal: `>= ${Math.round(10 * BUSY_STATION_PEAK_EVENTS_PER_S)} (10x a busy station's peak hour), every event arrives`,
    });
  } finally {
    await Promise.all(clients.map((c) => c.endAsync().catch(() => undefined)));
    await sub.endAsync();
  }
}

/** The station bridge's certificate (CN "bridge-<station>", from central's CA). */
function bridgeTls(s: Station) {
  const file = (name: string) => readFileSync(join(s.pkiDir.station, name));
  return { ca: file('central-ca.crt'), cert: file('bridge.crt'), key: file('bridge.key') };
}

/** Central's own certificate (CN "central"), as central's systems connect. */
function centralTls(s: Station) {
  const file = (name: string) => readFileSync(join(s.pkiDir.central, name));
  return { ca: file('ca.crt'), cert: file('central.crt'), key: file('central.key') };
}
