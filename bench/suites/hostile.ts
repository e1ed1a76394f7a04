// A gate on a hostile station network (issue 12): what a passenger feels while an attacker with publish rights floods
// the station broker. card-to-authorise = the last byte of a passport's MRZ written on the scanner's pty to the MCU
// receiving AUTHORISE, through the compiled daemon (`gate run`, sync worker and MQTT up), p99 over a series of
// passengers. Baseline: the same series with no flood, measured in the same run. The flood: bursts of 5,000 unsigned
// two-byte messages on the sync head topic, the gate's command topic and a forged gate's passage topic, published
// back to back for as long as the passengers pass.
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import mqtt from 'mqtt';
import { openPtyPair } from '../../src/devices/pty-pair.js';
import { McuSim } from '../../firmware-bridge/sim/mcu.js';
import { MrzScannerSim } from '../../src/devices/sim/mrz-scanner-sim.js';
import { startLocalBroker } from '../../src/mqtt/local-broker.js';
import { buildMrz } from '../../src/readers/mrz/build.js';
import { generateSigningKeys } from '../../src/util/signing.js';
import { waitFor } from '../../src/util/wait.js';
import { percentile, type BenchContext } from '../harness.js';
import { SECRET, buildStationCache, passportNumber, rng } from '../support/station-cache.js';
import { documentKeyer } from '../../src/identity/document-key.js';

const ROOT = resolve('.');
const GATE_BIN = join(ROOT, 'bin', 'gate.js');

export default async function hostileBench(ctx: BenchContext): Promise<void> {
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  const passports = 20_000;
  const dbPath = join(ctx.tmpDir, 'gate.db');
  const cache = buildStationCache(dbPath, passports, 100_000, rng(11), new Date());
  // Passengers the gate opens for (verified, a valid ticket from this station boarding now): the series measures
  // the path to AUTHORISE, so every one of them must get it. Each is used once (a used ticket is refused).
  const keyOf = documentKeyer(SECRET);
  const nowMs = Date.now();
  const boardable = cache.db.prepare(
    `SELECT 1 FROM tickets t JOIN passengers p ON p.doc_key = t.doc_key
      WHERE t.doc_key = ? AND p.status = 'verified' AND t.status = 'valid' AND t.from_station = 'VNP'
        AND t.departure_ms BETWEEN ? AND ? LIMIT 1`,
  );
  const openFor: string[] = [];
  for (let i = 0; i < passports && openFor.length < 400; i++) {
    const number = passportNumber(i);
    if (boardable.get(keyOf({ kind: 'passport', country: 'DEU', number }), nowMs + 20 * 60_000, nowMs + 100 * 60_000)) openFor.push(number);
  }
  cache.db.close();

  const mcuPair = await openPtyPair('mcu');
  const mrzPair = await openPtyPair('mrz');
  const mcu = await McuSim.open(mcuPair.sim, { heartbeatMs: 200, walkMs: 5 });
  const scanner = await MrzScannerSim.open(mrzPair.sim);
  const broker = await startLocalBroker();
  const central = generateSigningKeys();
  const config = {
    station: 'VNP',
    gate: '01',
    secret: SECRET,
    db: dbPath,
    logLevel: 'warn',
    devices: { mrzSerial: { enabled: true, path: mrzPair.device } },
    bridge: { port: { path: mcuPair.device }, heartbeatMs: 200 },
    mqtt: { enabled: true, urls: [broker.url], centralPublicKeys: [central.publicKey] },
    sync: { enabled: true, centralPublicKeys: [generateSigningKeys().publicKey] },
    lane: { resultHoldMs: 100 },
  };
  const configPath = join(ctx.tmpDir, 'gate.json');
  writeFileSync(configPath, JSON.stringify(config));
  const proc = spawn(process.execPath, [GATE_BIN, 'run', '--config', configPath], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, GATE_LOG_LEVEL: 'warn' } });
  let crashed = false;
  proc.once('exit', () => (crashed = true));
  const attacker = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'attacker' });
  let flooding = false;
  let flood: Promise<void> = Promise.resolve();
  try {
    await waitFor(() => mcu.session && mcu.mode === 'normal', 15_000, 'the MCU session');
    let next = 0;
    /** One passenger: ms from the MRZ's last byte to AUTHORISE at the MCU. */
    const passenger = async (): Promise<number> => {
      const number = openFor[next++];
      if (number === undefined) throw new Error('ran out of boardable passengers');
      const lines = buildMrz({ format: 'TD3', documentCode: 'P', issuingState: 'D', surname: 'BENCH', givenNames: 'B', number, nationality: 'D', birthDate: '800101', sex: 'F', expiryDate: '350101' });
      let t1 = 0;
      const off = mcu.events.on('received', (m) => {
        if (m.kind === 'authorise' && t1 === 0) t1 = performance.now();
      });
      await scanner.scan(lines);
      const t0 = performance.now();
      try {
        await waitFor(() => t1 !== 0, 5000, 'the authorisation');
      } finally {
        off();
      }
      await mcu.walkThrough();
      await waitFor(() => mcu.auth === null, 5000, 'the passage');
      return t1 - t0;
    };
    const series = async (n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push(await passenger());
      return out;
    };
    const n = ctx.quick ? 40 : 150;
    await series(5); // warm-up
    const quiet = await series(n);

    flooding = true;
    let sent = 0;
    const targets = ['stations/v1/VNP/sync/head', 'gates/v1/VNP/01/cmd/release', 'gates/v1/VNP/ZZ/events/passage'];
    flood = (async () => {
      while (flooding) {
        const burst: Promise<unknown>[] = [];
        for (let i = 0; i < 5000; i++) burst.push(attacker.publishAsync(targets[i % targets.length], 'xx', { qos: 1 }));
        await Promise.all(burst);
        sent += 5000;
      }
    })();
    const flooded = await series(n);
    flooding = false;
    await flood;
    if (crashed) throw new Error('the daemon died under the flood');
    const q99 = percentile(quiet, 99);
    const f99 = percentile(flooded, 99);
    ctx.log(`card-to-authorise p50/p99: quiet ${percentile(quiet, 50).toFixed(1)}/${q99.toFixed(1)} ms, flood ${percentile(flooded, 50).toFixed(1)}/${f99.toFixed(1)} ms (${sent} unsigned messages)`);
    ctx.record('hostile.flood.card-to-authorise.p99', { value: f99, unit: 'ms', baseline: q99, goal: 'ratio <= 2 (5,000-message bursts of unsigned messages)' });
    ctx.record('hostile.flood.messages', { value: sent, unit: 'messages' });
  } finally {
    flooding = false;
    await flood.catch(() => undefined);
    await attacker.endAsync();
    proc.kill('SIGTERM');
    await new Promise((r) => (proc.exitCode !== null || proc.signalCode !== null ? r(undefined) : proc.once('exit', r)));
    await broker.close();
    await scanner.close();
    await mcu.close();
    await mrzPair.close();
    await mcuPair.close();
  }
}
