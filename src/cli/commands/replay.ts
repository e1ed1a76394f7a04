// `gate replay FILE`: run a recorded device byte stream (devices.*.recordTo) through the decoders, the way the
// daemon would have seen it, and print what came out: documents, status words, discarded bytes.
import { parseOptions, type CliIO, type Command } from '../command.js';
import { readRecording, type RecordedChunk, type RecordingHeader } from '../../devices/recording.js';
import { IdCardFramer, decodeIdCard, parseCommand, parseResponse, statusOf, type CommandName } from '../../readers/idcard/index.js';
import { MrzLineAssembler, parseMrz } from '../../readers/mrz/index.js';
import { HidKeyboardDecoder } from '../../readers/hid/index.js';

/** One line of replay output. */
export type ReplayEvent =
  | { t: number; document: unknown }
  | { t: number; error: string }
  | { t: number; status: string; command?: CommandName }
  | { t: number; discard: string; bytes: number };

export interface ReplaySummary {
  chunks: number;
  documents: number;
  errors: number;
  discards: number;
}

/** Decode a recording; `now` dates MRZ century inference. */
export function replayChunks(
  header: RecordingHeader,
  chunks: RecordedChunk[],
  now: Date,
): { events: ReplayEvent[]; summary: ReplaySummary } {
  const events: ReplayEvent[] = [];
  switch (header.decoder) {
    case 'idcard':
      replayIdCard(chunks, events);
      break;
    case 'mrz-serial':
      replayMrz(chunks, events, now, (bytes) => bytes);
      break;
    case 'mrz-hid': {
      // Each recorded chunk is one input report; the typed characters go to the same line assembler.
      const keyboard = new HidKeyboardDecoder();
      replayMrz(chunks, events, now, (report) => Uint8Array.from(Buffer.from(keyboard.feed(report), 'latin1')));
      break;
    }
  }
  const summary: ReplaySummary = { chunks: chunks.length, documents: 0, errors: 0, discards: 0 };
  for (const e of events) {
    if ('document' in e) summary.documents++;
    else if ('error' in e) summary.errors++;
    else if ('discard' in e) summary.discards++;
  }
  return { events, summary };
}

function replayIdCard(chunks: RecordedChunk[], events: ReplayEvent[]): void {
  const fromDevice = new IdCardFramer();
  const fromHost = new IdCardFramer();
  let asked: CommandName | undefined;
  for (const chunk of chunks) {
    if (chunk.dir === 'out') {
      // What the host asked tells which answer to expect next (a recording made on the daemon has both sides).
      for (const o of fromHost.push(chunk.bytes)) {
        if (o.kind !== 'frame') continue;
        const c = parseCommand(o.frame);
        if (c.ok) asked = c.value;
      }
      continue;
    }
    for (const o of fromDevice.push(chunk.bytes)) {
      if (o.kind === 'discard') {
        events.push({ t: chunk.t, discard: o.reason, bytes: o.bytes.length });
        continue;
      }
      const sw3 = o.frame[9];
      const isRead = asked === 'read' || asked === 'readWithFingerprint' || (asked === undefined && o.frame.length > 256);
      if (isRead && (sw3 === 0x90 || asked === undefined)) {
        const r = decodeIdCard(o.frame);
        events.push(r.ok ? { t: chunk.t, document: r.document } : { t: chunk.t, error: r.error.toLine() });
      } else if (asked) {
        const r = parseResponse(asked, o.frame);
        events.push({ t: chunk.t, command: asked, status: r.ok ? statusOf(sw3) : r.error.code });
      } else {
        events.push({ t: chunk.t, status: statusOf(sw3) });
      }
      asked = undefined;
    }
  }
  for (const o of fromDevice.flush())
    if (o.kind === 'discard') events.push({ t: chunks.at(-1)?.t ?? 0, discard: o.reason, bytes: o.bytes.length });
}

function replayMrz(chunks: RecordedChunk[], events: ReplayEvent[], now: Date, toText: (chunk: Uint8Array) => Uint8Array): void {
  const assembler = new MrzLineAssembler();
  const emit = (t: number, outs: ReturnType<MrzLineAssembler['feed']>) => {
    for (const o of outs) {
      if (o.kind === 'discard') {
        events.push({ t, discard: o.reason, bytes: o.length });
        continue;
      }
      const r = parseMrz(o.text, now);
      events.push(r.ok ? { t, document: r.document } : { t, error: r.error.toLine() });
    }
  };
  for (const chunk of chunks) if (chunk.dir === 'in') emit(chunk.t, assembler.feed(toText(chunk.bytes), chunk.t));
  const end = (chunks.at(-1)?.t ?? 0) + 60_000;
  emit(end, assembler.tick(end));
}

export const replayCommand: Command = {
  name: 'replay',
  summary: 'run a recorded device byte stream through the decoders',
  help: `usage: gate replay FILE [--summary]

FILE is a recording made by a transport with recordTo set (devices.idcard.recordTo, devices.mrzSerial.recordTo,
devices.mrzHid.recordTo): JSON lines, a header naming the decoder (idcard, mrz-serial, mrz-hid), then one line
per chunk {"t": ms, "dir": "in"|"out", "hex": "..."}. Prints one JSON line per result:
  {"t":..,"document":{...}}            a decoded document
  {"t":..,"error":"reader/bad-checksum: ..."}   a frame or document that failed
  {"t":..,"status":"no-card","command":"find"}   a reader status word
  {"t":..,"discard":"garbage","bytes":7}        bytes the framer threw away
and a last line {"summary":{...}}. --summary prints the summary only.
A recording holds what the device sent (names, numbers): handle it as personal data.

exit 0: replayed; exit 1: the file is missing or is not a recording`,
  async run(args, io: CliIO) {
    const { values, positionals } = parseOptions(args, { summary: { type: 'boolean' } }, true);
    if (positionals.length !== 1) {
      io.stderr.write('gate replay: give one recording FILE\n');
      return 2;
    }
    let rec;
    try {
      rec = readRecording(positionals[0]);
    } catch (err) {
      io.stderr.write(`gate replay: cannot read ${positionals[0]}: ${(err as NodeJS.ErrnoException).code ?? String(err)}\n`);
      return 1;
    }
    if (!rec.ok) {
      io.stderr.write(`gate replay: ${positionals[0]}: ${rec.error}\n`);
      return 1;
    }
    const started = new Date(rec.header.startedAt);
    const result = replayChunks(rec.header, rec.chunks, Number.isNaN(started.getTime()) ? new Date() : started);
    if (!values.summary) for (const e of result.events) io.stdout.write(JSON.stringify(e) + '\n');
    io.stdout.write(JSON.stringify({ summary: { decoder: rec.header.decoder, ...result.summary } }) + '\n');
    return 0;
  },
};
