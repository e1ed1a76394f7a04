// One error type per layer: each carries a code from its layer's enum and the recovery that code calls for.
// Tests check `code`, never the text. The message is one line a technician can act on.

export type Recovery =
  | 'nak' // answer the peer with a NAK / ask for a retransmit
  | 'drop' // drop the input, log it, carry on
  | 'retry' // try the same request again later
  | 'reset-device' // reset the reader / reconnect the port
  | 'resync' // ask central for a fresh snapshot
  | 'fix-config' // a human must fix the configuration
  | 'fatal'; // cannot continue

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
