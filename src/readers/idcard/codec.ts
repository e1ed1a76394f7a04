// Pure build/parse pairs for the SAM commands the gate uses (research/idcard.md 1.2-1.5, 2). Parsers take one
// whole frame (from the framer) and never throw; the read parsers copy the 256-byte text and leave the photo
// where it is: the photo is never decoded or copied. A view of it (`photo`) goes with the read for the face check
// (docs/face-match.md), which sends it to the matcher and lets it go.
import { checkFrame, encodeFrame } from './frame.js';
import { ReaderError, statusError } from './errors.js';

export const COMMANDS = {
  find: [0x20, 0x01],
  select: [0x20, 0x02],
  read: [0x30, 0x01],
  readWithFingerprint: [0x30, 0x10],
  newAddress: [0x30, 0x03],
  resetSam: [0x10, 0xff],
  samStatus: [0x11, 0xff],
  samId: [0x12, 0xff],
} as const satisfies Record<string, readonly [number, number]>;

export type CommandName = keyof typeof COMMANDS;
export const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[];

export const SW_OK = 0x90;
export const SW_FOUND = 0x9f;
export const TEXT_LENGTH = 256;
export const PHOTO_LENGTH = 1024;
export const NEW_ADDRESS_LENGTH = 70;

export type Result<T> = { ok: true; value: T } | { ok: false; error: ReaderError };

export function buildCommand(name: CommandName): Uint8Array {
  return encodeFrame(Uint8Array.from(COMMANDS[name]));
}

/** The command in a host->reader frame (the simulator's side of buildCommand). */
export function parseCommand(frame: Uint8Array): Result<CommandName> {
  const checked = checkFrame(frame);
  if (!checked.ok) return checked;
  const body = checked.body;
  const name = body.length >= 2 ? COMMAND_NAMES.find((n) => COMMANDS[n][0] === body[0] && COMMANDS[n][1] === body[1]) : undefined;
  if (!name || body.length !== 2) return fail('unexpected-response', `not a known command: ${hexBytes(body.subarray(0, 2))}`);
  return { ok: true, value: name };
}

export type Response =
  | { command: 'find'; iin: Uint8Array }
  | { command: 'select'; sn: Uint8Array }
  | { command: 'read' | 'readWithFingerprint'; text: Uint8Array; photoLength: number; fingerprintLength: number; photo: Uint8Array }
  | { command: 'newAddress'; address: string }
  | { command: 'resetSam' | 'samStatus' }
  | { command: 'samId'; samId: string };

/**
 * The reader's answer to `command`. A failure status word becomes its named ReaderError; a frame of the wrong shape
 * for the command is `unexpected-response` (e.g. a late answer to an earlier command).
 */
export function parseResponse(command: CommandName, frame: Uint8Array): Result<Response> {
  const checked = checkFrame(frame);
  return checked.ok ? parseResponseBody(command, checked.body) : checked;
}

/** parseResponse for a frame already checked (preamble, length, checksum): the body between LEN and CHK. */
export function parseResponseBody(command: CommandName, body: Uint8Array): Result<Response> {
  if (body.length < 3) return fail('unexpected-response', `a response needs SW1 SW2 SW3, got ${body.length} bytes`);
  const sw3 = body[2];
  const data = body.subarray(3);
  const okStatus = command === 'find' ? sw3 === SW_FOUND || sw3 === SW_OK : sw3 === SW_OK;
  if (!okStatus) {
    if (sw3 === SW_OK || sw3 === SW_FOUND) return fail('unexpected-response', `status ${hexBytes([sw3])} is not an answer to ${command}`);
    return { ok: false, error: statusError(sw3) };
  }
  switch (command) {
    case 'find':
      if (data.length !== 4 && data.length !== 0) return shape(command, data.length);
      return { ok: true, value: { command, iin: Uint8Array.from(data) } };
    case 'select':
      if (data.length !== 8 && data.length !== 0) return shape(command, data.length);
      return { ok: true, value: { command, sn: Uint8Array.from(data) } };
    case 'read':
    case 'readWithFingerprint':
      return parseReadData(command, data);
    case 'newAddress':
      if (data.length !== NEW_ADDRESS_LENGTH) return shape(command, data.length);
      return { ok: true, value: { command, address: ucs2(data).trim() } };
    case 'resetSam':
    case 'samStatus':
      if (data.length !== 0) return shape(command, data.length);
      return { ok: true, value: { command } };
    case 'samId':
      if (data.length !== 16) return shape(command, data.length);
      return { ok: true, value: { command, samId: formatSamId(data) } };
  }
}

