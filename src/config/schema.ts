// The gate's one config file. Every key is defaulted except what is site-specific (station, gate id, secret).
// Each key's description lives here (.describe) and is carried into config/schema.json (scripts/gen-schema.ts), so an
// editor shows it on hover; `gate config check FILE` prints the effective config and config/gate.example.jsonc
// documents it. Paths in the file are relative to the file's own folder (resolved by loadConfig).
import { z } from 'zod';
import { LOG_LEVELS } from '../util/log.js';
import { passengerLanguageSchema } from '../i18n/config.js';
// The config refuses a password hash the console could never check.
import { readScryptHash } from '../util/scrypt-hash.js';

const SCRYPT_SHAPE = /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/;

/** Cross-field rules run on a section whose own keys are valid; a bad key is reported once, by itself. */
const whenValid = { when: (payload: { issues: readonly unknown[] }) => payload.issues.length === 0 };

const stationCode = z.string().regex(/^[A-Z0-9]{2,8}$/, 'a station code of 2-8 upper-case letters or digits');
const minutes = z
  .number()
  .int()
  .min(0)
  .max(24 * 60);

/** Intl knows the IANA zones; a misspelt one would only throw later, inside every passport decision. */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const path = (what: string) => z.string().min(1).describe(`${what} (a path; relative paths are relative to the config file's folder)`);

export const rulesSchema = z
  .object({
    timeZone: z
      .string()
      .refine(isTimeZone, 'an IANA time zone such as "Asia/Shanghai"')
      .default('Asia/Shanghai')
      .describe(
        'Local IANA time zone of the station (e.g. "Asia/Shanghai"): dates (document expiry, the day of travel) are compared there.',
      ),
    entry: z
      .object({
        opensMinutesBefore: minutes.default(120).describe('The entry gate opens for a train this many minutes before departure.'),
        closesMinutesBefore: minutes.default(5).describe('The entry gate closes this many minutes before departure (boarding closes).'),
      })
      .prefault({})
      .describe('When an entry gate lets a ticket through.'),
    exit: z
      .object({
        graceMinutesAfterArrival: minutes.default(120).describe('Exit is allowed from departure until arrival plus this many minutes.'),
      })
      .prefault({})
      .describe('When an exit gate lets a ticket through.'),
    transfer: z
      .object({
        maxMinutesAfterArrival: minutes
          .default(240)
          .describe('A transfer lane opens for a passenger whose arriving train reached this station at most this many minutes ago.'),
      })
      .prefault({})
      .describe('When a transfer lane (lane.direction "transfer") lets a passenger through to the onward train.'),
    maxCacheAgeMinutes: z
      .number()
      .int()
      .min(1)
      .default(24 * 60)
      .describe(
        "The cache is stale (passengers rejected with cache-stale; doctor and status say so) when central's last snapshot is older than this.",
      ),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.entry.closesMinutesBefore >= r.entry.opensMinutesBefore) {
      ctx.addIssue({
        code: 'custom',
        path: ['entry', 'closesMinutesBefore'],
        message: `a number below rules.entry.opensMinutesBefore (${r.entry.opensMinutesBefore}) so that the entry window is not empty`,
      });
    }
  }, whenValid)
  .describe('The decision rules.');

const usbId = (what: string) =>
  z
    .string()
    .regex(/^[0-9a-fA-F]{4}$/)
    .describe(`USB ${what} in hex as \`gate ports\` prints it (e.g. "1a86"); with the other id, finds the device when no path is set.`);

export const serialPortSchema = z
  .object({
    path: z.string().min(1).optional().describe('Device path, e.g. /dev/ttyUSB0 or /dev/serial/by-id/...; or set vendorId and productId.'),
    vendorId: usbId('vendor id').optional(),
    productId: usbId('product id').optional(),
    baudRate: z.number().int().positive().default(115200).describe('Line speed in baud.'),
    recordTo: path('Record the raw byte stream (time + bytes) to this file for `gate replay`; its folder must exist').optional(),
  })
  .strict();

export const hidDeviceSchema = z
  .object({
    path: z.string().min(1).optional().describe('hidraw or node-hid path of the scanner; or set vendorId and productId.'),
    vendorId: usbId('vendor id').optional(),
    productId: usbId('product id').optional(),
    recordTo: path('Record the raw HID reports to this file for `gate replay`; its folder must exist').optional(),
  })
  .strict();

/** A backoff whose ceiling is below its start would never back off. */
function backoffInOrder(section: string) {
  return (b: { initialMs: number; maxMs: number }, ctx: z.RefinementCtx) => {
    if (b.maxMs < b.initialMs)
      ctx.addIssue({ code: 'custom', path: ['maxMs'], message: `a number not below ${section}.initialMs (${b.initialMs})` });
  };
}

