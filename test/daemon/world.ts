// A whole station around one gate daemon running as a child process (`gate run`, as systemd starts it): the
// simulated ID reader, MRZ scanner and turnstile MCU on real socat pty pairs, a private Mosquitto, and central
// (signing key, signed snapshot of tickets departing within the hour, a persistent subscriber to the gate's events).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import Database from 'better-sqlite3';
import { openPtyPair, type PtyPair } from '../../src/devices/pty-pair.js';
import { startIdCardReaderSim, type IdCardReaderSim } from '../../src/devices/sim/idcard-reader-sim.js';
import { MrzScannerSim } from '../../src/devices/sim/mrz-scanner-sim.js';
import { McuSim } from '../../firmware-bridge/sim/mcu.js';
import { startLocalBroker, type LocalBroker } from '../../src/mqtt/local-broker.js';
import { buildHead, buildSnapshot } from '../../src/central/build.js';
import { docKeyIdOf } from '../../src/cache/keyed.js';
import { signingKeyFrom } from '../../src/central/keys.js';
import type { SigningKey } from '../../src/sync/wire.js';
import { CommandSigner } from '../../src/mqtt/command-signer.js';
import { onGateEvents, onResyncRequests, publishAll } from '../../src/central/publish.js';
import type { GateEvent } from '../../src/gate/events.js';
import type { SnapshotFile, TicketRecord } from '../../src/cache/records.js';
import { DEMO_SECRET } from '../../src/demo/data.js';
import { waitFor } from '../../src/util/wait.js';
import { buildMrz } from '../../src/readers/mrz/build.js';
import { startFaceSim, type FaceSimProcess } from '../../src/face/sim-process.js';
import type { FaceScript } from '../../src/face/sim.js';
import { mod11_2CheckChar } from '../../src/identity/check-digits.js';
import type { CardFields } from '../../src/readers/idcard/card-text.js';

export const STATION = 'VNP';
export const GATE = '07';
const ENTRY = resolve('src/cli/entry.ts');

/** Passport number of the i-th generated traveller (verified, with ticket `X<i>`). */
export const travellerNumber = (i: number) => `X${String(i).padStart(8, '0')}`;

/** The MRZ of the i-th generated traveller (a German passport, as a scanner reads it). */
export function travellerMrz(i: number): string[] {
  return buildMrz({
    format: 'TD3',
    documentCode: 'P',
    issuingState: 'D',
    surname: 'TRAVELLER',
    givenNames: 'TEST',
    number: travellerNumber(i),
    nationality: 'D',
    birthDate: '800101',
    sex: 'F',
    expiryDate: '350101',
  });
}

/** The 18-character number of the i-th generated resident card holder (ticket `C<i>`), with its MOD 11-2 check char. */
export function residentNumber(i: number): string {
  const first17 = `1101051980${String(1 + (i % 12)).padStart(2, '0')}01${String(i).padStart(3, '0').slice(-3)}`.slice(0, 17);
  return first17 + mod11_2CheckChar(first17)!;
}

/** The card of the i-th generated resident, as the ID-card reader's SAM returns it. */
export function residentCard(i: number): CardFields {
  return {
    layout: 'resident',
    name: '张三',
    sex: '1',
    nation: '01',
    birthDate: residentNumber(i).slice(6, 14),
    address: '北京市东城区某街道1号',
    number: residentNumber(i),
    authority: '北京市公安局东城分局',
    validFrom: '20200101',
    validTo: '20400101',
  };
}

/** Tickets on G7 departing an hour from `nowMs`, for the documents of src/demo/data.ts (and `travellers` passport
 *  holders and `residents` resident card holders more). */
