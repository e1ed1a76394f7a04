// The codec against byte vectors derived by hand from PROTOCOL.md (firmware-bridge/vectors/hand-derived.json), not
// from the codec: the arithmetic is checked here with a second CRC implementation (the bit-by-bit loop of PROTOCOL.md
// section 2, transcribed below), anchored to the check value 0x29B1; then the codec must read every wire string and
// write exactly the same bytes back.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeFrame, Framer, MAX_PAYLOAD, toHex } from '../../src/bridge/frame.js';
import { decodeMessage, toFrame, type Message } from '../../src/bridge/messages.js';

interface HandVector {
  name: string;
  why: string;
  frame: { seq: number; type: string; payload: string };
  message?: Message;
  decodes?: 'unknown-type' | 'bad-payload';
  working: { covered: string; crcAfterEachByte: string; crc: string; bitByBit?: string[]; body: string; escapes: string[] };
  wire: string;
}
interface HandStream {
  name: string;
  why: string;
  hex?: string;
  chunks?: string[];
  working?: { coveredWrongly: string; crcAfterEachByte: string; crc: string };
  frames: string[];
  discards: string[];
}
const file = JSON.parse(readFileSync(new URL('../../firmware-bridge/vectors/hand-derived.json', import.meta.url), 'utf8')) as {
  check: { ascii: string; crcAfterEachByte: string; crc: string };
  vectors: HandVector[];
  streams: HandStream[];
};

const bytes = (spaced: string) =>
  Uint8Array.from(
    spaced
      .split(/\s+/)
      .filter(Boolean)
      .map((h) => parseInt(h, 16)),
  );
const hex4 = (n: number) => n.toString(16).padStart(4, '0');

/** PROTOCOL.md section 2, line for line: the register after every byte. Deliberately not src/bridge/crc.ts (a table). */
function crcTrace(data: Uint8Array): number[] {
  let crc = 0xffff;
  const after: number[] = [];
  for (const b of data) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    after.push(crc);
  }
  return after;
}

describe('the second CRC implementation', () => {
  it('gives the check value 0x29B1 for "123456789", through the register values in the file', () => {
    expect(Buffer.from(bytes(file.check.ascii)).toString('latin1')).toBe('123456789');
    const trace = crcTrace(bytes(file.check.ascii));
    expect(trace.map(hex4).join(' ')).toBe(file.check.crcAfterEachByte);
    expect(trace.at(-1)).toBe(0x29b1);
  });

  it('gives the ACK CRC printed in PROTOCOL.md section 2 (00 05 01 -> 23 48)', () => {
    expect(crcTrace(Uint8Array.from([0x00, 0x05, 0x01])).at(-1)).toBe(0x2348);
  });
});

describe.each(file.vectors.map((v) => [v.name, v] as const))('hand vector %s', (_name, v) => {
  const payload = bytes(v.frame.payload);
  const frame = { seq: v.frame.seq, type: Number(v.frame.type), payload };

  it('the working adds up: covered bytes, CRC register byte by byte, body, escapes', () => {
    const covered = Uint8Array.from([payload.length, frame.seq, frame.type, ...payload]);
    expect(toHex(covered)).toBe(toHex(bytes(v.working.covered)));
    const trace = crcTrace(covered);
    expect(trace.map(hex4).join(' ')).toBe(v.working.crcAfterEachByte);
    expect(hex4(trace.at(-1)!)).toBe(v.working.crc);
    const crc = trace.at(-1)!;
    const body = [...covered, crc >> 8, crc & 0xff];
    expect(toHex(Uint8Array.from(body))).toBe(toHex(bytes(v.working.body)));
    const specials = body.filter((b) => b === 0x7e || b === 0x7d).length;
    expect(bytes(v.wire).length).toBe(1 + body.length + specials); // each 7E / 7D costs one escape byte
    expect(v.working.escapes.filter((e) => / -> 7d 5[de] /.test(e))).toHaveLength(specials);
    if (v.working.bitByBit) {
      // The last register of each byte's eight shifts is the register after that byte.
      const perByte = v.working.bitByBit.filter((l) => l.startsWith('  bit 7')).map((l) => l.slice(-4).toLowerCase());
      expect(perByte.join(' ')).toBe(v.working.crcAfterEachByte);
    }
  });

  it('the codec reads the wire bytes as this frame and message', () => {
    const out = new Framer().push(bytes(v.wire));
    expect(out.map((o) => o.kind)).toEqual(['frame']);
    const got = out[0].kind === 'frame' ? out[0].frame : undefined;
    expect({ seq: got?.seq, type: got?.type, payload: toHex(got?.payload ?? new Uint8Array()) }).toEqual({
      seq: frame.seq,
      type: frame.type,
      payload: toHex(payload),
    });
    const decoded = decodeMessage(frame.type, payload);
    if (v.message) expect(decoded).toEqual({ ok: true, msg: v.message });
    else expect(decoded).toMatchObject({ ok: false, reason: v.decodes });
  });

  it('the codec writes exactly the wire bytes', () => {
    expect(toHex(encodeFrame(frame))).toBe(toHex(bytes(v.wire)));
    if (v.message) expect(toHex(encodeFrame(toFrame(v.message, frame.seq)))).toBe(toHex(bytes(v.wire)));
  });
});

describe.each(file.streams.map((s) => [s.name, s] as const))('hand stream %s', (_name, s) => {
  it('gives exactly the listed frames and discards', () => {
    const framer = new Framer();
    const out = (s.chunks ?? [s.hex!]).flatMap((c) => framer.push(bytes(c)));
    const frames = out.flatMap((o) => (o.kind === 'frame' ? [toHex(encodeFrame(o.frame))] : []));
    const expected = s.frames.map((name) => toHex(bytes(file.vectors.find((v) => v.name === name)!.wire)));
    expect(frames).toEqual(expected);
    expect(out.flatMap((o) => (o.kind === 'discard' ? [o.reason] : []))).toEqual(s.discards);
  });

  if (s.working) {
    it('its wrong CRC is what the working says (over the stuffed bytes)', () => {
      const trace = crcTrace(bytes(s.working!.coveredWrongly));
      expect(trace.map(hex4).join(' ')).toBe(s.working!.crcAfterEachByte);
      expect(s.hex!.endsWith(`${s.working!.crc.slice(0, 2)} ${s.working!.crc.slice(2)}`)).toBe(true);
    });
  }
});

describe('coverage of the corner cases', () => {
  it('holds an empty payload, a stuffed CRC_LO of each kind, a stuffed CRC_HI, LEN 250, LEN 7E, a CRC over stuffed bytes', () => {
    const bodies = file.vectors.map((v) => bytes(v.working.body));
    expect(bodies.some((b) => b[0] === 0)).toBe(true);
    expect(bodies.some((b) => b.at(-1) === 0x7e)).toBe(true);
    expect(bodies.some((b) => b.at(-1) === 0x7d)).toBe(true);
    expect(bodies.some((b) => b.at(-2) === 0x7e)).toBe(true);
    expect(bodies.some((b) => b[0] === MAX_PAYLOAD)).toBe(true);
    expect(bodies.some((b) => b[0] === 0x7e)).toBe(true);
    expect(file.streams.some((s) => s.discards.includes('crc') && s.working)).toBe(true);
  });
});
