// The gate daemon: the parts of every layer wired from one config. Readers feed documents to the lane; the lane
// decides on the cache, records in the outbox and drives the MCU over the bridge; the reporter publishes the outbox
// and takes central's commands; the sync worker keeps the cache current. This file only builds, starts and stops
// them (and says what they are doing); each part owns its own recovery.
import { existsSync } from 'node:fs';
import { passageDirection } from '../decide/reasons.js';
import { dirname, join, basename } from 'node:path';
import type { GateConfig } from '../config/schema.js';
import { openDb, type Db } from '../cache/db.js';
import { bindSecret, boundSecretIndex } from '../cache/write.js';
import { SqliteCacheView } from '../cache/view.js';
import { decide } from '../decide/decide.js';
import { identityOf, type Document } from '../identity/document.js';
import { GateStore } from './gate-store.js';
import { SerialTransport, type SerialBinding } from '../devices/serial.js';
import { hidTransportFromConfig, type HidModule } from '../devices/hid.js';
import { RecordingTransport } from '../devices/recording.js';
import type { Transport } from '../devices/transport.js';
import type { BridgeLink } from '../bridge/link.js';
import { bridgeFromConfig } from '../bridge/from-config.js';
import { LaneLoop } from '../gate/lane-loop.js';
import { ACCEPTING, type LaneDecision, type LaneMode } from '../gate/lane.js';
import type { AlarmEvent, DecisionEvent, NewEvent, PassageEvent } from '../gate/events.js';
import { idCardReaderFromConfig, type IdCardReader } from '../readers/idcard/index.js';
import { MrzScanner } from '../readers/mrz/scanner.js';
import type { ReadFailure, ReadFailureReason } from '../readers/outcome.js';
import { GateReporter } from '../mqtt/reporter.js';
import type { StatusSnapshot } from '../mqtt/status.js';
import type { CommandOutcome } from '../mqtt/commands.js';
import type { AuthorisedCommand } from '../mqtt/command-verify.js';
import { SyncService } from '../sync/service.js';
import { TypedEvents } from '../util/typed-events.js';
import { errorLine, GateError } from '../util/gate-error.js';
import { silentLogger, type Logger } from '../util/log.js';
import { settledWithin, whenTrue } from '../util/wait.js';
import type { TicketSummary } from '../decide/reasons.js';
import type { DocumentType } from '../identity/document.js';
import { LineHealth, lineAdvice, mqttAdvice } from './line-health.js';
import { defaultGateKeyFile, loadOrCreateGateKey } from '../mqtt/gate-key.js';
import { signFor } from '../util/signing.js';
import { REFUSAL_ALARM, RefusalTally } from './refusals.js';
import { recoverStorage, type StorageRecovery } from './storage-recovery.js';
import { checkInBackground, requestCheckAtStart, startupCheckDepth, type BackgroundCheck } from './integrity-check.js';
import { cacheVerdict } from './cache-health.js';
import { LedgerRetention } from '../outbox/retention.js';
import { StatusFileWriter } from './status-writer.js';
import { languagePicker } from '../i18n/passenger.js';
import { FaceClient } from '../face/client.js';
import { FACE_OUTCOMES, type FaceOutcome } from '../gate/events.js';

export type DaemonErrorCode = 'no-gate-id' | 'no-bridge' | 'start-failed';

export class DaemonError extends GateError<DaemonErrorCode> {
  constructor(code: DaemonErrorCode, message: string, options?: { cause?: unknown }) {
    super('daemon', code, message, code === 'start-failed' ? 'fatal' : 'fix-config', options);
  }
}

export interface DaemonOptions {
  config: GateConfig;
  secret: string;
  /** Key rotation: the station's next document key (config secretNext). */
  secretNext?: string;
  /** Shown on the status topic: which config the gate runs. */
  configVersion: string;
  appVersion: string;
  log?: Logger;
  /** Wall clock in ms: the demo runs the gate on a virtual clock. */
  clock?: () => number;
  /** node-hid, injected in tests (there is no virtual HID device). */
  hid?: HidModule;
  /** Where `gate status` reads the daemon's state (default: next to the database). */
  statusFile?: string;
  /** Overrides lane.resultHoldMs (the demo shortens it). */
  resultHoldMs?: number;
  /** The serial binding of the ID-card reader, serial MRZ scanner and MCU ports (default: the native one). The demo
   *  passes the in-process link on a machine without socat. */
  serialBinding?: SerialBinding;
}

