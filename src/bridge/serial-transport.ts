// A small serialport-backed Transport for the MCU link (src/devices/serial.ts, the shared one, was not in the tree
// when this was written; swap to it when it lands). Reopens the port after an unplug with a fixed backoff.
import { SerialPort } from 'serialport';
import { TypedEvents } from '../util/typed-events.js';
import { DeviceError, type Transport, type TransportEvents, type TransportState } from '../devices/transport.js';

export interface SerialTransportOptions {
  path: string;
  baudRate?: number;
  reconnectMs?: number;
}

export class SerialTransport implements Transport {
  readonly events = new TypedEvents<TransportEvents>();
  readonly name: string;
  private port: SerialPort | null = null;
  private _state: TransportState = 'closed';
  private wanted = false;
  private retry: NodeJS.Timeout | null = null;

  constructor(private readonly opts: SerialTransportOptions) {
    this.name = `serial:${opts.path}`;
  }

  get state(): TransportState {
    return this._state;
  }

  async open(): Promise<void> {
    this.wanted = true;
    await this.connect();
  }

  async close(): Promise<void> {
    this.wanted = false;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    const port = this.port;
    this.port = null;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    this.setState('closed');
  }

  write(bytes: Uint8Array): Promise<void> {
    const port = this.port;
    if (!port || this._state !== 'open') return Promise.reject(new DeviceError('write-failed', `${this.name} is not open`));
    return new Promise((resolve, reject) => {
      port.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), (err) =>
        err ? reject(new DeviceError('write-failed', `${this.name}: ${err.message}`, { cause: err })) : resolve(),
      );
    });
  }

  private async connect(): Promise<void> {
    this.setState(this._state === 'closed' ? 'opening' : 'reconnecting');
    const port = new SerialPort({ path: this.opts.path, baudRate: this.opts.baudRate ?? 115200, autoOpen: false });
    try {
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    } catch (err) {
      const code = /ENOENT|No such file/.test(String(err)) ? 'not-found' : /EACCES/.test(String(err)) ? 'permission-denied' : 'busy';
      this.events.emit('error', new DeviceError(code, `${this.name}: ${(err as Error).message}`, { cause: err }));
      this.scheduleReconnect();
      return;
    }
    if (!this.wanted) {
      port.close();
      return;
    }
    this.port = port;
    port.on('data', (d: Buffer) => this.events.emit('data', new Uint8Array(d.buffer, d.byteOffset, d.byteLength)));
    port.on('close', () => {
      if (this.port !== port) return;
      this.port = null;
      if (!this.wanted) return;
      this.events.emit('error', new DeviceError('disconnected', `${this.name} closed`));
      this.setState('reconnecting');
      this.scheduleReconnect();
    });
    port.on('error', (err) => this.events.emit('error', new DeviceError('disconnected', `${this.name}: ${err.message}`, { cause: err })));
    this.setState('open');
  }

  private scheduleReconnect(): void {
    if (!this.wanted || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      if (this.wanted) void this.connect();
    }, this.opts.reconnectMs ?? 250);
  }

  private setState(s: TransportState): void {
    if (s === this._state) return;
    this._state = s;
    this.events.emit('state', s);
  }
}
