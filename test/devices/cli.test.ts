import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main.js';
import { collectPorts, formatPorts, type PortsProbe } from '../../src/cli/commands/ports.js';
import { buildReadResponse, buildResponse, encodeCardText, toHex } from '../../src/readers/idcard/index.js';
import { PR_2017, RESIDENT } from '../readers/idcard/fixtures.js';

async function gate(args: string[], stdin = '') {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = new PassThrough().on('data', (d) => out.push(String(d)));
  const stderr = new PassThrough().on('data', (d) => err.push(String(d)));
  const input = new PassThrough();
  input.end(stdin);
  const code = await main(args, { stdout, stderr, stdin: input });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('gate decode idcard', () => {
  const frame = buildReadResponse(encodeCardText(PR_2017));

  it('prints the Document JSON and exits 0', async () => {
    const r = await gate(['decode', 'idcard', '--hex', toHex(frame)]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ type: 'cn-pr-2017', number: 'KAZ110090123105', nationality: 'KAZ', sex: 'M' });
    expect(r.stdout).not.toContain('photo');
  });

  it('reads the hex from standard input with --hex -, spaces allowed', async () => {
    const spaced = toHex(frame).replace(/(..)/g, '$1 ');
    expect((await gate(['decode', 'idcard', '--hex', '-'], spaced)).code).toBe(0);
  });

  it('exits 1 with one line naming what is wrong', async () => {
    const bad = frame.slice();
    bad[50] ^= 0x20;
    const cases: [string, string][] = [
      [toHex(bad), 'reader/bad-checksum'],
      [toHex(frame.subarray(0, 600)), 'reader/truncated'],
      [toHex(buildResponse(0x41)), 'reader/read-failed'],
      [toHex(buildReadResponse(encodeCardText({ ...RESIDENT, number: '110105194912310021' }))), 'reader/bad-number-check'],
      ['abc', 'not an even number of hex digits'],
    ];
    for (const [hex, what] of cases) {
      const r = await gate(['decode', 'idcard', '--hex', hex]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(what);
    }
  });

  it('exits 2 without --hex', async () => {
    expect((await gate(['decode', 'idcard'])).code).toBe(2);
  });
});

describe('gate ports', () => {
  const probe = (over: Partial<PortsProbe>): PortsProbe => ({
    listSerial: async () => [],
    listHid: async () => [],
    udevRunning: () => true,
    deviceNodes: () => [],
    user: () => 'gate',
    ...over,
  });

  it('lists serial ports with ids and HID keyboards', async () => {
    const r = await collectPorts(
      probe({
        listSerial: async () => [
          {
            path: '/dev/ttyUSB0',
            vendorId: '10C4',
            productId: 'EA60',
            manufacturer: 'Silicon Labs',
            serialNumber: undefined,
            pnpId: undefined,
            locationId: undefined,
          },
        ],
        listHid: async () => [
          { path: '/dev/hidraw0', vendorId: 0x0c2e, productId: 0x0b61, usagePage: 1, usage: 6, product: 'MRZ scanner' },
        ],
        deviceNodes: () => [
          { path: '/dev/ttyUSB0', accessible: true },
          { path: '/dev/hidraw0', accessible: true },
        ],
      }),
    );
    expect(r.serial).toEqual([{ path: '/dev/ttyUSB0', vendorId: '10c4', productId: 'ea60', manufacturer: 'Silicon Labs' }]);
    expect(r.hid).toEqual([{ path: '/dev/hidraw0', vendorId: '0c2e', productId: '0b61', product: 'MRZ scanner', keyboard: true }]);
    expect(r.notes).toEqual([]);
    expect(formatPorts(r)).toContain('usb 10c4:ea60');
  });

  it('explains empty lists: no permission, no udev, nothing plugged in', async () => {
    const noPerm = await collectPorts(
      probe({
        deviceNodes: () => [
          { path: '/dev/ttyUSB0', accessible: false },
          { path: '/dev/hidraw1', accessible: false },
        ],
      }),
    );
    expect(noPerm.notes.join('\n')).toContain('dialout');
    expect(noPerm.notes.join('\n')).toContain('udev rule');
    const noUdev = await collectPorts(probe({ udevRunning: () => false, deviceNodes: () => [{ path: '/dev/ttyUSB0', accessible: true }] }));
    expect(noUdev.notes.join('\n')).toContain('udev is not running');
    const nothing = await collectPorts(probe({}));
    expect(nothing.notes.join('\n')).toMatch(/no USB serial adapter is plugged in[\s\S]*no HID devices/);
    const broken = await collectPorts(probe({ listHid: async () => Promise.reject(new Error('cannot load native module')) }));
    expect(broken.notes.join('\n')).toContain('HID devices could not be listed');
  });

  it('runs on this machine and exits 0', async () => {
    const r = await gate(['ports', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toHaveProperty('serial');
  });
});
