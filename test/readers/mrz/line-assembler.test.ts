import { describe, expect, it } from 'vitest';
import {
  MrzLineAssembler,
  frameMrz,
  parseMrz,
  type AssemblerOutput,
  type MrzFraming,
  type MrzLineEnding,
} from '../../../src/readers/mrz/index.js';
import { V } from './vectors.js';

const TD3 = [...V.V1];
const TD2 = [...V.V8];
const TD1 = [...V.V4];
const bytes = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));
const blocks = (out: AssemblerOutput[]) => out.filter((o) => o.kind === 'mrz').map((o) => (o.kind === 'mrz' ? o.lines : []));
const discards = (out: AssemblerOutput[]) => out.filter((o) => o.kind === 'discard').map((o) => (o.kind === 'discard' ? o.reason : ''));

/** Feed in chunks of `size` bytes, 1 ms apart, then let the inter-line timeout pass. */
function run(stream: Uint8Array, size = stream.length, a = new MrzLineAssembler({ interLineTimeoutMs: 300 })): AssemblerOutput[] {
  const out: AssemblerOutput[] = [];
  let t = 0;
  for (let i = 0; i < stream.length; i += size) out.push(...a.feed(stream.subarray(i, i + size), t++));
  out.push(...a.tick(t + 1000));
  return out;
}

describe('framings', () => {
  const cases: Array<[MrzFraming, MrzLineEnding]> = [
    ['plain', 'CR'],
    ['plain', 'LF'],
    ['plain', 'CRLF'],
    ['stx-etx', 'CR'],
    ['stx-etx', 'CRLF'],
    ['3m', 'CR'],
    ['access-is', 'CR'],
    ['regula', 'CRLF'],
    ['separator-only', 'CR'],
  ];
  for (const [framing, lineEnding] of cases) {
    for (const [name, lines] of [
      ['TD1', TD1],
      ['TD2', TD2],
      ['TD3', TD3],
    ] as const) {
      it(`${framing} ${lineEnding} ${name}: whole, and split at every chunk size`, () => {
        const stream = frameMrz(lines, { framing, lineEnding });
        for (const size of [stream.length, 1, 2, 7, 31]) {
          const out = run(stream, size);
          expect(blocks(out)).toEqual([lines]);
          expect(discards(out)).toEqual([]);
        }
      });
    }
  }

  it('the blocks it emits parse into Documents', () => {
    const out = run(frameMrz(TD3, { framing: '3m' }));
    const block = out.find((o) => o.kind === 'mrz');
    expect(block?.kind === 'mrz' && parseMrz(block.text, new Date('2026-01-01')).ok).toBe(true);
  });

  it('a 3M header that is not "OU" STX is a bad frame, and the next document still reads', () => {
    const bad = bytes('\x01\x10\x00XY\x02');
    const out = run(new Uint8Array([...bad, ...frameMrz(TD3, { framing: '3m' })]));
    expect(blocks(out)).toEqual([TD3]);
    expect(discards(out)).toContain('bad-frame');
  });

  it('a 3M BCC byte that happens to be a letter or CR is not read as text', () => {
    const framed = frameMrz(TD1, { framing: '3m' });
    for (const bcc of [0x41, 0x0d, 0x02]) {
      framed[framed.length - 1] = bcc;
      const out = run(new Uint8Array([...framed, ...frameMrz(TD3, { framing: 'plain' })]));
      expect(blocks(out)).toEqual([TD1, TD3]);
    }
  });
});