function parseReadData(command: 'read' | 'readWithFingerprint', data: Uint8Array): Result<Response> {
  const lengths = command === 'read' ? 2 : 3;
  if (data.length < lengths * 2) return shape(command, data.length);
  const textLength = (data[0] << 8) | data[1];
  const photoLength = (data[2] << 8) | data[3];
  const fingerprintLength = command === 'read' ? 0 : (data[4] << 8) | data[5];
  if (textLength !== TEXT_LENGTH)
    return fail('unexpected-response', `${command}: text length ${textLength}, every card layout has ${TEXT_LENGTH}`);
  const expected = lengths * 2 + textLength + photoLength + fingerprintLength;
  if (data.length !== expected)
    return fail('unexpected-response', `${command}: ${data.length} data bytes, the length fields add up to ${expected}`);
  const text = data.slice(lengths * 2, lengths * 2 + textLength);
  // A view into the frame, not a copy: it lives as long as the read does.
  const photo = data.subarray(lengths * 2 + textLength, lengths * 2 + textLength + photoLength);
  return { ok: true, value: { command, text, photoLength, fingerprintLength, photo } };
}

/** HslCommunication ExtractSafeModuleNumber (research/idcard.md 1.5). */
function formatSamId(d: Uint8Array): string {
  const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const p2 = (n: number) => String(n).padStart(2, '0');
  const p9 = (n: number) => String(n).padStart(9, '0');
  return `${p2(d[0])}.${p2(d[2])}-${view.getUint32(4, true)}-${p9(view.getUint32(8, true))}-${p9(view.getUint32(12, true))}`;
}

// ---- the reader's side (simulator, fixtures, demo) ----

/** A response frame: SW1 SW2 = 00 00, the status byte, then data. */
export function buildResponse(sw3: number, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const body = new Uint8Array(3 + data.length);
  body[2] = sw3;
  body.set(data, 3);
  return encodeFrame(body);
}

/** The success answer to a command other than a read (reads: buildReadResponse in card-text.ts). */
export function serializeResponse(response: Exclude<Response, { command: 'read' | 'readWithFingerprint' }>): Uint8Array {
  switch (response.command) {
    case 'find':
      return buildResponse(SW_FOUND, response.iin);
    case 'select':
      return buildResponse(SW_OK, response.sn);
    case 'newAddress': {
      const text = encodeUcs2Field(response.address, NEW_ADDRESS_LENGTH);
      return buildResponse(SW_OK, text);
    }
    case 'resetSam':
    case 'samStatus':
      return buildResponse(SW_OK);
    case 'samId':
      return buildResponse(SW_OK, encodeSamId(response.samId));
  }
}

function encodeSamId(samId: string): Uint8Array {
  const m = /^(\d{2})\.(\d{2})-(\d+)-(\d{9})-(\d{9})$/.exec(samId);
  if (!m) throw new RangeError(`not a SAM id: ${samId}`);
  const d = new Uint8Array(16);
  const view = new DataView(d.buffer);
  d[0] = Number(m[1]);
  d[2] = Number(m[2]);
  view.setUint32(4, Number(m[3]), true);
  view.setUint32(8, Number(m[4]), true);
  view.setUint32(12, Number(m[5]), true);
  return d;
}

// ---- shared helpers ----

export function ucs2(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf16le');
}

/** A UCS-2LE field of exactly `size` bytes, space padded; throws when the value does not fit (a fixture bug). */
export function encodeUcs2Field(value: string, size: number): Uint8Array {
  if (value.length * 2 > size) throw new RangeError(`"${value}" is ${value.length} chars; the field holds ${size / 2}`);
  return Uint8Array.from(Buffer.from(value.padEnd(size / 2, ' '), 'utf16le'));
}

function fail<T>(code: 'unexpected-response', message: string): Result<T> {
  return { ok: false, error: new ReaderError(code, message) };
}

function shape<T>(command: CommandName, n: number): Result<T> {
  return fail('unexpected-response', `${command}: unexpected ${n} data bytes`);
}

function hexBytes(b: ArrayLike<number>): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0').toUpperCase()).join(' ');
}
