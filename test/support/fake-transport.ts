// A strict in-memory Transport for unit tests. It enforces the rules of a real port so code that would fail on
// hardware fails here too: no write before open or after close, no double open/close, no data while closed,
// writes fail while unplugged. `connect` wires a simulated device (bytes written by the host -> sim -> deliver).
import { TypedEvents } from '../../src/util/typed-events.js';
import { DeviceError, type Transport, type TransportEvents, type TransportState } from '../../src/devices/transport.js';

export class FakeTransport implements Transport {
  readonly events = new TypedEvents<TransportEvents>();
  readonly written: Uint8Array[] = [];
  private _state: TransportState = 'closed';
  private device?: (bytes: Uint8Array) => void;
  /** Make the next open() fail with this error (e.g. not-found, permission-denied). */
  failNextOpen?: DeviceError;
  /** Make the next `count` writes fail with `error` (a driver error the port layer did not name, by default). */
  failWrites: { count: number; error: unknown } = { count: 0, error: new Error('EIO: i/o error, write') };

  constructor(readonly name = 'fake') {}

  get state(): TransportState {
    return this._state;
  }

  /** The simulated device receives every write. */
  connect(device: (bytes: Uint8Array) => void): void {
    this.device = device;
  }

  async open(): Promise<void> {
    if (this._state !== 'closed') throw new DeviceError('busy', `${this.name} is already open`);
    if (this.failNextOpen) {
      const e = this.failNextOpen;
      this.failNextOpen = undefined;
      throw e;
    }
    this.setState('open');
  }

  async close(): Promise<void> {
    if (this._state === 'closed') throw new DeviceError('write-failed', `${this.name} is not open`);
    this.setState('closed');
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this._state !== 'open') {
      throw new DeviceError(this._state === 'reconnecting' ? 'disconnected' : 'write-failed', `${this.name} is not open`);
    }
    if (this.failWrites.count > 0) {
      this.failWrites.count--;
      throw this.failWrites.error;
    }
    const copy = Uint8Array.from(bytes);
    this.written.push(copy);
    this.device?.(copy);
  }

  /** Bytes from the device. Throws when the port is not open: a test that does this has a bug. */
  deliver(bytes: Uint8Array): void {
    if (this._state !== 'open') throw new Error(`FakeTransport ${this.name}: data while ${this._state}`);
    this.events.emit('data', Uint8Array.from(bytes));
  }

  /** The cable is pulled: the transport reports it and tries to come back. */
  unplug(): void {
    if (this._state !== 'open') throw new Error(`FakeTransport ${this.name}: unplug while ${this._state}`);
    this.events.emit('error', new DeviceError('disconnected', `${this.name} was unplugged`));
    this.setState('reconnecting');
  }

  replug(): void {
    if (this._state !== 'reconnecting') throw new Error(`FakeTransport ${this.name}: replug while ${this._state}`);
    this.setState('open');
  }

  private setState(s: TransportState): void {
    this._state = s;
    this.events.emit('state', s);
  }
}
