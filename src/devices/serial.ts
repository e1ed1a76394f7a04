// A Transport over a serial port (serialport's stream + the native binding, both injectable). The port is found by
// path or by USB vendor/product id; an unplug is reported once and recovered by reopening with exponential
// backoff, so the daemon never has to restart for a loose cable.
import { SerialPortStream } from '@serialport/stream';
import { autoDetect } from '@serialport/bindings-cpp';
import { TypedEvents } from '../util/typed-events.js';
import { DeviceError, type Transport, type TransportEvents, type TransportState } from './transport.js';

// @serialport/bindings-interface has no "types" export condition, so NodeNext cannot import it: derive the types.

/** The longest a write may take: a frame of a few hundred bytes is milliseconds on the wire at 9600 baud. */
const WRITE_BOUND_MS = 2000;
export type SerialBinding = ConstructorParameters<typeof SerialPortStream>[0]['binding'];
export type PortInfo = Awaited<ReturnType<SerialBinding['list']>>[number];

export interface SerialTransportOptions {
  /** For logs and errors, e.g. "idcard". */
  name: string;
  /** The config section that sets this port, named in hints (default `devices.<name>`; the MCU's is `bridge.port`). */
  configKey?: string;
  path?: string;
  vendorId?: string;
  productId?: string;
  baudRate: number;
  reconnect: { initialMs: number; maxMs: number };
  /** The native binding; tests pass @serialport/binding-mock. */
  binding?: SerialBinding;
}

export class SerialTransport implements Transport {
  readonly events = new TypedEvents<TransportEvents>();
  readonly name: string;
  private _state: TransportState = 'closed';
  private port?: SerialPortStream;
  private retryTimer?: ReturnType<typeof setTimeout>;
  private attempt = 0;
  private readonly binding: SerialBinding;
  /** The code of the last error reported, so a port that stays away is reported once, not every retry. */
  private lastErrorCode?: string;

  constructor(private readonly opts: SerialTransportOptions) {
    this.name = opts.name;
    this.binding = opts.binding ?? autoDetect();
  }

  get state(): TransportState {
    return this._state;
  }

  /**
   * Open the port. When that fails the error is thrown AND the transport keeps retrying with backoff in the
   * background (state `reconnecting`): a reader plugged in later is picked up without a restart.
   */
  async open(): Promise<void> {
    if (this._state !== 'closed') return;
    this.setState('opening');
    try {
      await this.tryOpen();
    } catch (err) {
      const e = err as DeviceError;
      this.report(e);
      this.setState('reconnecting');
      this.scheduleRetry();
      throw e;
    }
  }

