// The face layer's error: one code per way a match request can fail. Every one of them ends the same way for the
// passenger (the lane treats the answer as `unavailable` and follows face.onUnavailable); the code says to the
// technician where to look.
import { GateError, type Recovery } from '../util/gate-error.js';

export type FaceErrorCode =
  | 'connect-failed' // nothing listens on face.endpoint (module down, wrong path, permissions)
  | 'disconnected' // the module closed the connection before it answered
  | 'timeout' // no answer before the request's deadline
  | 'bad-answer' // an answer that is not the documented JSON (docs/face-match.md)
  | 'too-large'; // a frame past MAX_FRAME_BYTES (either way)

const RECOVERY: Record<FaceErrorCode, Recovery> = {
  'connect-failed': 'retry',
  disconnected: 'retry',
  timeout: 'retry',
  'bad-answer': 'drop',
  'too-large': 'drop',
};

export class FaceError extends GateError<FaceErrorCode> {
  constructor(code: FaceErrorCode, message: string, options?: { cause?: unknown }) {
    super('face', code, message, RECOVERY[code], options);
  }
}
