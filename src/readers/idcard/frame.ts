// One SAM frame: AA AA AA 96 69 | LEN (2, big-endian, bytes after itself incl. CHK) | body | CHK.
// CHK = XOR of every byte from the first length byte to the byte before CHK (research/idcard.md 1.1).
import { ReaderError } from './errors.js';

export const PREAMBLE = Uint8Array.of(0xaa, 0xaa, 0xaa, 0x96, 0x69);
export const HEADER_LENGTH = 7; // preamble + LEN
/** Smallest LEN: a command is CMD PARA CHK (3); a response SW1 SW2 SW3 CHK (4). */
export const MIN_LEN = 3;
/** Largest LEN a reader sends: 30 10 with a 1024-byte fingerprint is 0x090A; leave room for vendor variants. */
export const MAX_LEN = 4096;

export function xorChecksum(bytes: Uint8Array, from: number, to: number): number {
  let x = 0;
  for (let i = from; i < to; i++) x ^= bytes[i];
  return x;
}

/** Wrap a body (command+para+data, or SW1..SW3+data) in preamble, LEN and CHK. */
export function encodeFrame(body: Uint8Array): Uint8Array {
  const len = body.length + 1;
  const out = new Uint8Array(HEADER_LENGTH + len);
  out.set(PREAMBLE, 0);
  out[5] = len >> 8;
  out[6] = len & 0xff;
  out.set(body, HEADER_LENGTH);
  out[out.length - 1] = xorChecksum(out, 5, out.length - 1);
  return out;
}

export function startsWithPreamble(bytes: Uint8Array, at = 0): boolean {
  if (bytes.length - at < PREAMBLE.length) return false;
  for (let i = 0; i < PREAMBLE.length; i++) if (bytes[at + i] !== PREAMBLE[i]) return false;
  return true;
}

/** Index of the next preamble at or after `from`, or -1. */
export function indexOfPreamble(bytes: Uint8Array, from = 0): number {
  const last = bytes.length - PREAMBLE.length;
  for (let i = from; i <= last; i++) {
    if (bytes[i] === 0xaa && bytes[i + 1] === 0xaa && bytes[i + 2] === 0xaa && bytes[i + 3] === 0x96 && bytes[i + 4] === 0x69) return i;
  }
  return -1;
}

export function frameLen(bytes: Uint8Array, at = 0): number {
  return (bytes[at + 5] << 8) | bytes[at + 6];
}

/**
 * Check that `bytes` is exactly one well-formed frame and return its body (a view, not a copy).
 * Never throws: the error names what is wrong.
 */
export function checkFrame(bytes: Uint8Array): { ok: true; body: Uint8Array } | { ok: false; error: ReaderError } {
  if (bytes.length < HEADER_LENGTH) {
    if (!startsWithPreamble(Uint8Array.from([...bytes, ...PREAMBLE.subarray(bytes.length)]))) {
      return { ok: false, error: new ReaderError('bad-preamble', 'the frame does not start with AA AA AA 96 69') };
    }
    return {
      ok: false,
      error: new ReaderError('truncated', `truncated frame: ${bytes.length} bytes, the header alone is ${HEADER_LENGTH}`),
    };
  }
  if (!startsWithPreamble(bytes))
    return { ok: false, error: new ReaderError('bad-preamble', 'the frame does not start with AA AA AA 96 69') };
  const len = frameLen(bytes);
  if (len < MIN_LEN || len > MAX_LEN)
    return { ok: false, error: new ReaderError('bad-length', `bad length field ${len} (allowed ${MIN_LEN}..${MAX_LEN})`) };
  const total = HEADER_LENGTH + len;
  if (bytes.length < total) return { ok: false, error: new ReaderError('truncated', `truncated frame: ${bytes.length} of ${total} bytes`) };
  if (bytes.length > total)
    return { ok: false, error: new ReaderError('bad-length', `length field says ${total} bytes, got ${bytes.length}`) };
  const chk = xorChecksum(bytes, 5, total - 1);
  if (chk !== bytes[total - 1]) {
    return { ok: false, error: new ReaderError('bad-checksum', `bad checksum: computed ${hex(chk)}, frame has ${hex(bytes[total - 1])}`) };
  }
  return { ok: true, body: bytes.subarray(HEADER_LENGTH, total - 1) };
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0').toUpperCase();
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex').toUpperCase();
}

/** Parse hex with optional spaces, colons or 0x prefixes; null when it is not hex. */
export function fromHex(text: string): Uint8Array | null {
  const clean = text.replace(/0x/gi, '').replace(/[\s:,-]/g, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) return null;
  return Uint8Array.from(Buffer.from(clean, 'hex'));
}
