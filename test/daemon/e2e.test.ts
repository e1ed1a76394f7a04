// The whole daemon as a child process (`gate run`), end to end: documents in on the simulated reader and scanner
// (real ptys), turnstile frames out to the simulated MCU, events out to central over a real Mosquitto. A restart
// in the middle of the day (SIGKILL, broker down meanwhile) loses nothing; SIGTERM finishes the passage under way.
import { afterEach, describe, expect, it } from 'vitest';
import { CARDS, PASSPORTS } from '../../src/demo/data.js';
import { waitFor } from '../../src/util/wait.js';
import type { DecisionEvent, PassageEvent } from '../../src/gate/events.js';
import { GATE, STATION, startLoadedGate, startWorld, type World } from './world.js';
import { parseJson } from '../support/json.js';
import { commandResultSchema } from '../../src/mqtt/schemas.js';
import { passageEventSchema } from '../../src/gate/events.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const decisions = (w: World) => w.received.filter((e): e is DecisionEvent => e.kind === 'decision');
const passages = (w: World) => w.received.filter((e): e is PassageEvent => e.kind === 'passage');
const uniqueSeqs = (w: World) => [...new Set(w.received.map((e) => e.seq))].sort((a, b) => a - b);

async function walkWhenAuthorised(w: World): Promise<void> {
  await waitFor(() => w.mcu.auth !== null, 8000, 'the MCU authorisation');
  await w.mcu.walkThrough();
}

