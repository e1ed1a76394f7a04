// A byte transport to one device (serial port, HID keyboard-wedge, replayed recording). Small on purpose: the
// layers above (framers, line assemblers, the bridge client) depend on this and nothing else of the device.
import type { TypedEvents } from '../util/typed-events.js';
import { GateError, type Recovery } from '../util/gate-error.js';

export type TransportState = 'closed' | 'opening' | 'open' | 'reconnecting';

export interface TransportEvents {
  /** Raw bytes as they arrived (a chunk may hold part of a frame or several frames). */
  data: Uint8Array;
  state: TransportState;
  /** A one-line problem a technician can act on (the transport itself keeps trying to recover). */
  error: DeviceError;
}

export interface Transport {
  readonly name: string;
  readonly events: TypedEvents<TransportEvents>;
  readonly state: TransportState;
  open(): Promise<void>;
  close(): Promise<void>;
  write(bytes: Uint8Array): Promise<void>;
}

export type DeviceErrorCode =
  | 'not-found' // no such port / device
  | 'permission-denied' // not in dialout / no udev rule
  | 'busy' // another process holds the port
  | 'disconnected' // unplugged while open
  | 'silent' // the device does not answer
  | 'wrong-baud' // answers are garbage: probably the wrong baud rate
  | 'write-failed'
  | 'unsupported';

export const DEVICE_RECOVERY: Record<DeviceErrorCode, Recovery> = {
  'not-found': 'fix-config',
  'permission-denied': 'fix-config',
  busy: 'reopen', // another process may let go: keep trying to open
  disconnected: 'reopen',
  silent: 'reset-device',
  'wrong-baud': 'fix-config',
  'write-failed': 'reopen',
  unsupported: 'fix-config',
};

export class DeviceError extends GateError<DeviceErrorCode> {
  constructor(code: DeviceErrorCode, message: string, options?: { cause?: unknown }) {
    super('device', code, message, DEVICE_RECOVERY[code], options);
  }
}
