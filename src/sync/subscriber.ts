// The gate's MQTT side of sync, on the gate's one MQTT session layer (src/mqtt/connection.ts) with the whole `mqtt`
// config: every URL with failover, TLS, credentials, backoff with jitter. Its session is persistent (clean start
// off, an MQTT 5 session expiry) under a client id of its own, so QoS 1 batches published while the gate is offline
// wait at the broker and arrive when it reconnects. Each message is acknowledged only after the engine has handled
// it (applied, buffered or refused), so a crash in between means redelivery, which the (epoch, seq) rules turn into a
// harmless duplicate.
import { MqttConnection, type ConnectionOptions, type MqttSettings } from '../mqtt/connection.js';
import type { Logger } from '../util/log.js';
import { RepeatLimiter } from '../util/repeat-limiter.js';
import type { SyncEngine } from './engine.js';
import type { SyncError } from './errors.js';
import { oversized, SYNC_MAX_MESSAGE_BYTES, SYNC_PACKET_OVERHEAD_BYTES } from './limits.js';
import { topics } from './wire.js';

/** How long the broker keeps a gate's sync session (and queues batches) while the gate is away. */
export const DEFAULT_SYNC_SESSION_EXPIRY_SECONDS = 7 * 24 * 3600;

export interface SubscriberOptions {
  /** The gate's `mqtt` config, whole: URLs, TLS, credentials, keepalive, reconnect backoff. */
  mqtt: MqttSettings;
  station: string;
  gate: string;
  engine: Pick<SyncEngine, 'handle' | 'tick'>;
  /** Stable per gate: the broker keeps the session under this id. */
  clientId?: string;
  sessionExpirySeconds?: number;
  /** Timer input of the machine (reorder window, head grace, retries). */
  tickMs?: number;
  log?: Logger;
  onConnect?(sessionPresent: boolean): void;
  onOffline?(): void;
  /** A message refused before the engine saw it (over its size limit). */
  onRefused?(e: SyncError): void;
  /** Tests pin the jitter or wrap the client. */
  connection?: Pick<ConnectionOptions, 'random' | 'createClient' | 'connectTimeoutMs'>;
}

export interface Subscriber {
  connection: MqttConnection;
  /** Publish a resync request (QoS 1); resolves false when the broker is away (the engine asks again later). */
  publish(topic: string, payload: string): Promise<boolean>;
  stop(): Promise<void>;
}

export function syncClientId(station: string, gate: string): string {
  return `gate-sync-${station}-${gate}`;
}

export function startSubscriber(o: SubscriberOptions): Subscriber {
  const connection = new MqttConnection(o.mqtt, {
    ...o.connection,
    log: o.log,
    session: {
      clientId: o.clientId ?? syncClientId(o.station, o.gate),
      expirySeconds: o.sessionExpirySeconds ?? DEFAULT_SYNC_SESSION_EXPIRY_SECONDS,
    },
    // Maximum Packet Size: the broker drops (never sends) anything larger, so it is not even read off the socket.
    maximumPacketSize: SYNC_MAX_MESSAGE_BYTES + SYNC_PACKET_OVERHEAD_BYTES,
  });
  // With a session the broker still has the subscription; it is made again on every connect, which covers an
  // expired one. The handler runs before the PUBACK goes out: after the batch is in SQLite (or deliberately dropped).
  connection.subscribe(topics.all(o.station), 1, (topic, payload) => {
    const tooLarge = oversized(topic, payload.byteLength);
    if (tooLarge) o.onRefused?.(tooLarge);
    else o.engine.handle(topic, payload);
  });
  // While the broker is down every attempt fails the same way: logged with backoff, a count of the ones left out.
  const repeated = new RepeatLimiter();
  const offUp = connection.events.on('up', ({ sessionPresent }) => {
    repeated.reset();
    o.log?.info({ sessionPresent }, 'sync connected');
    o.onConnect?.(sessionPresent);
  });
  const offDown = connection.events.on('down', () => o.onOffline?.());
  const offRetry = connection.events.on('retry', (r) => {
    const v = repeated.hit(r.reason);
    if (v.log)
      o.log?.warn(
        { url: r.url, err: r.reason, retryInMs: r.delayMs, ...(v.suppressed ? { repeated: v.suppressed } : {}) },
        'sync mqtt error',
      );
  });
  connection.start();
  const timer = setInterval(() => o.engine.tick(), o.tickMs ?? 1000);
  return {
    connection,
    async publish(topic, payload) {
      try {
        await connection.publish(topic, payload, { qos: 1 });
        return true;
      } catch (err) {
        o.log?.warn({ topic, err: (err as Error).message }, 'sync publish failed');
        return false;
      }
    },
    async stop() {
      clearInterval(timer);
      offUp();
      offDown();
      offRetry();
      await connection.stop();
    },
  };
}
