// The gate's one config file. Every key is defaulted except what is site-specific (station, gate id, secret).
// Each section says what it is for; `gate config check FILE` prints the effective config, config/schema.json is
// generated from this file (scripts/gen-schema.ts) and config/gate.example.jsonc documents it.
import { z } from 'zod';

const stationCode = z.string().regex(/^[A-Z0-9]{2,8}$/, 'a station code of 2-8 upper-case letters or digits');
const minutes = z.number().int().min(0).max(24 * 60);

export const rulesSchema = z
  .object({
    /** Local time zone of the station: dates (expiry, midnight) are compared there. */
    timeZone: z.string().default('Asia/Shanghai'),
    entry: z
      .object({
        /** The gate opens for a train this many minutes before departure... */
        opensMinutesBefore: minutes.default(120),
        /** ...and closes this many minutes before departure (boarding closes). */
        closesMinutesBefore: minutes.default(5),
      })
      .prefault({}),
    exit: z
      .object({
        /** Exit allowed from departure until arrival plus this grace. */
        graceMinutesAfterArrival: minutes.default(120),
      })
      .prefault({}),
    /** The cache is stale (reject `cache-stale`) when the snapshot is older than this. */
    maxCacheAgeMinutes: z.number().int().min(1).default(24 * 60),
  })
  .strict();

export const serialPortSchema = z
  .object({
    /** Device path, e.g. /dev/ttyUSB0 or /dev/serial/by-id/... */
    path: z.string().min(1).optional(),
    /** Or find the port by USB ids (hex, as `gate ports` prints them). */
    vendorId: z.string().regex(/^[0-9a-fA-F]{4}$/).optional(),
    productId: z.string().regex(/^[0-9a-fA-F]{4}$/).optional(),
    baudRate: z.number().int().positive().default(115200),
    /** Record the raw byte stream (time + bytes) to this file for `gate replay`. */
    recordTo: z.string().optional(),
  })
  .strict();

export const hidDeviceSchema = z
  .object({
    path: z.string().min(1).optional(),
    vendorId: z.string().regex(/^[0-9a-fA-F]{4}$/).optional(),
    productId: z.string().regex(/^[0-9a-fA-F]{4}$/).optional(),
    recordTo: z.string().optional(),
  })
  .strict();

export const devicesSchema = z
  .object({
    /** The ID-card reader (SAM module) on a serial line. */
    idcard: serialPortSchema
      .extend({
        enabled: z.boolean().default(true),
        pollIntervalMs: z.number().int().min(50).default(300),
        findTimeoutMs: z.number().int().min(10).default(200),
        readTimeoutMs: z.number().int().min(100).default(3000),
        /** Reset the SAM after this many failures in a row. */
        resetAfterFailures: z.number().int().min(1).default(3),
      })
      .prefault({ enabled: false }),
    /** MRZ scanner on a serial line. */
    mrzSerial: serialPortSchema
      .extend({
        enabled: z.boolean().default(false),
        baudRate: z.number().int().positive().default(9600),
        /** Max time between the lines of one document. */
        interLineTimeoutMs: z.number().int().min(10).default(300),
      })
      .prefault({}),
    /** MRZ scanner as a USB HID keyboard (keyboard-wedge). */
    mrzHid: hidDeviceSchema
      .extend({
        enabled: z.boolean().default(false),
        interLineTimeoutMs: z.number().int().min(10).default(300),
      })
      .prefault({}),
    /** Reconnect backoff after an unplug. */
    reconnect: z
      .object({
        initialMs: z.number().int().min(10).default(250),
        maxMs: z.number().int().min(100).default(10_000),
      })
      .prefault({}),
  })
  .strict();