const enabled = (what: string, dflt: boolean) => z.boolean().default(dflt).describe(`Use ${what}.`);
const interLine = z.number().int().min(10).default(300).describe('Max time in ms between the lines of one document.');

export const devicesSchema = z
  .object({
    idcard: serialPortSchema
      .extend({
        enabled: enabled('the ID-card reader (true when the idcard section is present)', true),
        pollIntervalMs: z.number().int().min(50).default(300).describe('How often the reader is asked for a card, in ms.'),
        findTimeoutMs: z.number().int().min(10).default(200).describe('How long the SAM has to answer "find card", in ms.'),
        readTimeoutMs: z.number().int().min(100).default(3000).describe('How long the SAM has to answer "read card", in ms.'),
        resetAfterFailures: z.number().int().min(1).default(3).describe('Reset the SAM after this many failures in a row.'),
      })
      .prefault({ enabled: false })
      .describe('The ID-card reader (SAM module) on a serial line: resident, PR 2017/2023 and HK/Macao/Taiwan cards.'),
    mrzSerial: serialPortSchema
      .extend({
        enabled: enabled('the MRZ scanner on a serial line', false),
        baudRate: z.number().int().positive().default(9600).describe('Line speed in baud.'),
        interLineTimeoutMs: interLine,
      })
      .prefault({})
      .describe('Passport MRZ scanner on a serial line.'),
    mrzHid: hidDeviceSchema
      .extend({
        enabled: enabled('the MRZ scanner as a USB HID keyboard', false),
        interLineTimeoutMs: interLine,
      })
      .prefault({})
      .describe('Passport MRZ scanner as a USB HID keyboard (keyboard-wedge).'),
    reconnect: z
      .object({
        initialMs: z.number().int().min(10).default(250).describe('First pause before reopening an unplugged device, in ms.'),
        maxMs: z.number().int().min(100).default(10_000).describe('Longest pause between reopen attempts, in ms.'),
      })
      .superRefine(backoffInOrder('devices.reconnect'), whenValid)
      .prefault({})
      .describe('Reconnect backoff after an unplug.'),
  })
  .strict()
  .describe('The document readers.');

export const bridgeSchema = z
  .object({
    enabled: z.boolean().default(true).describe('The turnstile MCU link; gate run refuses to start without it.'),
    port: serialPortSchema.prefault({}).describe("The MCU's serial port (firmware-bridge/PROTOCOL.md: 115200 baud)."),
    heartbeatMs: z.number().int().min(50).default(500).describe('Heartbeat from the daemon to the MCU, in ms.'),
    watchdogMs: z.number().int().min(200).default(3000).describe("The MCU's watchdog fires after this many ms without a heartbeat."),
    ackTimeoutMs: z.number().int().min(10).default(100).describe('How long the MCU has to acknowledge a frame, in ms.'),
    retries: z.number().int().min(0).default(3).describe('Resends of an unacknowledged frame.'),
    passageTimeoutMs: z
      .number()
      .int()
      .min(1000)
      .default(10_000)
      .describe('How long a passenger has to walk through after the gate opens, in ms.'),
    failMode: z.enum(['locked', 'free']).default('locked').describe('What the MCU does by itself when the daemon falls silent.'),
  })
  .strict()
  .superRefine((b, ctx) => {
    // One lost heartbeat must not trip the watchdog (and put the gate in its fail mode).
    if (b.watchdogMs < 2 * b.heartbeatMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['watchdogMs'],
        message: `a number at least twice bridge.heartbeatMs (${2 * b.heartbeatMs}) so that one late heartbeat does not trip the MCU's watchdog`,
      });
    }
  }, whenValid)
  .describe('The turnstile microcontroller (firmware bridge).');

const urlString = z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\/.+/, 'an MQTT URL such as mqtt://host:1883 or mqtts://host:8883');
const publicKeys = (what: string) =>
  z.array(z.string()).default([]).describe(`Ed25519 public key(s) of central (PEM or base64 SPKI DER) for ${what}; the first is current.`);

