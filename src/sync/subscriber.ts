// The gate's MQTT side of sync: one MQTT 5 connection with a persistent session (clean start off, a session expiry),
// so QoS 1 batches published while the gate is offline wait at the broker and arrive when it reconnects. Each message
// is acknowledged only after the engine has handled it (applied, buffered or refused), so a crash in between means
// redelivery, which the (epoch, seq) rules turn into a harmless duplicate.
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from '../util/log.js';
import type { SyncEngine } from './engine.js';
import type { SyncError } from './errors.js';
import { oversized, SYNC_MAX_MESSAGE_BYTES, SYNC_PACKET_OVERHEAD_BYTES } from './limits.js';
import { topics } from './wire.js';
import { RepeatLimiter } from '../util/repeat-limiter.js';

export interface SubscriberOptions {
  url: string;
  station: string;
  gate: string;
  engine: SyncEngine;
  /** Stable per gate: the broker keeps the session under this id. */
  clientId?: string;
  username?: string;
  password?: string;
  /** How long the broker keeps the session (and queues batches) while the gate is away. */
  sessionExpirySeconds?: number;
  keepaliveSeconds?: number;
  reconnectPeriodMs?: number;
  tls?: Pick<IClientOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized'>;
  /** Timer input of the machine (reorder window, head grace, retries). */
  tickMs?: number;
  log?: Logger;
  onConnect?(sessionPresent: boolean): void;
  onOffline?(): void;
  /** A message refused before the engine saw it (over its size limit). */
  onRefused?(e: SyncError): void;
}

export interface Subscriber {
  client: MqttClient;
  stop(): Promise<void>;
}

export function syncClientId(station: string, gate: string): string {
  return `gate-sync-${station}-${gate}`;
}

export function startSubscriber(o: SubscriberOptions): Subscriber {
  const client = mqtt.connect(o.url, {
    protocolVersion: 5,
    clientId: o.clientId ?? syncClientId(o.station, o.gate),
    clean: false,
    // Maximum Packet Size: the broker drops (never sends) anything larger, so it is not even read off the socket.
    properties: { sessionExpiryInterval: o.sessionExpirySeconds ?? 7 * 24 * 3600, maximumPacketSize: SYNC_MAX_MESSAGE_BYTES + SYNC_PACKET_OVERHEAD_BYTES },
    username: o.username,
    password: o.password,
    keepalive: o.keepaliveSeconds ?? 30,
    reconnectPeriod: o.reconnectPeriodMs ?? 1000,
    connectTimeout: 10_000,
    resubscribe: false,
    ...o.tls,
  });
  // PUBACK goes out when this callback is called: after the batch is in SQLite (or deliberately dropped).
  client.handleMessage = (packet, done) => {
    try {
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      const tooLarge = oversized(packet.topic, payload.byteLength);
      if (tooLarge) o.onRefused?.(tooLarge);
      else o.engine.handle(packet.topic, payload);
    } finally {
      done();
    }
  };
  // While the broker is down mqtt.js reports the same error on every retry (each second): logged with backoff.
  const repeated = new RepeatLimiter();
  client.on('connect', (ack) => {
    repeated.reset();
    // With a session the broker still has the subscription; subscribing again is harmless and covers an expired one.
    client.subscribe(topics.all(o.station), { qos: 1 }, (err) => {
      if (err) return o.log?.error({ err: err.message }, 'sync subscribe failed');
      o.log?.info({ sessionPresent: ack.sessionPresent }, 'sync connected');
      o.onConnect?.(ack.sessionPresent);
    });
  });
  client.on('offline', () => o.onOffline?.());
  client.on('error', (err) => {
    const v = repeated.hit((err as NodeJS.ErrnoException).code ?? err.message);
    if (v.log) o.log?.warn({ err: err.message, ...(v.suppressed ? { repeated: v.suppressed } : {}) }, 'sync mqtt error');
  });
  const timer = setInterval(() => o.engine.tick(), o.tickMs ?? 1000);
  return {
    client,
    async stop() {
      clearInterval(timer);
      await client.endAsync();
    },
  };
}
