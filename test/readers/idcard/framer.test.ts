import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  IdCardFramer,
  buildReadResponse,
  decodeIdCard,
  encodeCardText,
  parseResponse,
  toHex,
  xorChecksum,
  type FramerOutput,
} from '../../../src/readers/idcard/index.js';
import { FRAMES, PR_2023, RESIDENT, h } from './fixtures.js';

const frames = (out: FramerOutput[]) => out.filter((o) => o.kind === 'frame').map((o) => toHex((o as { frame: Uint8Array }).frame));
const discards = (out: FramerOutput[]) => out.filter((o) => o.kind === 'discard').map((o) => (o as { reason: string }).reason);
const READ = buildReadResponse(encodeCardText(RESIDENT));

function feed(framer: IdCardFramer, bytes: Uint8Array, sizes: number[]): FramerOutput[] {
  const out: FramerOutput[] = [];
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length]);
    out.push(...framer.push(bytes.subarray(at, at + n)));
    at += n;
  }
  return out;
}

describe('IdCardFramer', () => {
  it('assembles a read answer split across many chunks, even one byte at a time', () => {
    for (const sizes of [[1], [7, 100, 3], [64], [1294, 1]]) {
      const out = feed(new IdCardFramer(), READ, sizes);
      expect(frames(out)).toEqual([toHex(READ)]);
      expect(discards(out)).toEqual([]);
    }
  });

  it('splits two frames glued in one chunk', () => {
    const out = new IdCardFramer().push(Uint8Array.from([...FRAMES.findOk, ...FRAMES.selectOk]));
    expect(frames(out)).toEqual([toHex(FRAMES.findOk), toHex(FRAMES.selectOk)]);
  });

  it('discards garbage before a preamble, including bytes that look like half a preamble', () => {
    const framer = new IdCardFramer();
    const out = [
      ...framer.push(h('00 FF AA AA 13 AA AA')),
      ...framer.push(Uint8Array.from([0xaa, 0x96, 0x69, ...FRAMES.findNoCard.subarray(5)])),
    ];
    expect(frames(out)).toEqual([toHex(FRAMES.findNoCard)]);
    expect(out[0]).toEqual({ kind: 'discard', reason: 'garbage', bytes: h('00 FF AA AA 13') });
  });

  it('reports a bad checksum and recovers on the next frame', () => {
    const bad = FRAMES.selectOk.slice();
    bad[bad.length - 1] ^= 0xff;
    const out = new IdCardFramer().push(Uint8Array.from([...bad, ...FRAMES.findOk]));
    expect(discards(out)).toEqual(['bad-checksum']);
    expect(frames(out)).toEqual([toHex(FRAMES.findOk)]);
  });

  it('reports a length beyond the guard without waiting for it, and finds the frame behind it', () => {
    const out = new IdCardFramer({ maxLen: 2000 }).push(
      Uint8Array.from([0xaa, 0xaa, 0xaa, 0x96, 0x69, 0xff, 0xff, 0x01, ...FRAMES.findOk]),
    );
    expect(discards(out)).toEqual(['bad-length', 'garbage']);
    expect(frames(out)).toEqual([toHex(FRAMES.findOk)]);
    const tooShort = new IdCardFramer().push(Uint8Array.from([...h('AAAAAA96690001'), ...FRAMES.findOk]));
    expect(discards(tooShort)[0]).toBe('bad-length');
    expect(frames(tooShort)).toEqual([toHex(FRAMES.findOk)]);
  });

  it('reports a frame cut short by the next one as truncated', () => {
    const out = new IdCardFramer().push(Uint8Array.from([...READ.subarray(0, 500), ...FRAMES.findNoCard]));
    expect(discards(out)).toEqual(['truncated']);
    expect(frames(out)).toEqual([toHex(FRAMES.findNoCard)]);
  });

  it('flush gives back a partial frame as truncated and noise as garbage', () => {
    const framer = new IdCardFramer();
    framer.push(READ.subarray(0, 300));
    expect(framer.pending).toBe(300);
    expect(discards(framer.flush())).toEqual(['truncated']);
    expect(framer.pending).toBe(0);
    framer.push(h('AA AA'));
    expect(framer.flush()).toEqual([{ kind: 'discard', reason: 'truncated', bytes: h('AA AA') }]);
  });
});

describe('properties', () => {
  const anyChunks = fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 });

  it('random bytes never crash the framer and every byte is accounted for', () => {
    fc.assert(
      fc.property(anyChunks, (chunks) => {
        const framer = new IdCardFramer();
        let seen = 0;
        for (const c of chunks) for (const o of framer.push(c)) seen += o.kind === 'frame' ? o.frame.length : o.bytes.length;
        for (const o of framer.flush()) seen += o.kind === 'frame' ? o.frame.length : o.bytes.length;
        expect(seen).toBe(chunks.reduce((n, c) => n + c.length, 0));
      }),
    );
  });

  it('a frame between random noise is found whatever the chunking', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 50 }),
        fc.uint8Array({ maxLength: 50 }),
        fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 8 }),
        (before, after, sizes) => {
          const stream = Uint8Array.from([...before, ...READ, ...after]);
          const out = feed(new IdCardFramer(), stream, sizes);
          expect(frames(out)).toContain(toHex(READ));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('mutated read frames never crash and never yield a Document when the checksum is wrong', () => {
    const valid = buildReadResponse(encodeCardText(PR_2023));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.nat(valid.length),
        (flips, cut) => {
          const m = valid.slice();
          for (const [i, x] of flips) m[i] ^= x;
          const checksumOk = xorChecksum(m, 5, m.length - 1) === m[m.length - 1];
          const r = decodeIdCard(m);
          if (!checksumOk) expect(r.ok).toBe(false);
          const framed = new IdCardFramer().push(m).filter((o) => o.kind === 'frame');
          for (const f of framed) {
            const fr = (f as { frame: Uint8Array }).frame;
            expect(xorChecksum(fr, 5, fr.length - 1)).toBe(fr[fr.length - 1]);
          }
          expect(() => decodeIdCard(m.subarray(0, cut))).not.toThrow();
          expect(() => parseResponse('read', m)).not.toThrow();
        },
      ),
      { numRuns: 500 },
    );
  });

  it('random frames with a correct checksum never crash the codec', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1400 }), (body) => {
        const len = body.length + 1;
        const f = Uint8Array.from([0xaa, 0xaa, 0xaa, 0x96, 0x69, len >> 8, len & 0xff, ...body, 0]);
        f[f.length - 1] = xorChecksum(f, 5, f.length - 1);
        expect(() => decodeIdCard(f)).not.toThrow();
        for (const c of ['find', 'select', 'read', 'readWithFingerprint', 'newAddress', 'samId', 'samStatus'] as const)
          expect(() => parseResponse(c, f)).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });
});
