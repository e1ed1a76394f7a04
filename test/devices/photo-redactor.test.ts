// Device recordings never hold the ID card's photo: the photo window of every read answer is zeroed on the way to
// the file, the checksum is corrected, and a replay still finds the same documents.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { PhotoRedactor } from '../../src/devices/photo-redactor.js';
import { RecordingTransport, readRecording } from '../../src/devices/recording.js';
import { IdCardReaderSim } from '../../src/devices/sim/idcard-reader-sim.js';
import { IdCardReader } from '../../src/readers/idcard/reader.js';
import { IdCardFramer, buildReadResponse, checkFrame, encodeCardText } from '../../src/readers/idcard/index.js';
import { syntheticPhotoFor } from '../../src/face/sim.js';
import { FakeTransport } from '../support/fake-transport.js';
import { PR_2023, RESIDENT } from '../readers/idcard/fixtures.js';

const PHOTO = syntheticPhotoFor('redactor');
/** A 32-byte run from the middle of the photo: if it shows up anywhere, the photo leaked. */
const PROBE = Buffer.from(PHOTO.subarray(500, 532)).toString('hex');

function redactInChunks(bytes: Uint8Array, cuts: number[]): Uint8Array {
  const r = new PhotoRedactor();
  const points = [...new Set(cuts.map((c) => c % bytes.length))].sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    parts.push(r.push(bytes.subarray(from, p)));
    from = p;
  }
  return Buffer.concat(parts);
}

describe('PhotoRedactor', () => {
  it('zeroes exactly the photo of a read answer (30 01 and 30 10 layouts), keeps the frame valid and everything else as it was', () => {
    for (const fingerprint of [undefined, Uint8Array.from({ length: 512 }, (_, i) => i & 0xff)]) {
      const frame = buildReadResponse(encodeCardText(RESIDENT), { photo: PHOTO, fingerprint });
      const noise = Uint8Array.of(0x00, 0xaa, 0xaa, 0x13);
      const stream = Buffer.concat([noise, frame, frame]);
      const out = redactInChunks(stream, [3, 9, 14, 270, 700, 1300, 1500]);
      expect(out.length).toBe(stream.length);
      expect(Buffer.from(out).toString('hex')).not.toContain(PROBE);
      const framer = new IdCardFramer();
      const frames = framer.push(out).filter((f) => f.kind === 'frame');
      expect(frames).toHaveLength(2);
      for (const f of frames) {
        if (f.kind !== 'frame') continue;
        expect(checkFrame(f.frame).ok).toBe(true);
        const start = fingerprint ? 16 + 256 : 14 + 256;
        expect([...f.frame.subarray(start, start + 1024)].every((b) => b === 0)).toBe(true);
        // Everything but the photo and the checksum is untouched (text, fingerprint block, lengths).
        const diff = [...f.frame].flatMap((b, i) => (b !== frame[i] ? [i] : []));
        expect(diff.every((i) => (i >= start && i < start + 1024) || i === frame.length - 1)).toBe(true);
      }
    }
  });

  it('any chunking gives the same bytes out', () => {
    const frame = buildReadResponse(encodeCardText(PR_2023), { photo: PHOTO });
    const whole = redactInChunks(frame, []);
    fc.assert(
      fc.property(fc.array(fc.nat(frame.length), { maxLength: 20 }), (cuts) =>
        Buffer.from(redactInChunks(frame, cuts)).equals(Buffer.from(whole)),
      ),
      { numRuns: 200 },
    );
  });

  it('leaves frames that are not read answers alone (find, select, a failure status)', () => {
    const r = new PhotoRedactor();
    const find = Uint8Array.of(0xaa, 0xaa, 0xaa, 0x96, 0x69, 0x00, 0x08, 0x00, 0x00, 0x9f, 0x00, 0x00, 0x00, 0x00, 0x97);
    expect([...r.push(find)]).toEqual([...find]);
    expect(r.blanked).toBe(0);
  });
});

describe('an idcard recording', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gate-rec-photo-'));
  });
  afterEach(() => {
    vi.useRealTimers();
    rmSync(dir, { recursive: true, force: true });
  });

  it('of a real session holds no photo byte run, and its read answers still check out', async () => {
    vi.useFakeTimers();
    const file = join(dir, 'idcard.jsonl');
    const fake = new FakeTransport('idcard');
    const rec = new RecordingTransport(fake, file, 'idcard', () => Date.now());
    const sim = new IdCardReaderSim((b) => fake.deliver(b), { chunkSize: 97 });
    fake.connect((b) => sim.receive(b));
    await rec.open();
    const reader = new IdCardReader(rec, {
      session: { pollIntervalMs: 300, findTimeoutMs: 200, readTimeoutMs: 3000, resetAfterFailures: 3 },
    });
    const photos: Uint8Array[] = [];
    reader.events.on('card', (c) => c.photo && photos.push(Uint8Array.from(c.photo)));
    reader.start();
    sim.placeCard(RESIDENT, { photo: PHOTO });
    await vi.advanceTimersByTimeAsync(1500);
    await reader.stop();
    await rec.close();
    sim.stop();
    // The reader itself got the photo (for the face check) ...
    expect(photos).toHaveLength(1);
    expect(Buffer.from(photos[0]).equals(Buffer.from(PHOTO))).toBe(true);
    // ... the file did not.
    expect(readFileSync(file, 'utf8')).not.toContain(PROBE);
    const parsed = readRecording(file);
    if (!parsed.ok) throw new Error(parsed.error);
    const inBytes = Buffer.concat(parsed.chunks.filter((c) => c.dir === 'in').map((c) => c.bytes));
    const frames = new IdCardFramer().push(inBytes).filter((f) => f.kind === 'frame');
    expect(frames.some((f) => f.kind === 'frame' && f.frame.length === 1295 && checkFrame(f.frame).ok)).toBe(true);
  });
});
