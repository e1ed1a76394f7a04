// The gate's one MQTT session layer: the reporter, the commands, the siblings and the sync worker all connect through
// it, so every one of them gets the whole `mqtt` config (every URL with failover, TLS with CA, client certificate,
// key and server name, credentials) and the same reconnect loop (MQTT.js reconnectPeriod 0; exponential backoff
// with full jitter). A fresh MQTT.js client per attempt, publishing only while connected: the MQTT.js in-memory store
// never holds anything, so the SQLite outbox stays the only durable queue (ecosystem.md 2.3/2.4: replay loses
// messages, QoS 0 piles up in RAM with queueQoSZero). Subscriptions are declared once and made again on every connect.
// Two kinds of session: clean start (events, commands) or persistent (sync: MQTT 5 session expiry, so batches
// published while the gate is away wait at the broker). A message is acknowledged (PUBACK) only after its handler
// has finished, awaited when it returns a promise: a crash in between means redelivery, never a lost batch.
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { GateConfig } from '../config/schema.js';
import { silentLogger, type Logger } from '../util/log.js';
import { TypedEvents } from '../util/typed-events.js';
import { backoffDelay } from './backoff.js';
import { MqttError } from './errors.js';
import { topicMatches } from './topics.js';

export type MqttSettings = Pick<
  GateConfig['mqtt'],
  'urls' | 'clientId' | 'username' | 'password' | 'tls' | 'keepaliveSeconds' | 'publishTimeoutMs' | 'reconnect'
>;

export interface Will {
  topic: string;
  payload: string;
  qos: 0 | 1;
  retain: boolean;
}

export interface ConnectionOptions {
  will?: Will;
  log?: Logger;
  /** Jitter source (tests pin it). */
  random?: () => number;
  connectTimeoutMs?: number;
  /** Builds the MQTT.js client (tests may wrap it). */
  createClient?: (url: string, options: IClientOptions) => MqttClient;
  /** A persistent session under this client id, kept by the broker `expirySeconds` after a disconnect (sync). */
  session?: { clientId: string; expirySeconds: number };
  /** The largest packet the broker may send this connection (MQTT 5 Maximum Packet Size). */
  maximumPacketSize?: number;
}

export interface ConnectionEvents {
  /** `sessionPresent`: the broker still had this client's persistent session (and what it queued). */
  up: { url: string; sessionPresent: boolean };
  down: { url: string; reason: string };
  /** A connect attempt failed; the next one is scheduled after delayMs. */
  retry: { url: string; reason: string; delayMs: number };
  /**
   * The broker dropped this connection because another client connected with the same client id (MQTT 5 reason
   * 0x8E): a second gate configured with this id, or someone using it on purpose. The connection retries as usual;
   * two clients with one id then push each other off for ever, so the daemon reports it.
   */
  'taken-over': { url: string };
}

/** MQTT 5 DISCONNECT reason code "Session taken over". */
const SESSION_TAKEN_OVER = 0x8e;

/** The largest packet the gate's main connection accepts: the roster's 64 KiB plus topic and properties. */
export const MAX_INBOUND_PACKET_BYTES = 128 * 1024;

/**
 * `userProperties`: the MQTT 5 user properties the message carried (a passage's `sig`). A returned promise is awaited
 * before the message is acknowledged.
 */
export type MessageHandler = (topic: string, payload: Buffer, userProperties?: Record<string, string | string[]>) => void | Promise<void>;

/** A TLS option is PEM text or a path to a PEM file. */
function pem(value: string | undefined, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (value.includes('-----BEGIN')) return value;
  try {
    return readFileSync(value, 'utf8');
  } catch (err) {
    throw new MqttError('bad-tls-file', `cannot read mqtt.tls.${what} ${value}: ${(err as Error).message}`, { cause: err });
  }
}

