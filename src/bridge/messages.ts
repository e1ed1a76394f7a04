// The messages of the MCU link (firmware-bridge/PROTOCOL.md section 4): one table drives encoding, decoding, the
// vectors and the document's tables, so they cannot drift apart. Multi-byte integers are big-endian.
import type { Frame } from './frame.js';

export const PROTOCOL_MAJOR = 1;
/** 1.1 added DISPLAY's trailing `language` (PROTOCOL.md 5.1), display code `look-at-camera`, and reasons 0x11-0x1B (PROTOCOL.md 4.3). */
export const PROTOCOL_MINOR = 1;

export const DIRECTIONS = { entry: 1, exit: 2 } as const;
export const MODES = { normal: 0, free: 1, locked: 2, maintenance: 3 } as const;
export const FAIL_MODES = { locked: 0, free: 1 } as const;
export const NAK_REASONS = {
  'unknown-type': 1,
  'bad-payload': 2,
  'no-session': 3,
  version: 4,
  emergency: 5,
  mode: 6,
  busy: 7,
} as const;
export const DISPLAY_CODES = {
  idle: 0,
  checking: 1,
  open: 2,
  reject: 3,
  closed: 4,
  emergency: 5,
  free: 6,
  'fault-storage': 7,
  'fault-link': 8,
  // 1.1: the lane checks the passenger's face against the card photo (docs/face-match.md).
  'look-at-camera': 9,
} as const;
/** Decision reasons on the wire. Fixed numbers, never reordered (src/decide/reasons.ts names them). */
export const REASON_CODES = {
  none: 0xff,
  ok: 0,
  unreadable: 1,
  'document-invalid': 2,
  'document-expired': 3,
  'not-verified': 4,
  'verification-pending': 5,
  'verification-rejected': 6,
  'identity-mismatch': 7,
  'no-ticket': 8,
  'wrong-station': 9,
  'too-early': 10,
  'too-late': 11,
  'already-used': 12,
  'ticket-refunded': 13,
  'cache-stale': 14,
  'gate-mode': 15,
  emergency: 16,
  'staffed-check': 0x11,
  'no-onward-ticket': 0x12,
  'transfer-window': 0x13,
  'fare-adjustment': 0x14,
  'present-passport-page': 0x15,
  'present-resident-card': 0x16,
  // The details of staffed-check: the panel shows the detail's text in place of the reason's.
  'child-ticket-on-document': 0x17,
  'student-not-verified': 0x18,
  'student-outside-journey': 0x19,
  'concession-check': 0x1a,
  // The face check failed (issue 21).
  'face-mismatch': 0x1b,
} as const;
export const SOUNDS = { off: 0, accept: 1, reject: 2, alarm: 3 } as const;
export const DOOR_FAULTS = { 'jammed-open': 1, 'jammed-closed': 2, motor: 3, sensor: 4 } as const;
export const POWER_STATES = { mains: 0, battery: 1, 'battery-low': 2 } as const;
export const RESET_CAUSES = { 'power-on': 0, watchdog: 1, 'brown-out': 2, software: 3, pin: 4 } as const;

export type Direction = keyof typeof DIRECTIONS;
export type Mode = keyof typeof MODES;
export type FailMode = keyof typeof FAIL_MODES;
export type NakReason = keyof typeof NAK_REASONS;
export type DisplayCode = keyof typeof DISPLAY_CODES;
export type ReasonCode = keyof typeof REASON_CODES;
export type Sound = keyof typeof SOUNDS;
export type DoorFault = keyof typeof DOOR_FAULTS;
export type PowerState = keyof typeof POWER_STATES;
export type ResetCause = keyof typeof RESET_CAUSES;

// Field kinds. str8: a length byte then that many printable ASCII bytes (0x20..0x7E), at most 16.
type FieldKind = 'u8' | 'u16' | 'u32' | 'bool' | 'str8' | { enum: Record<string, number> };
/**
 * A field a minor version added at the end of a message: sent only to a peer that announced that minor (HELLO /
 * HELLO-REPLY), and a payload without it is still whole, so a peer of the older minor is served as before.
 */
type AddedIn = { readonly since: number };
type Field = readonly [string, FieldKind] | readonly [string, FieldKind, AddedIn];
type Spec = readonly Field[];
export const STR8_MAX = 16;

const dir = { enum: DIRECTIONS } as const;