/** One decision as the passenger saw it (for the demo's lines and technicians' debug logs: no personal data). */
export interface DecidedInfo {
  at: number;
  docType: DocumentType | null;
  decision: LaneDecision['decision'];
  reason: LaneDecision['reason'];
  ticket: TicketSummary | null;
  /** The language the passenger is addressed in, as the lane chose it (src/i18n); null: the panel's own languages. */
  language: string | null;
}

export interface DaemonEvents {
  ready: { startedMs: number };
  decided: DecidedInfo;
  decision: DecisionEvent;
  passage: { event: PassageEvent; consumed: boolean };
  alarm: AlarmEvent;
  /** A reader saw a document it could not read (or an MRZ that fails its checks), with the passenger's reason. */
  unreadable: { device: string; code: string; reason: ReadFailureReason };
  device: { name: string; state: string; detail: string | null };
  stopped: undefined;
  /** Central asked for the config to be reloaded: the runner stops the daemon (after the passage under way) and
   *  exits with RELOAD_EXIT_CODE, which systemd answers with a restart that reads the config anew. */
  'reload-requested': undefined;
  /** The file failed the integrity check that ran after start: the runner stops the daemon and exits with
   *  RELOAD_EXIT_CODE too, and the start systemd then makes checks the whole file first and sets it aside. */
  'restart-requested': { reason: 'storage-damaged' };
}

/** EX_TEMPFAIL: `gate run` exits with it to be restarted by systemd (Restart=on-failure) with the new config. */
export const RELOAD_EXIT_CODE = 75;

/** Retention timing (real time): first batch soon after start, then one a while; full batches follow each other. */
const RETENTION_FIRST_MS = 5_000;
const RETENTION_EVERY_MS = 15_000;
const RETENTION_MORE_MS = 1_000;
const RETENTION_BUSY_RETRY_MS = 2_000;

type DeviceHealth = StatusSnapshot['devices'][string];

/** The file `gate status` reads, written atomically by the daemon. */
export function defaultStatusFile(dbPath: string): string {
  return join(dirname(dbPath), `${basename(dbPath)}.status.json`);
}

export class GateDaemon {
  readonly events: TypedEvents<DaemonEvents>;
  readonly db: Db;
  readonly store: GateStore;
  readonly view: SqliteCacheView;
  readonly lane: LaneLoop;
  readonly link: BridgeLink;
  readonly reporter: GateReporter | null;
  sync: SyncService | null = null;
  /** Refused network input (sync batches, commands, sibling passages), reported at most once a minute per kind. */
  readonly refusals = new RefusalTally();
  /** Set when the database failed its integrity check at start and was replaced by a fresh file. */
  readonly storageRecovery: StorageRecovery | null;
  private readonly log: Logger;
  /** The station's document keys this gate holds: current, then next during a rotation. */
  private get docSecrets(): string[] {
    return [this.o.secret, ...(this.o.secretNext ? [this.o.secretNext] : [])];
  }
  private readonly clock: () => number;
  private readonly transports: { name: string; transport: Transport }[] = [];
  private readonly health = new Map<string, DeviceHealth>();
  private idcard: IdCardReader | null = null;
  private readonly scanners: MrzScanner[] = [];
  private statusTimer: NodeJS.Timeout | null = null;
  /** Prunes ledger rows no gate can need any more, in small batches while the lane is idle (issue 20). */
  readonly retention: LedgerRetention;
  private retentionTimer: NodeJS.Timeout | null = null;
  private readonly statusWriter: StatusFileWriter;
  private readonly startedMs: number;
  private stopping: Promise<void> | null = null;
  /** The start read only the file's header: the whole file is checked once the gate is ready. */
  private readonly checkAfterStart: boolean;
  private backgroundCheck: BackgroundCheck | null = null;
  private readonly statusFile: string;
  private lastMqttAdvice = '';
  /** Id of the key this gate signs its passages with (central's roster must list its public half). */
  readonly gateKeyId: string;
  /** The face-match module's client (face.enabled), and how many decisions had each face outcome since start. */
  readonly face: FaceClient | null;
  readonly faceOutcomes = Object.fromEntries(FACE_OUTCOMES.map((o) => [o, 0])) as Record<FaceOutcome, number>;

