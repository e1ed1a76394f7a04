// The framer and message codec on their own: split chunks, resynchronisation, typed discards, malformed payloads.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeFrame, Framer, MAX_PAYLOAD, type Frame } from '../../src/bridge/frame.js';
import { decodeMessage, encodePayload, toFrame } from '../../src/bridge/messages.js';

const frameArb = fc.record({
  seq: fc.integer({ min: 0, max: 255 }),
  type: fc.integer({ min: 0, max: 255 }),
  payload: fc.uint8Array({ maxLength: MAX_PAYLOAD }),
});

describe('Framer', () => {
  it('recovers any frame however the bytes are chunked', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 17 }), (frames, chunk) => {
        const wire = Buffer.concat(frames.map((f) => encodeFrame(f)));
        const framer = new Framer();
        const got: Frame[] = [];
        for (let i = 0; i < wire.length; i += chunk)
          for (const o of framer.push(wire.subarray(i, i + chunk))) if (o.kind === 'frame') got.push(o.frame);
        expect(got.map((f) => ({ ...f, payload: [...f.payload] }))).toEqual(frames.map((f) => ({ ...f, payload: [...f.payload] })));
      }),
    );
  });

  it('never lets a 0x7E appear inside a stuffed frame', () => {
    fc.assert(fc.property(frameArb, (f) => !encodeFrame(f).subarray(1).includes(0x7e)));
  });

  it('a flipped byte costs at most that frame: the next one still comes through', () => {
    fc.assert(
      fc.property(frameArb, frameArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (a, b, pos, mask) => {
        const first = Buffer.from(encodeFrame(a));
        const i = 1 + (pos % (first.length - 1));
        first[i] ^= mask;
        const out = new Framer().push(Buffer.concat([first, encodeFrame(b)]));
        const frames = out.flatMap((o) => (o.kind === 'frame' ? [o.frame] : []));
        expect(frames.length).toBeGreaterThanOrEqual(1);
        expect([...frames.at(-1)!.payload]).toEqual([...b.payload]);
      }),
    );
  });

  it('never throws on noise', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (noise) => void new Framer().push(noise)));
  });
});

describe('message codec', () => {
  it('reports unknown types and malformed payloads as results, not exceptions', () => {
    expect(decodeMessage(0x55, new Uint8Array())).toMatchObject({ ok: false, reason: 'unknown-type' });
    expect(decodeMessage(0x20, new Uint8Array([0x12]))).toMatchObject({ ok: false, reason: 'bad-payload' });
    expect(decodeMessage(0x22, new Uint8Array([9]))).toMatchObject({ ok: false, reason: 'bad-payload' }); // mode 9
    expect(decodeMessage(0x98, new Uint8Array([2]))).toMatchObject({ ok: false, reason: 'bad-payload' }); // bool 2
    expect(decodeMessage(0x21, new Uint8Array([0, 1, 2]))).toMatchObject({ ok: false, reason: 'bad-payload' }); // trailing byte
    expect(decodeMessage(0x23, new Uint8Array([2, 0, 1, 0x07, 0, 0]))).toMatchObject({ ok: false, reason: 'bad-payload' }); // control char
    // authorise: authId 1, direction entry (1), count 0, timeout 5000 ms: PROTOCOL.md 3.3 (count 1..255).
    const countZero = decodeMessage(0x20, new Uint8Array([0, 1, 1, 0, 0, 0, 0x13, 0x88]));
    expect(countZero).toMatchObject({ ok: false, reason: 'bad-payload' });
    expect(countZero.ok ? '' : countZero.detail).toContain('count 0');
  });

  it('refuses to encode values the wire cannot carry', () => {
    expect(() => encodePayload({ kind: 'cancel', authId: 70_000 })).toThrow(RangeError);
    expect(() => encodePayload({ kind: 'display', code: 'open', reason: 'ok', train: 'G1234567890123456', car: '', seat: '' })).toThrow(
      RangeError,
    );
    expect(() => toFrame({ kind: 'display', code: 'open', reason: 'ok', train: '车次', car: '', seat: '' }, 1)).toThrow(RangeError);
  });
});
