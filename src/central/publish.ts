// Publishing central's batches over MQTT 5 with QoS 1 (each publish awaits its PUBACK, so the order on the wire is the
// order here), and listening to the gates' events and resync requests.
import mqtt, { type MqttClient } from 'mqtt';
import { randomBytes } from 'node:crypto';
import { gateEventSchema, type GateEvent } from '../gate/events.js';
import { resyncRequestSchema, topics, type ResyncRequest } from '../sync/wire.js';
import type { OutMessage } from './build.js';
import type { Progress } from '../sync/progress.js';

export interface CentralConnectOptions {
  clientId?: string;
  username?: string;
  password?: string;
  connectTimeoutMs?: number;
  /** Central's TLS material for an mqtts:// broker (PEM text): its CA, and its client certificate and key. */
  tls?: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer; servername?: string };
}

export async function connectCentral(url: string, o: CentralConnectOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(url, {
    protocolVersion: 5,
    clientId: o.clientId ?? `central-${randomBytes(4).toString('hex')}`,
    clean: true,
    username: o.username,
    password: o.password,
    connectTimeout: o.connectTimeoutMs ?? 10_000,
    reconnectPeriod: 1000,
    ...(o.tls ?? {}),
  });
}

/** Publish in order, QoS 1; returns the number of rows sent. */
export async function publishAll(client: MqttClient, messages: readonly OutMessage[], progress?: Progress): Promise<number> {
  let rows = 0;
  for (const m of messages) {
    await client.publishAsync(m.topic, m.payload, { qos: 1, retain: m.retain });
    rows += m.rows;
    progress?.update(rows);
  }
  progress?.finish();
  return rows;
}

const EVENT_TOPIC = /^gates\/v1\/[^/]+\/([^/]+)\/events\/[^/]+$/;

/**
 * Subscribe to the station's gate events (QoS 1) and call handler for each well-formed one, with the gate its topic
 * names. Anyone with publish rights can post under events/ (a probe, a hostile client): what is not JSON or not an
 * event is ignored, never thrown into MQTT.js.
 */
export async function onGateEvents(client: MqttClient, station: string, handler: (event: GateEvent, gate: string) => void): Promise<void> {
  client.on('message', (topic: string, payload: Buffer) => {
    const m = EVENT_TOPIC.exec(topic);
    if (!m) return;
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch {
      return;
    }
    const r = gateEventSchema.safeParse(json);
    if (r.success) handler(r.data, m[1]);
  });
  await client.subscribeAsync(`gates/v1/${station}/+/events/#`, { qos: 1 });
}

/** Call handler for each well-formed resync request of the station's gates; returns an unsubscribe function. */
export async function onResyncRequests(
  client: MqttClient,
  station: string,
  handler: (r: ResyncRequest) => void,
): Promise<() => Promise<void>> {
  const filter = topics.resyncRequestsAll(station);
  const listener = (topic: string, payload: Buffer) => {
    if (!/^gates\/v1\/[^/]+\/[^/]+\/sync\/resync-request$/.test(topic)) return;
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch {
      return;
    }
    const r = resyncRequestSchema.safeParse(json);
    if (r.success && r.data.station === station) handler(r.data);
  };
  client.on('message', listener);
  await client.subscribeAsync(filter, { qos: 1 });
  return async () => {
    client.off('message', listener);
    await client.unsubscribeAsync(filter);
  };
}