  constructor(private readonly o: DaemonOptions) {
    const c = o.config;
    this.log = o.log ?? silentLogger();
    this.clock = o.clock ?? Date.now;
    this.startedMs = Date.now();
    this.events = new TypedEvents<DaemonEvents>((event, err) => this.log.error({ event, err: errorLine(err) }, 'daemon listener failed'));
    if (!c.gate) throw new DaemonError('no-gate-id', 'the config has no "gate" id: set "gate" (e.g. "03") to run the daemon');
    if (!c.bridge.enabled)
      throw new DaemonError('no-bridge', 'bridge.enabled is false: the gate cannot open its turnstile without the MCU; enable the bridge');
    this.statusFile = o.statusFile ?? defaultStatusFile(c.db);

    // A damaged file is replaced before anything reads it: the gate starts on an empty cache (passengers are sent to
    // the staffed lane as cache-stale) instead of exiting at every start.
    // Fully before serving only when damage is likely (the last run did not end cleanly); otherwise the header now
    // and the whole file in a worker thread once ready (src/daemon/integrity-check.ts).
    const depth = startupCheckDepth(c.db);
    this.checkAfterStart = depth === 'header' && existsSync(c.db);
    this.storageRecovery = recoverStorage(c.db, this.clock(), this.log, depth);
    this.db = openDb(c.db);
    try {
      // A cache filled under the current or the next key is ours (a rotation may have swapped it in already).
      const bound = boundSecretIndex(this.db, this.docSecrets);
      // Empty: bind the current key. Bound to neither key: bindSecret throws secret-mismatch with its one line.
      if (bound === null || bound < 0) bindSecret(this.db, o.secret);
    } catch (err) {
      this.db.close();
      throw err;
    }
    this.view = new SqliteCacheView(this.db, this.docSecrets);
    // The gate signs its passage events so its siblings can refuse forgeries (src/mqtt/siblings.ts).
    const gateKey = loadOrCreateGateKey(c.mqtt.gateKeyFile ?? defaultGateKeyFile(c.db));
    this.gateKeyId = gateKey.keyId;
    this.store = new GateStore(this.db, {
      station: c.station,
      gate: c.gate,
      now: this.clock,
      signPassage: (payload) => signFor('passage', gateKey.privateKey, payload),
    });

    this.retention = new LedgerRetention({
      ledger: this.store.ledger,
      db: this.db,
      dbPath: c.db,
      now: this.clock,
      syncGeneratedAtMs: () => this.view.syncState()?.generatedAtMs ?? null,
      exitGraceMs: c.rules.exit.graceMinutesAfterArrival * 60_000,
    });
    this.statusWriter = new StatusFileWriter(this.statusFile);

    const bridge = bridgeFromConfig(c, o.serialBinding);
    this.watchTransport('bridge', bridge.transport, false);
    this.link = bridge.link;
    this.face = c.face.enabled ? new FaceClient(c.face.endpoint) : null;
    this.lane = new LaneLoop({
      station: c.station,
      direction: c.lane.direction,
      mode: c.lane.initialMode,
      timing: { passageTimeoutMs: c.bridge.passageTimeoutMs, resultHoldMs: o.resultHoldMs ?? c.lane.resultHoldMs, guardMs: 2000 },
      decide: (doc, ctx, language) => this.decide(doc, ctx, language),
      keyOf: (doc) => this.view.keyOf(identityOf(doc)),
      languageOf: languagePicker(c.passengerLanguage.byNationality, this.log),
      store: this.store,
      bridge: this.link,
      now: this.clock,
      log: this.log,
      face: this.face ? { rules: c.face, matcher: this.face } : undefined,
    });
    this.wireFace();
    this.reporter = c.mqtt.enabled
      ? new GateReporter({
          store: this.store,
          mqtt: c.mqtt,
          syncPublicKeys: c.sync.centralPublicKeys,
          status: () => this.statusSnapshot(),
          onCommand: (cmd) => this.onCommand(cmd),
          onRefused: (kind, code) => this.onRefused(kind, code),
          log: this.log,
          now: this.clock,
        })
      : null;
    this.reporter?.connection.events.on('retry', (r) => {
      const advice = mqttAdvice(r.url, r.reason);
      this.setHealth('mqtt', 'fault', String(r.reason));
      if (advice !== this.lastMqttAdvice) this.log.warn({ url: r.url, code: String(r.reason) }, advice);
      this.lastMqttAdvice = advice;
    });
    this.reporter?.connection.events.on('taken-over', () => this.onRefused('session', 'taken-over'));
    // Nobody subscribed to the gate's events: they wait in the outbox (src/mqtt/publisher.ts); the status says why.
    this.reporter?.publisher.events.on('held', () => this.setHealth('mqtt', 'degraded', 'no-subscriber'));
    this.reporter?.publisher.events.on('sent', () => {
      if (this.health.get('mqtt')?.detail === 'no-subscriber') this.setHealth('mqtt', 'ok', null);
    });
    this.reporter?.connection.events.on('up', () => {
      this.lastMqttAdvice = '';
      this.setHealth('mqtt', 'ok', null);
    });
    this.wireLane();
  }