describe('noise and damaged input', () => {
  it('binary garbage and status text between documents are discarded as noise', () => {
    const stream = new Uint8Array([
      0x00,
      0xff,
      0x80,
      ...bytes('READY\r\n'),
      ...frameMrz(TD3, { lineEnding: 'CRLF' }),
      0xfe,
      0x00,
      ...bytes('ok\r'),
      ...frameMrz(TD1, { framing: 'stx-etx' }),
    ]);
    const out = run(stream, 5);
    expect(blocks(out)).toEqual([TD3, TD1]);
    // "READY" is made of MRZ characters, so it reads as a line of the wrong length; the rest is noise.
    expect(new Set(discards(out))).toEqual(new Set(['noise', 'bad-length']));
  });

  it('a truncated line drops its block and does not pair with the next document', () => {
    const stream = bytes(`${TD3[0]}\r${TD3[1].slice(0, 40)}\r${TD2[0]}\r${TD2[1]}\r`);
    const out = run(stream);
    expect(blocks(out)).toEqual([TD2]);
    expect(discards(out)).toEqual(['incomplete', 'bad-length']);
  });

  it('a lone second line (first line lost) is dropped', () => {
    const out = run(bytes(`${TD3[1]}\r${TD3[0]}\r${TD3[1]}\r`));
    expect(blocks(out)).toEqual([TD3]);
    expect(discards(out)).toEqual(['incomplete']);
  });

  it('an STX in the middle of a block starts over', () => {
    const out = run(bytes(`\x02${TD1[0]}\r${TD1[1]}\r\x02${TD1[0]}\r${TD1[1]}\r${TD1[2]}\r\x03`));
    expect(blocks(out)).toEqual([TD1]);
    expect(discards(out)).toEqual(['incomplete']);
  });

  it('a line of another width breaks the block', () => {
    const out = run(bytes(`${TD1[0]}\r${TD3[0]}\r${TD3[1]}\r`));
    expect(blocks(out)).toEqual([TD3]);
    expect(discards(out)).toEqual(['incomplete']);
  });

  it('an endless run without line ends is cut and discarded, memory stays bounded', () => {
    const a = new MrzLineAssembler();
    const out = a.feed(bytes('A'.repeat(10_000)), 0);
    expect(discards(out).length).toBeGreaterThan(50);
    expect(a.feed(bytes(`\r${TD3.join('\r')}\r`), 1).filter((o) => o.kind === 'mrz')).toHaveLength(1);
  });

  it('never throws on random bytes', () => {
    const a = new MrzLineAssembler();
    let seed = 7;
    for (let i = 0; i < 2000; i++) {
      const chunk = new Uint8Array(1 + (i % 40));
      for (let j = 0; j < chunk.length; j++) chunk[j] = (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
      expect(() => a.feed(chunk, i * 50)).not.toThrow();
    }
  });
});

describe('inter-line timeout (time is an input)', () => {
  it('lines of one document arriving within the timeout make one block', () => {
    const a = new MrzLineAssembler({ interLineTimeoutMs: 300 });
    expect(a.feed(bytes(`${TD3[0]}\r`), 0)).toEqual([]);
    expect(a.deadline()).toBe(300);
    expect(a.tick(299)).toEqual([]);
    expect(blocks(a.feed(bytes(`${TD3[1]}\r`), 299))).toEqual([TD3]);
    expect(a.deadline()).toBeNull();
  });

  it('a second line after the timeout does not join the first', () => {
    const a = new MrzLineAssembler({ interLineTimeoutMs: 300 });
    a.feed(bytes(`${TD3[0]}\r`), 0);
    expect(discards(a.tick(300))).toEqual(['timeout']);
    const out = a.feed(bytes(`${TD3[1]}\r`), 301);
    expect(blocks(out)).toEqual([]);
    expect(discards(out)).toEqual(['incomplete']);
  });

  it('the timeout is also applied when the late bytes arrive before any tick', () => {
    const a = new MrzLineAssembler({ interLineTimeoutMs: 300 });
    a.feed(bytes(`${TD2[0]}\r`), 0);
    const out = a.feed(bytes(`${TD3[0]}\r${TD3[1]}\r`), 1000);
    expect(discards(out)).toEqual(['timeout']);
    expect(blocks(out)).toEqual([TD3]);
  });

  it('a line split across chunks with a pause under the timeout still reads', () => {
    const a = new MrzLineAssembler({ interLineTimeoutMs: 300 });
    a.feed(bytes(`${TD3[0]}\r${TD3[1].slice(0, 20)}`), 0);
    expect(blocks(a.feed(bytes(`${TD3[1].slice(20)}\r`), 250))).toEqual([TD3]);
  });

  it('a scanner with no terminator after the last line completes on the timeout', () => {
    const a = new MrzLineAssembler({ interLineTimeoutMs: 300 });
    expect(a.feed(frameMrz(TD1, { framing: 'separator-only' }), 0)).toEqual([]);
    expect(blocks(a.tick(300))).toEqual([TD1]);
  });

  it('flush ends the stream like a timeout', () => {
    const a = new MrzLineAssembler();
    a.feed(bytes(TD3.join('\r')), 0);
    expect(blocks(a.flush())).toEqual([TD3]);
  });
});