describe('gate run, end to end', () => {
  it('reads an ID card and a passport, opens the turnstile, consumes tickets once and reports every event to central', async () => {
    world = await startWorld();
    const w = world;
    const gate = await startLoadedGate(w);

    w.reader.placeCard(CARDS.resident);
    await walkWhenAuthorised(w);
    expect(w.mcu.lastDisplay).toMatchObject({ code: 'open', train: 'G7', car: '03', seat: '01A' });
    await waitFor(() => passages(w).length === 1, 8000, 'the first passage at central');
    w.reader.removeCard();

    await w.scanner.scan(PASSPORTS.verified);
    await walkWhenAuthorised(w);
    await waitFor(() => passages(w).length === 2, 8000, 'the second passage at central');

    await waitFor(() => w.query('SELECT 1 FROM outbox WHERE sent_ms IS NULL').length === 0, 5000, 'the outbox to drain');
    await w.scanner.scan(PASSPORTS.unverified);
    await waitFor(() => decisions(w).length === 3, 8000, 'the third decision at central');

    expect(decisions(w).map((d) => [d.docType, d.decision, d.reason, d.ticketId])).toEqual([
      ['cn-resident-id', 'open', 'ok', 'R1'],
      ['mrz', 'open', 'ok', 'P1'],
      ['mrz', 'reject', 'verification-pending', null],
    ]);
    expect(passages(w).map((p) => [p.outcome, p.ticketId])).toEqual([
      ['passed', 'R1'],
      ['passed', 'P1'],
    ]);
    // Each event once, in seq order, with no gap; no document number or name went out.
    const seqs = w.received.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(uniqueSeqs(w)).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    const wire = JSON.stringify(w.received) + gate.log();
    for (const secret of ['11010519491231002X', 'C01X00T47', '963545637', 'MUSTERMANN', CARDS.resident.name])
      expect(wire).not.toContain(secret);
    // The ledger holds each ticket once.
    expect(w.query<{ ticket_id: string }>('SELECT ticket_id FROM ledger ORDER BY ticket_id').map((r) => r.ticket_id)).toEqual(['P1', 'R1']);

    gate.proc.kill('SIGTERM');
    expect((await gate.exited).code).toBe(0);
    expect(gate.log()).toContain('"msg":"stopped"');
  });

  it('a restart mid-day (SIGKILL while the broker is down) loses nothing and does not let a used ticket in again', async () => {
    world = await startWorld();
    const w = world;
    const first = await startLoadedGate(w);
    await w.broker.stop();

    w.reader.placeCard(CARDS.hmtPermit);
    await walkWhenAuthorised(w);
    await waitFor(() => w.query('SELECT 1 FROM ledger').length === 1, 8000, 'the passage in the ledger');
    w.reader.removeCard();
    await w.scanner.scan(PASSPORTS.unverified);
    await waitFor(() => w.query("SELECT 1 FROM outbox WHERE kind = 'decision'").length === 2, 8000, 'the reject recorded');

    first.proc.kill('SIGKILL');
    await first.exited;
    const pending = w.query<{ seq: number }>('SELECT seq FROM outbox WHERE sent_ms IS NULL ORDER BY seq').map((r) => r.seq);
    expect(pending.length).toBeGreaterThanOrEqual(3);

    await w.broker.start();
    const second = await startLoadedGate(w);
    await waitFor(
      () => w.query('SELECT 1 FROM outbox WHERE sent_ms IS NULL').length === 0,
      15_000,
      'the outbox to drain after the restart',
    );
    const lastSeq = w.query<{ last_seq: number }>('SELECT last_seq FROM outbox_seq')[0].last_seq;
    await waitFor(() => uniqueSeqs(w).length === lastSeq, 10_000, 'central to have every seq');
    expect(uniqueSeqs(w)).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1));

    // The same permit again after the restart: the ledger remembers the passage.
    w.reader.placeCard(CARDS.hmtPermit);
    await waitFor(() => decisions(w).some((d) => d.reason === 'already-used'), 10_000, 'already-used at central');
    expect(w.query('SELECT 1 FROM ledger')).toHaveLength(1);
    second.proc.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  });

  it("central's signed commands reach the running gate: lane mode, a remote release, a resync, a config reload", async () => {
    world = await startWorld();
    const w = world;
    const gate = await startLoadedGate(w);
    const results: { name: string | null; code: string }[] = [];
    w.central.on(
      'message',
      (topic, payload) => topic.endsWith('/cmd-result') && results.push(parseJson(commandResultSchema, payload.toString('utf8'))),
    );
    await w.central.subscribeAsync(`gates/v1/${STATION}/${GATE}/cmd-result`, { qos: 1 });
    const send = async (name: 'lane-mode' | 'release' | 'resync' | 'reload-config', args: Record<string, unknown>) => {
      const { topic, payload } = w.signer.sign({ station: STATION, gate: GATE }, name, args);
      await w.central.publishAsync(topic, payload, { qos: 1 });
      await waitFor(() => results.some((r) => r.name === name), 5000, `the result of ${name}`);
    };

    await send('lane-mode', { mode: 'maintenance' });
    await waitFor(() => w.mcu.mode === 'maintenance', 5000, 'maintenance mode at the MCU');
    await send('release', { direction: 'entry' });
    await walkWhenAuthorised(w);
    await waitFor(() => passages(w).length === 1, 5000, 'the released passage at central');
    expect(passages(w)[0]).toMatchObject({ outcome: 'passed', ticketId: null });
    // This is an entry lane: a release for the exit direction is refused, and the MCU gets no authorisation.
    const auths = () => w.mcu.received.filter((m) => m.kind === 'authorise').length;
    const authsBefore = auths();
    await send('release', { direction: 'exit' });
    expect(auths()).toBe(authsBefore);
    await send('lane-mode', { mode: 'normal' });
    await waitFor(() => w.mcu.mode === 'normal', 5000, 'normal mode at the MCU');

    const appliedAt = () => w.query<{ applied_at: string }>('SELECT applied_at FROM sync_state WHERE id = 1')[0].applied_at;
    const before = appliedAt();
    await send('resync', {});
    await waitFor(() => appliedAt() !== before, 15_000, 'the snapshot loaded again');
    // reload-config: answered, then the daemon stops and exits 75 for systemd to start it with the new config.
    await send('reload-config', {});
    expect((await gate.exited).code).toBe(75);
    expect(results.map((r) => [r.name, r.code])).toEqual([
      ['lane-mode', 'ok'],
      ['release', 'ok'],
      ['release', 'wrong-direction'],
      ['lane-mode', 'ok'],
      ['resync', 'ok'],
      ['reload-config', 'ok'],
    ]);
  });

  it('SIGTERM while a passenger is authorised: the gate waits for the passage, records it, then exits 0', async () => {
    world = await startWorld();
    const w = world;
    const gate = await startLoadedGate(w);
    w.reader.placeCard(CARDS.pr2023);
    await waitFor(() => w.mcu.auth !== null, 8000, 'the MCU authorisation');
    gate.proc.kill('SIGTERM');
    await waitFor(() => gate.log().includes('stopping: no new passengers'), 5000, 'the daemon to start stopping');
    await w.mcu.walkThrough();
    expect((await gate.exited).code).toBe(0);
    expect(w.query<{ ticket_id: string }>('SELECT ticket_id FROM ledger').map((r) => r.ticket_id)).toEqual(['Y1']);
    const kinds = w.query<{ kind: string; payload: string }>('SELECT kind, payload FROM outbox ORDER BY seq');
    expect(kinds.some((r) => r.kind === 'passage' && parseJson(passageEventSchema, r.payload).outcome === 'passed')).toBe(true);
  });
});