  /** Open everything. Devices that are missing do not stop the start: they keep retrying and show as faults. */
  async start(): Promise<void> {
    const c = this.o.config;
    this.lane.start();
    this.reporter?.start();
    const recovered = this.storageRecovery;
    if (recovered) {
      this.setHealth('storage', 'degraded', `recovered-${recovered.code}`);
      this.recordAlarm({
        kind: 'alarm',
        type: 'storage-corrupt',
        detail: recovered.code,
        active: true,
        at: new Date(this.clock()).toISOString(),
      });
    }
    this.startReaders();
    this.link.events.on('up', () => this.setHealth('bridge', 'ok', null));
    this.link.events.on('down', (err) => this.setHealth('bridge', 'fault', err.code));
    await this.link.start();
    if (c.sync.enabled && c.mqtt.enabled) {
      const m = c.mqtt;
      // Off the ready path: the worker loads its modules and opens the file while the lane already serves from the cache.
      const { service, ready } = SyncService.begin({
        dbPath: c.db,
        secret: this.o.secret,
        secretNext: this.o.secretNext,
        station: c.station,
        gate: c.gate!,
        mqtt: m,
        clientId: `${m.clientId ?? `gate-${c.station}-${c.gate}`}-sync`,
        centralPublicKeys: c.sync.centralPublicKeys,
        logLevel: c.logLevel,
        onAlarm: (a) => this.recordAlarm(a),
        onRefused: (code, n) => this.refusals.refuse('sync', code, n),
        clock: () => new Date(this.clock()),
      });
      this.sync = service;
      this.sync.on('state', (s) => this.log.debug({ sync: s }, 'sync state'));
      this.sync.on('roster-version', (v) => this.reporter?.siblings.requireRosterVersion(v));
      this.sync.on('error', (err) => this.log.error({ err: errorLine(err) }, 'sync worker failed'));
      this.sync.on('down', (d) => {
        this.setHealth('syncWorker', 'fault', `${d.reason}:${d.detail}`);
        this.log.error({ reason: d.reason, detail: d.detail, retryInMs: d.retryInMs }, 'sync worker down: restarting');
      });
      this.sync.on('up', (u) => {
        this.setHealth('syncWorker', 'ok', null);
        this.log.info({ restarts: u.restarts }, 'sync worker running again');
      });
      void ready.then(() => {
        if (this.stopping) return;
        if (!service.downReason) this.setHealth('syncWorker', 'ok', null);
        // The fresh file after a recovery has no cache: ask central for the whole snapshot now, not at the next head.
        if (recovered) service.resync();
      });
    }
    this.statusTimer = setInterval(() => {
      this.reportRefusals();
      this.writeStatus();
    }, 2000);
    this.writeStatus();
    this.scheduleRetention(RETENTION_FIRST_MS);
    const startedMs = Date.now() - this.startedMs;
    this.log.info({ station: c.station, gate: c.gate, mode: c.lane.initialMode, startedMs }, 'gate ready');
    const cache = cacheVerdict(this.statusSnapshot().cache, c.rules.maxCacheAgeMinutes);
    if (cache.state !== 'ok') this.log.warn({ cache: cache.state }, `cache ${cache.line}`);
    this.events.emit('ready', { startedMs });
    if (this.checkAfterStart) this.checkStorageAfterStart();
  }

