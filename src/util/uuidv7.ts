// UUIDv7 (RFC 9562): 48-bit Unix ms timestamp + random; sortable by creation time. The time is a parameter.
import { randomBytes } from 'node:crypto';

export function uuidv7(nowMs: number): string {
  const b = randomBytes(16);
  let t = nowMs;
  for (let i = 5; i >= 0; i--) {
    b[i] = t % 256;
    t = Math.floor(t / 256);
  }
  b[6] = (b[6] & 0x0f) | 0x70; // version 7
  b[8] = (b[8] & 0x3f) | 0x80; // variant 10
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