  async close(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const port = this.port;
    this.port = undefined;
    this.setState('closed');
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  async write(bytes: Uint8Array): Promise<void> {
    const port = this.port;
    if (this._state !== 'open' || !port) {
      throw new DeviceError(
        this._state === 'reconnecting' ? 'disconnected' : 'write-failed',
        `${this.name}: port is not open (${this._state})`,
      );
    }
    // A port that closes while the write is pending (a pty hang-up, an unplugged adapter) never calls the write's
    // callback: the write would wait forever and hold the link's queue. It ends with the close, or after a bound far
    // above any frame's time on the wire.
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (err?: DeviceError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        port.off('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      const onClose = (): void => finish(new DeviceError('disconnected', `${this.name}: the port closed during a write`));
      const timer = setTimeout(
        () => finish(new DeviceError('write-failed', `${this.name}: a write did not complete in ${WRITE_BOUND_MS} ms`)),
        WRITE_BOUND_MS,
      );
      port.once('close', onClose);
      port.write(Buffer.from(bytes), (err) => {
        if (err) return finish(mapSerialError(err, this.describe()));
        port.drain((e) => finish(e ? mapSerialError(e, this.describe()) : undefined));
      });
    });
  }

  private async tryOpen(): Promise<void> {
    const path = await resolvePortPath(this.opts, () => this.binding.list());
    const port = new SerialPortStream({ binding: this.binding, path, baudRate: this.opts.baudRate, autoOpen: false, lock: true });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(mapSerialError(err, path)) : resolve())));
    if (this._state === 'closed') {
      // close() was called while we were opening.
      port.close();
      return;
    }
    this.port = port;
    this.attempt = 0;
    this.lastErrorCode = undefined;
    port.on('data', (d: Buffer) => this.events.emit('data', new Uint8Array(d.buffer, d.byteOffset, d.byteLength)));
    port.on('error', (err: Error) => this.report(mapSerialError(err, path)));
    port.on('close', () => {
      if (this.port !== port) return; // our own close()
      this.port = undefined;
      this.report(new DeviceError('disconnected', `${this.name}: ${path} went away (unplugged?); reconnecting`));
      this.setState('reconnecting');
      this.scheduleRetry();
    });
    this.setState('open');
  }

  private scheduleRetry(): void {
    const { initialMs, maxMs } = this.opts.reconnect;
    const delay = Math.min(maxMs, initialMs * 2 ** Math.min(this.attempt, 20));
    this.attempt++;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this._state !== 'reconnecting') return;
      this.tryOpen().catch((err: DeviceError) => {
        if (this._state !== 'reconnecting') return;
        this.report(err);
        this.scheduleRetry();
      });
    }, delay);
  }

  private report(err: DeviceError): void {
    if (err.code === this.lastErrorCode) return;
    this.lastErrorCode = err.code;
    this.events.emit('error', err);
  }

  private setState(s: TransportState): void {
    if (this._state === s) return;
    this._state = s;
    this.events.emit('state', s);
  }

  private describe(): string {
    return this.opts.path ?? `${this.opts.vendorId}:${this.opts.productId}`;
  }
}

/** The device path: the configured one, or the first port whose USB ids match. */
export async function resolvePortPath(
  opts: Pick<SerialTransportOptions, 'name' | 'configKey' | 'path' | 'vendorId' | 'productId'>,
  list: () => Promise<PortInfo[]>,
): Promise<string> {
  if (opts.path) return opts.path;
  if (!opts.vendorId || !opts.productId) {
    const key = opts.configKey ?? `devices.${opts.name}`;
    throw new DeviceError('not-found', `${opts.name}: set ${key}.path or ${key}.vendorId + ${key}.productId`);
  }
  const want = (s?: string) => (s ?? '').toLowerCase();
  const ports = await list();
  const hit = ports.find((p) => want(p.vendorId) === want(opts.vendorId) && want(p.productId) === want(opts.productId));
  if (!hit) {
    throw new DeviceError(
      'not-found',
      `${opts.name}: no serial port with USB id ${opts.vendorId}:${opts.productId} (is it plugged in? gate ports lists what is there)`,
    );
  }
  return hit.path;
}

/** serialport reports errors as text only ("No such file or directory, cannot open ..."): classify by it. */
export function mapSerialError(err: unknown, path: string): DeviceError {
  const text = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: string }).code ?? '';
  if (code === 'ENOENT' || /no such file|not found|cannot find/i.test(text)) {
    return new DeviceError('not-found', `${path} does not exist: check the cable and the path (gate ports lists ports)`, { cause: err });
  }
  if (code === 'EACCES' || /permission denied|access denied/i.test(text)) {
    return new DeviceError(
      'permission-denied',
      `no permission to open ${path}: add the user to dialout (usermod -aG dialout USER) or add a udev rule`,
      { cause: err },
    );
  }
  if (code === 'EBUSY' || code === 'EAGAIN' || /lock|busy|resource temporarily unavailable/i.test(text)) {
    return new DeviceError('busy', `${path} is held by another process: stop it (fuser ${path} shows which)`, { cause: err });
  }
  if (/inappropriate ioctl|not a tty|baud/i.test(text)) {
    return new DeviceError('unsupported', `${path} is not a serial port or does not support the baud rate`, { cause: err });
  }
  if (/disconnected|EIO|input\/output error/i.test(text)) {
    return new DeviceError('disconnected', `${path} went away (unplugged?)`, { cause: err });
  }
  return new DeviceError('write-failed', `${path}: ${text.split('\n')[0]}`, { cause: err });
}
