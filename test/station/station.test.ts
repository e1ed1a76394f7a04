// Issue 13: a station, not a gate. Three `gate run` daemons (two entry, one exit) on a station Mosquitto bridged to
// central's Mosquitto, both TLS with client certificates and both from the shipped configs; certificates from
// scripts/station-pki.sh. Central publishes at central; the gates take it through the bridge; the gates' events reach
// central through the bridge, also after the link between the two was cut.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../../src/util/wait.js';
import { runGate } from '../support/cli.js';
import { passAt, seqOf, seqsAtCentral, startStation, stationLoaded, travellerMrz, STATION, type Station } from './station.js';
import type { StationGate } from './station.js';
import { parseConfig } from '../../src/config/load.js';

/** How long a passage at one gate may take to close the ticket at the others (issue 13: within 1 s). */
const ANTIPASSBACK_MS = 1000;

async function siblingSeenWithin(g: StationGate, ticket: string): Promise<number> {
  const t0 = performance.now();
  await waitFor(
    () => g.query("SELECT 1 FROM ledger WHERE ticket_id = ? AND source = 'sibling'", ticket).length === 1,
    5000,
    `gate ${g.id} to learn of ${ticket}`,
    5,
  );
  return performance.now() - t0;
}

async function refusedAt(g: StationGate, i: number, reason: string): Promise<void> {
  await g.scanner.scan(travellerMrz(i));
  await waitFor(
    () => g.mcu.lastDisplay?.code === 'reject' && g.mcu.lastDisplay.reason === reason,
    8000,
    `gate ${g.id} to refuse traveller ${i} (${reason})`,
  );
  expect(g.mcu.auth).toBeNull();
}

describe('a station of three gates bridged to central over TLS', () => {
  let s: Station;
  beforeAll(async () => {
    s = await startStation({
      gates: [
        { id: '01', direction: 'entry' },
        { id: '02', direction: 'entry' },
        { id: '03', direction: 'exit' },
      ],
      travellers: 20,
    });
    await stationLoaded(s);
  }, 90_000);
  afterAll(async () => s?.close());

  it('every gate takes central’s snapshot through the bridge; passengers pass at every gate', async () => {
    const [g1, g2, g3] = s.gates;
    await passAt(g1, 0, 'X0');
    await passAt(g2, 1, 'X1');
    await passAt(g3, 2, 'A2');
    expect(g3.query("SELECT direction FROM ledger WHERE ticket_id = 'A2' AND source = 'local'")).toEqual([{ direction: 'exit' }]);
  });

  it('a ticket used at one gate is refused at the other within 1 s, through the station broker', async () => {
    const [g1, g2] = s.gates;
    await passAt(g1, 3, 'X3');
    expect(await siblingSeenWithin(g2, 'X3')).toBeLessThan(ANTIPASSBACK_MS);
    await refusedAt(g2, 3, 'already-used');
  });

  it('with the link to central cut: anti-passback still holds, a delta waits at central, and nothing is lost when it returns', async () => {
    const [g1, g2, g3] = s.gates;
    await s.link.cut();
    await passAt(g2, 4, 'X4');
    expect(await siblingSeenWithin(g1, 'X4')).toBeLessThan(ANTIPASSBACK_MS);
    await refusedAt(g1, 4, 'already-used');
    await passAt(g3, 5, 'A5');
    // Central refunds traveller 6's ticket while the station cannot hear it.
    const seqBefore = s.feed.seq;
    await s.feed.delta({
      upserts: { passengers: [], tickets: [{ ...ticketOf(s, 6), status: 'refunded' }] },
      deletes: { passengers: [], tickets: [] },
    });
    expect(s.feed.seq).toBe(seqBefore + 1);

    await s.link.restore();
    for (const g of s.gates)
      await waitFor(() => seqOf(g) === s.feed.seq, 20_000, `gate ${g.id} to apply the delta after the link returned`);
    await refusedAt(g1, 6, 'ticket-refunded');
    // Every event of every gate at central, each gate's seq 1..N without a gap.
    for (const g of s.gates) {
      const last = g.query<{ last_seq: number }>('SELECT last_seq FROM outbox_seq WHERE id = 1')[0].last_seq;
      await waitFor(() => seqsAtCentral(s, g.id).length === last, 20_000, `gate ${g.id}'s ${last} events at central`);
      expect(seqsAtCentral(s, g.id)).toEqual(Array.from({ length: last }, (_, k) => k + 1));
    }
  });

  it("one gate's certificate cannot publish under another gate's prefix: the broker refuses it", async () => {
    const intruder = await s.clientAs('01');
    const spy = await s.clientAs('02');
    try {
      const seen: string[] = [];
      spy.on('message', (topic) => seen.push(topic));
      await spy.subscribeAsync(`gates/v1/${STATION}/+/events/passage`, { qos: 1 });
      const forged = Buffer.from('{"forged":true}');
      // MQTT 5: the broker answers a refused QoS 1 publish with reason 0x87 (not authorised).
      await expect(intruder.publishAsync(`gates/v1/${STATION}/02/events/passage`, forged, { qos: 1 })).rejects.toThrow(
        /Not authorized|0x87|135/i,
      );
      await expect(intruder.publishAsync(`stations/v1/${STATION}/sync/head`, forged, { qos: 1, retain: true })).rejects.toThrow(
        /Not authorized|0x87|135/i,
      );
      // Positive control: under its own prefix the same client is let through, and the spy sees that one only.
      await intruder.publishAsync(`gates/v1/${STATION}/01/events/passage`, forged, { qos: 1 });
      await waitFor(() => seen.length >= 1, 5000, 'the allowed publish');
      expect(seen).toEqual([`gates/v1/${STATION}/01/events/passage`]);
    } finally {
      await intruder.endAsync();
      await spy.endAsync();
    }
  });

  it("gate doctor checks the station broker as the daemon connects to it: TLS with the gate's certificate", async () => {
    const g = s.gates[0];
    const line = (out: string) => out.split('\n').find((l) => l.split(/\s+/)[1] === 'mqtt') ?? '(no mqtt line)';
    const ok = await runGate(['doctor', '--config', g.configPath, '--wait', '1500']);
    expect(line(ok.out)).toMatch(/^OK .*accepts the gate's credentials/);
    // The same gate without its client certificate: the broker refuses it, and doctor says so.
    const cfg = parseConfig(JSON.parse(readFileSync(g.configPath, 'utf8')));
    delete cfg.mqtt.tls!.cert;
    delete cfg.mqtt.tls!.key;
    const noCert = join(s.dir, 'no-cert.json');
    writeFileSync(noCert, JSON.stringify(cfg));
    const refused = await runGate(['doctor', '--config', noCert, '--wait', '1500']);
    expect(line(refused.out)).toMatch(/^FAIL /);
  });

  it('the ACL lets every gate do its own work: no gate had a publish or subscription refused', () => {
    for (const g of s.gates) expect(g.log()).not.toMatch(/not authori[sz]ed|publish-refused|subscribe failed/i);
    expect(s.broker.log()).not.toMatch(/denied/i);
  });
});

function ticketOf(s: Station, i: number) {
  return s.data.tickets.find((t) => t.id === `X${i}`)!;
}
