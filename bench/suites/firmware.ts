// The C MCU library (firmware-bridge/c): ns per frame built and parsed on this host, beside the daemon's
// TypeScript codec doing the same work on the same kinds of frame in the same run (baseline); and the library's
// code size at -Os for the host (arm-none-eabi when Debian's gcc-arm-none-eabi is installed).
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import type { BenchContext } from '../harness.js';
import { Framer, encodeFrame } from '../../src/bridge/frame.js';
import { decodeMessage, toFrame, type Message } from '../../src/bridge/messages.js';

const DIR = resolve('firmware-bridge/c');

// The kinds the C bench uses (firmware-bridge/c/bench/bench_frame.c), in the same order.
const MESSAGES: [Message, number][] = [
  [{ kind: 'authorise', authId: 32381, direction: 'exit', count: 3, timeoutMs: 20000 }, 126],
  [{ kind: 'display', code: 'open', reason: 'ok', train: 'G1234', car: '05', seat: '12F' }, 9],
  [
    {
      kind: 'hello-reply',
      major: 1,
      minor: 0,
      bootId: 0xdeadbeef,
      mode: 'locked',
      emergency: false,
      failsafe: true,
      power: 'mains',
      firmware: 'gcu-2.4.1',
    },
    1,
  ],
  [{ kind: 'status', mode: 'normal', session: true, emergency: false, failsafe: false, power: 'mains', remaining: 1 }, 0],
  [{ kind: 'passage', authId: 4660, direction: 'entry', remaining: 0 }, 2],
  [{ kind: 'ack' }, 5],
];

function make(target: string): string {
  const r = spawnSync('make', ['-s', '-C', DIR, target], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`make ${target} failed: ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** Sum of the TOTALS line of `size -t`, text + data, in bytes. */
function totals(out: string, header: string): number | undefined {
  const part = out.split(header)[1];
  const line = part?.split('\n').find((l) => l.includes('(TOTALS)'));
  if (!line) return undefined;
  const [text, data] = line.trim().split(/\s+/).map(Number);
  return text + data;
}

export default async function firmware(ctx: BenchContext): Promise<void> {
  const n = ctx.quick ? 200_000 : 2_000_000;
  make('build/bench');
  const c = JSON.parse(spawnSync(resolve(DIR, 'build/bench'), [String(n)], { encoding: 'utf8' }).stdout) as {
    buildNsPerFrame: number;
    parseNsPerFrame: number;
  };

  // Baseline: the daemon's codec, message -> wire bytes and wire bytes -> Framer -> decoded message.
  const tsN = Math.max(60_000, Math.floor(n / 20));
  let sink = 0;
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < tsN; i++) {
    const [m, seq] = MESSAGES[i % MESSAGES.length];
    sink += encodeFrame(toFrame(m, seq)).length;
  }
  const tsBuild = Number(process.hrtime.bigint() - t0) / tsN;
  const stream = Buffer.concat(MESSAGES.map(([m, seq]) => encodeFrame(toFrame(m, seq))));
  const framer = new Framer();
  let frames = 0;
  t0 = process.hrtime.bigint();
  for (let i = 0; i < tsN; i += MESSAGES.length) {
    for (const o of framer.push(stream)) {
      if (o.kind === 'frame') {
        sink += decodeMessage(o.frame.type, o.frame.payload).ok ? 1 : 0;
        frames++;
      }
    }
  }
  const tsParse = Number(process.hrtime.bigint() - t0) / frames;

  ctx.record('firmware.c.build_ns_per_frame', {
    value: c.buildNsPerFrame,
    unit: 'ns',
    baseline: tsBuild,
    goal: 'below the TypeScript codec (baseline)',
  });
  ctx.record('firmware.c.parse_ns_per_frame', {
    value: c.parseNsPerFrame,
    unit: 'ns',
    baseline: tsParse,
    goal: 'well under 87 us, one frame at 115200 baud',
  });
  const size = make('size');
  const host = totals(size, 'host (');
  if (host !== undefined)
    ctx.record('firmware.c.code_bytes_host_Os', { value: host, unit: 'B', goal: 'text + data of the three modules, -Os' });
  const arm = totals(size, 'arm-none-eabi (');
  if (arm !== undefined) ctx.record('firmware.c.code_bytes_arm_m0plus_Os', { value: arm, unit: 'B', goal: 'fits a 16 KiB-flash MCU' });
  ctx.log(
    `C build ${c.buildNsPerFrame} ns, parse ${c.parseNsPerFrame} ns per frame; TypeScript ${tsBuild.toFixed(0)} / ${tsParse.toFixed(0)} ns (${sink > 0 ? 'ok' : '?'})`,
  );
  ctx.log(
    `code size -Os: host ${host ?? '?'} B${arm !== undefined ? `, arm-none-eabi ${arm} B` : ', arm-none-eabi: compiler not installed'}`,
  );
}