  /** quick_check in a worker thread; damage found means a restart whose start sets the file aside. */
  private checkStorageAfterStart(): void {
    const dbPath = this.o.config.db;
    const check = checkInBackground(dbPath);
    this.backgroundCheck = check;
    void check.result.then((answer) => {
      this.backgroundCheck = null;
      if (this.stopping) return;
      if ('error' in answer) {
        this.log.warn({ err: answer.error }, 'the integrity check after start could not run');
        return;
      }
      if (answer.verdict.ok) {
        this.log.debug('integrity check after start: ok');
        return;
      }
      const { code, detail } = answer.verdict;
      this.log.error({ code, detail }, 'database failed its integrity check after start: restarting to set it aside');
      try {
        requestCheckAtStart(dbPath, `${code}: ${detail}`);
      } catch (err) {
        // Without the marker the next start may skip the full check; this check will then run again and find it.
        this.log.error({ err: errorLine(err) }, 'could not mark the database for a check at the next start');
      }
      this.setHealth('storage', 'fault', `damaged-${code}`);
      this.events.emit('restart-requested', { reason: 'storage-damaged' });
    });
  }

  /** Finish the passage in progress (up to its timeout), then flush the outbox briefly and close everything. */
  stop(opts: { drainMs?: number } = {}): Promise<void> {
    this.stopping ??= this.shutdown(opts.drainMs ?? 3000);
    return this.stopping;
  }

  private async shutdown(drainMs: number): Promise<void> {
    const c = this.o.config;
    this.log.info('stopping: no new passengers');
    await this.backgroundCheck?.cancel();
    for (const s of this.scanners) s.stop();
    await this.idcard?.stop();
    // The passage under way ends (bounded: a passenger who never walks times out at the MCU, plus its guard).
    if (!(await settledWithin(this.lane.whenIdle(), c.bridge.passageTimeoutMs + 2500)))
      this.log.warn({ phase: this.lane.state.phase }, 'stopping with the lane still busy');
    if (this.reporter) {
      // Drained, or nothing more can go out (the broker is gone): the rows stay in the outbox for the next start.
      const { publisher, connection } = this.reporter;
      const drained = whenTrue(
        () => this.store.pendingCount() === 0 || !connection.connected,
        [
          (wake) => publisher.events.on('drained', wake),
          (wake) => publisher.events.on('sent', wake),
          (wake) => connection.events.on('down', wake),
        ],
      );
      await settledWithin(drained.settled, drainMs);
      drained.cancel();
    }
    if (this.statusTimer) clearInterval(this.statusTimer);
    if (this.retentionTimer) clearTimeout(this.retentionTimer);
    this.retentionTimer = null;
    this.lane.stop();
    this.face?.close();
    await this.reporter?.stop();
    await this.sync?.stop();
    // The last request has its answer and the last report its ACK before the port closes (bounded: a silent MCU).
    if (this.link.state === 'up') await settledWithin(this.link.idle, c.bridge.ackTimeoutMs * (c.bridge.retries + 1));
    if (this.link.state !== 'closed') await this.link.stop();
    for (const t of this.transports) if (t.name !== 'bridge') await t.transport.close().catch(() => undefined);
    this.writeStatus(true);
    this.db.close();
    this.log.info({ pending: 'kept in the outbox' }, 'stopped');
    this.events.emit('stopped', undefined);
  }

  /** A technician's or central's release for one passage (maintenance mode or normal mode). */
  release(): boolean {
    return this.lane.release();
  }

  setMode(mode: LaneMode): void {
    this.lane.setMode(mode);
  }

