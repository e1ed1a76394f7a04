// `gate ports`: the serial ports and HID devices this machine sees, with the USB ids to put in the config, and,
// when a list is empty or a device cannot be opened, why (no udev, no permission, nothing plugged in).
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { autoDetect } from '@serialport/bindings-cpp';
import { parseOptions, writeJson, type Command } from '../command.js';
import type { PortInfo } from '../../devices/serial.js';

export interface HidInfo {
  path?: string;
  vendorId: number;
  productId: number;
  manufacturer?: string;
  product?: string;
  usagePage?: number;
  usage?: number;
}

export interface DeviceNode {
  path: string;
  accessible: boolean;
}

/** What `gate ports` looks at; injected so the explanations can be tested without devices. */
export interface PortsProbe {
  listSerial(): Promise<PortInfo[]>;
  listHid(): Promise<HidInfo[]>;
  udevRunning(): boolean;
  /** /dev/ttyUSB*, /dev/ttyACM*, /dev/hidraw* with whether this user may open them read-write. */
  deviceNodes(): DeviceNode[];
  user(): string;
}

export const systemProbe: PortsProbe = {
  async listSerial() {
    return await autoDetect().list();
  },
  async listHid() {
    // node-hid is a native CommonJS module: load it lazily so `gate ports` still lists serial ports without it.
    const hid = createRequire(import.meta.url)('node-hid') as { devicesAsync(): Promise<HidInfo[]> };
    return hid.devicesAsync();
  },
  udevRunning: () => existsSync('/run/udev/control') || existsSync('/run/udev'),
  deviceNodes() {
    let names: string[];
    try {
      names = readdirSync('/dev').filter((n) => /^(ttyUSB|ttyACM|hidraw)\d+$/.test(n));
    } catch {
      return [];
    }
    return names.map((n) => {
      const path = `/dev/${n}`;
      try {
        accessSync(path, constants.R_OK | constants.W_OK);
        return { path, accessible: true };
      } catch {
        return { path, accessible: false };
      }
    });
  },
  user: () => process.env.USER ?? 'USER',
};

export interface PortsReport {
  serial: { path: string; vendorId?: string; productId?: string; manufacturer?: string; serialNumber?: string }[];
  hid: { path?: string; vendorId: string; productId: string; manufacturer?: string; product?: string; keyboard: boolean }[];
  /** Why a list is empty or a device will not open; one actionable line each. */
  notes: string[];
}

const hex4 = (n: number) => n.toString(16).padStart(4, '0');

