// A simulated ID-card reader (SAM module) for the demo and the integration tests. It parses what the host writes
// with the real codec and answers like hardware: card present or not, slow answers, answers cut into chunks,
// line noise before a frame, failed reads, a SAM stuck on an error status, silence. Scripted through
// placeCard / removeCard / setBehaviour. Runs on the sim end of a pty pair, or on any byte sink.
import { SerialPortStream } from '@serialport/stream';
import { autoDetect } from '@serialport/bindings-cpp';
import type { SerialBinding } from '../serial.js';
import {
  IdCardFramer,
  buildReadResponse,
  buildResponse,
  encodeCardText,
  parseCommand,
  serializeResponse,
  type CardFields,
  type CommandName,
} from '../../readers/idcard/index.js';

export interface SimBehaviour {
  /** Delay before each answer (ms). */
  delayMs: number;
  /** Cut answers into chunks of this many bytes (0: one write). */
  chunkSize: number;
  /** Pause between chunks (ms). */
  chunkGapMs: number;
  /** Noise written before every answer. */
  noise: Uint8Array | null;
  /** The next N reads fail with SW3 41. */
  failReads: number;
  /** Answer nothing at all (a reader that hangs, or the wrong port). */
  silent: boolean;
  /** What find answers for a card that was read and left on the reader: most readers report it found again. */
  findAfterRead: 'found' | 'no-card';
  /** Corrupt the checksum of the next N answers. */
  corruptNext: number;
  /** Answer every command with this SW3 (e.g. 0x60, SAM self-test failed) until a SAM reset. */
  stuckStatus: number | null;
  /** Answer reads with the fingerprint variant (30 10 layout) when asked with 30 10. */
  fingerprint: Uint8Array | null;
}

const DEFAULTS: SimBehaviour = {
  delayMs: 5,
  chunkSize: 0,
  chunkGapMs: 0,
  noise: null,
  failReads: 0,
  silent: false,
  findAfterRead: 'found',
  corruptNext: 0,
  stuckStatus: null,
  fingerprint: null,
};

export class IdCardReaderSim {
  private behaviour: SimBehaviour;
  private readonly framer = new IdCardFramer();
  private card: Uint8Array | null = null;
  private photo: Uint8Array | undefined;
  private selected = false;
  private readDone = false;
  private queue: Promise<void> = Promise.resolve();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  /** Every command the host sent, in order. */
  readonly received: CommandName[] = [];
  /** Successful reads served. */
  reads = 0;
  /** Called just before the last chunk of each answer is written (the bench's start mark for card-to-authorise). */
  onLastChunk?: (answer: Uint8Array) => void;

  constructor(
    private readonly write: (bytes: Uint8Array) => void | Promise<void>,
    behaviour: Partial<SimBehaviour> = {},
  ) {
    this.behaviour = { ...DEFAULTS, ...behaviour };
  }

  /** `photo`: the chip's photo block this card gives (default: the synthetic one); the face matcher sees it. */
  placeCard(card: CardFields | Uint8Array, opts: { photo?: Uint8Array } = {}): void {
    this.card = card instanceof Uint8Array ? Uint8Array.from(card) : encodeCardText(card);
    this.photo = opts.photo;
    this.selected = false;
    this.readDone = false;
  }

  removeCard(): void {
    this.card = null;
    this.selected = false;
    this.readDone = false;
  }

  setBehaviour(partial: Partial<SimBehaviour>): void {
    this.behaviour = { ...this.behaviour, ...partial };
  }

  /** Bytes from the host. */
  receive(chunk: Uint8Array): void {
    for (const out of this.framer.push(chunk)) {
      if (out.kind !== 'frame') continue;
      const cmd = parseCommand(out.frame);
      // A real SAM answers a corrupt command with 10 (checksum) / 21 (unknown command).
      if (!cmd.ok) {
        this.answer(buildResponse(cmd.error.code === 'bad-checksum' ? 0x10 : 0x21));
        continue;
      }
      this.received.push(cmd.value);
      const reply = this.reply(cmd.value);
      if (reply) this.answer(reply);
    }
  }

  /** Stop pending answers (the test or demo is over). */
  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private reply(command: CommandName): Uint8Array | null {
    const b = this.behaviour;
    if (b.silent) return null;
    if (command === 'resetSam') {
      this.behaviour.stuckStatus = null;
      this.selected = false;
      return serializeResponse({ command: 'resetSam' });
    }
    if (b.stuckStatus !== null) return buildResponse(b.stuckStatus);
    switch (command) {
      case 'samStatus':
        return serializeResponse({ command: 'samStatus' });
      case 'samId':
        return serializeResponse({ command: 'samId', samId: '05.01-20230101-000000001-000000042' });
      case 'find':
        if (!this.card || (this.readDone && b.findAfterRead === 'no-card')) return buildResponse(0x80);
        return serializeResponse({ command: 'find', iin: new Uint8Array(4) });
      case 'select':
        if (!this.card) return buildResponse(0x81);
        this.selected = true;
        return serializeResponse({ command: 'select', sn: new Uint8Array(8) });
      case 'read':
      case 'readWithFingerprint':
        if (!this.card || !this.selected) return buildResponse(0x41);
        if (b.failReads > 0) {
          b.failReads--;
          return buildResponse(0x41);
        }
        this.reads++;
        this.readDone = true;
        this.selected = false;
        return command === 'read'
          ? buildReadResponse(this.card, { photo: this.photo })
          : buildReadResponse(this.card, { photo: this.photo, fingerprint: b.fingerprint ?? new Uint8Array(0) });
      case 'newAddress':
        return buildResponse(this.card ? 0x91 : 0x41);
    }
  }

  private answer(frame: Uint8Array): void {
    const b = { ...this.behaviour };
    let bytes = frame;
    if (this.behaviour.corruptNext > 0) {
      this.behaviour.corruptNext--;
      bytes = frame.slice();
      bytes[bytes.length - 1] ^= 0x5a;
    }
    if (b.noise) bytes = Uint8Array.from([...b.noise, ...bytes]);
    const chunks: Uint8Array[] = [];
    const size = b.chunkSize > 0 ? b.chunkSize : bytes.length;
    for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
    this.queue = this.queue
      .then(async () => {
        await this.delay(b.delayMs);
        for (let i = 0; i < chunks.length; i++) {
          if (i > 0 && b.chunkGapMs > 0) await this.delay(b.chunkGapMs);
          if (i === chunks.length - 1) this.onLastChunk?.(frame);
          await this.write(chunks[i]);
        }
      })
      .catch(() => undefined);
  }

  private delay(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }
}

/**
 * Run a simulated reader on a serial device (the sim end of a pty pair). `binding`: the one the pair's ends are
 * opened with (the native one for ptys, linkedBinding for a pair joined in-process).
 */
export async function startIdCardReaderSim(
  path: string,
  behaviour: Partial<SimBehaviour> = {},
  binding: SerialBinding = autoDetect(),
): Promise<{ sim: IdCardReaderSim; close: () => Promise<void> }> {
  const port = new SerialPortStream({ binding, path, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  const sim = new IdCardReaderSim(
    (bytes) =>
      new Promise<void>((resolve) => {
        port.write(Buffer.from(bytes), () => port.drain(() => resolve()));
      }),
    behaviour,
  );
  port.on('data', (d: Buffer) => sim.receive(new Uint8Array(d)));
  return {
    sim,
    async close() {
      sim.stop();
      if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    },
  };
}
