// The reader layer's error: what went wrong between the SAM module's bytes and a Document. Every SW3 status of the
// SAM has its own code (research/idcard.md 1.4), so a technician can tell "no card" from "SAM not authorised".
import { GateError, type Recovery } from '../../util/gate-error.js';

export const SW3_CODES = {
  0x90: 'ok',
  0x9f: 'card-found',
  0x91: 'no-such-item',
  0x10: 'reader-got-bad-checksum',
  0x11: 'reader-got-bad-length',
  0x21: 'reader-got-bad-command',
  0x23: 'unauthorised-operation',
  0x24: 'reader-unknown-error',
  0x31: 'card-rejected-sam',
  0x32: 'sam-rejected-card',
  0x33: 'card-info-invalid',
  0x40: 'unknown-card-type',
  0x41: 'read-failed',
  0x47: 'random-failed',
  0x60: 'sam-self-test-failed',
  0x66: 'sam-not-authorised',
  0x80: 'no-card',
  0x81: 'select-failed',
} as const;

export type StatusCode = (typeof SW3_CODES)[keyof typeof SW3_CODES];
export type FailureStatusCode = Exclude<StatusCode, 'ok' | 'card-found'>;

export type ReaderErrorCode =
  | FailureStatusCode
  | 'unknown-status' // an SW3 the notes do not list
  // framing of one whole frame
  | 'bad-preamble'
  | 'bad-length'
  | 'bad-checksum'
  | 'truncated'
  | 'unexpected-response' // a valid frame, but not the answer to the command
  // the text block
  | 'unknown-layout' // card type flag at offset 248 is none of ' ', I, Y, J
  | 'bad-field' // a date, sex code or number that cannot be what the layout says
  | 'bad-number-check' // MOD 11-2 check char of an 18-character number does not match
  // the session
  | 'timeout' // the reader did not answer in time
  | 'write-failed'; // the command could not be written to the port (it never reached the reader)

export const READER_RECOVERY: Record<ReaderErrorCode, Recovery> = {
  'no-such-item': 'drop',
  'reader-got-bad-checksum': 'retry',
  'reader-got-bad-length': 'retry',
  'reader-got-bad-command': 'fix-config',
  'unauthorised-operation': 'reset-device',
  'reader-unknown-error': 'reset-device',
  'card-rejected-sam': 'retry',
  'sam-rejected-card': 'drop',
  'card-info-invalid': 'drop',
  'unknown-card-type': 'drop',
  'read-failed': 'retry',
  'random-failed': 'reset-device',
  'sam-self-test-failed': 'reset-device',
  'sam-not-authorised': 'fix-config',
  'no-card': 'retry',
  'select-failed': 'retry',
  'unknown-status': 'reset-device',
  'bad-preamble': 'drop',
  'bad-length': 'drop',
  'bad-checksum': 'retry',
  truncated: 'retry',
  'unexpected-response': 'drop',
  'unknown-layout': 'drop',
  'bad-field': 'drop',
  'bad-number-check': 'drop',
  timeout: 'retry',
  'write-failed': 'reopen',
};

export class ReaderError extends GateError<ReaderErrorCode> {
  constructor(
    code: ReaderErrorCode,
    message: string,
    /** The SW3 byte when the error came from the SAM. */
    readonly sw3?: number,
  ) {
    super('reader', code, message, READER_RECOVERY[code]);
  }
}

const hex2 = (b: number) => b.toString(16).padStart(2, '0').toUpperCase();

/** The named status of an SW3 byte. */
export function statusOf(sw3: number): StatusCode | 'unknown-status' {
  return (SW3_CODES as Record<number, StatusCode>)[sw3] ?? 'unknown-status';
}

/** The error for a failure status word (call only for SW3 other than 90/9F). */
export function statusError(sw3: number): ReaderError {
  const code = statusOf(sw3);
  const named = code === 'ok' || code === 'card-found' ? 'unexpected-response' : code;
  return new ReaderError(named, `status word SW3=${hex2(sw3)} (${code})`, sw3);
}
