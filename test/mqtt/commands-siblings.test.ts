// Signed commands and station siblings over a real broker.
import { describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { CommandSigner } from '../../src/mqtt/command-signer.js';
import { commandResultSchema } from '../../src/mqtt/schemas.js';
import { openDb } from '../../src/cache/db.js';
import { SqliteOutboxStore } from '../../src/outbox/store.js';
import { generateSigningKeys } from '../../src/util/signing.js';
import { commandedGate, recorder, tempGate, until, useBroker } from './helpers.js';

const central = generateSigningKeys();
const intruder = generateSigningKeys();

describe('commands and siblings', () => {
  const shared = useBroker();
  const cleanups = shared.cleanups;

  const gate = (gateId: string, tg = tempGate('BJP', gateId)) => ({ ...tg, ...commandedGate(shared.broker.url, central.publicKey, tg) });

  it('runs an authorised command once and refuses unsigned, forged and replayed ones, also after a restart', async () => {
    const tg = tempGate('BJP', '03');
    cleanups.push(() => tg.close());
    let g = gate('03', tg);
    await until(() => g.reporter.connection.connected);
    const results = await recorder(shared.broker.url, 'gates/v1/BJP/03/cmd-result');
    cleanups.push(() => results.close());
    const centralClient = await mqtt.connectAsync(shared.broker.url, { protocolVersion: 5 });
    cleanups.push(() => centralClient.endAsync());
    const send = (topic: string, payload: unknown) => centralClient.publishAsync(topic, JSON.stringify(payload), { qos: 1 });
    const codes = () => results.messages.map((m) => commandResultSchema.parse(JSON.parse(m.payload))).map((r) => r.code);

    const good = new CommandSigner(central.privateKey).sign({ station: 'BJP', gate: '03' }, 'lane-mode', { mode: 'locked' });
    const forged = new CommandSigner(intruder.privateKey).sign({ station: 'BJP', gate: '03' }, 'release', { direction: 'entry' });
    await send(good.topic, good.command);
    await send(good.topic, { ...good.command, signature: undefined });
    await send(forged.topic, forged.command);
    await send(good.topic, good.command); // replay
    await until(() => results.messages.length === 4, 10_000, 'four answers');
    expect(codes()).toEqual(['ok', 'unsigned', 'bad-signature', 'replayed']);
    expect(g.handled).toEqual([{ name: 'lane-mode', args: { mode: 'locked' }, nonce: good.command.nonce, issuedMs: Date.parse(good.command.issuedAt) }]);
    expect(JSON.parse(results.messages[0].payload)).toMatchObject({ nonce: good.command.nonce, ok: true, name: 'lane-mode' });

    // The gate restarts (new process, same database): the nonce is still known.
    await g.stop();
    tg.db.close();
    const db = openDb(tg.path);
    tg.db = db;
    tg.store = new SqliteOutboxStore(db, { station: 'BJP', gate: '03' });
    g = gate('03', tg);
    cleanups.push(() => g.stop());
    await until(() => g.reporter.connection.connected);
    await send(good.topic, good.command);
    await until(() => results.messages.length === 5, 10_000, 'answer after restart');
    expect(codes()[4]).toBe('replayed');
    expect(g.handled).toEqual([]);
  });

  it('marks a ticket used at gate 03 in gate 04 ledger at once, so gate 04 cannot consume it again', async () => {
    const g3 = gate('03');
    const g4 = gate('04');
    cleanups.push(async () => {
      await g3.stop();
      await g4.stop();
      g3.close();
      g4.close();
    });
    let marked: string | undefined;
    g4.reporter.siblings.events.on('marked', (m) => (marked = m.ticketId));
    await until(() => g3.reporter.connection.connected && g4.reporter.connection.connected);
    const { event } = g3.store.recordPassage({ kind: 'passage', at: new Date().toISOString(), direction: 'entry', outcome: 'passed', ticketId: 'E12345678', docKey: 'k', decisionEventId: null });
    g3.reporter.kick();
    await until(() => marked === 'E12345678', 10_000, 'sibling passage marked');
    expect(g4.db.prepare('SELECT gate, source, event_id FROM ledger WHERE ticket_id = ?').get('E12345678')).toEqual({ gate: '03', source: 'sibling', event_id: event.eventId });
    expect(g4.store.recordPassage({ kind: 'passage', at: new Date().toISOString(), direction: 'entry', outcome: 'passed', ticketId: 'E12345678', docKey: 'k', decisionEventId: null }).consumed).toBe(false);
    // Gate 03 ignores its own passage.
    expect(g3.db.prepare("SELECT source FROM ledger WHERE ticket_id = 'E12345678'").all()).toEqual([{ source: 'local' }]);
  });
});
