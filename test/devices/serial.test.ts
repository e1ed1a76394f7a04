import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPortStream } from '@serialport/stream';
import { autoDetect } from '@serialport/bindings-cpp';
import { SerialTransport, mapSerialError, resolvePortPath, type SerialBinding } from '../../src/devices/serial.js';
import type { DeviceError } from '../../src/devices/transport.js';

// Settle-waits: the bounds only end a test whose condition never comes (the whole suite shares 2 cores in CI).
const until = async (cond: () => boolean, ms = 15_000, what = 'condition') => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what} not met in time`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

/** A step that may never settle, bounded and named: a failure says which step it was, not a bare test timeout. */
function within<T>(p: Promise<T>, what: string, ms = 15_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not settled in ${ms} ms`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** A socat pty pair at fixed paths, so it can be "unplugged" (killed) and "replugged" (started again). */
function socatAt(device: string, sim: string): ChildProcess {
  return spawn('socat', [`pty,raw,echo=0,link=${device}`, `pty,raw,echo=0,link=${sim}`], { stdio: 'ignore' });
}

describe('SerialTransport', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('maps open failures to device error codes with a fix', () => {
    expect(mapSerialError(new Error('Error: No such file or directory, cannot open /dev/ttyUSB9'), '/dev/ttyUSB9').code).toBe('not-found');
    const perm = mapSerialError(new Error('Error: Permission denied, cannot open /dev/ttyUSB0'), '/dev/ttyUSB0');
    expect(perm.code).toBe('permission-denied');
    expect(perm.message).toContain('dialout');
    expect(perm.recovery).toBe('fix-config');
    expect(mapSerialError(new Error('Error Resource temporarily unavailable Cannot lock port'), '/dev/ttyUSB0').code).toBe('busy');
    expect(mapSerialError(new Error('Error: Inappropriate ioctl for device setting custom baud rate'), '/etc/passwd').code).toBe(
      'unsupported',
    );
  });

  it('finds a port by USB vendor/product id, case-insensitively, and says when none matches', async () => {
    const list = async () => [
      {
        path: '/dev/ttyS0',
        manufacturer: undefined,
        serialNumber: undefined,
        pnpId: undefined,
        locationId: undefined,
        vendorId: undefined,
        productId: undefined,
      },
      {
        path: '/dev/ttyUSB0',
        manufacturer: 'x',
        serialNumber: undefined,
        pnpId: undefined,
        locationId: undefined,
        vendorId: '10c4',
        productId: 'ea60',
      },
    ];
    expect(await resolvePortPath({ name: 'idcard', vendorId: '10C4', productId: 'EA60' }, list)).toBe('/dev/ttyUSB0');
    await expect(resolvePortPath({ name: 'idcard', vendorId: '0403', productId: '6001' }, list)).rejects.toMatchObject({
      code: 'not-found',
    });
    await expect(resolvePortPath({ name: 'idcard' }, list)).rejects.toMatchObject({ code: 'not-found' });
  });

  it('a missing port: open rejects with not-found, keeps retrying, and opens once the device appears', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gate-serial-'));
    const device = join(dir, 'device');
    // The real binding, counting its open attempts: the test waits for retries that happened, not for a time.
    const real = autoDetect() as unknown as SerialBinding;
    let opens = 0;
    const binding = {
      list: () => real.list(),
      open: (o: Parameters<SerialBinding['open']>[0]) => (opens++, real.open(o)),
    } as SerialBinding;
    const t = new SerialTransport({ name: 'idcard', path: device, baudRate: 115200, reconnect: { initialMs: 20, maxMs: 100 }, binding });
    cleanups.push(
      () => rmSync(dir, { recursive: true, force: true }),
      () => t.close(),
    );
    const errors: DeviceError[] = [];
    t.events.on('error', (e) => errors.push(e));
    await expect(t.open()).rejects.toMatchObject({ code: 'not-found' });
    expect(t.state).toBe('reconnecting');
    await until(() => opens >= 4); // three retries have failed too
    expect(errors.map((e) => e.code)).toEqual(['not-found']); // reported once, not on every retry
    const socat = socatAt(device, join(dir, 'sim'));
    cleanups.push(() => void socat.kill());
    await until(() => t.state === 'open');
  });

  it('survives an unplug: reports disconnected, reopens with backoff, and carries bytes again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gate-serial-'));
    const device = join(dir, 'device');
    const simPath = join(dir, 'sim');
    let socat = socatAt(device, simPath);
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    await until(() => existsSync(device) && existsSync(simPath), 15_000, 'the first pty pair');
    const t = new SerialTransport({ name: 'idcard', path: device, baudRate: 115200, reconnect: { initialMs: 20, maxMs: 200 } });
    cleanups.push(() => t.close());
    const states: string[] = [];
    const errors: string[] = [];
    t.events.on('state', (s) => states.push(s));
    t.events.on('error', (e) => errors.push(e.code));
    await within(t.open(), 'the first open');

    const gone = new Promise((r) => socat.once('exit', r));
    socat.kill('SIGKILL');
    await within(gone, 'socat to exit');
    // A pty hang-up shows on the next write (a USB adapter's unplug also fails the pending read).
    await expect(within(t.write(Uint8Array.of(1)), 'the write after the unplug')).rejects.toMatchObject({ code: 'disconnected' });
    await until(() => t.state === 'reconnecting', 15_000, 'reconnecting');
    expect(errors).toContain('disconnected');
    await expect(t.write(Uint8Array.of(1))).rejects.toMatchObject({ code: 'disconnected' });

    rmSync(device, { force: true });
    rmSync(simPath, { force: true });
    socat = socatAt(device, simPath);
    cleanups.push(() => void socat.kill());
    await until(() => t.state === 'open', 15_000, 'open again');
    expect(states).toEqual(['opening', 'open', 'reconnecting', 'open']);

    const sim = new SerialPortStream({ binding: autoDetect(), path: simPath, baudRate: 115200 });
    await within(
      new Promise((resolve, reject) => {
        sim.once('open', resolve);
        sim.once('error', reject);
      }),
      'the simulator end to open',
    );
    cleanups.push(() => new Promise<void>((r) => sim.close(() => r())));
    const got = new Promise<Buffer>((r) => sim.once('data', r));
    await t.write(Uint8Array.of(0xaa, 0x55));
    expect([...(await within(got, 'the bytes at the simulator end'))]).toEqual([0xaa, 0x55]);
  }, 60_000);

  it('write before open is refused', async () => {
    const t = new SerialTransport({ name: 'idcard', path: '/dev/null-nope', baudRate: 115200, reconnect: { initialMs: 20, maxMs: 100 } });
    await expect(t.write(Uint8Array.of(1))).rejects.toMatchObject({ code: 'write-failed' });
  });
});
