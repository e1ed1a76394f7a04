// A compressed month at one gate (issue 20): the real `gate run`, spawned as systemd would, with the simulated ID
// reader, MRZ scanner and turnstile MCU on socat ptys, a private Mosquitto, central (signed snapshots and deltas, a
// persistent subscriber) and a virtual clock (src/daemon/test-clock.ts). Each station day:
//   05:00 a snapshot with a new epoch (the day's tickets, the cache replaced);
//   06:00-22:00 passengers, spread over the day, each walking through on a ticket departing an hour later;
//   two deltas (each refunds a later passenger's ticket, who is then refused);
//   an NTP step of +-90 s; the broker away for a tenth of the day while passengers keep passing;
//   a restart (SIGTERM, exit 0, start again).
// At the end of each day it samples RSS, heap, open fds, the database and WAL sizes, the outbox depth, the ledger's
// rows and the bytes written to the storage device (/proc/<pid>/io write_bytes of the gate processes). It fails on
// growth that does not level off and on any passage central did not receive.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import Database from 'better-sqlite3';
import { openPtyPair, type PtyPair } from '../../src/devices/pty-pair.js';
import { startIdCardReaderSim } from '../../src/devices/sim/idcard-reader-sim.js';
import { MrzScannerSim } from '../../src/devices/sim/mrz-scanner-sim.js';
import { McuSim } from '../../firmware-bridge/sim/mcu.js';
import { startLocalBroker, type LocalBroker } from '../../src/mqtt/local-broker.js';
import { buildDelta, buildHead, buildSnapshot, type OutMessage } from '../../src/central/build.js';
import { docKeyIdOf } from '../../src/cache/keyed.js';
import { signingKeyFrom } from '../../src/central/keys.js';
import { onGateEvents, onResyncRequests, publishAll } from '../../src/central/publish.js';
import type { PassengerRecord, SnapshotFile, TicketRecord } from '../../src/cache/records.js';
import { DEMO_SECRET } from '../../src/demo/data.js';
import { waitFor } from '../../src/util/wait.js';
import { buildMrz } from '../../src/readers/mrz/build.js';
import { TEST_CLOCK_ENV } from '../../src/daemon/test-clock.js';
import { RETENTION_MARGIN_MS } from '../../src/outbox/retention.js';
import { growthPerDay, judgeGrowth, type DaySample, type SoakReport } from './judge.js';

const STATION = 'VNP';
const GATE = '05';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** 2026-03-02 05:00 at the station (Asia/Shanghai, UTC+8). */
const FIRST_MORNING = Date.parse('2026-03-01T21:00:00Z');
/** The gate's default exit grace (rules.exit.graceMinutesAfterArrival) plus retention's margin. */
const RETENTION_HORIZON_LAG_MS = 120 * 60_000 + RETENTION_MARGIN_MS;

export interface SoakOptions {
  days: number;
  /** Passengers who walk through per station day (a busy gate's day compressed: 16 h spread over them). */
  passengersPerDay: number;
  /** Tickets in each morning's snapshot beside the travellers' (the rest of the station's day). */
  extraTickets: number;
  /** How `gate run` is started: the compiled build (dist/, as on a gate) or through tsx (no build needed). */
  gate: 'dist' | 'tsx';
  log: (line: string) => void;
}

export const DEFAULT_SOAK: Omit<SoakOptions, 'log'> = { days: 30, passengersPerDay: 100, extraTickets: 5000, gate: 'dist' };

const travellerNumber = (i: number) => `S${String(i).padStart(8, '0')}`;
const travellerMrz = (i: number) =>
  buildMrz({
    format: 'TD3',
    documentCode: 'P',
    issuingState: 'D',
    surname: 'SOAK',
    givenNames: 'TEST',
    number: travellerNumber(i),
    nationality: 'D',
    birthDate: '800101',
    sex: 'F',
    expiryDate: '350101',
  });
const ticketId = (day: number, i: number) => `D${day}-S${i}`;

