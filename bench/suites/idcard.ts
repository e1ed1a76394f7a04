// ID-card read frames decoded per second: the resynchronising framer (frames arriving in 64-byte serial chunks)
// plus decodeIdCard (frame check, status word, layout, every field, number check chars) on the four card layouts.
// Baseline in the same run: the least any decoder must do with the same frames, an XOR check and a UTF-16LE
// decode of the 256-byte text, with no framing, no field parsing and no validation.
import { opsPerSecond, type BenchContext } from '../harness.js';
import {
  IdCardFramer,
  buildReadResponse,
  decodeIdCard,
  encodeCardText,
  xorChecksum,
  type CardFields,
} from '../../src/readers/idcard/index.js';
import { HMT_PERMIT, PR_2017, PR_2023, RESIDENT } from '../../test/readers/idcard/fixtures.js';

// The four layouts' specimen cards of the reader tests (synthetic data, valid check chars).
const CARDS: CardFields[] = [RESIDENT, PR_2017, PR_2023, HMT_PERMIT];

const CHUNK = 64;

export default async function idcard(ctx: BenchContext): Promise<void> {
  const ms = ctx.quick ? 400 : 2000;
  const frames = CARDS.map((c) => buildReadResponse(encodeCardText(c)));
  const chunked = frames.map((f) => {
    const out: Uint8Array[] = [];
    for (let at = 0; at < f.length; at += CHUNK) out.push(f.subarray(at, at + CHUNK));
    return out;
  });
  const framer = new IdCardFramer();
  let i = 0;
  let sink = 0;

  const decodeOne = () => {
    const chunks = chunked[i++ & 3];
    for (const c of chunks) {
      for (const o of framer.push(c)) {
        if (o.kind !== 'frame') throw new Error('the bench stream has no garbage');
        const r = decodeIdCard(o.frame);
        if (!r.ok) throw new Error(r.error.toLine());
        sink += r.document.number.length;
      }
    }
  };
  const baselineOne = () => {
    const f = frames[i++ & 3];
    if (xorChecksum(f, 5, f.length - 1) !== f[f.length - 1]) throw new Error('checksum');
    sink += Buffer.from(f.buffer, f.byteOffset + 14, 256).toString('utf16le').length;
  };

  for (let w = 0; w < 2000; w++) {
    decodeOne();
    baselineOne();
  }
  const value = opsPerSecond(decodeOne, ms);
  const baseline = opsPerSecond(baselineOne, ms);
  ctx.record('idcard.frames-decoded-per-s', {
    value,
    unit: 'frames/s',
    baseline,
    goal: "far above a reader's ~2 reads/s; baseline = bare XOR check + UTF-16LE text, no framing or validation",
  });
  ctx.log(
    `framer (64-byte chunks) + decodeIdCard: ${Math.round(value)} frames/s; bare XOR + utf16le: ${Math.round(baseline)} frames/s (sink ${sink % 10})`,
  );
}
