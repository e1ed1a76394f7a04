// A whole station for the station tests and the bench: central's Mosquitto and a station Mosquitto, both TLS with
// client certificates, each from the shipped config (config/mosquitto/{central,station}.conf rendered by
// scripts/station-pki.sh, which also issues every certificate), the station bridged to central through a TCP link
// the test can cut; and N `gate run` daemons, each with its own simulated ID reader, MRZ scanner and turnstile MCU on
// real socat ptys, its own certificate, database and signing key. Central publishes the roster, the snapshot and
// deltas at central; everything reaches the gates through the bridge.
import { spawn, type ChildProcess } from 'node:child_process';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import mqtt, { type MqttClient } from 'mqtt';
import { openPtyPair, type PtyPair } from '../../src/devices/pty-pair.js';
import { startIdCardReaderSim, type IdCardReaderSim } from '../../src/devices/sim/idcard-reader-sim.js';
import { MrzScannerSim } from '../../src/devices/sim/mrz-scanner-sim.js';
import { McuSim } from '../../firmware-bridge/sim/mcu.js';
import { freePort, type LocalBroker } from '../../src/mqtt/local-broker.js';
import { pki as runPki, startShippedBroker, startShippedCentral } from './shipped-broker.js';
import { CentralFeed } from '../../src/central/feed.js';
import { onGateEvents } from '../../src/central/publish.js';
import { signingKeyFrom } from '../../src/central/keys.js';
import { sealRoster } from '../../src/mqtt/roster.js';
import type { GateEvent } from '../../src/gate/events.js';
import type { SnapshotFile, TicketRecord } from '../../src/cache/records.js';
import { DEMO_SECRET } from '../../src/demo/data.js';
import { waitFor } from '../../src/util/wait.js';
import { buildMrz } from '../../src/readers/mrz/build.js';

export const STATION = 'VNP';
const ENTRY = resolve('src/cli/entry.ts');
const pki = (...args: string[]) => runPki(args);

/** Passport number of traveller i: tickets X<i> from this station (entry) and A<i> arriving here (exit). */
export const travellerNumber = (i: number) => `S${String(i).padStart(8, '0')}`;
export function travellerMrz(i: number): string[] {
  return buildMrz({
    format: 'TD3',
    documentCode: 'P',
    issuingState: 'D',
    surname: 'TRAVELLER',
    givenNames: 'STATION',
    number: travellerNumber(i),
    nationality: 'D',
    birthDate: '800101',
    sex: 'M',
    expiryDate: '350101',
  });
}

export function stationData(nowMs: number, travellers: number): SnapshotFile {
  const date = (ms: number) => new Date(ms).toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });
  const dep = nowMs + 60 * 60_000;
  const arrived = nowMs - 10 * 60_000;
  const t = (id: string, i: number, from: string, to: string, depMs: number, arrMs: number): TicketRecord => ({
    id,
    kind: 'passport',
    country: 'DEU',
    number: travellerNumber(i),
    train: 'G9',
    date: date(depMs),
    from,
    to,
    departure: new Date(depMs).toISOString(),
    arrival: new Date(arrMs).toISOString(),
    car: '05',
    seat: `${(i % 90) + 10}C`,
    status: 'valid',
  });
  return {
    station: STATION,
    generatedAt: new Date(nowMs).toISOString(),
    passengers: Array.from({ length: travellers }, (_, i) => ({
      kind: 'passport' as const,
      country: 'DEU',
      number: travellerNumber(i),
      status: 'verified' as const,
      birthDate: '1980-01-01',
    })),
    tickets: Array.from({ length: travellers }, (_, i) => [
      t(`X${i}`, i, STATION, 'AOH', dep, dep + 4 * 3600_000),
      t(`A${i}`, i, 'AOH', STATION, arrived - 4 * 3600_000, arrived),
    ]).flat(),
  };
}