  statusSnapshot(): StatusSnapshot {
    const counts = this.store.backlog();
    const sync = this.view.syncState();
    const nowMs = this.clock();
    const lane = this.lane.state;
    const epoch = sync?.epoch ?? null;
    return {
      appVersion: this.o.appVersion,
      configVersion: this.o.configVersion,
      cache: {
        epoch: epoch === null ? null : String(epoch),
        seq: sync?.seq ?? null,
        ageSeconds: sync ? Math.max(0, Math.round((nowMs - sync.generatedAtMs) / 1000)) : null,
      },
      laneMode: lane.emergency ? 'emergency' : lane.mode,
      devices: Object.fromEntries(this.health),
      outbox: {
        pending: counts.pending,
        lastSeq: counts.lastSeq,
        oldestPendingAgeSeconds: counts.oldestPendingMs === null ? null : Math.max(0, Math.round((nowMs - counts.oldestPendingMs) / 1000)),
      },
      uptimeSeconds: Math.round((Date.now() - this.startedMs) / 1000),
      refusals: this.refusals.status(),
    };
  }

  // ---- wiring -----------------------------------------------------------------------------------------------

  private decide(doc: Document, ctx: Parameters<typeof decide>[3], language: string | null): LaneDecision {
    const d = decide(doc, this.view, this.o.config.rules, ctx);
    this.events.emit('decided', {
      at: ctx.now.getTime(),
      docType: doc.type,
      decision: d.decision,
      reason: d.reason,
      ticket: d.ticket,
      language,
    });
    return d;
  }

  /** The module's health in the status (devices.face) and one log line per failure code change; never the photo. */
  private wireFace(): void {
    const face = this.face;
    if (!face) return;
    this.setHealth('face', 'absent', 'not asked yet');
    face.events.on('answered', (r) =>
      this.setHealth('face', r === 'unavailable' ? 'fault' : 'ok', r === 'unavailable' ? 'module-unavailable' : null),
    );
    face.events.on('error', (e) => {
      if (this.health.get('face')?.detail !== e.code) this.log.warn({ device: 'face', code: e.code }, e.message);
      this.setHealth('face', 'fault', e.code);
    });
  }

  private wireLane(): void {
    const kick = () => this.reporter?.kick();
    this.lane.events.on('decision', (e) => {
      if (e.face) this.faceOutcomes[e.face] += 1;
      this.events.emit('decision', e);
      // The lane sends AUTHORISE right after this returns (the decision is committed): publishing the event and
      // writing its log line wait for the next turn of the event loop, off the card-to-flap path.
      setImmediate(() => {
        kick();
        this.log.info(
          {
            seq: e.seq,
            decision: e.decision,
            reason: e.reason,
            detail: e.detail,
            docType: e.docType,
            docKey: e.docKey?.slice(0, 12),
            train: e.train,
            face: e.face,
          },
          'decision',
        );
      });
    });
    this.lane.events.on('passage', (p) => {
      kick();
      // A passage that went as its decision said adds nothing to the decision's line (and journald writes every
      // line to the card): debug. Timeouts, cancellations and a ticket already taken stay at info.
      const level = p.event.outcome === 'passed' && p.consumed ? 'debug' : 'info';
      this.log[level]({ seq: p.event.seq, outcome: p.event.outcome, consumed: p.consumed, ticketId: p.event.ticketId }, 'passage');
      this.events.emit('passage', p);
    });
    this.lane.events.on('alarm', (a) => {
      kick();
      this.log.warn({ seq: a.seq, type: a.type, detail: a.detail, active: a.active }, 'alarm');
      // The lane stored a record again after a storage fault: the status stops showing the fault.
      if (a.type === 'storage-fault' && !a.active && this.health.get('storage')?.state === 'fault') this.setHealth('storage', 'ok', null);
      this.events.emit('alarm', a);
    });
    this.lane.events.on('error', (e) => {
      // Acted on by recovery, not by code: any write the lane could not commit and must refuse passengers over.
      if (e.recovery === 'refuse' || e.recovery === 'fatal') this.setHealth('storage', 'fault', e.code);
    });
    this.lane.events.on('transition', (t) => this.log.debug({ from: t.from, to: t.to, cause: t.cause }, 'lane'));
  }

