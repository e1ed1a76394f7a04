// Shared pieces of the MQTT integration tests: a gate store in a temp folder, config for a local broker, a
// recording subscriber, and waiting on real events with a timeout (no fixed sleeps).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { startLocalBroker, type LocalBroker } from '../../src/mqtt/local-broker.js';
import { openDb, type Db } from '../../src/cache/db.js';
import { mqttSchema, type GateConfig } from '../../src/config/schema.js';
import type { GateEvent } from '../../src/gate/events.js';
import { GateStore } from '../../src/daemon/gate-store.js';
import type { StatusSnapshot } from '../../src/mqtt/status.js';
import { GateReporter } from '../../src/mqtt/reporter.js';
import type { AuthorisedCommand } from '../../src/mqtt/command-verify.js';
import { generateSigningKeys, parsePrivateKey, signFor } from '../../src/util/signing.js';

/** A gate's SQLite file and store in a temp folder; its passages are signed with its own Ed25519 key (`key`). */
export function tempGate(station = 'BJP', gate = '03') {
  const dir = mkdtempSync(join(tmpdir(), `gate-${gate}-`));
  const path = join(dir, 'gate.db');
  const db: Db = openDb(path);
  const key = generateSigningKeys();
  const privateKey = parsePrivateKey(key.privateKey);
  const signPassage = (payload: Buffer) => signFor('passage', privateKey, payload);
  const store = new GateStore(db, { station, gate, signPassage });
  const g = {
    dir,
    path,
    db,
    store,
    key,
    signPassage,
    /** Closes the current g.db (a test may reopen it). */
    close() {
      g.db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return g;
}

export function mqttConfig(urls: string[], extra: Partial<GateConfig['mqtt']> = {}): GateConfig['mqtt'] {
  return mqttSchema.parse({ enabled: true, urls, reconnect: { initialMs: 50, maxMs: 400 }, publishTimeoutMs: 3000, ...extra });
}

export const healthySnapshot = (store: GateStore): StatusSnapshot => {
  const c = store.outbox.counts();
  return {
    appVersion: '0.1.0',
    configVersion: 'test',
    cache: { epoch: 'e1', seq: 4, ageSeconds: 12 },
    laneMode: 'normal',
    devices: { idcard: { state: 'ok', detail: null }, bridge: { state: 'ok', detail: null } },
    outbox: { pending: c.pending, lastSeq: c.lastSeq, oldestPendingAgeSeconds: null },
    uptimeSeconds: 1,
  };
};

export function recordAlarms(store: GateStore, n: number): void {
  // One outer transaction for speed: each record is a savepoint inside it.
  store.db.transaction(() => {
    for (let i = 0; i < n; i++)
      store.recordAlarm({ kind: 'alarm', at: new Date().toISOString(), type: 'door-fault', detail: `d${i}`, active: i % 2 === 0 });
  })();
}

/** Poll a condition on every event-loop turn until it holds or the timeout passes. */
export async function until(cond: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface Recorder {
  client: MqttClient;
  messages: { topic: string; payload: string; retain: boolean }[];
  events(): GateEvent[];
  close(): Promise<void>;
}

/** A subscriber that records what it receives (persistent session when options ask for one). */
export async function recorder(url: string, filter: string, options: IClientOptions = {}): Promise<Recorder> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 5, reconnectPeriod: 100, ...options });
  const messages: Recorder['messages'] = [];
  client.on('message', (topic, payload, packet) => messages.push({ topic, payload: payload.toString(), retain: packet.retain }));
  await client.subscribeAsync(filter, { qos: 1 });
  return {
    client,
    messages,
    events: () => messages.filter((m) => m.topic.includes('/events/')).map((m) => JSON.parse(m.payload) as GateEvent),
    close: () => client.endAsync(true),
  };
}

/** First occurrence of each eventId, in arrival order; checks that a duplicate never changes an event. */
export function firstSeen(events: GateEvent[]): GateEvent[] {
  const byId = new Map<string, GateEvent>();
  const order: GateEvent[] = [];
  for (const e of events) {
    const prev = byId.get(e.eventId);
    if (prev) {
      if (JSON.stringify(prev) !== JSON.stringify(e)) throw new Error(`eventId ${e.eventId} carried two different events`);
      continue;
    }
    byId.set(e.eventId, e);
    order.push(e);
  }
  return order;
}

/** A gate's MQTT side on a temp store that takes central's commands (trusting `centralPublicKey`) and keeps what it was handed. */
export function commandedGate(url: string, centralPublicKey: string, tg: ReturnType<typeof tempGate>, syncPublicKeys: string[] = []) {
  const handled: AuthorisedCommand[] = [];
  const reporter = new GateReporter({
    store: tg.store,
    syncPublicKeys,
    mqtt: mqttConfig([url], { centralPublicKeys: [centralPublicKey], commandMaxSkewSeconds: 30 }),
    status: () => healthySnapshot(tg.store),
    onCommand: (c) => {
      handled.push(c);
      return { ok: true, code: 'ok' };
    },
  });
  reporter.start();
  return { reporter, handled, stop: () => reporter.stop() };
}

/**
 * A private broker for the tests of one describe block, and a list of cleanups run (last first) after each test.
 * Call at the top of the describe; read `.broker` inside tests.
 */
export function useBroker(): { readonly broker: LocalBroker; cleanups: (() => Promise<void> | void)[] } {
  let broker: LocalBroker | undefined;
  const cleanups: (() => Promise<void> | void)[] = [];
  beforeAll(async () => {
    broker = await startLocalBroker();
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  afterAll(async () => broker?.close());
  return {
    get broker() {
      if (!broker) throw new Error('useBroker: the broker starts in beforeAll');
      return broker;
    },
    cleanups,
  };
}
