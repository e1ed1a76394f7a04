// The console layer's error: one code per way a console request or the server itself can fail, each mapped to the
// HTTP answer and the recovery it calls for. Messages are one line a technician can act on; never personal data.
import { GateError, type Recovery } from '../util/gate-error.js';

export type ConsoleErrorCode =
  | 'bad-request' // malformed body or parameters (zod refused it)
  | 'unauthenticated' // no session, or it expired
  | 'bad-credentials' // wrong name or password
  | 'too-many-attempts' // sign-in attempts over the budget
  | 'forbidden' // a cross-site request, or /metrics from an address not listed
  | 'refused' // the gate refuses the action now (fire alarm, lane busy, link down)
  | 'not-found'
  | 'wrong-host' // a Host header that is not the console's (DNS rebinding)
  | 'too-many-streams' // the live streams of all sessions are at their cap
  | 'tls-unreadable' // console.tls cert or key cannot be read
  | 'listen-failed'; // the address is taken or not on this machine

const STATUS: Record<ConsoleErrorCode, number> = {
  'bad-request': 400,
  unauthenticated: 401,
  'bad-credentials': 401,
  'too-many-attempts': 429,
  forbidden: 403,
  refused: 409,
  'not-found': 404,
  'wrong-host': 421,
  'too-many-streams': 503,
  'tls-unreadable': 500,
  'listen-failed': 500,
};

const RECOVERY: Record<ConsoleErrorCode, Recovery> = {
  'bad-request': 'drop',
  unauthenticated: 'drop',
  'bad-credentials': 'drop',
  'too-many-attempts': 'retry',
  forbidden: 'drop',
  refused: 'retry',
  'not-found': 'drop',
  'wrong-host': 'drop',
  'too-many-streams': 'retry',
  'tls-unreadable': 'fix-config',
  'listen-failed': 'fix-config',
};

export class ConsoleError extends GateError<ConsoleErrorCode> {
  constructor(code: ConsoleErrorCode, message: string, options?: { cause?: unknown }) {
    super('console', code, message, RECOVERY[code], options);
  }

  get httpStatus(): number {
    return STATUS[this.code];
  }
}