export const mqttSchema = z
  .object({
    enabled: z.boolean().default(false).describe('Report to central over MQTT (events, status, commands).'),
    urls: z.array(urlString).min(1).default(['mqtt://127.0.0.1:1883']).describe('Broker URLs, tried in order (fallback brokers).'),
    clientId: z.string().optional().describe('MQTT client id (default gate-<station>-<gate>).'),
    username: z.string().optional().describe('Broker username.'),
    password: z.string().optional().describe('Broker password (never printed).'),
    tls: z
      .object({
        ca: z.string().optional().describe("The broker's CA: PEM text, or a path (relative to the config file's folder)."),
        cert: z.string().optional().describe("The gate's client certificate: PEM text, or a path (relative to the config file's folder)."),
        key: z.string().optional().describe("The gate's client key: PEM text, or a path (relative to the config file's folder)."),
        rejectUnauthorized: z.boolean().default(true).describe('Refuse a broker whose certificate the CA does not sign.'),
        serverName: z
          .string()
          .min(1)
          .optional()
          .describe("The name the broker's certificate must carry, when the URL gives an IP address or another name (TLS SNI)."),
      })
      .strict()
      .optional()
      .describe('TLS settings for mqtts:// URLs.'),
    keepaliveSeconds: z.number().int().min(5).default(30).describe('MQTT keepalive, in seconds.'),
    publishTimeoutMs: z.number().int().min(100).default(10_000).describe('How long a publish may wait for its acknowledgement, in ms.'),
    reconnect: z
      .object({
        initialMs: z.number().int().min(10).default(1000).describe('First pause before reconnecting, in ms.'),
        maxMs: z.number().int().min(100).default(60_000).describe('Longest pause between reconnects, in ms.'),
      })
      .superRefine(backoffInOrder('mqtt.reconnect'), whenValid)
      .prefault({})
      .describe('Reconnect backoff while the broker is unreachable.'),
    statusIntervalSeconds: z.number().int().min(5).default(60).describe('How often the retained status is published, in seconds.'),
    retentionHours: z.number().int().min(1).default(72).describe('Sent outbox rows older than this are pruned.'),
    // Central's command key is its own, never the sync key (sync.centralPublicKeys): a key that can move the
    // turnstile is held by fewer systems.
    centralPublicKeys: publicKeys('signed commands (a key of its own, never the sync key)'),
    gateKeyFile: z
      .string()
      .optional()
      .describe(
        "The gate's own Ed25519 private key (PEM) that signs its passage events for the station's other gates; created on first start. Default: gate-key.pem beside the database.",
      ),
    commandMaxSkewSeconds: z.number().int().min(1).default(60).describe('A signed command older or newer than this is refused.'),
  })
  .strict()
  .describe('The link to central: events, status and commands.');

export const syncSchema = z
  .object({
    enabled: z.boolean().default(false).describe('Keep the cache current from central (needs mqtt.enabled).'),
    centralPublicKeys: publicKeys('snapshots, deltas and the station roster'),
  })
  .strict()
  .describe('Signed snapshots and deltas from central.');

export const laneSchema = z
  .object({
    initialMode: z
      .enum(['normal', 'free', 'locked', 'maintenance'])
      .default('normal')
      .describe('The mode at start-up; central can change it by command.'),
    direction: z
      .enum(['entry', 'exit', 'transfer'])
      .default('entry')
      .describe('Which way this lane lets passengers through; transfer: an in-station transfer channel (an entry for the onward ticket).'),
    resultHoldMs: z
      .number()
      .int()
      .min(100)
      .max(30_000)
      .default(2500)
      .describe('How long a result (open, reject, alarm) stays on the display, in ms; the next document is read meanwhile.'),
  })
  .strict()
  .describe('The lane.');

export const consoleSchema = z
  .object({
    enabled: z.boolean().default(false).describe("Serve the technicians' web console and /metrics from gate run (docs/console.md)."),
    host: z
      .string()
      .min(1)
      .default('127.0.0.1')
      .describe(
        'Address the console listens on (default loopback: reach it through an SSH tunnel, or set the maintenance network address).',
      ),
    port: z.number().int().min(0).max(65535).default(8443).describe('TCP port of the console (0: any free port, written to the log).'),
    tls: z
      .object({
        cert: z.string().describe("The console's certificate: PEM text, or a path (relative to the config file's folder)."),
        key: z.string().describe("The console's private key: PEM text, or a path (relative to the config file's folder)."),
      })
      .strict()
      .optional()
      .describe('Serve HTTPS with this certificate (without it the console speaks plain HTTP: keep it on loopback).'),
    users: z
      .array(
        z
          .object({
            name: z
              .string()
              .regex(/^[A-Za-z0-9._-]{1,32}$/, 'a staff login of 1-32 letters, digits, . _ or -')
              .describe('Login name; named in the log and in the event central receives for every action.'),
            passwordHash: z
              .string()
              .regex(SCRYPT_SHAPE, 'an scrypt hash as `gate console hash-password` prints it (scrypt$N$r$p$salt$hash)')
              // The shape can pass and the hash still be one no password matches (truncated when copied, a cost out of
              // bounds): refused here rather than as "wrong name or password" at every sign-in.
              .superRefine((v, ctx) => {
                const h = SCRYPT_SHAPE.test(v) ? readScryptHash(v) : null;
                if (typeof h === 'string')
                  ctx.addIssue({ code: 'custom', message: `an scrypt hash from gate console hash-password: ${h}` });
              })
              .describe('scrypt hash of the password (`gate console hash-password` makes one); never the password itself.'),
          })
          .strict(),
      )
      .default([])
      .describe('Technicians who may sign in.'),
    sessionMinutes: z
      .number()
      .min(0.05)
      .max(24 * 60)
      .default(30)
      .describe('A session ends this many minutes after its last request (fractions allowed).'),
    metricsFrom: z
      .array(z.string().min(1))
      .default(['127.0.0.1', '::1'])
      .describe("Addresses that may read /metrics without a session (the station's Prometheus)."),
  })
  .strict()
  .describe("The technicians' web console (live lane, devices, cache, outbox, lane test, config) and /metrics.");