export function clientOptions(
  s: MqttSettings,
  will: Will | undefined,
  connectTimeoutMs: number,
  session?: ConnectionOptions['session'],
  maximumPacketSize = MAX_INBOUND_PACKET_BYTES,
): IClientOptions {
  const tls = s.tls;
  return {
    protocolVersion: 5,
    clientId: session?.clientId ?? s.clientId,
    username: s.username,
    password: s.password,
    clean: session === undefined,
    // The broker sends this connection nothing larger (MQTT 5 Maximum Packet Size): what the main connection receives
    // (commands, sibling passages, the roster) is at most 64 KiB, so a 200 MB message published by anyone never
    // reaches the lane's heap. Sync passes its own bound (a snapshot chunk).
    properties: { maximumPacketSize, ...(session ? { sessionExpiryInterval: session.expirySeconds } : {}) },
    keepalive: s.keepaliveSeconds,
    reconnectPeriod: 0,
    connectTimeout: connectTimeoutMs,
    queueQoSZero: false,
    resubscribe: false,
    ...(will ? { will: { topic: will.topic, payload: Buffer.from(will.payload), qos: will.qos, retain: will.retain } } : {}),
    ...(tls
      ? {
          ca: pem(tls.ca, 'ca'),
          cert: pem(tls.cert, 'cert'),
          key: pem(tls.key, 'key'),
          rejectUnauthorized: tls.rejectUnauthorized,
          // The name the broker's certificate must carry when the URL names it otherwise (an IP address).
          ...(tls.serverName ? { servername: tls.serverName } : {}),
        }
      : {}),
  };
}

export class MqttConnection {
  readonly events: TypedEvents<ConnectionEvents>;
  private readonly log: Logger;
  private readonly random: () => number;
  private readonly createClient: (url: string, options: IClientOptions) => MqttClient;
  private readonly connectTimeoutMs: number;
  private readonly subscriptions: { filter: string; qos: 0 | 1; handler: MessageHandler }[] = [];
  /** Which handlers a topic goes to, found once per topic (a flood repeats a few topics thousands of times). */
  private readonly routes = new Map<string, MessageHandler[]>();
  private current: { client: MqttClient; url: string; up: boolean } | undefined;
  private urlIndex = 0;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;

  constructor(
    private readonly settings: MqttSettings,
    private readonly opts: ConnectionOptions = {},
  ) {
    this.log = opts.log ?? silentLogger();
    this.events = new TypedEvents((event, err) => this.log.error({ event, err }, 'mqtt listener failed'));
    this.random = opts.random ?? Math.random;
    this.createClient = opts.createClient ?? ((url, o) => mqtt.connect(url, o));
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
    for (const url of settings.urls) {
      if (!/^(mqtts?|wss?|tcp|ssl):\/\/./.test(url)) throw new MqttError('bad-url', `not an MQTT URL: ${url}`);
    }
    // Read the TLS files now: a wrong path is a config error at start-up, not a silent reconnect loop.
    this.options();
  }

  get connected(): boolean {
    return this.current?.up === true;
  }

  /** The connected client, or undefined while down. */
  get client(): MqttClient | undefined {
    return this.current?.up ? this.current.client : undefined;
  }

  get url(): string | undefined {
    return this.current?.up ? this.current.url : undefined;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.attempt();
  }

  /** Subscribe now and on every future connect. */
  subscribe(filter: string, qos: 0 | 1, handler: MessageHandler): void {
    this.subscriptions.push({ filter, qos, handler });
    this.routes.clear();
    const c = this.client;
    if (c) c.subscribe(filter, { qos }, (err) => err && this.log.warn({ filter, err: err.message }, 'mqtt subscribe failed'));
  }

