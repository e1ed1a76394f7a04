// A whole read-response frame <-> Document: what `gate decode idcard` and `gate decide --idcard-hex` call.
import type { Document } from '../../identity/document.js';
import { checkFrame } from './frame.js';
import { PHOTO_LENGTH, TEXT_LENGTH, buildResponse, parseResponseBody, SW_OK } from './codec.js';
import { decodeCardText } from './card-text.js';
import { ReaderError } from './errors.js';

export type DecodeResult = { ok: true; document: Document } | { ok: false; error: ReaderError };

/**
 * Decode one read-response frame (30 01, or 30 10 with a fingerprint block). Never throws; a bad checksum, a
 * truncated frame, a failure status word or a bad number check char is a ReaderError with its own code.
 */
export function decodeIdCard(bytes: Uint8Array): DecodeResult {
  const checked = checkFrame(bytes);
  if (!checked.ok) return checked;
  // The two read answers differ only in the count of length fields; the fingerprint variant is 09 0A-ish long.
  const body = checked.body;
  const command =
    body.length >= 9 && body[2] === SW_OK && ((body[3] << 8) | body[4]) === TEXT_LENGTH && isFingerprintShape(body)
      ? 'readWithFingerprint'
      : 'read';
  const parsed = parseResponseBody(command, body);
  if (!parsed.ok) return parsed;
  if (parsed.value.command !== 'read' && parsed.value.command !== 'readWithFingerprint') {
    return { ok: false, error: new ReaderError('unexpected-response', 'not a read response') };
  }
  const doc = decodeCardText(parsed.value.text);
  return doc.ok ? { ok: true, document: doc.value } : doc;
}

function isFingerprintShape(body: Uint8Array): boolean {
  const text = (body[3] << 8) | body[4];
  const photo = (body[5] << 8) | body[6];
  const fp = (body[7] << 8) | body[8];
  return body.length === 3 + 6 + text + photo + fp && body.length !== 3 + 4 + text + photo;
}

export interface ReadResponseOptions {
  /** The WLT photo block; a synthetic one by default (the gate never looks inside). */
  photo?: Uint8Array;
  /** Build a 30 10 answer with this fingerprint block (may be empty). */
  fingerprint?: Uint8Array;
}

/** The reader's full answer to a read (1295 bytes for 30 01). */
export function buildReadResponse(text: Uint8Array, photoOrOptions?: Uint8Array | ReadResponseOptions): Uint8Array {
  const opts: ReadResponseOptions = photoOrOptions instanceof Uint8Array ? { photo: photoOrOptions } : (photoOrOptions ?? {});
  if (text.length !== TEXT_LENGTH) throw new RangeError(`text must be ${TEXT_LENGTH} bytes`);
  const photo = opts.photo ?? syntheticPhoto();
  const fp = opts.fingerprint;
  const lengths = fp ? [TEXT_LENGTH, photo.length, fp.length] : [TEXT_LENGTH, photo.length];
  const data = new Uint8Array(lengths.length * 2 + TEXT_LENGTH + photo.length + (fp?.length ?? 0));
  lengths.forEach((n, i) => {
    data[i * 2] = n >> 8;
    data[i * 2 + 1] = n & 0xff;
  });
  let at = lengths.length * 2;
  data.set(text, at);
  data.set(photo, (at += TEXT_LENGTH));
  if (fp) data.set(fp, at + photo.length);
  return buildResponse(SW_OK, data);
}

/** A stand-in WLT block: the "WLf" magic of real captures, then a fixed pattern. Holds no image. */
export function syntheticPhoto(): Uint8Array {
  const p = new Uint8Array(PHOTO_LENGTH);
  p.set([0x57, 0x4c, 0x66, 0x00, 0x7e, 0x00, 0x32, 0x00, 0x00, 0xff]);
  for (let i = 10; i < PHOTO_LENGTH; i++) p[i] = (i * 131 + 7) & 0xff;
  return p;
}
