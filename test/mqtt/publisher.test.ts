// The outbox publisher against a real private mosquitto: delivery in seq order, broker restarts mid-drain,
// status with its last will, and the owned reconnect loop with fallback URLs.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../src/mqtt/local-broker.js';
import { GateReporter } from '../../src/mqtt/reporter.js';
import { MqttConnection } from '../../src/mqtt/connection.js';
import { statusSchema } from '../../src/mqtt/schemas.js';
import { firstSeen, healthySnapshot, mqttConfig, recordAlarms, recorder, tempGate, until, type Recorder, useBroker } from './helpers.js';
import { parseJson } from '../support/json.js';

describe('outbox publisher over a real broker', () => {
  const shared = useBroker();
  const cleanups = shared.cleanups;

  function gate(gateId = '03', urls = [shared.broker.url], window = 64) {
    const g = tempGate('BJP', gateId);
    const reporter = new GateReporter({
      store: g.store,
      mqtt: mqttConfig(urls),
      status: () => healthySnapshot(g.store),
      onCommand: () => ({ ok: true, code: 'ok' }),
      window,
    });
    cleanups.push(async () => {
      await reporter.stop();
      g.close();
    });
    return { ...g, reporter };
  }

  async function sub(filter: string, opts = {}): Promise<Recorder> {
    const r = await recorder(shared.broker.url, filter, opts);
    cleanups.push(() => r.close());
    return r;
  }

  it('publishes every event in seq order on its kind topic and marks rows sent only after PUBACK', async () => {
    const r = await sub('gates/v1/BJP/03/events/#');
    const g = gate();
    const d = g.store.recordDecision({
      kind: 'decision',
      at: new Date().toISOString(),
      direction: 'entry',
      decision: 'reject',
      reason: 'no-ticket',
      docType: 'mrz',
      docKey: 'k',
      ticketId: null,
      train: null,
    });
    recordAlarms(g.store, 49);
    expect(g.store.outbox.counts().pending).toBe(50);
    g.reporter.start();
    await until(() => g.store.outbox.counts().pending === 0, 10_000, 'outbox drained');
    await until(() => r.messages.length >= 50);
    expect(r.messages[0].topic).toBe('gates/v1/BJP/03/events/decision');
    expect(JSON.parse(r.messages[0].payload)).toEqual(d);
    expect(r.messages.slice(1).every((m) => m.topic === 'gates/v1/BJP/03/events/alarm')).toBe(true);
    expect(r.events().map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(g.store.outbox.counts()).toMatchObject({ pending: 0, sent: 50 });

    // A record committed while connected goes out after kick().
    g.store.recordAlarm({ kind: 'alarm', at: new Date().toISOString(), type: 'power', detail: null, active: true });
    g.reporter.kick();
    await until(() => r.messages.length === 51);
    expect(r.events()[50].seq).toBe(51);
  });

  it('an event nobody subscribed to stays in the outbox, and goes out in order once central subscribes', async () => {
    const g = gate('07');
    recordAlarms(g.store, 20);
    const held: number[] = [];
    g.reporter.publisher.events.on('held', (h) => held.push(h.seq));
    g.reporter.start();
    // The broker answers every publish with 0x10 (no matching subscribers): nothing is marked sent.
    await until(() => held.length >= 2, 10_000, 'the drain holding twice');
    expect(held.every((seq) => seq === 1)).toBe(true);
    expect(g.store.outbox.counts()).toMatchObject({ pending: 20, sent: 0 });
    const r = await sub('gates/v1/BJP/07/events/#');
    await until(() => g.store.outbox.counts().pending === 0, 20_000, 'the outbox drained once central subscribed');
    expect(firstSeen(r.events()).map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  async function drainAcrossRestart(gateId: string, crash: boolean) {
    const subscribedAt = Date.now();
    const r = await sub(`gates/v1/BJP/${gateId}/events/#`, {
      clientId: `central-${gateId}`,
      clean: false,
      properties: { sessionExpiryInterval: 300 },
    });
    // Central's session must be on the broker's disk before a crash (autosave every second); otherwise the restarted
    // broker drops what the gate republishes before central reconnects, and that loss would be the broker's.
    const db = join(shared.broker.dataDir, 'mosquitto.db');
    await until(() => existsSync(db) && statSync(db).mtimeMs > subscribedAt + 5, 5000, 'broker autosave');
    const g = gate(gateId, [shared.broker.url], 8); // a narrow window keeps the drain slow enough to cut it in the middle
    recordAlarms(g.store, 4000);
    let down = false;
    g.reporter.connection.events.on('down', () => (down = true));
    g.reporter.start();
    await until(() => r.messages.length >= 200, 10_000, 'drain under way');
    await shared.broker.stop(!crash);
    await until(() => down, 10_000, 'gate sees the broker go');
    const firstUnsent = g.store.outbox.pendingAfter(0, 1)[0].seq;
    await shared.broker.start();
    await until(() => g.store.outbox.counts().pending === 0, 20_000, 'outbox drained after restart');
    return { r, g, firstUnsent };
  }

  it('drains everything after the broker is killed (SIGKILL) mid-drain; what was unacknowledged at the crash reaches central in order', async () => {
    const { r, g, firstUnsent } = await drainAcrossRestart('05', true);
    expect(firstUnsent).toBeGreaterThan(1);
    expect(g.store.outbox.counts()).toMatchObject({ pending: 0, sent: 4000 });
    const expected = Array.from({ length: 4001 - firstUnsent }, (_, i) => firstUnsent + i);
    const received = () => new Set(r.events().map((e) => e.seq));
    await until(
      () => {
        const got = received();
        return expected.every((seq) => got.has(seq));
      },
      20_000,
      'subscriber has every unacknowledged event',
    );
    expect(
      firstSeen(r.events())
        .map((e) => e.seq)
        .filter((s) => s >= firstUnsent),
    ).toEqual(expected);
  });

  it('loses nothing across a broker restart mid-drain: a persistent subscriber gets every eventId in seq order', async () => {
    const { r } = await drainAcrossRestart('06', false);
    await until(() => new Set(r.events().map((e) => e.eventId)).size === 4000, 20_000, 'subscriber has every eventId');
    expect(firstSeen(r.events()).map((e) => e.seq)).toEqual(Array.from({ length: 4000 }, (_, i) => i + 1));
  });

  it('retains an online status with versions, cache, lane mode and outbox depth; the will says offline when the gate vanishes', async () => {
    const g = gate('07');
    recordAlarms(g.store, 3);
    // Status only (no publisher): the rows stay pending so the status shows a depth.
    g.reporter.status.start();
    g.reporter.connection.start();
    await until(() => g.reporter.connection.connected);
    await g.reporter.status.publishNow();
    const r = await sub('gates/v1/BJP/07/status');
    await until(() => r.messages.length >= 1);
    const online = statusSchema.parse(JSON.parse(r.messages[0].payload));
    expect(r.messages[0].retain).toBe(true);
    expect(online).toMatchObject({
      state: 'online',
      station: 'BJP',
      gate: '07',
      appVersion: '0.1.0',
      laneMode: 'normal',
      outbox: { pending: 3, lastSeq: 3 },
    });
    // Cut the socket without DISCONNECT: the broker publishes the will.
    await g.reporter.connection.stop(undefined, false);
    await until(() => r.messages.length >= 2, 10_000, 'last will');
    expect(JSON.parse(r.messages[1].payload)).toEqual({ state: 'offline', station: 'BJP', gate: '07', reason: 'lost' });
    const late = await sub('gates/v1/BJP/07/status');
    await until(() => late.messages.length >= 1);
    expect(late.messages[0]).toMatchObject({ retain: true });
    expect(parseJson(statusSchema, late.messages[0].payload).state).toBe('offline');
  });

  it('falls back to the next broker URL when the first one is down, with backoff between attempts', async () => {
    const dead = `mqtt://127.0.0.1:${await freePort()}`;
    const conn = new MqttConnection(mqttConfig([dead, shared.broker.url]), { random: () => 0.5 });
    const retries: { url: string; delayMs: number }[] = [];
    conn.events.on('retry', (e) => retries.push(e));
    conn.start();
    cleanups.push(() => conn.stop());
    await until(() => conn.connected, 10_000, 'fallback connect');
    expect(conn.url).toBe(shared.broker.url);
    expect(retries[0]).toMatchObject({ url: dead, delayMs: 25 });
  });
});