export function stationSnapshot(nowMs: number, travellers = 0, residents = 0): SnapshotFile {
  const dep = new Date(nowMs + 60 * 60_000);
  const arr = new Date(nowMs + 5 * 60 * 60_000);
  const date = dep.toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });
  const t = (id: string, kind: TicketRecord['kind'], country: string, number: string, seat: string): TicketRecord => ({
    id,
    kind,
    country,
    number,
    train: 'G7',
    date,
    from: STATION,
    to: 'AOH',
    departure: dep.toISOString(),
    arrival: arr.toISOString(),
    car: '03',
    seat,
    status: 'valid',
  });
  return {
    station: STATION,
    generatedAt: new Date(nowMs).toISOString(),
    passengers: [
      { kind: 'passport', country: 'DEU', number: 'C01X00T47', status: 'verified', birthDate: '1964-08-12' },
      { kind: 'passport', country: 'USA', number: '963545637', status: 'pending', birthDate: '1970-01-01' },
      ...Array.from({ length: travellers }, (_, i) => ({
        kind: 'passport' as const,
        country: 'DEU',
        number: travellerNumber(i),
        status: 'verified' as const,
        birthDate: '1980-01-01',
      })),
    ],
    tickets: [
      t('R1', 'cn-resident-id', 'CHN', '11010519491231002X', '01A'),
      t('P1', 'passport', 'DEU', 'C01X00T47', '01B'),
      t('Y1', 'cn-pr', 'SAU', 'SAU320185010112', '01C'),
      t('H1', 'cn-hmt-permit', 'CHN', '810000199205050039', '01D'),
      t('L1', 'cn-resident-id', 'CHN', '310115199003073410', '01F'),
      t('F1', 'cn-resident-id', 'CHN', '440305198511151625', '02A'),
      ...Array.from({ length: travellers }, (_, i) => t(`X${i}`, 'passport', 'DEU', travellerNumber(i), `${(i % 90) + 10}A`)),
      ...Array.from({ length: residents }, (_, i) => t(`C${i}`, 'cn-resident-id', 'CHN', residentNumber(i), `${(i % 90) + 10}C`)),
    ],
  };
}

