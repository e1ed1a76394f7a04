// Attack: an attacker subscribed to the station's passage topic captures a genuine, signed sibling passage. Central
// later says that use did not happen (delta clearUses). The attacker re-publishes the captured message: the ticket
// must stay usable (the cleared use must not come back).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildDelta } from '../../../src/central/build.js';
import { waitFor } from '../../../src/util/wait.js';
import { DEMO_SECRET } from '../../../src/demo/data.js';
import { STATION, arena, passagePayload, rosterWith, sign, type Arena } from './support.js';

let a: Arena;
beforeAll(async () => {
  a = await arena();
  await a.stillServing();
}, 90_000);
afterAll(async () => a?.close());

it('a captured sibling passage replayed after central cleared the use does not take the ticket again', async () => {
  const { w } = a;
  const keys = await rosterWith(w, ['08']);
  const victim = `X${a.next}`;
  // The genuine (mistaken) passage of gate 08, as the attacker captures it from the broker.
  const captured: { topic: string; payload: Buffer; sig: string }[] = [];
  await a.attacker.subscribeAsync(`gates/v1/${STATION}/08/events/passage`, { qos: 1 });
  a.attacker.on('message', (topic, payload, packet) => {
    const sig = packet.properties?.userProperties?.sig;
    if (typeof sig === 'string') captured.push({ topic, payload: Buffer.from(payload), sig });
  });
  const genuine = passagePayload('08', victim);
  await w.central.publishAsync(`gates/v1/${STATION}/08/events/passage`, genuine, {
    qos: 1,
    properties: { userProperties: { sig: sign(keys['08'], genuine) } },
  });
  await waitFor(
    () => w.query("SELECT 1 FROM ledger WHERE ticket_id = ? AND source = 'sibling'", victim).length === 1,
    10_000,
    'sibling use',
  );
  await waitFor(() => captured.length === 1, 5000, 'capture');
  // Central: that use was a mistake.
  const state = w.query<{ epoch: string; seq: number }>('SELECT epoch, seq FROM sync_state WHERE id = 1')[0];
  const delta = buildDelta(
    {
      upserts: { passengers: [], tickets: [] },
      deletes: { passengers: [], tickets: [] },
      clearUses: [{ ticketId: victim, direction: 'entry' }],
    },
    { docSecret: DEMO_SECRET, key: w.syncKey, station: STATION, epoch: Number(state.epoch), seq: state.seq + 1, now: new Date() },
  );
  for (const m of delta.messages) await w.central.publishAsync(m.topic, m.payload, { qos: 1, retain: m.retain });
  await waitFor(() => w.query('SELECT 1 FROM ledger WHERE ticket_id = ?', victim).length === 0, 20_000, 'use cleared');
  // Replay.
  const c = captured[0];
  await a.attacker.publishAsync(c.topic, c.payload, { qos: 1, properties: { userProperties: { sig: c.sig } } });
  // A fence: a genuine passage of another ticket, sent after the replay on the same topic by the same client. The
  // broker keeps their order and the gate handles them in turn, so once the fence is in the ledger the replay has
  // been handled too (a settled signal, not a sleep).
  const fenceTicket = `FENCE-${a.next}`;
  const fence = passagePayload('08', fenceTicket);
  await a.attacker.publishAsync(c.topic, fence, { qos: 1, properties: { userProperties: { sig: sign(keys['08'], fence) } } });
  await waitFor(
    () => w.query("SELECT 1 FROM ledger WHERE ticket_id = ? AND source = 'sibling'", fenceTicket).length === 1,
    10_000,
    'the fence behind the replay',
  );
  expect(
    w.query<{ source: string }>('SELECT source FROM ledger WHERE ticket_id = ?', victim),
    'replayed sibling passage re-consumed the ticket',
  ).toEqual([]);
  await a.stillServing(); // the victim passes
});
