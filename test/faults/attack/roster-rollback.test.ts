// Attack: gate 08 was decommissioned (its key leaked with the stolen unit), so central published roster v2 without
// it, and its signed head now names roster version 2. The attacker re-publishes the captured roster v1 RETAINED. A
// gate that starts afresh (new unit, replaced SD card) must not believe v1: the head's roster version rules it out,
// so a passage signed with 08's leaked key uses no ticket. (Found by attacking the running gate; fixed by binding the
// roster's minimum version to central's signed head.)
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildHead } from '../../../src/central/build.js';
import { docKeyIdOf } from '../../../src/cache/keyed.js';
import { DEMO_SECRET } from '../../../src/demo/data.js';
import { sealRoster } from '../../../src/mqtt/roster.js';
import { waitFor } from '../../../src/util/wait.js';
import { STATION, passTraveller, startLoadedGate, startWorld, type World } from '../../daemon/world.js';
import { passagePayload, sign } from './support.js';

let w: World;
afterAll(async () => w?.close());
beforeAll(async () => {
  w = await startWorld({ travellers: 5, resultHoldMs: 200 });
}, 60_000);

const siblingRefusals = () => {
  try {
    return (
      (JSON.parse(readFileSync(`${w.dbPath}.status.json`, 'utf8')) as { refusals?: { sibling: { total: number } } }).refusals?.sibling
        .total ?? 0
    );
  } catch {
    return 0;
  }
};

it('a superseded roster re-published retained is not believed by a fresh gate', async () => {
  const leaked = generateKeyPairSync('ed25519').privateKey;
  const other = generateKeyPairSync('ed25519').privateKey;
  const pub = (k: typeof leaked) => createPublicKey(k).export({ type: 'spki', format: 'der' }).toString('base64');
  const v1 = sealRoster(w.syncKey, {
    station: STATION,
    version: 1,
    issuedAt: new Date(Date.now() - 86_400_000).toISOString(),
    gates: [
      { gate: '08', publicKey: pub(leaked) },
      { gate: '09', publicKey: pub(other) },
    ],
  });
  const v2 = sealRoster(w.syncKey, {
    station: STATION,
    version: 2,
    issuedAt: new Date().toISOString(),
    gates: [{ gate: '09', publicKey: pub(other) }],
  });
  await w.central.publishAsync(v1.topic, v1.payload, { qos: 1, retain: true });
  await w.central.publishAsync(v2.topic, v2.payload, { qos: 1, retain: true });
  await w.publishSnapshot();
  // What `gate central roster` does after publishing v2: the retained head, re-signed with the roster's version.
  const head = buildHead(w.syncKey, {
    station: STATION,
    epoch: 1,
    seq: 0,
    docKeyId: docKeyIdOf(DEMO_SECRET),
    generatedAt: new Date().toISOString(),
    rosterVersion: 2,
  });
  await w.central.publishAsync(head.topic, head.payload, { qos: 1, retain: true });
  // The attacker puts v1 back as the retained roster.
  const attacker = await mqtt.connectAsync(w.broker.url, { protocolVersion: 5, clientId: 'attacker' });
  await attacker.publishAsync(v1.topic, v1.payload, { qos: 1, retain: true });
  await startLoadedGate(w); // a fresh gate: empty database
  // Whichever came first (v1 on the main connection, the head on the sync one), v1 ends up refused.
  // startLoadedGate re-publishes the test's snapshot (and its plain head): central's next head names the roster again.
  await w.central.publishAsync(head.topic, head.payload, { qos: 1, retain: true });
  await waitFor(() => siblingRefusals() >= 1, 15_000, 'the superseded roster refused');
  const before = siblingRefusals();
  const p = passagePayload('08', 'X0');
  await attacker.publishAsync(`gates/v1/${STATION}/08/events/passage`, p, {
    qos: 1,
    properties: { userProperties: { sig: sign(leaked, p) } },
  });
  await waitFor(() => siblingRefusals() > before, 15_000, "the leaked key's passage refused");
  await attacker.endAsync();
  expect(
    w.query('SELECT source FROM ledger WHERE ticket_id = ?', 'X0'),
    'a passage signed with the key of a removed gate burned a ticket',
  ).toEqual([]);
  await passTraveller(w, 0);
});
