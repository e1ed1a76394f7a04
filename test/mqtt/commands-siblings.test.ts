// Signed commands and station siblings over a real broker.
import { createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { CommandSigner } from '../../src/mqtt/command-signer.js';
import { commandResultSchema } from '../../src/mqtt/schemas.js';
import { sealRoster } from '../../src/mqtt/roster.js';
import { openDb } from '../../src/cache/db.js';
import { GateStore } from '../../src/daemon/gate-store.js';
import { generateSigningKeys, keyIdOf, parsePrivateKey, signFor } from '../../src/util/signing.js';
import { commandedGate, recorder, tempGate, until, useBroker } from './helpers.js';

const central = generateSigningKeys();
const centralSync = generateSigningKeys();
const intruder = generateSigningKeys();
const syncKey = {
  privateKey: parsePrivateKey(centralSync.privateKey),
  keyId: keyIdOf(createPublicKey(parsePrivateKey(centralSync.privateKey))),
};

describe('commands and siblings', () => {
  const shared = useBroker();
  const cleanups = shared.cleanups;

  const gate = (gateId: string, tg = tempGate('BJP', gateId)) => ({
    ...tg,
    ...commandedGate(shared.broker.url, central.publicKey, tg, [centralSync.publicKey]),
  });

  it('runs an authorised command once and refuses unsigned, forged and replayed ones, also after a restart', async () => {
    const tg = tempGate('BJP', '03');
    cleanups.push(() => tg.close());
    let g = gate('03', tg);
    await until(() => g.reporter.connection.connected);
    const results = await recorder(shared.broker.url, 'gates/v1/BJP/03/cmd-result');
    cleanups.push(() => results.close());
    const centralClient = await mqtt.connectAsync(shared.broker.url, { protocolVersion: 5 });
    cleanups.push(() => centralClient.endAsync());
    const send = (topic: string, payload: Buffer | string) => centralClient.publishAsync(topic, payload, { qos: 1 });
    const codes = () => results.messages.map((m) => commandResultSchema.parse(JSON.parse(m.payload))).map((r) => r.code);

    const good = new CommandSigner(central.privateKey).sign({ station: 'BJP', gate: '03' }, 'lane-mode', { mode: 'locked' });
    const forged = new CommandSigner(intruder.privateKey).sign({ station: 'BJP', gate: '03' }, 'release', { direction: 'entry' });
    const unsigned = JSON.stringify({ ...JSON.parse(good.payload.toString()), sig: undefined });
    await send(good.topic, good.payload);
    await send(good.topic, unsigned);
    await send(forged.topic, forged.payload);
    await send(good.topic, good.payload); // replay
    await until(() => results.messages.length === 4, 10_000, 'four answers');
    // Refusals are answered on arrival; authorised commands after they ran, in order: compare without the order.
    expect(codes().sort()).toEqual(['bad-signature', 'ok', 'replayed', 'unsigned']);
    expect(g.handled).toEqual([
      { name: 'lane-mode', args: { mode: 'locked' }, nonce: good.body.nonce, issuedMs: Date.parse(good.body.issuedAt) },
    ]);
    expect(results.messages.map((m) => JSON.parse(m.payload) as { nonce: string; ok: boolean })).toContainEqual(
      expect.objectContaining({ nonce: good.body.nonce, ok: true, name: 'lane-mode' }),
    );

    // The gate restarts (new process, same database): the nonce is still known.
    await g.stop();
    tg.db.close();
    const db = openDb(tg.path);
    tg.db = db;
    tg.store = new GateStore(db, { station: 'BJP', gate: '03' });
    g = gate('03', tg);
    cleanups.push(() => g.stop());
    await until(() => g.reporter.connection.connected);
    await send(good.topic, good.payload);
    await until(() => results.messages.length === 5, 10_000, 'answer after restart');
    expect(codes()[4]).toBe('replayed');
    expect(g.handled).toEqual([]);
  });

  it('takes a sibling passage only from a gate on the signed roster: forged, unsigned and off-roster passages use no ticket', async () => {
    const g3 = gate('03');
    const g4 = gate('04');
    cleanups.push(async () => {
      await g3.stop();
      await g4.stop();
      g3.close();
      g4.close();
    });
    const centralClient = await mqtt.connectAsync(shared.broker.url, { protocolVersion: 5 });
    cleanups.push(() => centralClient.endAsync());
    const marked: string[] = [];
    const refused: string[] = [];
    g4.reporter.siblings.events.on('marked', (m) => marked.push(m.ticketId));
    g4.reporter.siblings.events.on('refused', (r) => refused.push(r.code));
    await until(() => g3.reporter.connection.connected && g4.reporter.connection.connected);
    // Central publishes the station's roster, retained: gates 03 and 04 with their keys.
    const roster = sealRoster(syncKey, {
      station: 'BJP',
      version: 1,
      issuedAt: new Date().toISOString(),
      gates: [
        { gate: '03', publicKey: g3.key.publicKey },
        { gate: '04', publicKey: g4.key.publicKey },
      ],
    });
    await centralClient.publishAsync(roster.topic, roster.payload, { qos: 1, retain: true });
    cleanups.push(async () => void (await centralClient.publishAsync(roster.topic, '', { qos: 1, retain: true })));
    await until(() => g4.reporter.siblings.rosterInfo?.version === 1, 10_000, 'roster taken');

    // An attacker with publish rights: a passage from a gate that does not exist, one unsigned, one signed by a key
    // that is not the gate's, and one roster signed by someone else.
    const forgedEvent = (gateId: string, ticketId: string) =>
      JSON.stringify({
        eventId: '01900000-0000-7000-8000-000000000001',
        seq: 1,
        station: 'BJP',
        gate: gateId,
        at: new Date().toISOString(),
        kind: 'passage',
        direction: 'entry',
        outcome: 'passed',
        ticketId,
        docKey: 'k',
        decisionEventId: null,
      });
    const intruderKey = parsePrivateKey(intruder.privateKey);
    const zz = forgedEvent('ZZ', 'T-ZZ');
    await centralClient.publishAsync('gates/v1/BJP/ZZ/events/passage', zz, {
      qos: 1,
      properties: { userProperties: { sig: signFor('passage', intruderKey, Buffer.from(zz)) } },
    });
    await centralClient.publishAsync('gates/v1/BJP/03/events/passage', forgedEvent('03', 'T-UNSIGNED'), { qos: 1 });
    const wrong = forgedEvent('03', 'T-WRONGKEY');
    await centralClient.publishAsync('gates/v1/BJP/03/events/passage', wrong, {
      qos: 1,
      properties: { userProperties: { sig: signFor('passage', intruderKey, Buffer.from(wrong)) } },
    });
    const fakeRoster = sealRoster(
      { privateKey: intruderKey, keyId: keyIdOf(createPublicKey(intruderKey)) },
      { station: 'BJP', version: 99, issuedAt: new Date().toISOString(), gates: [{ gate: 'ZZ', publicKey: intruder.publicKey }] },
    );
    await centralClient.publishAsync(fakeRoster.topic, fakeRoster.payload, { qos: 1 });
    await until(() => refused.length === 4, 10_000, 'four refusals');
    expect(refused.sort()).toEqual(['bad-signature', 'not-on-roster', 'roster-refused', 'unsigned']);
    expect(g4.reporter.siblings.rosterInfo?.version).toBe(1);

    // The genuine passage at gate 03 (signed when committed) marks the ticket used at gate 04 at once.
    const { event } = g3.store.recordPassage({
      kind: 'passage',
      at: new Date().toISOString(),
      direction: 'entry',
      outcome: 'passed',
      ticketId: 'E12345678',
      docKey: 'k',
      decisionEventId: null,
    });
    g3.reporter.kick();
    await until(() => marked.includes('E12345678'), 10_000, 'sibling passage marked');
    expect(marked).toEqual(['E12345678']);
    expect(g4.db.prepare('SELECT ticket_id, gate, source, event_id FROM ledger').all()).toEqual([
      { ticket_id: 'E12345678', gate: '03', source: 'sibling', event_id: event.eventId },
    ]);
    expect(
      g4.store.recordPassage({
        kind: 'passage',
        at: new Date().toISOString(),
        direction: 'entry',
        outcome: 'passed',
        ticketId: 'E12345678',
        docKey: 'k',
        decisionEventId: null,
      }).consumed,
    ).toBe(false);
    // Gate 03 ignores its own passage.
    expect(g3.db.prepare("SELECT source FROM ledger WHERE ticket_id = 'E12345678'").all()).toEqual([{ source: 'local' }]);
    // The roster survives a restart of gate 04 (kept in its file, verified again when read).
    expect(g4.store.roster.saved()).not.toBeNull();
  });
});
