// A Transport over node-hid for keyboard-wedge MRZ scanners: each `data` event is one input report (the keyboard
// decoder reads them, research/mrz.md 4.2). On Linux node-hid uses the hidraw backend, which reads a keyboard's
// reports without detaching it from the kernel's keyboard driver. Unplugging shows up as a read error: the transport
// reports `disconnected` and reopens with exponential backoff until the scanner is back, without a restart.
// The node-hid module is injected so tests can stand in a fake device that plays recorded reports.
import { DeviceError, type Transport, type TransportEvents, type TransportState } from './transport.js';
import { TypedEvents } from '../util/typed-events.js';

/** The part of a node-hid device (HIDAsync or HID) the transport uses. */
export interface HidDeviceHandle {
  on(event: 'data', listener: (data: Buffer) => void): unknown;
  on(event: 'error', listener: (err: unknown) => void): unknown;
  removeAllListeners(event?: string): unknown;
  close(): unknown;
}

export interface HidDeviceInfo {
  vendorId: number;
  productId: number;
  path?: string;
  product?: string;
  manufacturer?: string;
  usagePage?: number;
  usage?: number;
  interface?: number;
}

/** The part of the node-hid module the transport uses. */
export interface HidModule {
  HIDAsync?: { open(path: string, options?: { nonExclusive?: boolean }): Promise<HidDeviceHandle> };
  HID?: new (path: string, options?: { nonExclusive?: boolean }) => HidDeviceHandle;
  devicesAsync?: () => Promise<HidDeviceInfo[]>;
  devices?: () => HidDeviceInfo[];
  setDriverType?: (type: 'hidraw' | 'libusb') => void;
}

export interface HidTransportOptions {
  /** A hidraw path (/dev/hidraw3) or a node-hid path; wins over vendorId/productId. */
  path?: string;
  vendorId?: number;
  productId?: number;
  reconnect?: { initialMs: number; maxMs: number };
  /** The node-hid module; by default `import('node-hid')`. */
  hid?: HidModule | (() => Promise<HidModule>);
  platform?: NodeJS.Platform;
}

const hex4 = (n: number) => n.toString(16).padStart(4, '0');

async function loadNodeHid(platform: NodeJS.Platform): Promise<HidModule> {
  const mod = (await import('node-hid')) as unknown as HidModule & { default?: HidModule };
  const hid = mod.HIDAsync || mod.HID ? mod : (mod.default ?? mod);
  if (platform === 'linux') hid.setDriverType?.('hidraw');
  return hid;
}

/** Keyboard collections (generic desktop page 1, usage 6) first: a scanner may expose several interfaces. */
function pickDevice(list: HidDeviceInfo[], vendorId: number, productId: number): HidDeviceInfo | undefined {
  const mine = list.filter((d) => d.vendorId === vendorId && d.productId === productId && d.path);
  return mine.find((d) => d.usagePage === 1 && d.usage === 6) ?? mine[0];
}

function deviceError(err: unknown, what: string): DeviceError {
  if (err instanceof DeviceError) return err;
  const text = err instanceof Error ? err.message : String(err);
  const code = /permission|EACCES|access denied/i.test(text) ? 'permission-denied' : /busy|exclusive/i.test(text) ? 'busy' : 'not-found';
  const hint = code === 'permission-denied' ? ' (add a udev rule giving the gate user access to the hidraw node)' : '';
  return new DeviceError(code, `cannot open HID ${what}: ${text.split('\n')[0]}${hint}`, { cause: err });
}

export class HidTransport implements Transport {
  readonly events = new TypedEvents<TransportEvents>();
  readonly name: string;
  private _state: TransportState = 'closed';
  private device: HidDeviceHandle | undefined;
  private hid: HidModule | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private delayMs: number;

  constructor(private readonly opts: HidTransportOptions) {
    if (!opts.path && (opts.vendorId === undefined || opts.productId === undefined)) {
      throw new DeviceError('not-found', 'a HID device needs a path or a vendorId and productId');
    }
    this.name = opts.path ? `hid:${opts.path}` : `hid:${hex4(opts.vendorId!)}:${hex4(opts.productId!)}`;
    this.delayMs = opts.reconnect?.initialMs ?? 250;
  }

  get state(): TransportState {
    return this._state;
  }

