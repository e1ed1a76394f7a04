// The codec against the committed vectors (firmware-bridge/vectors/), both ways: the firmware side is tested
// against the same files, so a byte that changes here changes for both.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { crc16 } from '../../src/bridge/crc.js';
import { encodeFrame, Framer, toHex } from '../../src/bridge/frame.js';
import * as M from '../../src/bridge/messages.js';
import { REASONS, STAFFED_CHECK_DETAILS } from '../../src/decide/reasons.js';
import { decodeMessage, MESSAGES, toFrame, type Message } from '../../src/bridge/messages.js';
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
    expect(messages.map(({ name, seq, minor, fields }) => ({ name, seq, ...(minor === undefined ? {} : { minor }), fields }))).toEqual(
      EXAMPLES,
    );
  });

  it('1.1 added entries after the 1.0 ones and changed none: every DISPLAY of 1.0 is still exact, without a language', () => {
    const firstNew = messages.findIndex((v) => v.minor !== undefined);
    expect(messages.slice(firstNew).every((v) => v.minor === 1)).toBe(true);
    for (const v of messages.slice(0, firstNew)) expect(v.fields).not.toHaveProperty('language');
    const byName = new Map(messages.map((v) => [v.name, v]));
    expect(byName.get('display-reject')!.hex).toBe('7e050a2303040000005505'); // as committed for 1.0
  });

  it.each(messages.filter((v) => v.fields.kind === 'display' && v.minor === 1).map((v) => [v.name, v] as const))(
    '%s: a 1.0 receiver refuses it (bad-payload), and the daemon says it to a 1.0 MCU in the 1.0 form',
    (_n, v) => {
      const f = new Framer().push(Buffer.from(v.hex, 'hex'))[0];
      if (f.kind !== 'frame') throw new Error('discarded');
      expect(decodeMessage(f.frame.type, f.frame.payload, 0)).toMatchObject({ ok: false, reason: 'bad-payload' });
      const old = M.forMinor(v.fields, 0);
      expect(old).not.toHaveProperty('language');
      const bytes = encodeFrame(toFrame(old, v.seq));
      const f0 = new Framer().push(bytes)[0];
      if (f0.kind !== 'frame') throw new Error('discarded');
      expect(decodeMessage(f0.frame.type, f0.frame.payload, 0)).toEqual({ ok: true, msg: old });
      expect(bytes.length).toBe(Buffer.from(v.hex, 'hex').length - 1 - (v.fields as { language: string }).language.length);
      // A 1.1 receiver takes the 1.0 form too (from a 1.0 daemon): no language, the rest the same.
      expect(decodeMessage(f0.frame.type, f0.frame.payload)).toEqual({ ok: true, msg: old });
    },
  );

  it('display-reject-ja said to a 1.0 MCU is display-reject, byte for byte', () => {
    const ja = messages.find((v) => v.name === 'display-reject-ja')!;
    const plain = messages.find((v) => v.name === 'display-reject')!;
    expect(toHex(encodeFrame(toFrame(M.forMinor(ja.fields, 0), ja.seq)))).toBe(plain.hex);
    expect(M.forMinor(ja.fields, 1)).toBe(ja.fields);
  });

  it('a later field given without the added one before it cannot be encoded', () => {
    const bad = { kind: 'display', code: 'idle', reason: 'none', train: '', car: '', seat: '', language: 'toolonglanguagetag' } as Message;
    expect(() => M.encodePayload(bad)).toThrow(RangeError);
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
    expect(
      Object.keys(M.REASON_CODES)
        .filter((r) => r !== 'none')
        .sort(),
    ).toEqual([...REASONS, ...STAFFED_CHECK_DETAILS].sort());
    const tables = {
      d: M.DIRECTIONS,
      m: M.MODES,
      f: M.FAIL_MODES,
      n: M.NAK_REASONS,
      c: M.DISPLAY_CODES,
      r: M.REASON_CODES,
      s: M.SOUNDS,
      x: M.DOOR_FAULTS,
      p: M.POWER_STATES,
      z: M.RESET_CAUSES,
    };
    for (const table of Object.values(tables))
      for (const [name, code] of Object.entries(table)) {
        const hex = code.toString(16).toUpperCase().padStart(2, '0');
        const pair = `\`${esc(name)}\`\\s*\\|\\s*\`${hex}\``;
        const rev = `\`${hex}\`\\s*\\|\\s*\`${esc(name)}\``;
        expect(doc, `${name}=${hex}`).toMatch(new RegExp(`${pair}|${rev}`));
      }
  });
});
