// The link's protocol rules with fake time and an in-memory transport standing in for the MCU.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TypedEvents } from '../../src/util/typed-events.js';
import type { Transport, TransportEvents, TransportState } from '../../src/devices/transport.js';
import { BridgeLink } from '../../src/bridge/link.js';
import { encodeFrame, Framer, type Frame } from '../../src/bridge/frame.js';
import { decodeMessage, toFrame, type Message } from '../../src/bridge/messages.js';
import { BridgeError } from '../../src/bridge/errors.js';

class MemoryTransport implements Transport {
  readonly name = 'memory';
  readonly events = new TypedEvents<TransportEvents>();
  state: TransportState = 'closed';
  readonly sent: { seq: number; msg: Message; hex: string }[] = [];
  private readonly framer = new Framer();
  async open() {
    this.state = 'open';
  }
  async close() {
    this.state = 'closed';
  }
  async write(bytes: Uint8Array) {
    for (const o of this.framer.push(bytes)) {
      if (o.kind !== 'frame') continue;
      const d = decodeMessage(o.frame.type, o.frame.payload);
      if (d.ok) this.sent.push({ seq: o.frame.seq, msg: d.msg, hex: Buffer.from(encodeFrame(o.frame)).toString('hex') });
    }
  }
  feed(msg: Message, seq: number) {
    this.events.emit('data', encodeFrame(toFrame(msg, seq)));
  }
  last(kind: Message['kind']) {
    return this.sent.filter((s) => s.msg.kind === kind).at(-1);
  }
}

const OPTS = { heartbeatMs: 100, watchdogMs: 500, ackTimeoutMs: 50, retries: 2, failMode: 'locked' as const };
const REPLY: Message = {
  kind: 'hello-reply',
  major: 1,
  minor: 0,
  bootId: 1,
  mode: 'locked',
  emergency: false,
  failsafe: true,
  power: 'mains',
  firmware: 'x',
};

let t: MemoryTransport;
let link: BridgeLink;
beforeEach(() => {
  vi.useFakeTimers();
  t = new MemoryTransport();
  link = new BridgeLink(t, OPTS);
});
afterEach(async () => {
  await link.stop();
  vi.useRealTimers();
});

async function up() {
  await link.start();
  await vi.advanceTimersByTimeAsync(0);
  const hello = t.last('hello')!;
  t.feed(REPLY, hello.seq);
  await vi.advanceTimersByTimeAsync(0);
  expect(link.state).toBe('up');
}