/** The moment passenger j of a day passes (06:00 to 22:00, evenly), relative to the day's 05:00. */
const passTime = (j: number, perDay: number) => HOUR + Math.floor((j * 16 * HOUR) / perDay);

function dayData(day: number, o: SoakOptions, generatedAtMs: number): SnapshotFile {
  const morning = FIRST_MORNING + day * DAY;
  const date = new Date(morning).toLocaleDateString('sv-SE', { timeZone: 'Asia/Shanghai' });
  const ticket = (id: string, kind: TicketRecord['kind'], country: string, number: string, departMs: number): TicketRecord => ({
    id,
    kind,
    country,
    number,
    train: `G${((departMs / HOUR) % 900) | 0}`,
    date,
    from: STATION,
    to: 'AOH',
    departure: new Date(departMs).toISOString(),
    arrival: new Date(departMs + 5 * HOUR).toISOString(),
    car: '03',
    seat: '01A',
    status: 'valid',
  });
  const passengers: PassengerRecord[] = Array.from({ length: o.passengersPerDay }, (_, i) => ({
    kind: 'passport',
    country: 'DEU',
    number: travellerNumber(i),
    status: 'verified',
    birthDate: '1980-01-01',
  }));
  const tickets: TicketRecord[] = Array.from({ length: o.passengersPerDay }, (_, j) =>
    ticket(ticketId(day, j), 'passport', 'DEU', travellerNumber(j), morning + passTime(j, o.passengersPerDay) + HOUR),
  );
  // The rest of the station's day: resident-card holders who use other gates (their tickets fill the cache).
  for (let k = 0; k < o.extraTickets; k++) {
    tickets.push(
      ticket(
        `D${day}-R${k}`,
        'cn-resident-id',
        'CHN',
        `1101051949${String(k).padStart(7, '0')}X`,
        morning + HOUR + Math.floor((k * 16 * HOUR) / Math.max(1, o.extraTickets)),
      ),
    );
  }
  return { station: STATION, generatedAt: new Date(generatedAtMs).toISOString(), passengers, tickets };
}

/** write_bytes of /proc/<pid>/io (for "self": this process plus every child it has reaped). */
function writeBytes(pid: number | 'self'): number {
  try {
    return Number(/write_bytes:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

function procRssMb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return NaN;
  }
}

function fdCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return NaN;
  }
}

const sizeMb = (path: string) => (existsSync(path) ? statSync(path).size / 1048576 : 0);

/** The virtual clock the gate reads (an offset file on tmpfs, so setting it writes nothing to the disk measured). */
class SoakClock {
  private offset = 0;
  constructor(readonly file: string) {}
  now(): number {
    return Date.now() + this.offset;
  }
  set(virtualMs: number): void {
    this.offset = virtualMs - Date.now();
    writeFileSync(this.file, String(this.offset));
  }
}

