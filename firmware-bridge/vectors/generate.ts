// Writes the byte-exact vectors in this folder from the daemon's codec: `npx tsx firmware-bridge/vectors/generate.ts`.
// The tests (test/bridge/vectors.test.ts) check the codec against the committed files both ways, so a codec change
// that alters a byte on the wire fails until the vectors are regenerated on purpose (and PROTOCOL.md updated).
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc16 } from '../../src/bridge/crc.js';
import { encodeFrame, frameBody, toHex } from '../../src/bridge/frame.js';
import { MESSAGES, toFrame, type Message, type MessageName } from '../../src/bridge/messages.js';

export interface MessageVector {
  name: string;
  seq: number;
  /** The protocol minor version that defines this form (absent: 1.0); a receiver of an older minor refuses it. */
  minor?: number;
  fields: Message;
  /** The bytes on the wire, start marker and stuffing included. */
  hex: string;
}

/** At least one example of every message; several where a field changes the bytes in an interesting way. */
export const EXAMPLES: { name: string; seq: number; minor?: number; fields: Message }[] = [
  { name: 'ack', seq: 5, fields: { kind: 'ack' } },
  { name: 'nak-no-session', seq: 5, fields: { kind: 'nak', reason: 'no-session' } },
  { name: 'nak-emergency', seq: 9, fields: { kind: 'nak', reason: 'emergency' } },
  {
    name: 'hello',
    seq: 1,
    fields: { kind: 'hello', major: 1, minor: 0, heartbeatMs: 500, watchdogMs: 3000, ackTimeoutMs: 100, retries: 3, failMode: 'locked' },
  },
  { name: 'heartbeat', seq: 0, fields: { kind: 'heartbeat' } },
  { name: 'authorise-entry', seq: 2, fields: { kind: 'authorise', authId: 0x1234, direction: 'entry', count: 1, timeoutMs: 10_000 } },
  // authId 0x7e7d: both special bytes, so this vector shows the stuffing.
  { name: 'authorise-stuffed', seq: 0x7e, fields: { kind: 'authorise', authId: 0x7e7d, direction: 'exit', count: 3, timeoutMs: 20_000 } },
  { name: 'cancel', seq: 3, fields: { kind: 'cancel', authId: 0x1234 } },
  { name: 'cancel-any', seq: 4, fields: { kind: 'cancel', authId: 0 } },
  { name: 'set-mode-normal', seq: 5, fields: { kind: 'set-mode', mode: 'normal' } },
  { name: 'set-mode-free', seq: 6, fields: { kind: 'set-mode', mode: 'free' } },
  { name: 'set-mode-locked', seq: 7, fields: { kind: 'set-mode', mode: 'locked' } },
  { name: 'set-mode-maintenance', seq: 8, fields: { kind: 'set-mode', mode: 'maintenance' } },
  { name: 'display-open', seq: 9, fields: { kind: 'display', code: 'open', reason: 'ok', train: 'G1234', car: '05', seat: '12F' } },
  { name: 'display-reject', seq: 10, fields: { kind: 'display', code: 'reject', reason: 'not-verified', train: '', car: '', seat: '' } },
  { name: 'display-emergency', seq: 11, fields: { kind: 'display', code: 'emergency', reason: 'emergency', train: '', car: '', seat: '' } },
  { name: 'sound-accept', seq: 12, fields: { kind: 'sound', pattern: 'accept', durationMs: 200 } },
  {
    name: 'hello-reply',
    seq: 1,
    fields: { kind: 'hello-reply', major: 1, minor: 0, bootId: 0xdeadbeef, mode: 'locked', emergency: false, failsafe: true, power: 'mains', firmware: 'gcu-2.4.1' },
  },
  { name: 'status', seq: 0, fields: { kind: 'status', mode: 'normal', session: true, emergency: false, failsafe: false, power: 'mains', remaining: 1 } },
  { name: 'passage-started', seq: 1, fields: { kind: 'passage-started', authId: 0x1234, direction: 'entry' } },
  { name: 'passage', seq: 2, fields: { kind: 'passage', authId: 0x1234, direction: 'entry', remaining: 0 } },
  { name: 'passage-timeout', seq: 3, fields: { kind: 'passage-timeout', authId: 0x1234, direction: 'entry', unused: 1 } },
  { name: 'tailgating', seq: 4, fields: { kind: 'tailgating', authId: 0x1234, direction: 'entry' } },
  { name: 'forced-entry', seq: 5, fields: { kind: 'forced-entry', direction: 'exit' } },
  { name: 'reverse-passage', seq: 6, fields: { kind: 'reverse-passage', authId: 0x1234, direction: 'entry' } },
  { name: 'intrusion', seq: 7, fields: { kind: 'intrusion', direction: 'entry' } },
  { name: 'door-fault', seq: 8, fields: { kind: 'door-fault', fault: 'jammed-closed', active: true } },
  { name: 'emergency-on', seq: 9, fields: { kind: 'emergency', active: true } },
  { name: 'emergency-off', seq: 10, fields: { kind: 'emergency', active: false } },
  { name: 'power-battery', seq: 11, fields: { kind: 'power', state: 'battery' } },
  { name: 'mcu-reset', seq: 1, fields: { kind: 'mcu-reset', cause: 'power-on', bootId: 0x0000002a } },
  { name: 'watchdog-expired', seq: 2, fields: { kind: 'watchdog-expired', failMode: 'free' } },
  // 1.1 (added after the 1.0 entries above, which stay as they are): HELLO and HELLO-REPLY announcing minor 1, and
  // DISPLAY with the passenger's language. display-reject-ja without its language is display-reject, byte for byte.
  {
    name: 'hello-1.1',
    seq: 1,
    minor: 1,
    fields: { kind: 'hello', major: 1, minor: 1, heartbeatMs: 500, watchdogMs: 3000, ackTimeoutMs: 100, retries: 3, failMode: 'locked' },
  },
  {
    name: 'hello-reply-1.1',
    seq: 1,
    minor: 1,
    fields: { kind: 'hello-reply', major: 1, minor: 1, bootId: 0xdeadbeef, mode: 'locked', emergency: false, failsafe: true, power: 'mains', firmware: 'gcu-2.5.0' },
  },
  { name: 'display-reject-ja', seq: 10, minor: 1, fields: { kind: 'display', code: 'reject', reason: 'not-verified', train: '', car: '', seat: '', language: 'ja' } },
  { name: 'display-open-ar', seq: 9, minor: 1, fields: { kind: 'display', code: 'open', reason: 'ok', train: 'G1234', car: '05', seat: '12F', language: 'ar' } },
  { name: 'display-idle-no-passenger', seq: 13, minor: 1, fields: { kind: 'display', code: 'idle', reason: 'none', train: '', car: '', seat: '', language: '' } },
];