/** Every message: type byte, who sends it, whether it is sequenced (needs an ACK), its fields in wire order. */
export const MESSAGES = {
  ack: { type: 0x01, from: 'both', sequenced: false, fields: [] },
  nak: { type: 0x02, from: 'both', sequenced: false, fields: [['reason', { enum: NAK_REASONS }]] },
  hello: {
    type: 0x10,
    from: 'daemon',
    sequenced: true,
    fields: [
      ['major', 'u8'],
      ['minor', 'u8'],
      ['heartbeatMs', 'u16'],
      ['watchdogMs', 'u16'],
      ['ackTimeoutMs', 'u16'],
      ['retries', 'u8'],
      ['failMode', { enum: FAIL_MODES }],
    ],
  },
  heartbeat: { type: 0x11, from: 'daemon', sequenced: false, fields: [] },
  authorise: {
    type: 0x20,
    from: 'daemon',
    sequenced: true,
    fields: [
      ['authId', 'u16'],
      ['direction', dir],
      ['count', 'u8'],
      ['timeoutMs', 'u32'],
    ],
  },
  cancel: { type: 0x21, from: 'daemon', sequenced: true, fields: [['authId', 'u16']] },
  'set-mode': { type: 0x22, from: 'daemon', sequenced: true, fields: [['mode', { enum: MODES }]] },
  display: {
    type: 0x23,
    from: 'daemon',
    sequenced: true,
    fields: [
      ['code', { enum: DISPLAY_CODES }],
      ['reason', { enum: REASON_CODES }],
      ['train', 'str8'],
      ['car', 'str8'],
      ['seat', 'str8'],
      // 1.1: the passenger's language (ISO 639-1, e.g. "ja"), shown beside Chinese; "" for no passenger.
      ['language', 'str8', { since: 1 }],
    ],
  },
  sound: {
    type: 0x24,
    from: 'daemon',
    sequenced: true,
    fields: [
      ['pattern', { enum: SOUNDS }],
      ['durationMs', 'u16'],
    ],
  },
  'hello-reply': {
    type: 0x80,
    from: 'mcu',
    sequenced: false,
    fields: [
      ['major', 'u8'],
      ['minor', 'u8'],
      ['bootId', 'u32'],
      ['mode', { enum: MODES }],
      ['emergency', 'bool'],
      ['failsafe', 'bool'],
      ['power', { enum: POWER_STATES }],
      ['firmware', 'str8'],
    ],
  },
  status: {
    type: 0x81,
    from: 'mcu',
    sequenced: false,
    fields: [
      ['mode', { enum: MODES }],
      ['session', 'bool'],
      ['emergency', 'bool'],
      ['failsafe', 'bool'],
      ['power', { enum: POWER_STATES }],
      ['remaining', 'u8'],
    ],
  },
  'passage-started': {
    type: 0x90,
    from: 'mcu',
    sequenced: true,
    fields: [
      ['authId', 'u16'],
      ['direction', dir],
    ],
  },
  passage: {
    type: 0x91,
    from: 'mcu',
    sequenced: true,
    fields: [
      ['authId', 'u16'],
      ['direction', dir],
      ['remaining', 'u8'],
    ],
  },
  'passage-timeout': {
    type: 0x92,
    from: 'mcu',
    sequenced: true,
    fields: [
      ['authId', 'u16'],
      ['direction', dir],
      ['unused', 'u8'],
    ],
  },
  tailgating: {
    type: 0x93,
    from: 'mcu',
    sequenced: true,
    fields: [
      ['authId', 'u16'],
      ['direction', dir],
    ],
  },
  'forced-entry': { type: 0x94, from: 'mcu', sequenced: true, fields: [['direction', dir]] },
  'reverse-passage': {
    type: 0x95,
    from: 'mcu',
    sequenced: true,
    fields: [
      ['authId', 'u16'],
      ['direction', dir],
    ],
  },
  intrusion: { type: 0x96, from: 'mcu', sequenced: true, fields: [['direction', dir]] },
  'door-fault': {
    type: 0x97,
    from: 'mcu',
    sequenced: true,
    fields: [
      ['fault', { enum: DOOR_FAULTS }],
      ['active', 'bool'],
    ],
  },
  emergency: { type: 0x98, from: 'mcu', sequenced: true, fields: [['active', 'bool']] },
  power: { type: 0x99, from: 'mcu', sequenced: true, fields: [['state', { enum: POWER_STATES }]] },
  'mcu-reset': {
    type: 0x9a,
    from: 'mcu',
    sequenced: true,
    fields: [
      ['cause', { enum: RESET_CAUSES }],
      ['bootId', 'u32'],
    ],
  },
  'watchdog-expired': { type: 0x9b, from: 'mcu', sequenced: true, fields: [['failMode', { enum: FAIL_MODES }]] },
} as const satisfies Record<string, { type: number; from: 'daemon' | 'mcu' | 'both'; sequenced: boolean; fields: Spec }>;