export interface GateProcess {
  proc: ChildProcess;
  /** Everything the daemon logged (stderr) so far. */
  log(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once the daemon logged "gate ready". */
  ready: Promise<void>;
}

/** What the tests use of the MCU at the far end of the pty: the TypeScript simulator, or the C firmware (test/firmware/c-mcu.ts). */
export type WorldMcu = Pick<McuSim, 'auth' | 'mode' | 'session' | 'lastDisplay' | 'received' | 'walkThrough' | 'close'>;

export interface World<M extends WorldMcu = McuSim> {
  dir: string;
  dbPath: string;
  configPath: string;
  broker: LocalBroker;
  central: MqttClient;
  /** Every gate event central received, in arrival order (a re-sent event may appear twice). */
  received: GateEvent[];
  /** Central's reconnects to the broker (after the first connect): when each CONNACK came and whether the broker still had its session. */
  centralConnects: { atMs: number; sessionPresent: boolean }[];
  reader: IdCardReaderSim;
  scanner: MrzScannerSim;
  mcu: M;
  pairs: PtyPair[];
  /** Central's command signer: its own key, not the sync key (the gate trusts each for its purpose only). */
  signer: CommandSigner;
  /** Central's sync signing key (snapshots, deltas, the station roster). */
  syncKey: SigningKey;
  /** The simulated face matcher process (WorldOptions.face), on the socket the gate's face.endpoint names. */
  face: FaceSimProcess | null;
  startGate(extraEnv?: NodeJS.ProcessEnv): GateProcess;
  publishSnapshot(): Promise<void>;
  /** Central's rotation step: the station's data as a new epoch keyed under `docSecret` (docs/sync.md 4b). */
  publishSnapshotKeyed(docSecret: string, epoch: number): Promise<void>;
  /** Read the gate's database from outside (read-only, like a technician). */
  query<T>(sql: string, ...params: unknown[]): T[];
  close(): Promise<void>;
}

export interface WorldOptions {
  mcuWalkMs?: number;
  passageTimeoutMs?: number;
  travellers?: number;
  resultHoldMs?: number;
  secretNext?: string;
  /** Extra top-level config sections (e.g. console). */
  extraConfig?: Record<string, unknown>;
  /** Face match on (docs/face-match.md): the simulated matcher's first script and the gate's face.* settings. */
  face?: { script?: FaceScript; onUnavailable?: 'staffed' | 'open'; timeoutMs?: number; noFaceWaitMs?: number };
  /** devices.idcard.recordTo: record the reader's bytes to this file name in the world's folder. */
  recordIdCard?: string;
  /** Resident ID cards made for the e2e bench (residentCard(i)), with tickets. */
  residents?: number;
  /** devices.idcard.pollIntervalMs (default 100). */
  idcardPollMs?: number;
}

export async function startWorld(opts?: WorldOptions): Promise<World>;
/** The world with another MCU on the pty (the C firmware), opened on the simulator's end. */
export async function startWorld<M extends WorldMcu>(opts: WorldOptions & { openMcu: (simPath: string) => Promise<M> }): Promise<World<M>>;
export async function startWorld(opts: WorldOptions & { openMcu?: (simPath: string) => Promise<WorldMcu> } = {}): Promise<World<WorldMcu>> {
  const dir = mkdtempSync(join(tmpdir(), 'gate-world-'));
  const dbPath = join(dir, 'gate.db');
  const pairs = [await openPtyPair('idcard'), await openPtyPair('mrz'), await openPtyPair('mcu')];
  const [idPair, mrzPair, mcuPair] = pairs;
  const reader = await startIdCardReaderSim(idPair.sim);
  const scanner = await MrzScannerSim.open(mrzPair.sim, { framing: 'plain', lineEnding: 'CRLF' });
  const mcu = opts.openMcu
    ? await opts.openMcu(mcuPair.sim)
    : await McuSim.open(mcuPair.sim, { heartbeatMs: 200, walkMs: opts.mcuWalkMs ?? 50 });
  const broker = await startLocalBroker();
  const face = opts.face ? await startFaceSim(join(dir, 'face.sock'), join(dir, 'face-script.json'), opts.face.script) : null;

  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const key = signingKeyFrom(privateKey);
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const commandKeys = generateKeyPairSync('ed25519');
  const commandPem = commandKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const data = stationSnapshot(Date.now(), opts.travellers ?? 0, opts.residents ?? 0);
  const snapshot = buildSnapshot(data, { docSecret: DEMO_SECRET, key, epoch: 1 });

  // Central as a persistent session (kept by the broker across its restarts): what the gate publishes while
  // central is away is queued for it.
  const central = await mqtt.connectAsync(broker.url, {
    protocolVersion: 5,
    clientId: 'world-central',
    clean: false,
    properties: { sessionExpiryInterval: 600 },
    reconnectPeriod: 200,
  });
  const received: GateEvent[] = [];
  const centralConnects: World['centralConnects'] = [];
  central.on('connect', (ack) => centralConnects.push({ atMs: Date.now(), sessionPresent: ack.sessionPresent === true }));
  // Anyone with publish rights can post under events/ (the hostile tests do): central ignores what is not an event.
  await onGateEvents(central, STATION, (e) => received.push(e));
  // Like central's reference feed (src/central/feed.ts): requests are unsigned, so every one is answered with the
  // same snapshot after a head signed now (which lets a gate told to reload take the epoch it holds); gates that
  // hold the epoch drop it unread. (The feed also answers at most once every 2 s; the tests' gate asks rarely.)
  await onResyncRequests(central, STATION, () => {
    const head = buildHead(key, {
      station: STATION,
      epoch: 1,
      seq: 0,
      docKeyId: docKeyIdOf(DEMO_SECRET),
      generatedAt: new Date().toISOString(),
    });
    void publishAll(central, [head, ...snapshot.messages.filter((m) => !m.retain)]).catch(() => undefined);
  });

  const config = {
    station: STATION,
    gate: GATE,
    secret: DEMO_SECRET,
    ...(opts.secretNext ? { secretNext: opts.secretNext } : {}),
    db: dbPath,
    logLevel: 'info',
    devices: {
      idcard: {
        enabled: true,
        path: idPair.device,
        baudRate: 115200,
        pollIntervalMs: opts.idcardPollMs ?? 100,
        ...(opts.recordIdCard ? { recordTo: opts.recordIdCard } : {}),
      },
      mrzSerial: { enabled: true, path: mrzPair.device, baudRate: 9600 },
      reconnect: { initialMs: 100, maxMs: 1000 },
    },
    bridge: {
      port: { path: mcuPair.device, baudRate: 115200 },
      heartbeatMs: 200,
      watchdogMs: 2000,
      passageTimeoutMs: opts.passageTimeoutMs ?? 5000,
    },
    mqtt: {
      enabled: true,
      urls: [broker.url],
      centralPublicKeys: [commandPem],
      reconnect: { initialMs: 100, maxMs: 1000 },
      publishTimeoutMs: 2000,
    },
    sync: { enabled: true, centralPublicKeys: [publicPem] },
    lane: { resultHoldMs: opts.resultHoldMs ?? 2500 },
    ...opts.extraConfig,
    ...(opts.face
      ? {
          face: {
            enabled: true,
            endpoint: 'face.sock',
            timeoutMs: opts.face.timeoutMs ?? 2000,
            noFaceWaitMs: opts.face.noFaceWaitMs ?? 3000,
            onUnavailable: opts.face.onUnavailable ?? 'staffed',
          },
        }
      : {}),
  };
  const configPath = join(dir, 'gate.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));

  const gates: ChildProcess[] = [];
  const world: World<WorldMcu> = {
    dir,
    dbPath,
    configPath,
    broker,
    central,
    received,
    centralConnects,
    reader: reader.sim,
    scanner,
    mcu,
    pairs,
    face,
    signer: new CommandSigner(commandKeys.privateKey),
    syncKey: key,
    startGate(extraEnv = {}) {
      const proc = spawn(process.execPath, ['--import', 'tsx', ENTRY, 'run', '--config', configPath], {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, GATE_LOG_LEVEL: 'info', ...extraEnv },
      });
      gates.push(proc);
      let log = '';
      let onReady: () => void = () => undefined;
      const ready = new Promise<void>((r) => (onReady = r));
      proc.stderr.on('data', (d: Buffer) => {
        log += d.toString('utf8');
        if (log.includes('"msg":"gate ready"')) onReady();
      });
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
        proc.once('exit', (code, signal) => r({ code, signal })),
      );
      return { proc, log: () => log, exited, ready };
    },
    async publishSnapshot() {
      await publishAll(central, snapshot.messages);
    },
    async publishSnapshotKeyed(docSecret, e) {
      await publishAll(central, buildSnapshot(data, { docSecret, key, epoch: e }).messages);
    },
    query<T>(sql: string, ...params: unknown[]): T[] {
      const db = new Database(dbPath, { readonly: true, fileMustExist: true });
      try {
        return db.prepare(sql).all(...params) as T[];
      } finally {
        db.close();
      }
    },
    async close() {
      for (const g of gates) if (g.exitCode === null && g.signalCode === null) g.kill('SIGKILL');
      await central.endAsync().catch(() => undefined);
      await reader.close();
      await scanner.close();
      await mcu.close();
      await face?.stop();
      for (const p of pairs) await p.close();
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return world;
}

/** Start the gate and wait until it runs with the signed snapshot loaded and the MCU link up. */
export async function startLoadedGate(world: World<WorldMcu>): Promise<GateProcess> {
  const gate = world.startGate();
  await Promise.race([
    gate.ready,
    gate.exited.then((e) => Promise.reject(new Error(`gate exited (${e.code ?? e.signal}): ${gate.log().slice(-2000)}`))),
  ]);
  await waitFor(() => world.mcu.session && world.mcu.mode === 'normal', 10_000, 'the MCU session');
  if (loadedEpoch(world) !== '1') {
    await world.publishSnapshot();
    await waitFor(() => loadedEpoch(world) === '1', 15_000, 'the snapshot to load');
  }
  return gate;
}

function loadedEpoch(world: World<WorldMcu>): string | null {
  try {
    return world.query<{ epoch: string }>('SELECT epoch FROM sync_state WHERE id = 1')[0]?.epoch ?? null;
  } catch {
    return null;
  }
}

/** The seqs central received, each at its first arrival (a re-sent event keeps its seq): 1..N for a gate that lost nothing. */
export function firstSeenSeqs(world: World<WorldMcu>): number[] {
  const seen = new Set<number>();
  for (const e of world.received) seen.add(e.seq);
  return [...seen];
}

/** Traveller i scans a passport and walks through; returns ms from the scan to the MCU's authorisation. */
export async function passTraveller(w: World<WorldMcu>, i: number): Promise<number> {
  const t0 = performance.now();
  await w.scanner.scan(travellerMrz(i));
  await waitFor(() => w.mcu.auth !== null, 10_000, `the authorisation of traveller ${i}`, 2);
  const ms = performance.now() - t0;
  await w.mcu.walkThrough();
  await waitFor(() => w.query('SELECT 1 FROM ledger WHERE ticket_id = ?', `X${i}`).length === 1, 8000, `traveller ${i} in the ledger`);
  return ms;
}