/** A TCP relay standing for the WAN link between the station and central: cut() drops it, restore() brings it back. */
export class Link {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  constructor(
    readonly port: number,
    private readonly target: number,
  ) {}
  async restore(): Promise<void> {
    if (this.server) return;
    const server = createServer((inbound) => {
      const outbound = connect({ port: this.target, host: '127.0.0.1' });
      for (const s of [inbound, outbound]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => {
          this.sockets.delete(s);
          inbound.destroy();
          outbound.destroy();
        });
      }
      inbound.pipe(outbound);
      outbound.pipe(inbound);
    });
    await new Promise<void>((r) => server.listen(this.port, '127.0.0.1', () => r()));
    this.server = server;
  }
  /** No route to central: open connections die and new ones are refused. */
  async cut(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}

export interface StationGate {
  id: string;
  direction: 'entry' | 'exit';
  dbPath: string;
  configPath: string;
  reader: IdCardReaderSim;
  scanner: MrzScannerSim;
  mcu: McuSim;
  proc: ChildProcess;
  log(): string;
  ready: Promise<void>;
  query<T>(sql: string, ...params: unknown[]): T[];
}

export interface Station {
  dir: string;
  pkiDir: { central: string; station: string };
  /** Central's broker; its url is the stations' (bridges') listener. */
  central: LocalBroker;
  /** Central's listener for its own systems (CN "central"), where a client chooses its client id. */
  centralSystemsUrl: string;
  broker: LocalBroker;
  link: Link;
  gates: StationGate[];
  /** Central's own client (certificate CN "central") on central's broker. */
  centralClient: MqttClient;
  feed: CentralFeed;
  /** What central's snapshot holds (plain, as central keeps it). */
  data: SnapshotFile;
  /** Every gate event central received, in arrival order, by gate. */
  received: Map<string, GateEvent[]>;
  /** A client on the station broker with gate `gate`'s certificate (as a taken-over gate would have). */
  clientAs(gate: string): Promise<MqttClient>;
  close(): Promise<void>;
}

export interface StationOptions {
  gates: { id: string; direction: 'entry' | 'exit' }[];
  travellers: number;
  /** Gate certificates issued beyond the running gates' (a load generator speaking for many gates). */
  extraGateCerts?: string[];
}