interface RunningGate {
  proc: ChildProcess;
  pid: number;
  exited: Promise<number | null>;
  clockAcks: () => number;
  logTail: () => string;
  logBytes: () => number;
}

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const root = resolve('.');
  const dir = mkdtempSync(join(tmpdir(), 'gate-soak-'));
  const shm = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/gate-soak-clock-') : mkdtempSync(join(tmpdir(), 'gate-soak-clock-'));
  const dbPath = join(dir, 'gate.db');
  const clock = new SoakClock(join(shm, 'clock'));
  const pairs: PtyPair[] = [];
  const closers: (() => Promise<unknown>)[] = [];
  let broker: LocalBroker | undefined;
  let central: MqttClient | undefined;
  let gate: RunningGate | undefined;
  try {
    const [idPair, mrzPair, mcuPair] = [await openPtyPair('idcard'), await openPtyPair('mrz'), await openPtyPair('mcu')];
    pairs.push(idPair, mrzPair, mcuPair);
    const reader = await startIdCardReaderSim(idPair.sim);
    closers.push(() => reader.close());
    const scanner = await MrzScannerSim.open(mrzPair.sim, { framing: 'plain', lineEnding: 'CRLF' });
    closers.push(() => scanner.close());
    const mcu = await McuSim.open(mcuPair.sim, { heartbeatMs: 200, walkMs: 20 });
    closers.push(() => mcu.close());
    broker = await startLocalBroker();
    const b = broker;

    const sync = generateKeyPairSync('ed25519');
    const key = signingKeyFrom(sync.privateKey);
    const commandPem = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();

    // Central: a persistent session kept by the broker across its outages; every event the gate publishes, by seq.
    central = await mqtt.connectAsync(b.url, {
      protocolVersion: 5,
      clientId: 'soak-central',
      clean: false,
      properties: { sessionExpiryInterval: 3600 },
      reconnectPeriod: 200,
    });
    const seqs = new Set<number>();
    const passed = new Set<string>();
    const refused = new Map<string, string>();
    await onGateEvents(central, STATION, (e) => {
      seqs.add(e.seq);
      if (e.kind === 'passage' && e.outcome === 'passed' && e.ticketId) passed.add(e.ticketId);
      if (e.kind === 'decision' && e.decision === 'reject' && e.ticketId) refused.set(e.ticketId, e.reason);
    });
    // Central's answer to a resync request: the day's snapshot again, after a head signed now.
    // The epoch's snapshot and every delta since (a gate that asks gets them all).
    let current: { epoch: number; seq: number; messages: OutMessage[] } | null = null;
    let lastAnswer = 0;
    await onResyncRequests(central, STATION, () => {
      if (!current || Date.now() - lastAnswer < 2000) return;
      lastAnswer = Date.now();
      const head = buildHead(key, {
        station: STATION,
        epoch: current.epoch,
        seq: current.seq,
        docKeyId: docKeyIdOf(DEMO_SECRET),
        generatedAt: new Date(clock.now()).toISOString(),
      });
      void publishAll(central!, [head, ...current.messages.filter((m) => !m.retain)]).catch(() => undefined);
    });

    const config = {
      station: STATION,
      gate: GATE,
      secret: DEMO_SECRET,
      db: dbPath,
      logLevel: 'info',
      devices: {
        idcard: { enabled: true, path: idPair.device, baudRate: 115200 },
        mrzSerial: { enabled: true, path: mrzPair.device, baudRate: 9600 },
        reconnect: { initialMs: 100, maxMs: 1000 },
      },
      bridge: { port: { path: mcuPair.device, baudRate: 115200 }, heartbeatMs: 200, watchdogMs: 2000, passageTimeoutMs: 5000 },
      mqtt: {
        enabled: true,
        urls: [b.url],
        centralPublicKeys: [commandPem],
        reconnect: { initialMs: 100, maxMs: 1000 },
        publishTimeoutMs: 2000,
      },
      sync: { enabled: true, centralPublicKeys: [sync.publicKey.export({ type: 'spki', format: 'pem' }).toString()] },
      lane: { resultHoldMs: 100 },
    };
    const configPath = join(dir, 'gate.json');
    writeFileSync(configPath, JSON.stringify(config, null, 2));

    const gateArgs = o.gate === 'dist' ? [join(root, 'bin', 'gate.js')] : ['--import', 'tsx', join(root, 'src', 'cli', 'entry.ts')];
    const startGate = async (): Promise<RunningGate> => {
      const proc = spawn(process.execPath, [...gateArgs, 'run', '--config', configPath], {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, GATE_LOG_LEVEL: 'info', GATE_LOG_FORMAT: 'json', [TEST_CLOCK_ENV]: clock.file },
      });
      let tail = '';
      let bytes = 0;
      let acks = 0;
      let ready = false;
      proc.stderr.on('data', (d: Buffer) => {
        const s = d.toString('utf8');
        bytes += d.length;
        acks += s.split('"msg":"test clock set"').length - 1;
        tail = (tail + s).slice(-4000);
        if (tail.includes('"msg":"gate ready"')) ready = true;
      });
      const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
      let gone = false;
      void exited.then(() => (gone = true));
      await waitFor(() => ready || gone, 30_000, 'gate ready');
      if (!ready) throw new Error(`gate run exited before ready: ${tail.slice(-1500)}`);
      return { proc, pid: proc.pid!, exited, clockAcks: () => acks, logTail: () => tail, logBytes: () => bytes };
    };
    /** Move the running gate's clock and wait until it has taken the new offset. */
    const setClock = async (virtualMs: number) => {
      clock.set(virtualMs);
      if (!gate) return;
      const before = gate.clockAcks();
      gate.proc.kill('SIGUSR2');
      await waitFor(() => gate!.clockAcks() > before, 5000, 'the gate to take the clock');
    };
    const query = <T>(sql: string): T | undefined => {
      const db = new Database(dbPath, { readonly: true, fileMustExist: true });
      try {
        return db.prepare(sql).get() as T | undefined;
      } finally {
        db.close();
      }
    };
    const applied = () => {
      try {
        return query<{ epoch: string; seq: number }>('SELECT epoch, seq FROM sync_state WHERE id = 1') ?? null;
      } catch {
        return null;
      }
    };

    // Bytes written: everything this process's reaped children wrote (gate processes that ended) plus the live one's.
    const ioStart = writeBytes('self');
    let logBytesDone = 0;
    const bytesSoFar = () => writeBytes('self') - ioStart + (gate ? writeBytes(gate.pid) : 0);
    const logBytesSoFar = () => logBytesDone + (gate?.logBytes() ?? 0);
    const restart = async () => {
      const g = gate!;
      g.proc.kill('SIGTERM');
      const code = await g.exited;
      if (code !== 0) throw new Error(`gate run exited ${code} on SIGTERM: ${g.logTail().slice(-1500)}`);
      logBytesDone += g.logBytes();
      gate = undefined;
      gate = await startGate();
      await waitFor(() => mcu.session && mcu.mode === 'normal', 15_000, 'the MCU session after the restart');
    };

    const samples: DaySample[] = [];
    let walked = 0;
    let snapshotBytes = 0;
    let expectedRefusals = 0;
    clock.set(FIRST_MORNING);
    gate = await startGate();
    await waitFor(() => mcu.session && mcu.mode === 'normal', 15_000, 'the MCU session');
    const t0 = Date.now();

    for (let day = 0; day < o.days; day++) {
      const morning = FIRST_MORNING + day * DAY;
      await setClock(morning);
      // The morning snapshot: a new epoch with the day's tickets.
      const epoch = day + 1;
      const snap = buildSnapshot(dayData(day, o, morning), { docSecret: DEMO_SECRET, key, epoch });
      current = { epoch, seq: 0, messages: snap.messages };
      const beforeSnapshot = bytesSoFar();
      await publishAll(central, snap.messages);
      await waitFor(() => applied()?.epoch === String(epoch), 60_000, `day ${day + 1}'s snapshot (epoch ${epoch})`, 100);
      // The morning snapshot's writes are the day's fixed cost, whatever the number of passengers: kept apart.
      snapshotBytes += bytesSoFar() - beforeSnapshot;

      const P = o.passengersPerDay;
      const refunds = new Map<number, number>([
        [Math.floor(P * 0.2), 1],
        [Math.floor(P * 0.6), 2],
      ]);
      const refundedPassenger = new Set<number>();
      const outage = [Math.floor(P * 0.4), Math.floor(P * 0.5)];
      const stepAt = Math.floor(P * 0.3);
      const restartAt = Math.floor(P * 0.75);
      const step = (day % 2 === 0 ? 1 : -1) * 90_000;
      let skew = 0;
      let sampleAtRestart: { rssMb: number; fds: number } | null = null;

      for (let j = 0; j < P; j++) {
        const seq = refunds.get(j);
        if (seq !== undefined) {
          // A delta: the ticket of a passenger three places on is refunded; they will be refused.
          const victim = j + 3;
          const d = dayData(day, o, morning).tickets[victim];
          const { messages } = buildDelta(
            {
              generatedAt: new Date(clock.now()).toISOString(),
              upserts: { passengers: [], tickets: [{ ...d, status: 'refunded' }] },
              deletes: { passengers: [], tickets: [] },
            },
            { key, station: STATION, epoch, seq, now: new Date(clock.now()), docSecret: DEMO_SECRET },
          );
          current = { epoch, seq, messages: [...current.messages, ...messages] };
          await publishAll(central, messages);
          await waitFor(() => applied()?.seq === seq, 30_000, `delta ${epoch}/${seq}`, 50);
          refundedPassenger.add(victim);
        }
        if (j === outage[0]) await b.stop(true);
        if (j === restartAt) {
          sampleAtRestart = { rssMb: procRssMb(gate.pid), fds: fdCount(gate.pid) };
          await restart();
        }
        if (j === stepAt) {
          // NTP steps the wall clock; the next passenger is served right after it.
          skew = step;
          await setClock(clock.now() + step);
        } else {
          await setClock(morning + passTime(j, P) + skew);
        }

        await scanner.scan(travellerMrz(j));
        const id = ticketId(day, j);
        if (refundedPassenger.has(j)) {
          expectedRefusals++;
          // Refused: central hears the decision (the broker is up outside the outage window).
          await waitFor(() => refused.get(id) === 'ticket-refunded', 10_000, `the refusal of ${id}`, 5);
          continue;
        }
        await waitFor(() => mcu.auth !== null, 10_000, `the authorisation of ${id}`, 2);
        const authId = mcu.auth!.authId;
        const acked = new Promise<void>((r) => {
          const off = mcu.events.on('delivered', (rep) => {
            if (rep.kind === 'passage' && rep.authId === authId) {
              off();
              r();
            }
          });
        });
        await mcu.walkThrough();
        await Promise.race([
          acked,
          new Promise((_, rej) => setTimeout(() => rej(new Error(`the gate did not acknowledge ${id}'s passage`)), 10_000)),
        ]);
        walked++;
        if (j === outage[1]) await b.start();
      }
      if (outage[1] >= P) await b.start();

      // End of the day: the outbox drained to central, then the samples.
      const lastSeq = () => query<{ s: number }>('SELECT last_seq AS s FROM outbox_seq WHERE id = 1')?.s ?? 0;
      const drained = () =>
        seqs.size === lastSeq() && (query<{ n: number }>('SELECT count(*) AS n FROM outbox WHERE sent_ms IS NULL')?.n ?? 1) === 0;
      // What is still missing after a minute counts as lost below.
      await waitFor(drained, 60_000, `day ${day + 1}'s events at central`, 100).catch(() =>
        o.log(`day ${day + 1}: the outbox did not drain to central`),
      );
      // Retention settles within a tick: no row left whose ticket's windows ended before the gate's horizon.
      const prunable = () =>
        query<{ n: number }>(
          `SELECT count(*) AS n FROM ledger, sync_state WHERE arrival_ms IS NOT NULL
             AND arrival_ms < min(${clock.now()}, unixepoch(sync_state.generated_at) * 1000) - ${RETENTION_HORIZON_LAG_MS}`,
        )?.n ?? 0;
      await waitFor(() => prunable() === 0, 60_000, `day ${day + 1}'s past passages to be pruned`, 250).catch(() =>
        o.log(`day ${day + 1}: ${prunable()} past passages not pruned`),
      );
      const statusFile = JSON.parse(readFileSync(`${dbPath}.status.json`, 'utf8')) as { memory?: { heapUsedMb: number } };
      const rows = query<{ ledger: number; outbox: number; pending: number }>(
        'SELECT (SELECT count(*) FROM ledger) AS ledger, (SELECT count(*) FROM outbox) AS outbox, (SELECT count(*) FROM outbox WHERE sent_ms IS NULL) AS pending',
      )!;
      const sample: DaySample = {
        day: day + 1,
        passages: walked,
        rssMb: procRssMb(gate.pid),
        rssBeforeRestartMb: sampleAtRestart?.rssMb ?? NaN,
        heapMb: statusFile.memory?.heapUsedMb ?? NaN,
        fds: fdCount(gate.pid),
        dbMb: sizeMb(dbPath),
        walMb: sizeMb(`${dbPath}-wal`),
        outboxRows: rows.outbox,
        outboxPending: rows.pending,
        ledgerRows: rows.ledger,
        bytesWritten: bytesSoFar() - snapshotBytes,
        snapshotBytes,
        logBytes: logBytesSoFar(),
      };
      samples.push(sample);
      o.log(
        `day ${String(day + 1).padStart(2)}: ${walked} passages, rss ${sample.rssMb.toFixed(1)} MB (${sample.rssBeforeRestartMb.toFixed(1)} before restart), heap ${sample.heapMb} MB, ${sample.fds} fds, ` +
          `db ${sample.dbMb.toFixed(2)} MB + wal ${sample.walMb.toFixed(2)} MB, ledger ${sample.ledgerRows}, outbox ${sample.outboxRows} (${sample.outboxPending} pending), ` +
          `${(sample.bytesWritten / 1024 / Math.max(1, walked)).toFixed(1)} KB written/passage + ${(snapshotBytes / 1048576 / (day + 1)).toFixed(2)} MB/day for snapshots (${((Date.now() - t0) / 1000).toFixed(0)} s)`,
      );
    }

    // Lost: every seq the gate handed out reached central, and every passage the MCU saw is there as passed.
    const lastSeq = query<{ s: number }>('SELECT last_seq AS s FROM outbox_seq WHERE id = 1')?.s ?? 0;
    const missingSeqs = lastSeq - [...seqs].filter((s) => s >= 1 && s <= lastSeq).length;
    const lost = Math.max(missingSeqs, walked - passed.size);
    const payload = query<{ decision: number; passage: number; sig: number }>(
      "SELECT avg(CASE WHEN kind = 'decision' THEN length(payload) END) AS decision, avg(CASE WHEN kind = 'passage' THEN length(payload) END) AS passage, avg(length(sig)) AS sig FROM outbox",
    )!;
    const report: SoakReport = {
      days: o.days,
      passages: walked,
      refusals: expectedRefusals,
      lost,
      samples,
      payloadBytes: {
        decision: Math.round(payload.decision ?? 300),
        passage: Math.round(payload.passage ?? 300),
        sig: Math.round(payload.sig ?? 88),
      },
      ...growthPerDay(samples),
      failures: [],
    };
    report.failures = judgeGrowth(report);
    if (lost > 0) report.failures.push(`${lost} events or passages never reached central`);
    return report;
  } finally {
    if (gate && gate.proc.exitCode === null && gate.proc.signalCode === null) {
      gate.proc.kill('SIGTERM');
      await Promise.race([gate.exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (gate.proc.exitCode === null) gate.proc.kill('SIGKILL');
    }
    await central?.endAsync().catch(() => undefined);
    for (const c of closers) await c().catch(() => undefined);
    for (const p of pairs) await p.close().catch(() => undefined);
    await broker?.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    rmSync(shm, { recursive: true, force: true });
  }
}

/** KB per passage of the bare insert of the same rows (bench/soak/bare-insert.ts), in its own process. */
export function bareInsertKbPerPassage(r: Pick<SoakReport, 'payloadBytes'>, passages: number): number {
  const root = resolve('.');
  const dir = mkdtempSync(join(tmpdir(), 'gate-soak-bare-'));
  try {
    const out = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(root, 'bench', 'soak', 'bare-insert.ts'),
        join(dir, 'bare.db'),
        String(passages),
        String(r.payloadBytes.decision),
        String(r.payloadBytes.passage),
        String(r.payloadBytes.sig),
      ],
      { cwd: root, encoding: 'utf8' },
    );
    const { bytes } = JSON.parse(out.trim().split('\n').pop()!) as { bytes: number };
    return bytes / 1024 / passages;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
