// A separate MQTT client subscribed to `#` on a test's broker: every message published there, in both directions
// (central -> gates and gates -> central), with its topic and MQTT 5 user properties, as the bytes a subscriber with
// read access would get. The privacy scans search these bytes.
import mqtt, { type MqttClient } from 'mqtt';
import { waitFor } from '../../src/util/wait.js';

export interface TappedMessage {
  topic: string;
  /** Topic, payload and user properties as bytes: what the scan searches. */
  bytes: Buffer;
}

export interface WireTap {
  readonly messages: TappedMessage[];
  /** Publish a message from the tap itself and wait until it came back through the broker (a positive control). */
  plant(topic: string, payload: string): Promise<void>;
  close(): Promise<void>;
}

export async function tapAll(url: string): Promise<WireTap> {
  const client: MqttClient = await mqtt.connectAsync(url, {
    protocolVersion: 5,
    clientId: `wire-tap-${process.pid}-${Date.now()}`,
    reconnectPeriod: 200,
  });
  const messages: TappedMessage[] = [];
  client.on('message', (topic, payload, packet) => {
    const props = packet.properties?.userProperties
      ? Buffer.from(JSON.stringify(packet.properties.userProperties), 'utf8')
      : Buffer.alloc(0);
    messages.push({ topic, bytes: Buffer.concat([Buffer.from(topic, 'utf8'), Buffer.from([0]), payload, Buffer.from([0]), props]) });
  });
  await client.subscribeAsync('#', { qos: 1 });
  return {
    messages,
    async plant(topic, payload) {
      await client.publishAsync(topic, payload, { qos: 1 });
      await waitFor(() => messages.some((m) => m.topic === topic), 5000, `the planted message on ${topic}`);
    },
    async close() {
      await client.endAsync().catch(() => undefined);
    },
  };
}

export interface Needle {
  what: string;
  bytes: Buffer;
}

/** Every personal value as the bytes it could appear as: UTF-8 and UTF-16LE (the ID card's text encoding). */
export function needlesOf(values: { what: string; text: string }[]): Needle[] {
  const out: Needle[] = [];
  for (const { what, text } of values) {
    if (text.trim().length < 3) continue;
    out.push({ what, bytes: Buffer.from(text, 'utf8') }, { what: `${what} (UTF-16LE)`, bytes: Buffer.from(text, 'utf16le') });
  }
  return out;
}

/** Search each message for each needle: hits as "needle on topic", and the bytes scanned. */
export function scanMessages(
  messages: readonly TappedMessage[],
  needles: readonly Needle[],
): { hits: { what: string; topic: string }[]; bytes: number } {
  const hits: { what: string; topic: string }[] = [];
  let bytes = 0;
  for (const m of messages) {
    bytes += m.bytes.length;
    for (const n of needles) if (m.bytes.includes(n.bytes)) hits.push({ what: n.what, topic: m.topic });
  }
  return { hits, bytes };
}