  /** The refusal tally's due reports: one log line and one 'network-refused' alarm per kind (at most one a minute). */
  private reportRefusals(): void {
    for (const r of this.refusals.tick(this.clock())) {
      this.log.warn({ kind: r.kind, total: r.total, detail: r.detail }, 'network input refused');
      this.recordAlarm({ kind: 'alarm', type: REFUSAL_ALARM, detail: r.detail, active: true, at: new Date(r.atMs).toISOString() });
    }
  }

  /** Record an alarm in the outbox and tell listeners (also the console's audit events: type console-action). */
  recordAlarm(a: NewEvent<AlarmEvent>): void {
    try {
      const e = this.store.recordAlarm(a);
      this.reporter?.kick();
      this.events.emit('alarm', e);
    } catch (err) {
      this.log.error({ err: errorLine(err) }, 'alarm not recorded');
    }
  }

  private startReaders(): void {
    const c = this.o.config;
    const reader = idCardReaderFromConfig(c.devices, this.clock, this.o.serialBinding);
    if (reader) {
      this.idcard = reader.reader;
      this.watchTransport('idcard', reader.transport, true);
      const line = new LineHealth();
      const judge = () => {
        const v = line.verdict();
        const advice = lineAdvice('idcard', c.devices.idcard.path, c.devices.idcard.baudRate, v);
        if (advice && this.health.get('idcard')?.detail !== v) this.log.warn({ device: 'idcard', code: v }, advice);
        if (v === 'silent' || v === 'wrong-baud') this.setHealth('idcard', 'fault', v);
        else if (v === 'ok' && reader.transport.state === 'open') this.setHealth('idcard', 'ok', null);
      };
      reader.reader.events.on('answer', () => {
        line.answer();
        judge();
      });
      reader.reader.events.on('discard', (d) => {
        line.discard(d.length);
        judge();
      });
      // 'card' carries the chip's photo block with the document: the lane holds it for the face check only.
      reader.reader.events.on('card', (card) => this.lane.read(card.document, this.face ? card.photo : null));
      reader.reader.events.on('error', (err) => {
        if (err.code === 'timeout') {
          line.timeout();
          judge();
          return;
        }
        // The device's problem, shown in the status; a card that is not valid comes as 'rejected' (below).
        this.log.warn({ device: 'idcard', code: err.code }, err.message);
      });
      reader.reader.events.on('rejected', (r) => this.readFailed('idcard', r));
      reader.reader.events.on('sam-reset', () => this.log.warn({ device: 'idcard' }, 'SAM reset'));
      reader.reader.start();
    }
    if (c.devices.mrzSerial.enabled) {
      const m = c.devices.mrzSerial;
      const serial = new SerialTransport({
        name: 'mrzSerial',
        path: m.path,
        vendorId: m.vendorId,
        productId: m.productId,
        baudRate: m.baudRate,
        reconnect: c.devices.reconnect,
        binding: this.o.serialBinding,
      });
      const t = m.recordTo ? new RecordingTransport(serial, m.recordTo, 'mrz-serial', this.clock) : serial;
      this.addScanner('mrzSerial', t, 'serial', m.interLineTimeoutMs);
    }
    if (c.devices.mrzHid.enabled) {
      const m = c.devices.mrzHid;
      const hid = hidTransportFromConfig(m, c.devices.reconnect, this.o.hid);
      const t = m.recordTo ? new RecordingTransport(hid, m.recordTo, 'mrz-hid', this.clock) : hid;
      this.addScanner('mrzHid', t, 'hid', m.interLineTimeoutMs);
    }
  }

  private addScanner(name: string, transport: Transport, input: 'serial' | 'hid', interLineTimeoutMs: number): void {
    const scanner = new MrzScanner(transport, { input, interLineTimeoutMs, clock: this.clock });
    scanner.events.on('document', (doc) => this.lane.read(doc));
    scanner.events.on('rejected', (r) => this.readFailed(name, r));
    this.scanners.push(scanner);
    this.watchTransport(name, transport, true);
  }

  /** A reader could not make a Document of what it read: the lane shows the reader's reason (src/readers/outcome.ts). */
  private readFailed(device: string, r: ReadFailure): void {
    this.events.emit('unreadable', { device, code: r.error.code, reason: r.reason });
    this.lane.readFailed(r.reason);
  }