type Messages = typeof MESSAGES;
export type MessageName = keyof Messages;

type FieldValue<K> = K extends 'u8' | 'u16' | 'u32'
  ? number
  : K extends 'bool'
    ? boolean
    : K extends 'str8'
      ? string
      : K extends { enum: infer E }
        ? keyof E
        : never;
type FieldsOf<S> = S extends Spec
  ? { [F in S[number] as F extends readonly [string, FieldKind] ? F[0] : never]: FieldValue<F[1]> } & {
      [F in S[number] as F extends readonly [string, FieldKind, AddedIn] ? F[0] : never]?: FieldValue<F[1]>;
    }
  : never;

export type MessageOf<N extends MessageName> = { kind: N } & FieldsOf<Messages[N]['fields']>;
export type Message = { [N in MessageName]: MessageOf<N> }[MessageName];
export type DaemonMessage = Extract<Message, { kind: { [N in MessageName]: Messages[N]['from'] extends 'mcu' ? never : N }[MessageName] }>;
export type McuMessage = Extract<Message, { kind: { [N in MessageName]: Messages[N]['from'] extends 'daemon' ? never : N }[MessageName] }>;
/** The sequenced messages the MCU originates: what the daemon must ACK. */
export type Report = Extract<McuMessage, { kind: { [N in MessageName]: Messages[N]['sequenced'] extends true ? N : never }[MessageName] }>;

const BY_TYPE = new Map<number, MessageName>(Object.entries(MESSAGES).map(([n, m]) => [m.type, n as MessageName]));

export function isSequenced(kind: MessageName): boolean {
  return MESSAGES[kind].sequenced;
}

export function messageName(type: number): MessageName | undefined {
  return BY_TYPE.get(type);
}

function widthOf(kind: FieldKind, value: unknown): number {
  if (kind === 'u16') return 2;
  if (kind === 'u32') return 4;
  if (kind === 'str8') return 1 + String(value).length;
  return 1;
}

/** The fields a message carries: the added ones only when given, and only up to the first one not given. */
function present(spec: Spec, values: Record<string, unknown>): Spec {
  const end = spec.findIndex((f) => f.length === 3 && values[f[0]] === undefined);
  if (end < 0) return spec;
  const later = spec.slice(end).find((f) => values[f[0]] !== undefined);
  if (later) throw new RangeError(`${String(values.kind)}.${later[0]}: given without ${spec[end][0]}, which comes before it`);
  return spec.slice(0, end);
}

/** The minor version that first defines a field, 0 for the fields of 1.0. */
function sinceOf(f: Field): number {
  return f.length === 3 ? f[2].since : 0;
}

/**
 * The message as a peer of protocol 1.`minor` understands it: fields added in a later minor are left off (the
 * daemon sends DISPLAY without `language` to a 1.0 MCU). Every other field is unchanged.
 */
export function forMinor<M extends Message>(msg: M, minor: number): M {
  const said = minor < 1 && msg.kind === 'display' ? displayFor1_0(msg) : msg;
  const later = (MESSAGES[said.kind].fields as Spec).filter((f) => sinceOf(f) > minor);
  if (!later.some((f) => (said as Record<string, unknown>)[f[0]] !== undefined)) return said as M;
  const out = { ...said } as Record<string, unknown>;
  for (const f of later) delete out[f[0]];
  return out as M;
}

/**
 * What a 1.0 panel is sent in place of a code 1.1 added: it would refuse the new code (NAK bad-payload) and show
 * nothing. The nearest 1.0 code, or `none` (the panel's bare "cannot pass") where 1.0 has no such text.
 */
export const REASON_FOR_1_0: Readonly<Partial<Record<ReasonCode, ReasonCode>>> = {
  'staffed-check': 'none',
  'child-ticket-on-document': 'none',
  'student-not-verified': 'none',
  'student-outside-journey': 'none',
  'concession-check': 'none',
  'no-onward-ticket': 'no-ticket',
  'transfer-window': 'no-ticket',
  'fare-adjustment': 'wrong-station',
  'present-passport-page': 'unreadable',
  'present-resident-card': 'unreadable',
  'face-mismatch': 'identity-mismatch',
};
export const DISPLAY_FOR_1_0: Readonly<Partial<Record<DisplayCode, DisplayCode>>> = { 'look-at-camera': 'checking' };

