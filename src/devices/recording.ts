// Record and replay a device's raw byte stream: how a technician ships a field problem back. A recording is JSON
// lines: one header naming the decoder that understands the bytes, then one line per chunk with the time since
// the start, the direction and the bytes in hex. The recording holds what the device sent (names, numbers): it is
// for a technician's eyes, off by default, and never sent anywhere by the daemon. The ID card's photo is the one
// thing it never holds: an idcard recording blanks the photo window of every read answer (photo-redactor.ts).
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { z } from 'zod';
import { TypedEvents } from '../util/typed-events.js';
import { DeviceError, type Transport, type TransportEvents, type TransportState } from './transport.js';
import { PhotoRedactor } from './photo-redactor.js';

export const DECODER_KINDS = ['idcard', 'mrz-serial', 'mrz-hid'] as const;
export type DecoderKind = (typeof DECODER_KINDS)[number];

const headerSchema = z.object({
  recording: z.literal('gate-bytes'),
  version: z.literal(1),
  decoder: z.enum(DECODER_KINDS),
  device: z.string(),
  startedAt: z.string(),
});
const chunkSchema = z.object({
  t: z.number().nonnegative(),
  dir: z.enum(['in', 'out']),
  hex: z.string().regex(/^([0-9a-f]{2})*$/),
});

export type RecordingHeader = z.infer<typeof headerSchema>;
export interface RecordedChunk {
  t: number;
  dir: 'in' | 'out';
  bytes: Uint8Array;
}

/** Wraps a transport and appends every chunk in and out to a file (synchronously: a crash keeps what came before). */
export class RecordingTransport implements Transport {
  readonly events: TypedEvents<TransportEvents>;
  private fd: number | undefined;
  private readonly start: number;
  /** For ID-card readers: zeroes the photo in read answers before they reach the file. */
  private readonly redactor: PhotoRedactor | null;

  constructor(
    private readonly inner: Transport,
    file: string,
    decoder: DecoderKind,
    private readonly clock: () => number = Date.now,
  ) {
    this.events = inner.events;
    this.redactor = decoder === 'idcard' ? new PhotoRedactor() : null;
    this.start = clock();
    this.fd = openSync(file, 'a');
    const header: RecordingHeader = {
      recording: 'gate-bytes',
      version: 1,
      decoder,
      device: inner.name,
      startedAt: new Date(this.start).toISOString(),
    };
    writeSync(this.fd, JSON.stringify(header) + '\n');
    inner.events.on('data', (bytes) => this.append('in', bytes));
  }

  get name(): string {
    return this.inner.name;
  }

  get state(): TransportState {
    return this.inner.state;
  }

  open(): Promise<void> {
    return this.inner.open();
  }

  async close(): Promise<void> {
    await this.inner.close();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  async write(bytes: Uint8Array): Promise<void> {
    await this.inner.write(bytes);
    this.append('out', bytes);
  }

  private append(dir: 'in' | 'out', bytes: Uint8Array): void {
    if (this.fd === undefined) return;
    const kept = dir === 'in' && this.redactor ? this.redactor.push(bytes) : bytes;
    const line = { t: this.clock() - this.start, dir, hex: Buffer.from(kept).toString('hex') };
    writeSync(this.fd, JSON.stringify(line) + '\n');
  }
}

export type ParsedRecording = { ok: true; header: RecordingHeader; chunks: RecordedChunk[] } | { ok: false; error: string };

/** Parse a recording file's text; the error names the first bad line. */
export function parseRecording(text: string): ParsedRecording {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return { ok: false, error: 'empty recording' };
  const header = headerSchema.safeParse(safeJson(lines[0]));
  if (!header.success)
    return { ok: false, error: 'line 1 is not a gate recording header ({"recording":"gate-bytes","version":1,"decoder":...})' };
  const chunks: RecordedChunk[] = [];
  for (let i = 1; i < lines.length; i++) {
    const c = chunkSchema.safeParse(safeJson(lines[i]));
    if (!c.success) return { ok: false, error: `line ${i + 1} is not a chunk {"t","dir","hex"}` };
    chunks.push({ t: c.data.t, dir: c.data.dir, bytes: Uint8Array.from(Buffer.from(c.data.hex, 'hex')) });
  }
  return { ok: true, header: header.data, chunks };
}

export function readRecording(file: string): ParsedRecording {
  return parseRecording(readFileSync(file, 'utf8'));
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/**
 * A transport that plays the device side of a recording: the recorded incoming chunks, with their original
 * spacing (speed 1), faster (speed > 1) or back to back (speed Infinity). Writes are accepted and ignored.
 */
export class ReplayTransport implements Transport {
  readonly events = new TypedEvents<TransportEvents>();
  private _state: TransportState = 'closed';
  private timer?: ReturnType<typeof setTimeout>;
  private resolveDone!: () => void;
  /** Resolves when the last chunk has been played (or the transport is closed). */
  readonly done: Promise<void> = new Promise((r) => (this.resolveDone = r));

  constructor(
    private readonly chunks: RecordedChunk[],
    readonly name = 'replay',
    private readonly speed = Infinity,
  ) {}

  get state(): TransportState {
    return this._state;
  }

  async open(): Promise<void> {
    if (this._state !== 'closed') throw new DeviceError('busy', `${this.name} is already open`);
    this._state = 'open';
    this.events.emit('state', 'open');
    this.play(0, 0);
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this._state = 'closed';
    this.events.emit('state', 'closed');
    this.resolveDone();
  }

  async write(): Promise<void> {
    if (this._state !== 'open') throw new DeviceError('write-failed', `${this.name} is not open`);
  }

  private play(index: number, lastT: number): void {
    const incoming = this.chunks;
    while (index < incoming.length && incoming[index].dir !== 'in') index++;
    if (index >= incoming.length || this._state !== 'open') {
      this.resolveDone();
      return;
    }
    const chunk = incoming[index];
    const wait = Number.isFinite(this.speed) ? Math.max(0, (chunk.t - lastT) / this.speed) : 0;
    this.timer = setTimeout(() => {
      this.events.emit('data', chunk.bytes);
      this.play(index + 1, chunk.t);
    }, wait);
  }
}