export async function collectPorts(probe: PortsProbe): Promise<PortsReport> {
  const notes: string[] = [];
  let serial: PortInfo[] = [];
  let hid: HidInfo[] = [];
  try {
    serial = await probe.listSerial();
  } catch (err) {
    notes.push(`serial ports could not be listed: ${(err as Error).message.split('\n')[0]}`);
  }
  try {
    hid = await probe.listHid();
  } catch (err) {
    notes.push(`HID devices could not be listed (node-hid: ${(err as Error).message.split('\n')[0]})`);
  }
  const nodes = probe.deviceNodes();
  const udev = probe.udevRunning();
  const locked = nodes.filter((n) => !n.accessible);
  const lockedTty = locked.filter((n) => !n.path.includes('hidraw'));
  const lockedHid = locked.filter((n) => n.path.includes('hidraw'));
  if (lockedTty.length)
    notes.push(
      `no permission on ${lockedTty.map((n) => n.path).join(', ')}: add the user to dialout (sudo usermod -aG dialout ${probe.user()}) and log in again`,
    );
  if (lockedHid.length)
    notes.push(
      `no permission on ${lockedHid.map((n) => n.path).join(', ')}: hidraw nodes are root-only by default; add a udev rule (KERNEL=="hidraw*", ATTRS{idVendor}=="VVVV", MODE="0660", GROUP="plugdev")`,
    );
  const usbSerial = serial.filter((p) => p.vendorId);
  if (!udev)
    notes.push(
      'udev is not running (a container?): USB ids and /dev/serial/by-id are missing, so configure devices by path, not vendorId/productId',
    );
  if (usbSerial.length === 0) {
    const ttyNodes = nodes.filter((n) => !n.path.includes('hidraw'));
    if (ttyNodes.length && !udev)
      notes.push(
        `no USB serial adapter listed although ${ttyNodes.map((n) => n.path).join(', ')} exist: without udev their ids are unknown`,
      );
    else if (!ttyNodes.length)
      notes.push(
        'no USB serial adapter is plugged in (nothing at /dev/ttyUSB* or /dev/ttyACM*): check the cable, and dmesg for the adapter',
      );
  }
  if (hid.length === 0) {
    const hidNodes = nodes.filter((n) => n.path.includes('hidraw'));
    if (!hidNodes.length) notes.push('no HID devices: nothing at /dev/hidraw* (scanner unplugged, or the hidraw driver is not loaded)');
    else if (lockedHid.length === hidNodes.length)
      notes.push('HID devices exist but none can be opened by this user (see the udev rule above)');
  }
  return {
    serial: serial.map((p) => ({
      path: p.path,
      ...(p.vendorId ? { vendorId: p.vendorId.toLowerCase() } : {}),
      ...(p.productId ? { productId: p.productId.toLowerCase() } : {}),
      ...(p.manufacturer ? { manufacturer: p.manufacturer } : {}),
      ...(p.serialNumber ? { serialNumber: p.serialNumber } : {}),
    })),
    hid: hid.map((d) => ({
      ...(d.path ? { path: d.path } : {}),
      vendorId: hex4(d.vendorId),
      productId: hex4(d.productId),
      ...(d.manufacturer ? { manufacturer: d.manufacturer } : {}),
      ...(d.product ? { product: d.product } : {}),
      // Usage page 1 / usage 6: a keyboard, i.e. what a keyboard-wedge MRZ scanner presents.
      keyboard: d.usagePage === 1 && d.usage === 6,
    })),
    notes,
  };
}

export function formatPorts(r: PortsReport): string {
  const lines: string[] = ['serial ports:'];
  if (r.serial.length === 0) lines.push('  (none)');
  for (const p of r.serial)
    lines.push(`  ${p.path}${p.vendorId ? `  usb ${p.vendorId}:${p.productId}` : ''}${p.manufacturer ? `  ${p.manufacturer}` : ''}`);
  lines.push('HID devices:');
  if (r.hid.length === 0) lines.push('  (none)');
  for (const d of r.hid)
    lines.push(`  ${d.path ?? '?'}  usb ${d.vendorId}:${d.productId}${d.keyboard ? '  keyboard' : ''}${d.product ? `  ${d.product}` : ''}`);
  if (r.notes.length) lines.push('notes:', ...r.notes.map((n) => `  - ${n}`));
  return lines.join('\n') + '\n';
}

export function portsCommand(probe: PortsProbe = systemProbe): Command {
  return {
    name: 'ports',
    summary: 'list serial ports and HID devices with their USB ids',
    help: `usage: gate ports [--json]

Lists the serial ports (path, USB vendor:product id) and HID devices (path, vendor:product, whether it is a
keyboard, as keyboard-wedge MRZ scanners are) this machine sees. Put the path or the ids in the config
(devices.idcard.path / vendorId + productId, devices.mrzHid...). When a list is empty or a device cannot be
opened, a note says why: udev not running, no permission (dialout group, hidraw udev rule), nothing plugged in.`,
    async run(args, io) {
      const { values } = parseOptions(args, { json: { type: 'boolean' } });
      const report = await collectPorts(probe);
      if (values.json) writeJson(io, report);
      else io.stdout.write(formatPorts(report));
      return 0;
    },
  };
}

export const portsListCommand = portsCommand();
