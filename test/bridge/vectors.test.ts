// The codec against the committed vectors (firmware-bridge/vectors/), both ways: the firmware side is tested
// against the same files, so a byte that changes here changes for both.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { crc16 } from '../../src/bridge/crc.js';
import { encodeFrame, Framer, toHex } from '../../src/bridge/frame.js';
import * as M from '../../src/bridge/messages.js';
import { REASONS, STAFFED_CHECK_DETAILS } from '../../src/decide/reasons.js';
import { decodeMessage, MESSAGES, toFrame } from '../../src/bridge/messages.js';
import { EXAMPLES, type MessageVector } from '../../firmware-bridge/vectors/generate.js';

const dir = new URL('../../firmware-bridge/vectors/', import.meta.url);
const messages = JSON.parse(readFileSync(new URL('messages.json', dir), 'utf8')) as MessageVector[];
const framing = JSON.parse(readFileSync(new URL('framing.json', dir), 'utf8')) as {
  crc: { check: { input: string; crc: string } };
  streams: { name: string; hex: string; frames: number; discards: string[] }[];
};

describe('firmware-bridge vectors', () => {
  it('cover every message type, and the committed file matches the generator', () => {
    expect(new Set(messages.map((v) => v.fields.kind))).toEqual(new Set(Object.keys(MESSAGES)));
    expect(messages.map(({ name, seq, fields }) => ({ name, seq, fields }))).toEqual(EXAMPLES);
  });

  it('CRC-16/CCITT-FALSE check value', () => {
    expect(crc16(Buffer.from(framing.crc.check.input))).toBe(Number(framing.crc.check.crc));
  });

  it.each(messages.map((v) => [v.name, v] as const))('%s: fields -> bytes', (_n, v) => {
    expect(toHex(encodeFrame(toFrame(v.fields, v.seq)))).toBe(v.hex);
  });

  it.each(messages.map((v) => [v.name, v] as const))('%s: bytes -> fields', (_n, v) => {
    const out = new Framer().push(Buffer.from(v.hex, 'hex'));
    expect(out).toHaveLength(1);
    const f = out[0];
    if (f.kind !== 'frame') throw new Error(`discarded: ${f.reason}`);
    expect(f.frame.seq).toBe(v.seq);
    const d = decodeMessage(f.frame.type, f.frame.payload);
    expect(d).toEqual({ ok: true, msg: v.fields });
  });

  it.each(framing.streams.map((s) => [s.name, s] as const))('framing stream %s', (_n, s) => {
    const out = new Framer().push(Buffer.from(s.hex, 'hex'));
    expect(out.filter((o) => o.kind === 'frame')).toHaveLength(s.frames);
    expect(out.flatMap((o) => (o.kind === 'discard' ? [o.reason] : []))).toEqual(s.discards);
  });
});

describe('PROTOCOL.md', () => {
  const doc = readFileSync(new URL('../../firmware-bridge/PROTOCOL.md', import.meta.url), 'utf8');
  const esc = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  it('lists every message with its type byte', () => {
    for (const [name, m] of Object.entries(MESSAGES)) {
      const hex = `0x${m.type.toString(16).toUpperCase().padStart(2, '0')}`;
      expect(doc, name).toMatch(new RegExp(`\\| \`${hex}\` \\| \`${esc(name)}\``));
    }
  });

  it('gives every code of every table, and every decision reason has a wire code', () => {
    expect(Object.keys(M.REASON_CODES).filter((r) => r !== 'none').sort()).toEqual([...REASONS, ...STAFFED_CHECK_DETAILS].sort());
    const tables = { d: M.DIRECTIONS, m: M.MODES, f: M.FAIL_MODES, n: M.NAK_REASONS, c: M.DISPLAY_CODES, r: M.REASON_CODES, s: M.SOUNDS, x: M.DOOR_FAULTS, p: M.POWER_STATES, z: M.RESET_CAUSES };
    for (const table of Object.values(tables))
      for (const [name, code] of Object.entries(table)) {
        const hex = code.toString(16).toUpperCase().padStart(2, '0');
        const pair = `\`${esc(name)}\`\\s*\\|\\s*\`${hex}\``;
        const rev = `\`${hex}\`\\s*\\|\\s*\`${esc(name)}\``;
        expect(doc, `${name}=${hex}`).toMatch(new RegExp(`${pair}|${rev}`));
      }
  });
});
