// Record a real session's bytes, then replay the file through the decoders (transport -> file -> gate replay).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { RecordingTransport, ReplayTransport, parseRecording, readRecording } from '../../src/devices/recording.js';
import { IdCardReaderSim } from '../../src/devices/sim/idcard-reader-sim.js';
import { IdCardReader } from '../../src/readers/idcard/reader.js';
import { IdCardFramer, buildReadResponse, encodeCardText, toHex } from '../../src/readers/idcard/index.js';
import { main } from '../../src/cli/main.js';
import { FakeTransport } from '../support/fake-transport.js';
import { PR_2023, RESIDENT } from '../readers/idcard/fixtures.js';
import { parseJson } from '../support/json.js';
import { z } from 'zod';

/** One line of `gate replay`: a document read, a discarded frame, a reader status, or the closing summary. */
const replayLineSchema = z.looseObject({
  document: z.looseObject({ number: z.string() }).optional(),
  status: z.string().optional(),
  command: z.string().optional(),
  discard: z.string().optional(),
  summary: z.record(z.string(), z.unknown()).optional(),
});

async function gate(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = new PassThrough().on('data', (d) => out.push(String(d)));
  const stderr = new PassThrough().on('data', (d) => err.push(String(d)));
  const code = await main(args, { stdout, stderr, stdin: new PassThrough() });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('record and replay', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gate-rec-'));
  });
  afterEach(() => {
    vi.useRealTimers();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records a reader session (time, direction, bytes) and gate replay finds the same documents', async () => {
    vi.useFakeTimers();
    const file = join(dir, 'idcard.jsonl');
    const fake = new FakeTransport('idcard');
    const rec = new RecordingTransport(fake, file, 'idcard', () => Date.now());
    const sim = new IdCardReaderSim((b) => fake.deliver(b), { delayMs: 10, chunkSize: 100, noise: Uint8Array.of(0x00, 0x13) });
    fake.connect((b) => sim.receive(b));
    await rec.open();
    const reader = new IdCardReader(rec, {
      session: { pollIntervalMs: 300, findTimeoutMs: 200, readTimeoutMs: 3000, resetAfterFailures: 3 },
    });
    const docs: string[] = [];
    reader.events.on('document', (d) => docs.push(d.number));
    reader.start();
    await vi.advanceTimersByTimeAsync(700);
    sim.placeCard(PR_2023);
    await vi.advanceTimersByTimeAsync(1000);
    sim.removeCard();
    await vi.advanceTimersByTimeAsync(1000);
    await reader.stop();
    await rec.close();
    sim.stop();
    vi.useRealTimers();
    expect(docs).toEqual(['932682198501010017']);

    const parsed = readRecording(file);
    if (!parsed.ok) throw new Error(parsed.error);
    expect(parsed.header).toMatchObject({ recording: 'gate-bytes', decoder: 'idcard', device: 'idcard' });
    expect(parsed.chunks.some((c) => c.dir === 'out')).toBe(true);
    expect(parsed.chunks.every((c, i, a) => i === 0 || c.t >= a[i - 1].t)).toBe(true);

    const r = await gate(['replay', file]);
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => parseJson(replayLineSchema, l));
    expect(lines.flatMap((l) => (l.document ? [l.document.number] : []))).toEqual(['932682198501010017']);
    expect(lines.some((l) => l.status === 'no-card' && l.command === 'find')).toBe(true);
    expect(lines.some((l) => l.discard === 'garbage')).toBe(true);
    expect(lines.at(-1)?.summary).toMatchObject({ decoder: 'idcard', documents: 1, errors: 0 });
  });

  it('replays a device-only recording (no host side) and reports a corrupt frame', async () => {
    const good = buildReadResponse(encodeCardText(RESIDENT));
    const bad = good.slice();
    bad[200] ^= 1;
    const lines = [
      { recording: 'gate-bytes', version: 1, decoder: 'idcard', device: 'field', startedAt: '2025-01-01T00:00:00.000Z' },
      { t: 0, dir: 'in', hex: toHex(bad).toLowerCase() },
      { t: 500, dir: 'in', hex: toHex(good.subarray(0, 700)).toLowerCase() },
      { t: 520, dir: 'in', hex: toHex(good.subarray(700)).toLowerCase() },
    ];
    const file = join(dir, 'field.jsonl');
    writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const r = await gate(['replay', file]);
    expect(r.code).toBe(0);
    const out = r.stdout
      .trim()
      .split('\n')
      .map((l) => parseJson(replayLineSchema, l));
    expect(out[0]).toMatchObject({ t: 0, discard: 'bad-checksum' });
    expect(out[1]).toMatchObject({ t: 520, document: { number: '11010519491231002X' } });
  });

  it('ReplayTransport plays the incoming chunks in order', async () => {
    const frame = buildReadResponse(encodeCardText(RESIDENT));
    const t = new ReplayTransport([
      { t: 0, dir: 'out', bytes: Uint8Array.of(1) },
      { t: 5, dir: 'in', bytes: frame.subarray(0, 10) },
      { t: 9, dir: 'in', bytes: frame.subarray(10) },
    ]);
    const framer = new IdCardFramer();
    const frames: Uint8Array[] = [];
    t.events.on('data', (b) => framer.push(b).forEach((o) => o.kind === 'frame' && frames.push(o.frame)));
    await t.open();
    await t.done;
    expect(frames.map(toHex)).toEqual([toHex(frame)]);
  });

  it('refuses a file that is not a recording, with the line number', async () => {
    expect(parseRecording('')).toMatchObject({ ok: false });
    expect(parseRecording('{"x":1}\n')).toMatchObject({ ok: false });
    const file = join(dir, 'bad.jsonl');
    writeFileSync(
      file,
      JSON.stringify({ recording: 'gate-bytes', version: 1, decoder: 'idcard', device: 'x', startedAt: 'now' }) +
        '\n{"t":1,"dir":"in","hex":"zz"}\n',
    );
    const r = await gate(['replay', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('line 2');
    expect((await gate(['replay', join(dir, 'missing.jsonl')])).code).toBe(1);
    expect(readFileSync(file, 'utf8')).toContain('gate-bytes');
  });
});

