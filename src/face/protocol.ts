// The matcher port (docs/face-match.md): length-prefixed JSON over a Unix stream socket. Each frame is a 4-byte
// big-endian length, then that many bytes of UTF-8 JSON. The gate sends `match` (the card's raw photo block in
// base64, a request id, the time left to answer) and `health`; the module answers each with the same id. The
// schemas here are the contract: both the gate's client and the simulated module parse with them.
import { z } from 'zod';

export const PROTOCOL_VERSION = 1;
/** A WLT block is 1024 bytes (about 1.4 kB in base64); this leaves room for a vendor's larger photo format. */
export const MAX_FRAME_BYTES = 64 * 1024;

export const FACE_RESULTS = ['match', 'no-match', 'no-face', 'liveness-failed', 'unavailable'] as const;
export type FaceResult = (typeof FACE_RESULTS)[number];

export const matchRequestSchema = z
  .object({
    v: z.literal(PROTOCOL_VERSION),
    type: z.literal('match'),
    id: z.string().min(1).max(64),
    /** Milliseconds the module has left to answer; after that the gate no longer waits for this id. */
    deadlineMs: z.number().int().positive(),
    /** The photo block exactly as the card's chip gave it (WLT for Chinese ID cards), base64. */
    photo: z.base64().min(1),
  })
  .strict();

export const healthRequestSchema = z
  .object({ v: z.literal(PROTOCOL_VERSION), type: z.literal('health'), id: z.string().min(1).max(64) })
  .strict();

export const requestSchema = z.discriminatedUnion('type', [matchRequestSchema, healthRequestSchema]);

/** An answer to `match` or `health`. Unknown members are ignored (a vendor may add its own). */
export const answerSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  id: z.string().min(1).max(64),
  /** `health` is answered `ok` or `unavailable`. */
  result: z.enum([...FACE_RESULTS, 'ok']),
  /** Similarity 0..1, required with `match`, optional with `no-match`. */
  score: z.number().min(0).max(1).optional(),
  /** A short machine code for `unavailable` (e.g. `camera-fault`); never personal data. */
  detail: z.string().max(64).optional(),
});

export type MatchRequest = z.infer<typeof matchRequestSchema>;
export type HealthRequest = z.infer<typeof healthRequestSchema>;
export type FaceRequest = z.infer<typeof requestSchema>;
export type FaceAnswerFrame = z.infer<typeof answerSchema>;

/** One frame: 4-byte big-endian length, then the JSON. */
export function encodeFrame(message: object): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length, 0);
  return Buffer.concat([head, body]);
}

/** Splits a byte stream into frames. `push` returns the whole frames so far; a length past the limit is an error. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): { frames: Buffer[]; tooLarge: boolean } {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const frames: Buffer[] = [];
    while (this.buf.length >= 4) {
      const n = this.buf.readUInt32BE(0);
      if (n > MAX_FRAME_BYTES) return { frames, tooLarge: true };
      if (this.buf.length < 4 + n) break;
      frames.push(this.buf.subarray(4, 4 + n));
      this.buf = this.buf.subarray(4 + n);
    }
    return { frames, tooLarge: false };
  }
}

/** JSON.parse that returns undefined instead of throwing. */
export function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}