describe('BridgeLink', () => {
  it('opens with a HELLO carrying our timing and fail mode', async () => {
    await link.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(t.last('hello')?.msg).toEqual({
      kind: 'hello',
      major: 1,
      minor: 1,
      heartbeatMs: 100,
      watchdogMs: 500,
      ackTimeoutMs: 50,
      retries: 2,
      failMode: 'locked',
    });
  });

  it('retransmits the same bytes (same sequence number) and gives up with no-ack after `retries`', async () => {
    await up();
    const p = link.setMode('normal').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(200);
    const sends = t.sent.filter((s) => s.msg.kind === 'set-mode');
    expect(sends).toHaveLength(3);
    expect(new Set(sends.map((s) => s.hex)).size).toBe(1);
    const err = (await p) as BridgeError;
    expect(err.code).toBe('no-ack');
    expect(link.state).toBe('handshaking');
  });

  it('keeps one request outstanding at a time', async () => {
    await up();
    const a = link.setMode('normal');
    const b = link.display({ code: 'idle', reason: 'none', train: '', car: '', seat: '' });
    await vi.advanceTimersByTimeAsync(0);
    expect(t.last('display')).toBeUndefined();
    t.feed({ kind: 'ack' }, t.last('set-mode')!.seq);
    await a;
    await vi.advanceTimersByTimeAsync(0);
    t.feed({ kind: 'ack' }, t.last('display')!.seq);
    await b;
  });

  it('a NAK rejects with its reason and is not retransmitted', async () => {
    await up();
    const p = link.authorise({ authId: 1, direction: 'entry', count: 1, timeoutMs: 1000 }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(0);
    t.feed({ kind: 'nak', reason: 'emergency' }, t.last('authorise')!.seq);
    expect(await p).toMatchObject({ code: 'nak', nakReason: 'emergency' });
    await vi.advanceTimersByTimeAsync(200);
    expect(t.sent.filter((s) => s.msg.kind === 'authorise')).toHaveLength(1);
  });

  it('acknowledges a report after the handler, and a retransmitted report only once', async () => {
    await up();
    const handled: Message[] = [];
    link.onReport((r) => void handled.push(r));
    t.feed({ kind: 'intrusion', direction: 'entry' }, 3);
    t.feed({ kind: 'intrusion', direction: 'entry' }, 3);
    await vi.advanceTimersByTimeAsync(0);
    expect(handled).toHaveLength(1);
    expect(t.sent.filter((s) => s.msg.kind === 'ack' && s.seq === 3)).toHaveLength(2);
  });

  it('NAKs a frame it cannot decode', async () => {
    await up();
    t.events.emit('data', encodeFrame({ seq: 4, type: 0x99, payload: new Uint8Array([7]) } satisfies Frame));
    expect(t.last('nak')).toMatchObject({ seq: 4, msg: { reason: 'bad-payload' } });
  });

  it('sends a heartbeat every heartbeatMs and calls the MCU silent after watchdogMs', async () => {
    await up();
    const down = vi.fn();
    link.events.on('down', down);
    const before = t.sent.filter((s) => s.msg.kind === 'heartbeat').length;
    await vi.advanceTimersByTimeAsync(400);
    expect(t.sent.filter((s) => s.msg.kind === 'heartbeat').length - before).toBe(4);
    expect(down).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(200);
    expect(down.mock.calls[0][0]).toMatchObject({ code: 'mcu-silent' });
    expect(t.sent.filter((s) => s.msg.kind === 'hello').length).toBeGreaterThanOrEqual(2);
  });

  it('a status without a session (MCU rebooted) takes the link down and starts a new handshake', async () => {
    await up();
    const down = vi.fn();
    link.events.on('down', down);
    t.feed({ kind: 'status', mode: 'locked', session: false, emergency: false, failsafe: true, power: 'mains', remaining: 0 }, 0);
    expect(down.mock.calls[0][0]).toMatchObject({ code: 'mcu-reset' });
    await vi.advanceTimersByTimeAsync(0);
    expect(t.sent.filter((s) => s.msg.kind === 'hello')).toHaveLength(2);
  });

  it('leaves reports that arrive before the session unacknowledged (stale bytes from an old session)', async () => {
    const handled = vi.fn();
    link.onReport(handled);
    await link.start();
    t.feed({ kind: 'passage', authId: 9, direction: 'entry', remaining: 0 }, 7);
    await vi.advanceTimersByTimeAsync(0);
    expect(handled).not.toHaveBeenCalled();
    expect(t.last('ack')).toBeUndefined();
  });

  it('refuses requests while the link is down', async () => {
    await link.start();
    await expect(link.setMode('normal')).rejects.toMatchObject({ code: 'link-down' });
  });

  it('times its watchdog on the monotonic clock: a wall-clock step neither fires nor starves it', async () => {
    await up();
    const down = vi.fn();
    link.events.on('down', down);
    vi.setSystemTime(Date.now() + 3_600_000); // NTP steps the wall clock an hour ahead
    await vi.advanceTimersByTimeAsync(400);
    expect(down).not.toHaveBeenCalled();
    vi.setSystemTime(Date.now() - 7_200_000); // and two hours back: the MCU is still silent for watchdogMs
    await vi.advanceTimersByTimeAsync(100);
    expect(down.mock.calls[0][0]).toMatchObject({ code: 'mcu-silent' });
  });

  it('idle settles once every request has its answer and every report its ACK', async () => {
    await up();
    let settled = false;
    let finishHandler!: () => void;
    link.onReport(() => new Promise<void>((resolve) => (finishHandler = resolve)));
    const a = link.setMode('normal');
    const b = link.display({ code: 'idle', reason: 'none', train: '', car: '', seat: '' });
    void link.idle.then(() => (settled = true));
    t.feed({ kind: 'ack' }, t.last('set-mode')!.seq);
    await a;
    expect(settled).toBe(false); // the display still waits
    t.feed({ kind: 'passage', authId: 1, direction: 'entry', remaining: 0 }, 1);
    t.feed({ kind: 'ack' }, t.last('display')!.seq);
    await b;
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false); // the report's handler has not returned: its ACK is owed
    finishHandler();
    await link.idle;
    expect(t.last('ack')).toMatchObject({ seq: 1 });
  });

  it('idle is settled at once when nothing is owed', async () => {
    await up();
    await expect(Promise.race([link.idle.then(() => 'idle'), Promise.resolve().then(() => 'pending')])).resolves.toBe('idle');
  });

  it('a report whose handler returns after the session changed is not acknowledged into the new session', async () => {
    await up();
    let finishHandler!: () => void;
    const handled: string[] = [];
    link.onReport((r) => new Promise<void>((resolve) => (finishHandler = () => (handled.push(r.kind), resolve()))));
    t.feed({ kind: 'passage', authId: 1, direction: 'entry', remaining: 0 }, 1);
    await vi.advanceTimersByTimeAsync(0);
    // The MCU reboots while the lane stores the passage; a new session starts, its reports numbered from 1 again.
    t.feed({ kind: 'status', mode: 'locked', session: false, emergency: false, failsafe: true, power: 'mains', remaining: 0 }, 0);
    t.feed(REPLY, t.last('hello')!.seq);
    expect(link.state).toBe('up');
    finishHandler();
    await link.idle;
    expect(handled).toEqual(['passage']);
    expect(t.last('ack')).toBeUndefined();
    // The MCU sends the passage again in the new session (seq 1): it is handled, not mistaken for a duplicate.
    link.onReport((r) => void handled.push(r.kind));
    t.feed({ kind: 'passage', authId: 1, direction: 'entry', remaining: 0 }, 1);
    await link.idle;
    expect(handled).toEqual(['passage', 'passage']);
    expect(t.last('ack')).toMatchObject({ seq: 1 });
  });

  it('a request the wire cannot carry is a rejected promise (unencodable), never a throw, and the link carries on', async () => {
    await up();
    const p = link.display({ code: 'open', reason: 'ok', train: '车次G1234', car: '05', seat: '12F' });
    await expect(p).rejects.toMatchObject({ code: 'unencodable' });
    const ok = link.setMode('normal');
    t.feed({ kind: 'ack' }, t.last('set-mode')!.seq);
    await ok;
    expect(t.last('display')).toBeUndefined();
  });

  it('start twice listens once: each frame is handled once', async () => {
    await up();
    await link.start();
    const handled = vi.fn();
    link.onReport(handled);
    t.feed({ kind: 'intrusion', direction: 'entry' }, 2);
    await link.idle;
    expect(handled).toHaveBeenCalledTimes(1);
    expect(t.sent.filter((s) => s.msg.kind === 'ack' && s.seq === 2)).toHaveLength(1);
  });
});