describe('gate replay of MRZ scanner recordings', () => {
  const LINES = ['P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<', 'L898902C36UTO7408122F1204159ZE184226B<<<<<10'];
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gate-rec-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (decoder: string, chunks: { t: number; bytes: Uint8Array | number[] }[]) => {
    const file = join(dir, `${decoder}.jsonl`);
    const head = { recording: 'gate-bytes', version: 1, decoder, device: decoder, startedAt: '2024-06-01T08:00:00.000Z' };
    const body = chunks.map((c) => JSON.stringify({ t: c.t, dir: 'in', hex: Buffer.from(Uint8Array.from(c.bytes)).toString('hex') }));
    writeFileSync(file, [JSON.stringify(head), ...body].join('\n') + '\n');
    return file;
  };

  it('mrz-serial: lines split across chunks become one document', async () => {
    const text = Buffer.from(LINES.join('\r') + '\r', 'latin1');
    const file = write('mrz-serial', [
      { t: 0, bytes: text.subarray(0, 30) },
      { t: 20, bytes: text.subarray(30) },
    ]);
    const r = await gate(['replay', file]);
    expect(r.code).toBe(0);
    const out = r.stdout
      .trim()
      .split('\n')
      .map((l) => parseJson(replayLineSchema, l));
    expect(out.find((l) => l.document)?.document).toMatchObject({ type: 'mrz', format: 'TD3', number: 'L898902C3' });
  });

  it('mrz-hid: one boot-keyboard report per chunk, typed on a US layout', async () => {
    const { encodeKeystrokes } = await import('../../src/readers/hid/index.js');
    const reports = encodeKeystrokes(LINES.join('\r') + '\r');
    const file = write(
      'mrz-hid',
      reports.map((bytes, i) => ({ t: i, bytes })),
    );
    const r = await gate(['replay', file, '--summary']);
    expect(r.code).toBe(0);
    expect(parseJson(replayLineSchema, r.stdout).summary).toMatchObject({ decoder: 'mrz-hid', documents: 1, errors: 0 });
  });
});
