// The bridge layer's error: one code per way the MCU link can fail, each with the recovery it calls for.
import { GateError, type Recovery } from '../util/gate-error.js';
import type { NakReason } from './messages.js';

export type BridgeErrorCode =
  | 'no-ack' // the MCU did not acknowledge a request after every retransmission
  | 'nak' // the MCU refused a request (see nakReason)
  | 'link-down' // no session with the MCU: the request was not sent
  | 'mcu-silent' // nothing valid from the MCU within watchdogMs
  | 'mcu-reset' // the MCU rebooted; its session and authorisations are gone
  | 'version-mismatch' // the MCU speaks another protocol major version
  | 'bad-payload' // a frame with a valid CRC carried a message we cannot decode
  | 'unencodable' // a request with a field the wire cannot carry (a string past 16 characters, a number out of range)
  | 'report-unhandled' // the lane could not commit a report; it stays unacknowledged and comes again
  | 'transport'; // the serial port failed

export const BRIDGE_RECOVERY: Record<BridgeErrorCode, Recovery> = {
  'no-ack': 'retry',
  nak: 'drop',
  'link-down': 'retry',
  'mcu-silent': 'reset-device',
  'mcu-reset': 'retry',
  'version-mismatch': 'fix-config',
  'bad-payload': 'nak',
  unencodable: 'drop',
  'report-unhandled': 'retry',
  transport: 'reopen',
};

export class BridgeError extends GateError<BridgeErrorCode> {
  constructor(
    code: BridgeErrorCode,
    message: string,
    readonly nakReason?: NakReason,
    options?: { cause?: unknown },
  ) {
    super('bridge', code, message, BRIDGE_RECOVERY[code], options);
  }
}
