// Framing of the MCU link (firmware-bridge/PROTOCOL.md section 2):
//   wire  = 0x7E | stuff(LEN SEQ TYPE PAYLOAD[LEN] CRC_HI CRC_LO)
//   stuff = 0x7E -> 0x7D 0x5E, 0x7D -> 0x7D 0x5D (HDLC style), so 0x7E on the line always starts a frame.
// The CRC (CRC-16/CCITT-FALSE) covers LEN..PAYLOAD before stuffing. Pure: no I/O, no clock.
import { crc16 } from './crc.js';

export const SOF = 0x7e;
export const ESC = 0x7d;
export const ESC_XOR = 0x20;
export const MAX_PAYLOAD = 250;
/** LEN + SEQ + TYPE + CRC(2) around the payload. */
const OVERHEAD = 5;

export interface Frame {
  /** 1..255 for frames that need an ACK; 0 for unsequenced frames (heartbeats), which are never acknowledged. */
  seq: number;
  type: number;
  payload: Uint8Array;
}

/** The unstuffed body LEN SEQ TYPE PAYLOAD CRC. */
export function frameBody(f: Frame): Uint8Array {
  if (f.payload.length > MAX_PAYLOAD) throw new RangeError(`payload of ${f.payload.length} bytes exceeds ${MAX_PAYLOAD}`);
  const body = new Uint8Array(f.payload.length + OVERHEAD);
  body[0] = f.payload.length;
  body[1] = f.seq & 0xff;
  body[2] = f.type & 0xff;
  body.set(f.payload, 3);
  const crc = crc16(body, 0, body.length - 2);
  body[body.length - 2] = crc >> 8;
  body[body.length - 1] = crc & 0xff;
  return body;
}

/** The bytes to write to the port. */
export function encodeFrame(f: Frame): Uint8Array {
  const body = frameBody(f);
  const out = new Uint8Array(1 + body.length * 2);
  let n = 0;
  out[n++] = SOF;
  for (const b of body) {
    if (b === SOF || b === ESC) {
      out[n++] = ESC;
      out[n++] = b ^ ESC_XOR;
    } else out[n++] = b;
  }
  return out.slice(0, n);
}

export type DiscardReason =
  | 'garbage' // bytes outside any frame
  | 'truncated' // a new start marker arrived before the frame was complete
  | 'bad-escape' // 0x7D followed by something other than 0x5E / 0x5D
  | 'too-long' // LEN above MAX_PAYLOAD
  | 'crc'; // the CRC did not match

export type FramerOutput = { kind: 'frame'; frame: Frame } | { kind: 'discard'; reason: DiscardReason; bytes: Uint8Array };

/**
 * Turns a byte stream into frames. Never throws: anything that is not a valid frame comes out as a typed discard,
 * and the next 0x7E starts over, so one lost or corrupted byte costs at most one frame.
 */
export class Framer {
  private body: number[] = [];
  private raw: number[] = [];
  private inFrame = false;
  private escaped = false;

  push(chunk: Uint8Array): FramerOutput[] {
    const out: FramerOutput[] = [];
    let garbage: number[] = [];
    const flushGarbage = () => {
      if (garbage.length) out.push({ kind: 'discard', reason: 'garbage', bytes: Uint8Array.from(garbage) });
      garbage = [];
    };
    for (const b of chunk) {
      if (b === SOF) {
        flushGarbage();
        if (this.inFrame && this.raw.length > 1) out.push(this.discard('truncated'));
        this.start();
        continue;
      }
      if (!this.inFrame) {
        garbage.push(b);
        continue;
      }
      this.raw.push(b);
      if (this.escaped) {
        this.escaped = false;
        if (b !== (SOF ^ ESC_XOR) && b !== (ESC ^ ESC_XOR)) {
          out.push(this.discard('bad-escape'));
          continue;
        }
        this.body.push(b ^ ESC_XOR);
      } else if (b === ESC) {
        this.escaped = true;
        continue;
      } else this.body.push(b);

      const len = this.body[0];
      if (len > MAX_PAYLOAD) {
        out.push(this.discard('too-long'));
        continue;
      }
      if (this.body.length === len + OVERHEAD) {
        const body = Uint8Array.from(this.body);
        const crc = (body[body.length - 2] << 8) | body[body.length - 1];
        if (crc16(body, 0, body.length - 2) !== crc) out.push(this.discard('crc'));
        else {
          out.push({ kind: 'frame', frame: { seq: body[1], type: body[2], payload: body.slice(3, 3 + len) } });
          this.reset();
        }
      }
    }
    flushGarbage();
    return out;
  }

  private start(): void {
    this.inFrame = true;
    this.escaped = false;
    this.body = [];
    this.raw = [SOF];
  }

  private reset(): void {
    this.inFrame = false;
    this.escaped = false;
    this.body = [];
    this.raw = [];
  }

  private discard(reason: DiscardReason): FramerOutput {
    const bytes = Uint8Array.from(this.raw);
    this.reset();
    return { kind: 'discard', reason, bytes };
  }
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