  /** Track a transport's health; `open` opens it now (the bridge link opens its own). */
  private watchTransport(name: string, transport: Transport, open: boolean): void {
    this.transports.push({ name, transport });
    this.setHealth(name, 'absent', 'opening');
    transport.events.on('state', (s) => {
      if (s === 'open' && name !== 'bridge') this.setHealth(name, 'ok', null);
      else if (s === 'reconnecting') this.setHealth(name, 'fault', this.health.get(name)?.detail ?? 'reconnecting');
    });
    transport.events.on('error', (err) => {
      this.setHealth(name, 'fault', err.code);
      this.log.warn({ device: name, code: err.code }, err.message);
    });
    if (open) transport.open().catch((err: unknown) => this.log.warn({ device: name, err: errorLine(err) }, 'open failed; retrying'));
  }

  private setHealth(name: string, state: DeviceHealth['state'], detail: string | null): void {
    const prev = this.health.get(name);
    if (prev?.state === state && prev.detail === detail) return;
    this.health.set(name, { state, detail });
    this.events.emit('device', { name, state, detail });
  }

  private async onCommand(cmd: AuthorisedCommand): Promise<CommandOutcome> {
    this.log.info({ command: cmd.name, nonce: cmd.nonce }, 'command from central');
    switch (cmd.name) {
      case 'lane-mode':
        this.setMode(cmd.args.mode as LaneMode);
        return { ok: true, code: 'ok' };
      case 'release':
        // The lane serves one direction: a release for the other would open the flap the wrong way.
        if (cmd.args.direction !== passageDirection(this.o.config.lane.direction)) return { ok: false, code: 'wrong-direction' };
        return this.release() ? { ok: true, code: 'ok' } : { ok: false, code: 'refused' };
      case 'resync':
        // The worker asks central for the snapshot and loads it again; progress shows on the sync status.
        if (!this.sync) return { ok: false, code: 'refused' };
        this.sync.resync();
        return { ok: true, code: 'ok' };
      case 'reload-config':
        // Reloaded by a restart, never in place: the lane must not change under a passenger. The answer goes out
        // first (the channel runs afterAnswer once it is published); the runner then stops (finishing the passage)
        // and exits for systemd to start it again.
        return { ok: true, code: 'ok', afterAnswer: () => this.events.emit('reload-requested', undefined) };
    }
  }

  /** A message from the network was refused. Counted, never one durable row each (a flood must not fill the outbox). */
  private onRefused(kind: 'command' | 'sibling' | 'session', code: string): void {
    this.refusals.refuse(kind, code);
  }

  /** One retention batch while the lane takes passengers (never between a read and its passage), then the next. */
  private scheduleRetention(inMs: number): void {
    if (this.stopping) return;
    this.retentionTimer = setTimeout(() => {
      this.retentionTimer = null;
      if (this.stopping) return;
      if (!ACCEPTING.includes(this.lane.state.phase)) return this.scheduleRetention(RETENTION_BUSY_RETRY_MS);
      let next = RETENTION_EVERY_MS;
      try {
        const r = this.retention.tick();
        if (r.ledger || r.clearedUses) this.log.debug({ ledger: r.ledger, clearedUses: r.clearedUses }, 'pruned past passages');
        if (r.walTruncated === false) this.log.debug('WAL not truncated: busy, trying again');
        if (r.more) next = RETENTION_MORE_MS;
      } catch (err) {
        this.log.warn({ err: errorLine(err) }, 'retention batch failed; trying again later');
      }
      this.scheduleRetention(next);
    }, inMs);
    this.retentionTimer.unref();
  }

  private writeStatus(stopped = false): void {
    try {
      const mem = process.memoryUsage();
      const memory = { rssMb: +(mem.rss / 1048576).toFixed(1), heapUsedMb: +(mem.heapUsed / 1048576).toFixed(1) };
      const status = {
        ...this.statusSnapshot(),
        state: stopped ? 'stopped' : 'running',
        pid: process.pid,
        writtenAt: new Date().toISOString(),
        lanePhase: this.lane.state.phase,
        memory,
        ...(this.face ? { faceOutcomes: this.faceOutcomes } : {}),
      };
      this.statusWriter.write(status, stopped);
    } catch (err) {
      this.log.warn({ err: errorLine(err) }, 'status file not written');
    }
  }
}