export async function startStation(o: StationOptions): Promise<Station> {
  const dir = mkdtempSync(join(tmpdir(), 'gate-station-'));
  const centralPki = join(dir, 'pki-central');
  const stationPki = join(dir, 'pki-station');
  pki('central-init', centralPki);
  pki('station-init', stationPki, STATION);
  for (const id of [...o.gates.map((g) => g.id), ...(o.extraGateCerts ?? [])]) pki('gate', stationPki, id);
  pki('bridge', stationPki, centralPki, STATION);

  const { broker: central, systemsUrl: centralSystemsUrl } = await startShippedCentral(dir, centralPki);
  const link = new Link(await freePort(), central.port);
  await link.restore();
  // Fast bridge reconnects in the test (the shipped 2..60 s backoff would make the test wait a minute).
  const broker = await startShippedBroker(
    dir,
    'config/mosquitto/station.conf',
    { STATION, PKI: stationPki, CENTRAL_HOST: '127.0.0.1', CENTRAL_PORT: link.port },
    (conf) => conf.replace(/^restart_timeout .*$/m, 'restart_timeout 1 1'),
  );
  const tlsFiles = (base: string, name: string) => ({
    ca: readFileSync(join(base, 'ca.crt')),
    cert: readFileSync(join(base, `${name}.crt`)),
    key: readFileSync(join(base, `${name}.key`)),
  });

  const centralClient = await mqtt.connectAsync(centralSystemsUrl, {
    protocolVersion: 5,
    clientId: 'central-events',
    clean: false,
    properties: { sessionExpiryInterval: 600 },
    reconnectPeriod: 200,
    ...tlsFiles(centralPki, 'central'),
  });
  const received = new Map<string, GateEvent[]>();
  await onGateEvents(centralClient, STATION, (e, gate) => {
    const list = received.get(gate) ?? [];
    list.push(e);
    received.set(gate, list);
  });

  const syncKeys = generateKeyPairSync('ed25519');
  const syncKey = signingKeyFrom(syncKeys.privateKey);
  const syncPem = syncKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const commandPem = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const feed = new CentralFeed({ docSecret: DEMO_SECRET, client: centralClient, key: syncKey, station: STATION, chunkRows: 500 });

  // Each gate's passage-signing key, made here so the roster can name it before the gates start.
  const gateKeys = o.gates.map(() => generateKeyPairSync('ed25519'));
  const roster = sealRoster(syncKey, {
    station: STATION,
    version: 1,
    issuedAt: new Date().toISOString(),
    gates: o.gates.map((g, i) => ({
      gate: g.id,
      publicKey: createPublicKey(gateKeys[i].privateKey).export({ type: 'spki', format: 'der' }).toString('base64'),
    })),
  });
  await centralClient.publishAsync(roster.topic, roster.payload, { qos: 1, retain: true });
  feed.rosterVersion = 1;
  const data = stationData(Date.now(), o.travellers);
  await feed.snapshot(data);
  const stopServing = await feed.serveResync();

  const pairs: PtyPair[] = [];
  const sims: { close(): Promise<void> }[] = [];
  const gates: StationGate[] = [];
  for (const [i, g] of o.gates.entries()) {
    const gdir = join(dir, `gate-${g.id}`);
    mkdirSync(gdir);
    const [idPair, mrzPair, mcuPair] = [await openPtyPair('idcard'), await openPtyPair('mrz'), await openPtyPair('mcu')];
    pairs.push(idPair, mrzPair, mcuPair);
    const reader = await startIdCardReaderSim(idPair.sim);
    const scanner = await MrzScannerSim.open(mrzPair.sim, { framing: 'plain', lineEnding: 'CRLF' });
    const mcu = await McuSim.open(mcuPair.sim, { heartbeatMs: 200, walkMs: 50 });
    sims.push(reader, scanner, mcu);
    const keyFile = join(gdir, 'gate-key.pem');
    writeFileSync(keyFile, gateKeys[i].privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
    const dbPath = join(gdir, 'gate.db');
    const config = {
      station: STATION,
      gate: g.id,
      secret: DEMO_SECRET,
      db: dbPath,
      logLevel: 'info',
      devices: {
        idcard: { enabled: true, path: idPair.device, baudRate: 115200, pollIntervalMs: 100 },
        mrzSerial: { enabled: true, path: mrzPair.device, baudRate: 9600 },
        reconnect: { initialMs: 100, maxMs: 1000 },
      },
      bridge: { port: { path: mcuPair.device, baudRate: 115200 }, heartbeatMs: 200, watchdogMs: 2000, passageTimeoutMs: 5000 },
      mqtt: {
        enabled: true,
        urls: [broker.url],
        // The URL names the broker by address; its certificate is checked against its name.
        tls: {
          ca: join(stationPki, 'ca.crt'),
          cert: join(stationPki, 'gates', `${g.id}.crt`),
          key: join(stationPki, 'gates', `${g.id}.key`),
          serverName: 'localhost',
        },
        centralPublicKeys: [commandPem],
        gateKeyFile: keyFile,
        reconnect: { initialMs: 100, maxMs: 1000 },
        publishTimeoutMs: 2000,
      },
      sync: { enabled: true, centralPublicKeys: [syncPem] },
      lane: { direction: g.direction, resultHoldMs: 1000 },
    };
    const configPath = join(gdir, 'gate.json');
    writeFileSync(configPath, JSON.stringify(config, null, 2));
    const proc = spawn(process.execPath, ['--import', 'tsx', ENTRY, 'run', '--config', configPath], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, GATE_LOG_LEVEL: 'info' },
    });
    let log = '';
    let onReady: () => void = () => undefined;
    const ready = new Promise<void>((r) => (onReady = r));
    proc.stderr.on('data', (d: Buffer) => {
      log += d.toString('utf8');
      if (log.includes('"msg":"gate ready"')) onReady();
    });
    gates.push({
      id: g.id,
      direction: g.direction,
      dbPath,
      configPath,
      reader: reader.sim,
      scanner,
      mcu,
      proc,
      log: () => log,
      ready,
      query<T>(sql: string, ...params: unknown[]): T[] {
        const db = new Database(dbPath, { readonly: true, fileMustExist: true });
        try {
          return db.prepare(sql).all(...params) as T[];
        } finally {
          db.close();
        }
      },
    });
  }

  const station: Station = {
    dir,
    pkiDir: { central: centralPki, station: stationPki },
    central,
    centralSystemsUrl,
    broker,
    link,
    gates,
    centralClient,
    feed,
    data,
    received,
    clientAs: (gate) =>
      mqtt.connectAsync(broker.url, {
        protocolVersion: 5,
        // The station broker takes only client ids that start with gate- (config/mosquitto/station.conf).
        clientId: `gate-intruder-${gate}-${Math.random()}`,
        reconnectPeriod: 0,
        servername: 'localhost',
        ...tlsFiles(stationPki, join('gates', gate)),
      }),
    async close() {
      for (const g of gates) if (g.proc.exitCode === null && g.proc.signalCode === null) g.proc.kill('SIGKILL');
      await stopServing().catch(() => undefined);
      await centralClient.endAsync().catch(() => undefined);
      for (const s of sims) await s.close();
      for (const p of pairs) await p.close();
      await broker.close();
      await link.cut();
      await central.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return station;
}

/** Every gate runs, its MCU link is up and it holds central's snapshot (published at central, through the bridge). */
export async function stationLoaded(s: Station): Promise<void> {
  for (const g of s.gates) {
    await Promise.race([
      g.ready,
      new Promise((_, reject) =>
        g.proc.once('exit', (code) => reject(new Error(`gate ${g.id} exited (${code}): ${g.log().slice(-1500)}`))),
      ),
    ]);
  }
  for (const g of s.gates) await waitFor(() => g.mcu.session && g.mcu.mode === 'normal', 10_000, `gate ${g.id}'s MCU session`);
  for (const g of s.gates) await waitFor(() => epochOf(g) === String(s.feed.epoch), 20_000, `gate ${g.id} to load the snapshot`);
}

export function epochOf(g: StationGate): string | null {
  try {
    return g.query<{ epoch: string }>('SELECT epoch FROM sync_state WHERE id = 1')[0]?.epoch ?? null;
  } catch {
    return null;
  }
}

export function seqOf(g: StationGate): number | null {
  try {
    return g.query<{ seq: number }>('SELECT seq FROM sync_state WHERE id = 1')[0]?.seq ?? null;
  } catch {
    return null;
  }
}

/** Traveller i presents a passport at gate g and walks through; resolves once the passage is in g's ledger. */
export async function passAt(g: StationGate, i: number, ticket: string): Promise<void> {
  await g.scanner.scan(travellerMrz(i));
  await waitFor(() => g.mcu.auth !== null, 10_000, `gate ${g.id} to authorise traveller ${i}`, 2);
  await g.mcu.walkThrough();
  await waitFor(
    () => g.query('SELECT 1 FROM ledger WHERE ticket_id = ? AND source = ?', ticket, 'local').length === 1,
    8000,
    `traveller ${i} in gate ${g.id}'s ledger`,
  );
}

/** The seqs central received from a gate, each at its first arrival: 1..N for a gate that lost nothing. */
export function seqsAtCentral(s: Station, gate: string): number[] {
  return [...new Set((s.received.get(gate) ?? []).map((e) => e.seq))].sort((a, b) => a - b);
}
