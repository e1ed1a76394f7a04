// One error type per layer: each carries a code from its layer's enum and the recovery that code calls for.
// Tests check `code`, never the text. The message is one line a technician can act on.

// The loops act on `recovery`, never on the code (the code says what happened, for logs, status and tests):
// the ID-card session (src/readers/idcard/session.ts), the lane and the daemon's storage health.
export type Recovery =
  | 'nak' // answer the peer with a NAK / ask for a retransmit
  | 'drop' // drop the input, log it, carry on (the input, not the device, is at fault)
  | 'retry' // try the same request again later; repeated failures escalate (an ID-card reader resets its SAM)
  | 'reset-device' // the device itself is stuck: reset it now (the ID-card reader's SAM reset)
  | 'reopen' // the port is gone or broken: the transport closes and reopens it; resetting the device cannot help
  | 'refuse' // storage cannot commit: the lane opens for nobody (the display says so) until a write succeeds
  | 'resync' // ask central for a fresh snapshot
  | 'fix-config' // a human must fix the configuration
  | 'fatal'; // cannot continue

/** Every recovery, for tables that must cover them all. */
export const RECOVERIES: readonly Recovery[] = [
  'nak',
  'drop',
  'retry',
  'reset-device',
  'reopen',
  'refuse',
  'resync',
  'fix-config',
  'fatal',
];

export class GateError<Code extends string = string> extends Error {
  constructor(
    readonly layer: string,
    readonly code: Code,
    message: string,
    readonly recovery: Recovery,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = `${layer}Error`;
  }

  /** One line: "layer/code: message". */
  toLine(): string {
    return `${this.layer}/${this.code}: ${this.message}`;
  }
}

export function isGateError(e: unknown): e is GateError {
  return e instanceof GateError;
}

/** A one-line text for any thrown value. */
export function errorLine(e: unknown): string {
  if (e instanceof GateError) return e.toLine();
  if (e instanceof Error) return e.message.split('\n')[0];
  return String(e);
}
