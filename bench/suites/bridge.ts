// Decision -> authorise frame on the port: from the moment the decision function returns to the moment the serial
// write of the AUTHORISE frame completes, through the real lane loop, link and a socat pty (the simulated MCU on the
// other end). Baseline: a bare serialport write of the same bytes to the same pty.
import { SerialPort } from 'serialport';
import { percentile, usSince, type BenchContext } from '../harness.js';
import { openPtyPair } from '../../src/devices/pty-pair.js';
import { BridgeLink } from '../../src/bridge/link.js';
import { SerialTransport } from '../../src/devices/serial.js';
import { Framer } from '../../src/bridge/frame.js';
import { MESSAGES } from '../../src/bridge/messages.js';
import { LaneLoop } from '../../src/gate/lane-loop.js';
import type { Transport } from '../../src/devices/transport.js';
import type { Document } from '../../src/identity/document.js';
import { McuSim } from '../../firmware-bridge/sim/mcu.js';

const DOC: Document = {
  type: 'mrz',
  number: 'X1234567',
  nationality: 'GBR',
  sex: 'F',
  birthDate: '1990-01-01',
  validTo: '2030-01-01',
  warnings: [],
};

/** Reports when a written frame of the given type has left (write callback), without slowing the write. */
function watchWrites(inner: Transport, type: number, onWritten: (at: bigint) => void): Transport {
  const framer = new Framer();
  return {
    name: inner.name,
    events: inner.events,
    get state() {
      return inner.state;
    },
    open: () => inner.open(),
    close: () => inner.close(),
    async write(bytes) {
      await inner.write(bytes);
      const at = process.hrtime.bigint();
      if (framer.push(bytes).some((o) => o.kind === 'frame' && o.frame.type === type)) onWritten(at);
    },
  };
}

export default async function bridge(ctx: BenchContext): Promise<void> {
  const n = ctx.quick ? 100 : 1000;
  const pair = await openPtyPair('bench-bridge');
  const sim = await McuSim.open(pair.sim, { heartbeatMs: 100, walkMs: 0 });
  let decidedAt = 0n;
  let written: ((at: bigint) => void) | null = null;
  const transport = watchWrites(
    new SerialTransport({ name: 'mcu', path: pair.device, baudRate: 115200, reconnect: { initialMs: 50, maxMs: 500 } }),
    MESSAGES.authorise.type,
    (at) => written?.(at),
  );
  const link = new BridgeLink(transport, { heartbeatMs: 100, watchdogMs: 2000, ackTimeoutMs: 100, retries: 3, failMode: 'locked' });
  let passages = 0;
  const lane = new LaneLoop({
    station: 'TST',
    direction: 'entry',
    mode: 'normal',
    timing: { passageTimeoutMs: 5000, resultHoldMs: 0, guardMs: 1000 },
    decide: () => {
      const d = {
        decision: 'open',
        reason: 'ok',
        ticket: { id: `T-${passages}`, train: 'G1', car: '01', seat: '01A', departure: '' },
      } as const;
      decidedAt = process.hrtime.bigint();
      return d;
    },
    keyOf: () => 'k',
    store: {
      recordDecision: (e) => ({ ...e, eventId: '00000000-0000-7000-8000-000000000000', seq: 1, station: 'TST', gate: '01' }),
      recordPassage: (e) => ({
        event: { ...e, eventId: '00000000-0000-7000-8000-000000000001', seq: 2, station: 'TST', gate: '01' },
        consumed: true,
      }),
      recordAlarm: (e) => ({ ...e, eventId: '00000000-0000-7000-8000-000000000002', seq: 3, station: 'TST', gate: '01' }),
    },
    bridge: link,
    tickMs: 1,
  });
  lane.events.on('passage', () => passages++);
  lane.start();
  await link.start();
  await link.whenUp();
  await new Promise((r) => setTimeout(r, 50));

  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const wrote = new Promise<bigint>((resolve) => (written = resolve));
    lane.read(DOC);
    const at = await wrote;
    samples.push(Number(at - decidedAt) / 1000);
    while (!sim.auth) await new Promise((r) => setImmediate(r));
    await sim.walkThrough();
    const before = passages;
    // The next passenger arrives when the lane is idle and its last display update has been acknowledged.
    while (passages === before || lane.state.phase !== 'idle' || link.busy) await new Promise((r) => setTimeout(r, 1));
  }
  lane.stop();
  await link.stop();

  // Baseline: the same authorise bytes written straight through serialport to the same pty.
  const bytes = Buffer.from('7e0802201234010100002710471f', 'hex');
  const port = new SerialPort({ path: pair.device, baudRate: 115200, autoOpen: false });
  await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
  const base: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = process.hrtime.bigint();
    await new Promise<void>((res, rej) => port.write(bytes, (e) => (e ? rej(e) : res())));
    base.push(usSince(start));
    await new Promise((r) => setTimeout(r, 1));
  }
  await new Promise<void>((r) => port.close(() => r()));
  await sim.close();
  await pair.close();

  const ms = (us: number) => us / 1000;
  ctx.record('bridge.decision-to-authorise.p50', { value: ms(percentile(samples, 50)), unit: 'ms', baseline: ms(percentile(base, 50)) });
  ctx.record('bridge.decision-to-authorise.p99', {
    value: ms(percentile(samples, 99)),
    unit: 'ms',
    baseline: ms(percentile(base, 99)),
    goal: '< 2 ms',
  });
  ctx.log(`${n} passages through lane + link + pty; ${passages} confirmed by the simulated MCU`);
}