export const bridgeSchema = z
  .object({
    enabled: z.boolean().default(true),
    port: serialPortSchema.prefault({}),
    /** Heartbeat from the daemon; the MCU's watchdog fires after watchdogMs without one. */
    heartbeatMs: z.number().int().min(50).default(500),
    watchdogMs: z.number().int().min(200).default(3000),
    ackTimeoutMs: z.number().int().min(10).default(100),
    retries: z.number().int().min(0).default(3),
    /** How long a passenger has to walk through after the gate opens. */
    passageTimeoutMs: z.number().int().min(1000).default(10_000),
    /** What the MCU does by itself when the daemon falls silent. */
    failMode: z.enum(['locked', 'free']).default('locked'),
  })
  .strict();

const urlString = z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\/.+/, 'an MQTT URL such as mqtt://host:1883 or mqtts://host:8883');

export const mqttSchema = z
  .object({
    enabled: z.boolean().default(false),
    /** Broker URLs, tried in order (fallback brokers). */
    urls: z.array(urlString).min(1).default(['mqtt://127.0.0.1:1883']),
    clientId: z.string().optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    tls: z
      .object({
        ca: z.string().optional(),
        cert: z.string().optional(),
        key: z.string().optional(),
        rejectUnauthorized: z.boolean().default(true),
      })
      .strict()
      .optional(),
    keepaliveSeconds: z.number().int().min(5).default(30),
    publishTimeoutMs: z.number().int().min(100).default(10_000),
    reconnect: z
      .object({
        initialMs: z.number().int().min(10).default(1000),
        maxMs: z.number().int().min(100).default(60_000),
      })
      .prefault({}),
    statusIntervalSeconds: z.number().int().min(5).default(60),
    /** Sent outbox rows older than this are pruned. */
    retentionHours: z.number().int().min(1).default(72),
    /**
     * Ed25519 public key(s) of central (PEM or base64 SPKI DER) that sign commands: a key of their own, never the
     * sync key (sync.centralPublicKeys), so a key that can move the turnstile is held by fewer systems.
     */
    centralPublicKeys: z.array(z.string()).default([]),
    /** The gate's own Ed25519 private key (PEM) that signs its passage events; created on first start. Default: gate-key.pem beside the database. */
    gateKeyFile: z.string().optional(),
    /** A signed command older or newer than this is refused. */
    commandMaxSkewSeconds: z.number().int().min(1).default(60),
  })
  .strict();

export const syncSchema = z
  .object({
    enabled: z.boolean().default(false),
    /** Ed25519 public key(s) of central for snapshots, deltas and the station roster (PEM or base64 SPKI DER). */
    centralPublicKeys: z.array(z.string()).default([]),
  })
  .strict();

export const laneSchema = z
  .object({
    /** Modes at start-up; central can change them by command. */
    initialMode: z.enum(['normal', 'free', 'locked', 'maintenance']).default('normal'),
    direction: z.enum(['entry', 'exit']).default('entry'),
    /** How long a result (open, reject, alarm) stays on the display; the next document is read meanwhile. */
    resultHoldMs: z.number().int().min(100).max(30_000).default(2500),
  })
  .strict();

export const gateConfigSchema = z
  .object({
    /** Editors' pointer to config/schema.json; ignored by the gate. */
    $schema: z.string().optional(),
    station: stationCode,
    /** This gate's id within the station, e.g. "03". Needed by `gate run`. */
    gate: z.string().regex(/^[A-Za-z0-9_-]{1,16}$/, 'a gate id of 1-16 letters, digits, _ or -').optional(),
    /** HMAC secret that keys documents; at least 32 characters; or `secretFile`. Needed to touch the cache. */
    secret: z.string().min(32, 'at least 32 characters').optional(),
    secretFile: z.string().optional(),
    /** The gate's SQLite file (cache, ledger, outbox). */
    db: z.string().default('/var/lib/gate/gate.db'),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    rules: rulesSchema.prefault({}),
    devices: devicesSchema.prefault({}),
    bridge: bridgeSchema.prefault({}),
    mqtt: mqttSchema.prefault({}),
    sync: syncSchema.prefault({}),
    lane: laneSchema.prefault({}),
  })
  .strict();

export type GateConfig = z.infer<typeof gateConfigSchema>;
export type Rules = z.infer<typeof rulesSchema>;
