// Shared harness for the attack tests: one simulated station (test/daemon/world.ts), an attacker client with only
// publish/subscribe rights, and helpers to read the gate's status and cmd-results.
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import { expect } from 'vitest';
import { sealRoster } from '../../../src/mqtt/roster.js';
import type { PassageEvent } from '../../../src/gate/events.js';
import { signFor } from '../../../src/util/signing.js';
import { GATE, STATION, passTraveller, startLoadedGate, startWorld, type GateProcess, type World } from '../../daemon/world.js';
import { parseJson } from '../../support/json.js';
import { commandResultSchema } from '../../../src/mqtt/schemas.js';

export { GATE, STATION };

export interface Arena {
  w: World;
  gate: GateProcess;
  attacker: MqttClient;
  results: { nonce: string | null; name: string | null; code: string; ok: boolean }[];
  next: number;
  refusals(kind: 'sync' | 'command' | 'sibling'): number;
  /** Asserts the daemon is the same process and the next traveller passes; returns ms card-to-authorise. */
  stillServing(): Promise<number>;
  close(): Promise<void>;
}

export async function arena(opts: { travellers?: number } = {}): Promise<Arena> {
  const w = await startWorld({ travellers: opts.travellers ?? 20, resultHoldMs: 200 });
  const gate = await startLoadedGate(w);
  const attacker = await mqtt.connectAsync(w.broker.url, { protocolVersion: 5, clientId: 'attacker' });
  const results: Arena['results'] = [];
  w.central.on('message', (topic, payload) => {
    if (topic.endsWith('/cmd-result')) results.push(parseJson(commandResultSchema, payload.toString('utf8')));
  });
  await w.central.subscribeAsync(`gates/v1/${STATION}/${GATE}/cmd-result`, { qos: 1 });
  const a: Arena = {
    w,
    gate,
    attacker,
    results,
    next: 0,
    refusals(kind) {
      try {
        return (
          (JSON.parse(readFileSync(`${w.dbPath}.status.json`, 'utf8')) as { refusals?: Record<string, { total: number }> }).refusals?.[kind]
            .total ?? 0
        );
      } catch {
        return 0;
      }
    },
    async stillServing() {
      expect(a.gate.proc.exitCode, a.gate.log().slice(-2000)).toBeNull();
      expect(a.gate.proc.signalCode).toBeNull();
      return passTraveller(w, a.next++);
    },
    async close() {
      await attacker.endAsync().catch(() => undefined);
      await w.close();
    },
  };
  return a;
}

/** Central publishes a signed roster naming sibling gates with fresh keys; returns their private keys. */
export async function rosterWith(w: World, gates: string[], version = 1): Promise<Record<string, KeyObject>> {
  const keys: Record<string, KeyObject> = {};
  for (const g of gates) keys[g] = generateKeyPairSync('ed25519').privateKey;
  const roster = sealRoster(w.syncKey, {
    station: STATION,
    version,
    issuedAt: new Date().toISOString(),
    gates: gates.map((g) => ({ gate: g, publicKey: createPublicKey(keys[g]).export({ type: 'spki', format: 'der' }).toString('base64') })),
  });
  await w.central.publishAsync(roster.topic, roster.payload, { qos: 1, retain: true });
  return keys;
}

let eventN = 0;
export function passagePayload(gate: string, ticketId: string, over: Partial<PassageEvent> = {}): Buffer {
  eventN++;
  return Buffer.from(
    JSON.stringify({
      eventId: `01900000-0000-7000-8000-${String(100000000000 + eventN)}`,
      seq: eventN,
      station: STATION,
      gate,
      at: new Date().toISOString(),
      kind: 'passage',
      direction: 'entry',
      outcome: 'passed',
      ticketId,
      docKey: null,
      decisionEventId: null,
      ...over,
    } satisfies PassageEvent),
  );
}

export const sign = (k: KeyObject, payload: Buffer) => signFor('passage', k, payload);
