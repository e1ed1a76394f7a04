// What the passenger feels: from the last byte of the ID-card reader's read response written on the reader's pty to
// the AUTHORISE frame read and decoded by the MCU on the MCU's pty, through the real daemon (`gate run` as a child
// process, test/daemon/world.ts: real ptys, a private Mosquitto, the snapshot loaded by sync).
// Baseline in the same run: the same bytes over two bare pty hops (the read response one way on one pair, the
// AUTHORISE frame the other way on a second pair), with nothing in between: what any daemon must pay for the wires.
// The reader's own response takes 112 ms on a real 115200-baud line; a pty passes it at once, so the figure is
// software only.
import { SerialPortStream } from '@serialport/stream';
import { autoDetect } from '@serialport/bindings-cpp';
import { openPtyPair } from '../../src/devices/pty-pair.js';
import { encodeFrame } from '../../src/bridge/frame.js';
import { toFrame } from '../../src/bridge/messages.js';
import { buildReadResponse, encodeCardText } from '../../src/readers/idcard/index.js';
import { waitFor, waitForEvent } from '../../src/util/wait.js';
import { join } from 'node:path';
import { openDb } from '../../src/cache/db.js';
import { percentile, type BenchContext } from '../harness.js';
import { residentCard, startLoadedGate, startWorld } from '../../test/daemon/world.js';

async function openPort(path: string): Promise<SerialPortStream> {
  const port = new SerialPortStream({ binding: autoDetect(), path, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  return port;
}

/** Write `bytes` on `from`, resolve with hrtime once `to` has read all of them. */
function hop(from: SerialPortStream, to: SerialPortStream, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    let got = 0;
    const onData = (d: Buffer) => {
      got += d.length;
      if (got < bytes.length) return;
      to.off('data', onData);
      resolve();
    };
    to.on('data', onData);
    from.write(Buffer.from(bytes));
  });
}

/** The same bytes over two bare pty hops: reader response device-ward, AUTHORISE frame MCU-ward. */
async function bareBaseline(samples: number): Promise<number[]> {
  const a = await openPtyPair('e2e-reader');
  const b = await openPtyPair('e2e-mcu');
  const [aSim, aDev, bDev, bSim] = await Promise.all([openPort(a.sim), openPort(a.device), openPort(b.device), openPort(b.sim)]);
  const response = buildReadResponse(encodeCardText(residentCard(0)));
  const authorise = encodeFrame(toFrame({ kind: 'authorise', authId: 4242, direction: 'entry', count: 1, timeoutMs: 5000 }, 7));
  const out: number[] = [];
  try {
    for (let i = 0; i < samples + 5; i++) {
      const t0 = process.hrtime.bigint();
      await hop(aSim, aDev, response);
      await hop(bDev, bSim, authorise);
      if (i >= 5) out.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  } finally {
    for (const p of [aSim, aDev, bDev, bSim]) await new Promise<void>((r) => p.close(() => r()));
    await a.close();
    await b.close();
  }
  return out;
}

/** ms per one-row INSERT committed with synchronous=FULL in WAL mode, as the gate's file is opened. */
function bareFullCommits(path: string, samples: number): number[] {
  const db = openDb(path);
  try {
    db.exec('CREATE TABLE IF NOT EXISTS bare (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO bare (payload) VALUES (?)');
    const payload = 'x'.repeat(400);
    const out: number[] = [];
    for (let i = 0; i < samples + 5; i++) {
      const t0 = process.hrtime.bigint();
      insert.run(payload);
      if (i >= 5) out.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    return out;
  } finally {
    db.close();
  }
}

export default async function e2e(ctx: BenchContext): Promise<void> {
  const samples = ctx.quick ? 30 : 200;
  const warmup = 5;
  const w = await startWorld({ residents: samples + warmup, resultHoldMs: 100, mcuWalkMs: 5, idcardPollMs: 50 });
  try {
    await startLoadedGate(w);
    const latencies: number[] = [];
    let readAt: bigint | null = null;
    // The read response is the only answer longer than a status frame: its last chunk marks the start.
    w.reader.onLastChunk = (answer) => {
      if (answer.length > 1000) readAt = process.hrtime.bigint();
    };
    for (let i = 0; i < samples + warmup; i++) {
      readAt = null;
      const authorised = waitForEvent(w.mcu.events, 'received', (m) => m.kind === 'authorise', 5000, `the AUTHORISE for card ${i}`).then(
        () => process.hrtime.bigint(),
      );
      w.reader.placeCard(encodeCardText(residentCard(i)));
      const at = await authorised;
      if (readAt === null) throw new Error(`card ${i}: authorised without a read response`);
      if (i >= warmup) latencies.push(Number(at - readAt) / 1e6);
      await w.mcu.walkThrough();
      // The card leaves the field: the reader must see it gone (two "no card" answers) before the next one.
      const finds = w.reader.received.length;
      w.reader.removeCard();
      await waitFor(() => w.reader.received.slice(finds).filter((c) => c === 'find').length >= 3, 5000, 'the reader to see the card gone');
    }
    const bare = await bareBaseline(samples);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    ctx.log(
      `card-to-authorise over ${latencies.length} passengers: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${Math.max(...latencies).toFixed(2)} ms; bare two pty hops p50 ${percentile(bare, 50).toFixed(2)} ms, p99 ${percentile(bare, 99).toFixed(2)} ms`,
    );
    ctx.record('e2e.card-to-authorise.p50', { value: p50, unit: 'ms', baseline: percentile(bare, 50) });
    ctx.record('e2e.card-to-authorise.p99', { value: p99, unit: 'ms', baseline: percentile(bare, 99), goal: 'under 3 ms' });
    // The floor under the path: the one durable commit it must hold (the decision with its authorisation, before the
    // AUTHORISE leaves), timed bare on the same disk in the same run: one small row, synchronous=FULL, WAL.
    const commit = bareFullCommits(join(w.dir, 'bare-commit.db'), samples);
    ctx.log(
      `bare synchronous=FULL commit of one row on the same disk: p50 ${percentile(commit, 50).toFixed(2)} ms, p99 ${percentile(commit, 99).toFixed(2)} ms`,
    );
    ctx.record('e2e.full-commit.p99', { value: percentile(commit, 99), unit: 'ms', baseline: percentile(bare, 99) });
  } finally {
    await w.close();
  }
}