  /**
   * Publish while connected, with a timeout (MQTT.js promises can hang forever: MQTT.js#1987). Never queues: when
   * down it rejects with not-connected. QoS 1 resolves on PUBACK; a PUBACK reason >= 0x80 rejects publish-refused.
   */
  publish(
    topic: string,
    payload: string | Buffer,
    options: { qos: 0 | 1; retain?: boolean },
    timeoutMs = this.settings.publishTimeoutMs,
  ): Promise<void> {
    const c = this.client;
    if (!c) return Promise.reject(new MqttError('not-connected', `not connected; ${topic} not published`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new MqttError('publish-timeout', `no PUBACK for ${topic} in ${timeoutMs} ms`)), timeoutMs);
      c.publish(topic, payload, { qos: options.qos, retain: options.retain ?? false }, (err) => {
        clearTimeout(timer);
        if (err) reject(new MqttError('publish-refused', `${topic}: ${err.message}`, { cause: err }));
        else resolve();
      });
    });
  }

  /** Drop the current connection (a publish timed out or was refused); the loop reconnects after a backoff. */
  drop(reason: string): void {
    const cur = this.current;
    if (!cur) return;
    this.log.warn({ url: cur.url, reason }, 'mqtt connection dropped');
    this.lost(cur, reason);
  }

  /**
   * Stop reconnecting and close. `beforeEnd` runs while still connected (publish the offline status); with
   * `graceful` false the socket is cut without DISCONNECT, so the broker publishes the will.
   */
  async stop(beforeEnd?: (conn: MqttConnection) => Promise<void>, graceful = true): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const cur = this.current;
    if (!cur) return;
    if (beforeEnd && cur.up) {
      try {
        await beforeEnd(this);
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'mqtt: last publish before stop failed');
      }
    }
    this.current = undefined;
    if (cur.up) this.events.emit('down', { url: cur.url, reason: 'stopped' });
    await new Promise<void>((resolve) => cur.client.end(!graceful, {}, () => resolve()));
  }

  private attempt(): void {
    if (this.stopped) return;
    const url = this.settings.urls[this.urlIndex % this.settings.urls.length];
    let client: MqttClient;
    try {
      client = this.createClient(url, this.options());
    } catch (err) {
      // TLS material that does not parse throws synchronously from tls.connect: log it and keep retrying.
      this.log.error({ url, err: (err as Error).message }, 'mqtt connect failed');
      this.retryLater(url, false, (err as Error).message);
      return;
    }
    const cur = { client, url, up: false };
    this.current = cur;
    let lastError = 'connection closed';
    client.on('error', (err) => {
      lastError = (err as { code?: string }).code ?? err.message;
    });
    client.on('disconnect', (packet) => {
      if (this.current !== cur || packet.reasonCode !== SESSION_TAKEN_OVER) return;
      lastError = 'session-taken-over';
      this.events.emit('taken-over', { url });
    });
    client.on('connect', (ack) => {
      if (this.current !== cur) return;
      this.failures = 0;
      const sessionPresent = ack.sessionPresent === true;
      void this.resubscribe(client).then(() => {
        if (this.current !== cur || !client.connected) return;
        cur.up = true;
        this.log.info({ url, ...(this.opts.session ? { sessionPresent } : {}) }, 'mqtt connected');
        this.events.emit('up', { url, sessionPresent });
      });
    });
    // MQTT.js sends the PUBACK when this callback's `done` is called, and reads the next packet only then: the
    // handlers run one message at a time and the acknowledgement follows what they did.
    client.handleMessage = (packet, done) => {
      if (this.current !== cur) return done();
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      void this.dispatch(packet.topic, payload, packet.properties?.userProperties).then(() => done());
    };
    client.on('close', () => {
      if (this.current === cur) this.lost(cur, lastError);
    });
  }

  private options(): IClientOptions {
    return clientOptions(this.settings, this.opts.will, this.connectTimeoutMs, this.opts.session, this.opts.maximumPacketSize);
  }

  /** Every handler of the topic, each isolated from the others; resolves when all have finished. */
  private async dispatch(topic: string, payload: Buffer, props: Record<string, string | string[]> | undefined): Promise<void> {
    for (const handler of this.routeOf(topic)) {
      // One handler's failure must not reach MQTT.js (it would end the connection) nor the other handlers.
      try {
        const pending = handler(topic, payload, props);
        if (pending) await pending;
      } catch (err) {
        this.log.error({ topic: topic.slice(0, 120), err: (err as Error).message }, 'mqtt message handler failed');
      }
    }
  }

  private routeOf(topic: string): MessageHandler[] {
    let handlers = this.routes.get(topic);
    if (!handlers) {
      handlers = this.subscriptions.filter((s) => topicMatches(s.filter, topic)).map((s) => s.handler);
      // Bounded: an attacker publishing under ever new topic names must not grow it without end.
      if (this.routes.size >= 256) this.routes.clear();
      this.routes.set(topic, handlers);
    }
    return handlers;
  }

  private resubscribe(client: MqttClient): Promise<void> {
    if (this.subscriptions.length === 0) return Promise.resolve();
    const map: Record<string, { qos: 0 | 1 }> = {};
    for (const s of this.subscriptions) map[s.filter] = { qos: s.qos };
    return new Promise((resolve) =>
      client.subscribe(map, (err) => {
        if (err) this.log.warn({ err: err.message }, 'mqtt subscribe failed');
        resolve();
      }),
    );
  }

  private lost(cur: { client: MqttClient; url: string; up: boolean }, reason: string): void {
    this.current = undefined;
    // The old client's handlers check `this.current` and fall silent; end it without waiting.
    cur.client.end(true);
    if (cur.up) this.events.emit('down', { url: cur.url, reason });
    this.retryLater(cur.url, cur.up, reason);
  }

  private retryLater(url: string, wasUp: boolean, reason: string): void {
    if (this.stopped) return;
    // A broker that was up gets one more try before the fallback; one that failed at connect is skipped.
    if (!wasUp) this.urlIndex++;
    const delayMs = backoffDelay(this.failures++, this.settings.reconnect, this.random);
    this.events.emit('retry', { url, reason, delayMs });
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.attempt();
    }, delayMs);
  }
}