/** Byte streams the framer must turn into exactly these frames and discards. */
export const FRAMING = [
  { name: 'garbage-then-frame', hex: '00ff13' + toHex(encodeFrame(toFrame({ kind: 'ack' }, 5))), frames: 1, discards: ['garbage'] },
  { name: 'bad-crc', hex: '7e00050130a9', frames: 0, discards: ['crc'] },
  { name: 'truncated-then-frame', hex: '7e0105' + toHex(encodeFrame(toFrame({ kind: 'ack' }, 5))), frames: 1, discards: ['truncated'] },
  { name: 'bad-escape', hex: '7e007d41', frames: 0, discards: ['bad-escape'] },
  { name: 'too-long', hex: '7efb', frames: 0, discards: ['too-long'] },
];

function build() {
  const missing = (Object.keys(MESSAGES) as MessageName[]).filter((k) => !EXAMPLES.some((e) => e.fields.kind === k));
  if (missing.length) throw new Error(`no vector for ${missing.join(', ')}`);
  const messages: MessageVector[] = EXAMPLES.map((e) => ({ ...e, hex: toHex(encodeFrame(toFrame(e.fields, e.seq))) }));
  const ack = frameBody(toFrame({ kind: 'ack' }, 5));
  const crc = {
    algorithm: 'CRC-16/CCITT-FALSE',
    poly: '0x1021',
    init: '0xFFFF',
    refin: false,
    refout: false,
    xorout: '0x0000',
    check: { input: '123456789', crc: `0x${crc16(Buffer.from('123456789')).toString(16).toUpperCase()}` },
    ackBody: { covered: toHex(ack.subarray(0, ack.length - 2)), crc: toHex(ack.subarray(ack.length - 2)) },
  };
  return { messages, framing: FRAMING, crc };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const here = dirname(fileURLToPath(import.meta.url));
  const { messages, framing, crc } = build();
  writeFileSync(join(here, 'messages.json'), JSON.stringify(messages, null, 2) + '\n');
  writeFileSync(join(here, 'framing.json'), JSON.stringify({ crc, streams: framing }, null, 2) + '\n');
  console.log(`wrote ${messages.length} message vectors and ${framing.length} framing vectors`);
}