  /**
   * Opens the device. When that fails the error is reported, thrown, AND the transport keeps retrying with backoff
   * in the background (state `reconnecting`), like the serial transport: a scanner plugged in later is picked up.
   */
  async open(): Promise<void> {
    if (this._state !== 'closed') return;
    this.setState('opening');
    const err = await this.attempt();
    if (err) throw err;
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const dev = this.device;
    this.device = undefined;
    this.setState('closed');
    if (dev) await this.closeQuietly(dev);
  }

  async write(): Promise<void> {
    throw new DeviceError('unsupported', `${this.name} is a keyboard-wedge scanner: nothing can be written to it`);
  }

  private setState(s: TransportState): void {
    if (this._state === s) return;
    this._state = s;
    this.events.emit('state', s);
  }

  /** One open attempt; a failure is reported, a retry scheduled, and the error returned. */
  private async attempt(): Promise<DeviceError | undefined> {
    this.timer = undefined;
    let dev: HidDeviceHandle;
    try {
      dev = await this.openDevice();
    } catch (err) {
      if (this._state === 'closed') return undefined;
      const e = deviceError(err, this.name.slice(4));
      this.events.emit('error', e);
      this.scheduleReconnect();
      return e;
    }
    if (this._state === 'closed') {
      await this.closeQuietly(dev);
      return undefined;
    }
    this.device = dev;
    this.delayMs = this.opts.reconnect?.initialMs ?? 250;
    dev.on('data', (data: Buffer) => this.events.emit('data', new Uint8Array(data)));
    dev.on('error', (err: unknown) => this.lost(dev, err));
    this.setState('open');
    return undefined;
  }

  private async openDevice(): Promise<HidDeviceHandle> {
    const hid = (this.hid ??=
      typeof this.opts.hid === 'function'
        ? await this.opts.hid()
        : (this.opts.hid ?? (await loadNodeHid(this.opts.platform ?? process.platform))));
    let path = this.opts.path;
    if (!path) {
      const list = hid.devicesAsync ? await hid.devicesAsync() : (hid.devices?.() ?? []);
      path = pickDevice(list, this.opts.vendorId!, this.opts.productId!)?.path;
      if (!path)
        throw new DeviceError('not-found', `no HID device ${hex4(this.opts.vendorId!)}:${hex4(this.opts.productId!)} is connected`);
    }
    if (hid.HIDAsync) return hid.HIDAsync.open(path);
    if (hid.HID) return new hid.HID(path);
    throw new DeviceError('unsupported', 'the node-hid module offers neither HIDAsync nor HID');
  }

  /** A read error on an open device: it was unplugged (or its node vanished). */
  private lost(dev: HidDeviceHandle, err: unknown): void {
    if (this.device !== dev) return;
    this.device = undefined;
    const text = err instanceof Error ? err.message : String(err);
    this.events.emit('error', new DeviceError('disconnected', `${this.name} disconnected: ${text.split('\n')[0]}`, { cause: err }));
    void this.closeQuietly(dev);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this._state === 'closed') return;
    this.setState('reconnecting');
    const delay = this.delayMs;
    this.delayMs = Math.min(this.delayMs * 2, this.opts.reconnect?.maxMs ?? 10_000);
    this.timer = setTimeout(() => void this.attempt(), delay);
  }

  private async closeQuietly(dev: HidDeviceHandle): Promise<void> {
    dev.removeAllListeners('data');
    try {
      await dev.close();
    } catch {
      // An unplugged device may refuse to close; it is gone either way.
    }
  }
}

/** HID devices for `gate ports` (keyboards first); an empty list usually means no udev access to /dev/hidraw*. */
export async function listHidDevices(hid?: HidModule): Promise<HidDeviceInfo[]> {
  const mod = hid ?? (await loadNodeHid(process.platform));
  return mod.devicesAsync ? await mod.devicesAsync() : (mod.devices?.() ?? []);
}

/** The transport for `devices.mrzHid` of the config (ids there are 4 hex digits). */
export function hidTransportFromConfig(
  cfg: { path?: string; vendorId?: string; productId?: string },
  reconnect: { initialMs: number; maxMs: number },
  hid?: HidModule,
): HidTransport {
  return new HidTransport({
    path: cfg.path,
    vendorId: cfg.vendorId !== undefined ? parseInt(cfg.vendorId, 16) : undefined,
    productId: cfg.productId !== undefined ? parseInt(cfg.productId, 16) : undefined,
    reconnect,
    hid,
  });
}