export const faceSchema = z
  .object({
    enabled: z
      .boolean()
      .default(false)
      .describe(
        "Check the passenger's face against the chip card's photo before the gate opens (docs/face-match.md). Passports read by MRZ have no chip photo and are never face-checked.",
      ),
    endpoint: path("The face-match module's Unix socket (docs/face-match.md: length-prefixed JSON)").default('/run/gate/face.sock'),
    timeoutMs: z
      .number()
      .int()
      .min(100)
      .max(30_000)
      .default(3000)
      .describe('How long one match request may take before the module counts as unavailable, in ms.'),
    noFaceWaitMs: z
      .number()
      .int()
      .min(0)
      .max(60_000)
      .default(8000)
      .describe(
        'How long the lane waits for a face in front of the camera (answers `no-face`) before it sends the passenger to the staffed lane, in ms.',
      ),
    minScore: z
      .number()
      .min(0)
      .max(1)
      .default(0.75)
      .describe("A `match` whose similarity score (0..1) is below this counts as no-match (the module's own threshold may be stricter)."),
    onUnavailable: z
      .enum(['staffed', 'open'])
      .default('staffed')
      .describe(
        'When the module is down or late: `staffed` refuses with face-mismatch (the passenger goes to the staffed lane); `open` lets the ticket decide, for stations that allow it during a module failure. Either way a face-unavailable alarm is raised.',
      ),
  })
  .strict()
  .describe('Face match at the gate (人证核验): the card photo against the face in front of the camera, through an external module.');

export const gateConfigSchema = z
  .object({
    $schema: z
      .string()
      .optional()
      .describe(
        "Editors' pointer to the JSON Schema (`gate config schema > schema.json` writes it next to the config); ignored by the gate.",
      ),
    station: stationCode.describe('Station code as central spells it (2-8 upper-case letters or digits).'),
    gate: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,16}$/, 'a gate id of 1-16 letters, digits, _ or -')
      .optional()
      .describe('This gate\'s id within the station, e.g. "03". Needed by `gate run`.'),
    secret: z
      .string()
      .min(32, 'at least 32 characters')
      .optional()
      .describe('HMAC secret that keys documents (at least 32 characters); or secretFile, or the GATE_SECRET environment variable.'),
    secretFile: path('A file holding the HMAC secret').optional(),
    secretNext: z
      .string()
      .min(32, 'at least 32 characters')
      .optional()
      .describe(
        "Key rotation: the station's next document key. Batches keyed under it are accepted too; the gate keys documents under whichever key its loaded cache was built with (docs/sync.md).",
      ),
    secretNextFile: path('A file holding the next document key (key rotation)').optional(),
    db: path("The gate's SQLite file (cache, ledger, outbox); its folder must exist").default('/var/lib/gate/gate.db'),
    logLevel: z.enum(LOG_LEVELS).default('info').describe('Log level (GATE_LOG_LEVEL overrides it).'),
    rules: rulesSchema.prefault({}),
    devices: devicesSchema.prefault({}),
    bridge: bridgeSchema.prefault({}),
    mqtt: mqttSchema.prefault({}),
    sync: syncSchema.prefault({}),
    lane: laneSchema.prefault({}),
    console: consoleSchema.prefault({}),
    passengerLanguage: passengerLanguageSchema.prefault({}),
    face: faceSchema.prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    // Two devices on one serial port would each read half of the other's bytes.
    const ports: [string[], string | undefined][] = [
      [['bridge', 'port', 'path'], c.bridge.enabled ? c.bridge.port.path : undefined],
      [['devices', 'idcard', 'path'], c.devices.idcard.enabled ? c.devices.idcard.path : undefined],
      [['devices', 'mrzSerial', 'path'], c.devices.mrzSerial.enabled ? c.devices.mrzSerial.path : undefined],
    ];
    const seen = new Map<string, string>();
    for (const [path, port] of ports) {
      if (port === undefined) continue;
      const first = seen.get(port);
      if (first) ctx.addIssue({ code: 'custom', path, message: `a port no other device uses (${first} is the same)` });
      else seen.set(port, path.join('.'));
    }
  }, whenValid);

export type GateConfig = z.infer<typeof gateConfigSchema>;
export type Rules = z.infer<typeof rulesSchema>;
