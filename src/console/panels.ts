// The read-only panels besides the live lane: devices with the fix line doctor would give, cache and sync, outbox,
// and the running config with secrets masked. Each is built from the daemon's own status, never from a second
// opening of a device port (the daemon holds them).
import type { GateDaemon } from '../daemon/gate-daemon.js';
import type { GateConfig } from '../config/schema.js';
import { lineAdvice, mqttAdvice } from '../daemon/line-health.js';
import { cacheVerdict } from '../daemon/cache-health.js';
import { maskedConfig } from '../config/load.js';

export interface DeviceRow {
  name: string;
  state: string;
  port: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  fix: string | null;
}

/** Where a device is attached, as the config names it. */
export function devicePort(name: string, c: GateConfig): string | null {
  const usb = (d: { path?: string; vendorId?: string; productId?: string }) =>
    d.path ?? (d.vendorId ? `${d.vendorId}:${d.productId}` : null);
  switch (name) {
    case 'idcard':
      return usb(c.devices.idcard);
    case 'mrzSerial':
      return usb(c.devices.mrzSerial);
    case 'mrzHid':
      return usb(c.devices.mrzHid);
    case 'bridge':
      return usb(c.bridge.port);
    case 'mqtt':
      return c.mqtt.urls[0];
    case 'syncWorker':
    case 'storage':
      return c.db;
    default:
      return null;
  }
}

/** The one line a technician acts on for a device in fault: the same words doctor and the daemon's log use. */
export function deviceFix(name: string, state: string, detail: string | null, c: GateConfig): string | null {
  if (state === 'ok') return null;
  const port = devicePort(name, c) ?? 'the configured port';
  if (name === 'mqtt') return detail ? mqttAdvice(c.mqtt.urls[0], detail) : null;
  if (name === 'idcard' && (detail === 'silent' || detail === 'wrong-baud'))
    return lineAdvice('idcard', c.devices.idcard.path, c.devices.idcard.baudRate, detail);
  switch (detail) {
    case 'not-found':
      return `${name}: ${port} does not exist: check the cable and the path (gate ports lists ports)`;
    case 'permission-denied':
      return `${name}: no permission to open ${port}: add the user to dialout (usermod -aG dialout USER) or add a udev rule`;
    case 'busy':
      return `${name}: ${port} is held by another process: stop it (fuser ${port} shows which)`;
    case 'disconnected':
      return `${name}: ${port} went away (unplugged?): plug it back in; the gate reconnects by itself`;
    case 'mcu-silent':
    case 'no-ack':
    case 'link-down':
      return `bridge: the MCU on ${port} stopped answering: check its power and cable; the lane is in its fail mode (bridge.failMode) until it answers`;
    case 'version-mismatch':
      return `bridge: the MCU on ${port} speaks another protocol version: update its firmware (firmware-bridge/PROTOCOL.md)`;
    case 'wrong-baud':
      return `${name}: only garbage on ${port}: probably the wrong baud rate; check its baudRate in the config`;
    case 'silent':
      return `${name}: no answer on ${port}: check that it is the right port (gate ports), the cable and the device's power`;
    case 'disk-full':
      return `storage: the disk of ${port} is full: free space; the lane opens for nobody until events can be written`;
    case 'opening':
      return `${name}: not opened yet on ${port}: the gate keeps trying; check the cable and the path (gate ports)`;
  }
  if (name === 'syncWorker')
    return `syncWorker: ${detail}: the worker restarts by itself; if it keeps failing, see gate sync status and the log`;
  if (name === 'storage') return `storage: ${detail}: see the log; the gate refuses to open while events cannot be written`;
  return `${name}: ${detail ?? state}: see gate doctor (with the service stopped) and the log`;
}

/** Remembers each device's last fault, which the status (current state only) forgets once it recovers. */
export class DeviceFaults {
  private readonly last = new Map<string, { detail: string; at: string }>();
  private readonly off: () => void;

  constructor(gate: Pick<GateDaemon, 'events'>, now: () => number = Date.now) {
    this.off = gate.events.on('device', (d) => {
      if (d.state !== 'ok' && d.detail && d.detail !== 'opening')
        this.last.set(d.name, { detail: d.detail, at: new Date(now()).toISOString() });
    });
  }

  rows(gate: Pick<GateDaemon, 'statusSnapshot'>, c: GateConfig): DeviceRow[] {
    return Object.entries(gate.statusSnapshot().devices).map(([name, d]) => {
      const last = this.last.get(name);
      return {
        name,
        state: d.state,
        port: devicePort(name, c),
        lastError: last?.detail ?? null,
        lastErrorAt: last?.at ?? null,
        fix: deviceFix(name, d.state, d.detail, c),
      };
    });
  }

  close(): void {
    this.off();
  }
}

export interface CachePanel {
  passengers: number;
  tickets: number;
  epoch: string | null;
  seq: number | null;
  ageSeconds: number | null;
  maxAgeMinutes: number;
  verdict: string;
  verdictLine: string;
  lastRefusal: { kind: string; at: string; detail: string } | null;
  syncEnabled: boolean;
}

/** count(*) over a million tickets scans the table (tens of ms on a gate's CPU): counted again only when the data changed. */
const counted = new WeakMap<object, { at: string; passengers: number; tickets: number }>();

function cacheCounts(gate: Pick<GateDaemon, 'db'>, position: string): { passengers: number; tickets: number } {
  const hit = counted.get(gate.db);
  if (hit?.at === position) return hit;
  const count = (table: 'passengers' | 'tickets') => gate.db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
  const fresh = { at: position, passengers: count('passengers'), tickets: count('tickets') };
  counted.set(gate.db, fresh);
  return fresh;
}

export function cachePanel(gate: Pick<GateDaemon, 'statusSnapshot' | 'db' | 'sync'>, c: GateConfig): CachePanel {
  const s = gate.statusSnapshot();
  const counts = cacheCounts(gate, `${s.cache.epoch}:${s.cache.seq}`);
  const v = cacheVerdict(s.cache, c.rules.maxCacheAgeMinutes);
  const refusals = Object.entries(s.refusals ?? {})
    .map(([kind, r]) => (r.lastReport ? { kind, at: r.lastReport.at, detail: r.lastReport.detail } : null))
    .filter((r): r is NonNullable<typeof r> => r !== null)
    .sort((a, b) => b.at.localeCompare(a.at));
  return {
    passengers: counts.passengers,
    tickets: counts.tickets,
    ...s.cache,
    maxAgeMinutes: c.rules.maxCacheAgeMinutes,
    verdict: v.state,
    verdictLine: v.line,
    lastRefusal: refusals[0] ?? null,
    syncEnabled: gate.sync !== null,
  };
}

export interface OutboxPanel {
  pending: number;
  lastSeq: number;
  oldestPendingAgeSeconds: number | null;
  broker: { url: string | null; connected: boolean; enabled: boolean };
}

export function outboxPanel(gate: Pick<GateDaemon, 'statusSnapshot' | 'reporter'>, c: GateConfig): OutboxPanel {
  const s = gate.statusSnapshot();
  const conn = gate.reporter?.connection;
  return {
    ...s.outbox,
    broker: { enabled: c.mqtt.enabled, url: conn?.url ?? c.mqtt.urls[0] ?? null, connected: conn?.connected ?? false },
  };
}

export function configPanel(c: GateConfig): string {
  return JSON.stringify(maskedConfig(c), null, 2);
}