function displayFor1_0(m: MessageOf<'display'>): MessageOf<'display'> {
  const code = DISPLAY_FOR_1_0[m.code] ?? m.code;
  const reason = REASON_FOR_1_0[m.reason] ?? m.reason;
  return code === m.code && reason === m.reason ? m : { ...m, code, reason };
}

/** The payload bytes of a message. Throws RangeError on a value the wire cannot carry (a programming error). */
export function encodePayload(msg: Message): Uint8Array {
  const values = msg as unknown as Record<string, unknown>;
  const spec = present(MESSAGES[msg.kind].fields, values);
  const out = new Uint8Array(spec.reduce((n, [name, kind]) => n + widthOf(kind, values[name]), 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const [name, kind] of spec) {
    const v = values[name];
    const bad = () => new RangeError(`${msg.kind}.${name}: ${JSON.stringify(v)} does not fit ${JSON.stringify(kind)}`);
    if (kind === 'u8' || kind === 'u16' || kind === 'u32') {
      const max = kind === 'u8' ? 0xff : kind === 'u16' ? 0xffff : 0xffffffff;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw bad();
      if (kind === 'u8') view.setUint8(at, v);
      else if (kind === 'u16') view.setUint16(at, v);
      else view.setUint32(at, v);
    } else if (kind === 'bool') {
      if (typeof v !== 'boolean') throw bad();
      out[at] = v ? 1 : 0;
    } else if (kind === 'str8') {
      if (typeof v !== 'string' || v.length > STR8_MAX || !/^[\x20-\x7e]*$/.test(v)) throw bad();
      out[at] = v.length;
      for (let i = 0; i < v.length; i++) out[at + 1 + i] = v.charCodeAt(i);
    } else {
      const code = kind.enum[v as string];
      if (code === undefined) throw bad();
      out[at] = code;
    }
    at += widthOf(kind, v);
  }
  return out;
}

export function toFrame(msg: Message, seq: number): Frame {
  return { seq, type: MESSAGES[msg.kind].type, payload: encodePayload(msg) };
}

export type DecodeResult = { ok: true; msg: Message } | { ok: false; reason: 'unknown-type' | 'bad-payload'; detail: string };

/**
 * A message from a frame's type and payload. Never throws: an unknown type or malformed payload is a result.
 * `minor`: the protocol minor the receiver implements (default ours): a field added later is bytes after the last
 * field, as a receiver of that minor sees it; an added field may be absent (a sender of an older minor).
 */
export function decodeMessage(type: number, payload: Uint8Array, minor: number = PROTOCOL_MINOR): DecodeResult {
  const kind = BY_TYPE.get(type);
  if (!kind) return { ok: false, reason: 'unknown-type', detail: `type 0x${type.toString(16).padStart(2, '0')}` };
  const spec = MESSAGES[kind].fields as Spec;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const msg: Record<string, unknown> = { kind };
  let at = 0;
  const fail = (detail: string): DecodeResult => ({ ok: false, reason: 'bad-payload', detail: `${kind}: ${detail}` });
  for (const field of spec) {
    const [name, fk] = field;
    if (sinceOf(field) > 0 && (at === payload.length || sinceOf(field) > minor)) break;
    const need = fk === 'str8' ? 1 + (payload[at] ?? 0) : widthOf(fk, '');
    if (at + need > payload.length) return fail(`${name} runs past the payload`);
    if (fk === 'u8') msg[name] = view.getUint8(at);
    else if (fk === 'u16') msg[name] = view.getUint16(at);
    else if (fk === 'u32') msg[name] = view.getUint32(at);
    else if (fk === 'bool') {
      if (payload[at] > 1) return fail(`${name} is ${payload[at]}, not 0 or 1`);
      msg[name] = payload[at] === 1;
    } else if (fk === 'str8') {
      const len = payload[at];
      if (len > STR8_MAX) return fail(`${name} is ${len} characters, above ${STR8_MAX}`);
      const bytes = payload.subarray(at + 1, at + 1 + len);
      if (bytes.some((b) => b < 0x20 || b > 0x7e)) return fail(`${name} is not printable ASCII`);
      msg[name] = String.fromCharCode(...bytes);
    } else {
      const entry = Object.entries(fk.enum).find(([, c]) => c === payload[at]);
      if (!entry) return fail(`${name} code ${payload[at]} is not defined`);
      msg[name] = entry[0];
    }
    at += need;
  }
  if (at !== payload.length) return fail(`${payload.length - at} bytes after the last field`);
  // PROTOCOL.md 3.3: an AUTHORISE for no passage is malformed (found by the C firmware, written from the document).
  if (kind === 'authorise' && msg.count === 0) return fail('count 0 (1..255)');
  return { ok: true, msg: msg as Message };
}
