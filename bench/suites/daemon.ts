// The daemon as systemd runs it (`node bin/gate.js run`, the compiled build) on the simulated station:
// - cold start: process spawn to the "gate ready" log line (devices opened, MCU link started, MQTT and sync
//   worker started), against a bare `node` spawn to its first output in the same run;
// - resident memory with a 1,000,000-ticket cache (quick: 100,000) after serving passengers, against a bare
//   better-sqlite3 process doing the same lookups on the same file.
import { spawn, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openPtyPair } from '../../src/devices/pty-pair.js';
import { McuSim } from '../../firmware-bridge/sim/mcu.js';
import { MrzScannerSim } from '../../src/devices/sim/mrz-scanner-sim.js';
import { mosquittoPath, startLocalBroker } from '../../src/mqtt/local-broker.js';
import { buildMrz } from '../../src/readers/mrz/build.js';
import { waitFor } from '../../src/util/wait.js';
import { percentile, type BenchContext } from '../harness.js';
import { SECRET, buildStationCache, passportNumber, rng } from '../support/station-cache.js';

const ROOT = resolve('.');
const GATE_BIN = join(ROOT, 'bin', 'gate.js');

/** ms from spawn until `line` appears on stderr (or stdout); the process is then stopped with SIGTERM. */
function timeToLine(
  args: string[],
  line: string,
  opts: { stopAfter?: boolean } = {},
): Promise<{ ms: number; pid: number; stop(): Promise<void> }> {
  return new Promise((resolveP, reject) => {
    const t0 = process.hrtime.bigint();
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GATE_LOG_LEVEL: 'info' } });
    let buf = '';
    let done = false;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    const stop = async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    };
    const onData = (d: Buffer) => {
      buf += d.toString('utf8');
      if (!done && buf.includes(line)) {
        done = true;
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        resolveP({ ms, pid: proc.pid!, stop });
        if (opts.stopAfter) void stop();
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.once('exit', (code) => {
      if (!done) reject(new Error(`exited ${code} before "${line}": ${buf.slice(-1500)}`));
    });
  });
}

function rssMb(pid: number): { rss: number; peak: number } {
  const status = execFileSync('cat', [`/proc/${pid}/status`], { encoding: 'utf8' });
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

export default async function daemonBench(ctx: BenchContext): Promise<void> {
  ctx.log('building dist/ (the daemon runs compiled, as on a gate)');
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    stdio: 'inherit',
  });

  const ticketsTotal = ctx.quick ? 100_000 : 1_000_000;
  const passports = ctx.quick ? 20_000 : 200_000;
  const dbPath = join(ctx.tmpDir, 'gate.db');
  const cache = buildStationCache(dbPath, passports, ticketsTotal, rng(7), new Date());
  cache.db.close();
  ctx.log(`built ${ticketsTotal} tickets in ${cache.buildSeconds.toFixed(1)} s`);

  const mcuPair = await openPtyPair('mcu');
  const mrzPair = await openPtyPair('mrz');
  const mcu = await McuSim.open(mcuPair.sim, { heartbeatMs: 200, walkMs: 5 });
  const scanner = await MrzScannerSim.open(mrzPair.sim);
  const broker = mosquittoPath() ? await startLocalBroker() : null;
  try {
    const config = {
      station: 'VNP',
      gate: '01',
      secret: SECRET,
      db: dbPath,
      devices: { mrzSerial: { enabled: true, path: mrzPair.device } },
      bridge: { port: { path: mcuPair.device }, heartbeatMs: 200 },
      mqtt: broker ? { enabled: true, urls: [broker.url] } : { enabled: false },
      sync: { enabled: !!broker, centralPublicKeys: [] },
      lane: { resultHoldMs: 100 },
    };
    const configPath = join(ctx.tmpDir, 'gate.json');
    writeFileSync(configPath, JSON.stringify(config));

    // Cold start, interleaved with the bare node baseline.
    const rounds = ctx.quick ? 3 : 7;
    const gate: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < rounds; i++) {
      bare.push((await timeToLine(['-e', 'process.stderr.write("up\\n")'], 'up', { stopAfter: true })).ms);
      const g = await timeToLine([GATE_BIN, 'run', '--config', configPath], '"msg":"gate ready"');
      gate.push(g.ms);
      await g.stop();
    }
    ctx.record('daemon.cold-start', {
      value: percentile(gate, 50),
      unit: 'ms',
      baseline: percentile(bare, 50),
      goal: 'under 400 ms to ready (issue 16)',
    });

    // Memory after serving passengers on the full cache.
    const g = await timeToLine([GATE_BIN, 'run', '--config', configPath], '"msg":"gate ready"');
    const served = ctx.quick ? 50 : 200;
    try {
      await waitFor(() => mcu.session && mcu.mode === 'normal', 10_000, 'the MCU session');
      for (let i = 0; i < served; i++) {
        const number = passportNumber((i * 7919) % passports);
        await scanner.scan(
          buildMrz({
            format: 'TD3',
            documentCode: 'P',
            issuingState: 'D',
            surname: 'BENCH',
            givenNames: 'B',
            number,
            nationality: 'D',
            birthDate: '800101',
            sex: 'F',
            expiryDate: '350101',
          }),
        );
        const authorised = await waitFor(() => mcu.auth !== null, 400, 'auth').then(
          () => true,
          () => false,
        );
        if (authorised) await mcu.walkThrough();
      }
      const mem = rssMb(g.pid);
      // The baseline: the same lookups in a bare process on the same file.
      const bareScript = `
        const Database = require(${JSON.stringify(join(ROOT, 'node_modules', 'better-sqlite3'))});
        const db = new Database(${JSON.stringify(dbPath)}, { readonly: true });
        const q = db.prepare('SELECT * FROM tickets WHERE doc_key = ?');
        const keys = db.prepare('SELECT doc_key FROM tickets LIMIT ${served}').pluck().all();
        for (const k of keys) q.all(k);
        const s = require('fs').readFileSync('/proc/self/status', 'utf8');
        console.log('rss ' + Number(/VmRSS:\\s+(\\d+)/.exec(s)[1]) / 1024);`;
      const bareRss = Number(execFileSync(process.execPath, ['-e', bareScript], { encoding: 'utf8' }).trim().split(' ')[1]);
      ctx.log(
        `daemon RSS ${mem.rss.toFixed(1)} MB (peak ${mem.peak.toFixed(1)} MB) after ${served} passengers; bare lookup process ${bareRss.toFixed(1)} MB`,
      );
      ctx.record('daemon.rss', {
        value: mem.rss,
        unit: 'MB',
        baseline: bareRss,
        goal: `under 100 MB with ${ticketsTotal} tickets (issue 16)`,
      });
      ctx.record('daemon.rss-peak', { value: mem.peak, unit: 'MB', baseline: bareRss });
    } finally {
      await g.stop();
    }
  } finally {
    await broker?.close();
    await scanner.close();
    await mcu.close();
    await mrzPair.close();
    await mcuPair.close();
  }
}
