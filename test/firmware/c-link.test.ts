// The daemon's bridge link (src/bridge/link.ts over a real socat pty) against the C firmware's POSIX port: the
// bridge end-to-end cases of test/bridge/sim-link.test.ts, run against the second implementation of PROTOCOL.md.
import { afterEach, describe, expect, it } from 'vitest';
import { BridgeLink, type LinkOptions } from '../../src/bridge/link.js';
import { BridgeError } from '../../src/bridge/errors.js';
import type { Report } from '../../src/bridge/messages.js';
import { SerialTransport } from '../../src/devices/serial.js';
import { openPtyPair, type PtyPair } from '../../src/devices/pty-pair.js';
import { waitFor } from '../../src/util/wait.js';
import { FAST } from '../bridge/support.js';
import { CFirmware } from './c-mcu.js';

interface CRig {
  pair: PtyPair;
  fw: CFirmware;
  link: BridgeLink;
  reports: Report[];
  discards: string[];
  close(): Promise<void>;
}

let r: CRig | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

async function rig(link: Partial<LinkOptions> = {}): Promise<CRig> {
  const pair = await openPtyPair('c-bridge');
  const fw = await CFirmware.open(pair.sim, { walkMs: 40, statusMs: 40 });
  const l = new BridgeLink(
    new SerialTransport({ name: 'mcu', path: pair.device, baudRate: 115200, reconnect: { initialMs: 50, maxMs: 500 } }),
    { ...FAST, ...link },
  );
  const reports: Report[] = [];
  const discards: string[] = [];
  l.onReport((x) => void reports.push(x));
  l.events.on('discard', (d) => discards.push(d.reason));
  await l.start();
  await l.whenUp();
  return {
    pair,
    fw,
    link: l,
    reports,
    discards,
    async close() {
      await l.stop();
      await fw.close();
      await pair.close();
    },
  };
}

const report = <K extends Report['kind']>(rg: CRig, kind: K, n = 1) =>
  waitFor(() => rg.reports.filter((x) => x.kind === kind).length >= n, 3000, `${n} ${kind} report(s)`).then(() =>
    rg.reports.filter((x): x is Extract<Report, { kind: K }> => x.kind === kind).at(-1)!,
  );

describe('bridge link <-> C firmware over a pty', () => {
  it('handshakes (version 1, the firmware string, failsafe after boot), gets mcu-reset, and an authorised walk reports the passage', async () => {
    r = await rig();
    expect(r.link.mcu).toMatchObject({ major: 1, minor: 1, firmware: 'gm-c-1.0.0', failsafe: true, mode: 'locked', emergency: false });
    expect(await report(r, 'mcu-reset')).toMatchObject({ cause: 'power-on', bootId: r.link.mcu!.bootId });
    await r.link.setMode('normal');
    await r.link.authorise({ authId: 7, direction: 'entry', count: 1, timeoutMs: 2000 });
    await waitFor(() => r!.fw.auth !== null, 10_000, 'the authorisation in the firmware state');
    expect(r.fw.auth).toMatchObject({ authId: 7, remaining: 1 });
    await r.fw.walkThrough();
    expect(await report(r, 'passage')).toEqual({ kind: 'passage', authId: 7, direction: 'entry', remaining: 0 });
    expect(r.reports.map((x) => x.kind)).toEqual(['mcu-reset', 'passage-started', 'passage']);
  });

  it('delivers every report kind', async () => {
    r = await rig();
    await r.link.setMode('normal');
    await r.link.authorise({ authId: 1, direction: 'entry', count: 1, timeoutMs: 100 });
    expect(await report(r, 'passage-timeout')).toEqual({ kind: 'passage-timeout', authId: 1, direction: 'entry', unused: 1 });
    await r.link.authorise({ authId: 2, direction: 'exit', count: 1, timeoutMs: 2000 });
    await r.fw.tailgate();
    expect(await report(r, 'tailgating')).toEqual({ kind: 'tailgating', authId: 2, direction: 'exit' });
    await r.link.authorise({ authId: 3, direction: 'entry', count: 1, timeoutMs: 2000 });
    r.fw.send('reverse');
    expect(await report(r, 'reverse-passage')).toEqual({ kind: 'reverse-passage', authId: 3, direction: 'entry' });
    await waitFor(() => r!.fw.flaps === 'closed', 10_000, 'the reverse walker out of the lane');
    r.fw.send('forced exit');
    // Beams are timed: the intruder is out of the lane before the fire alarm frees it.
    r.fw.send('intrusion exit');
    await report(r, 'intrusion');
    r.fw.send('door-fault jammed-closed on');
    r.fw.send('power battery');
    r.fw.send('emergency on');
    r.fw.send('emergency off');
    await report(r, 'emergency', 2);
    r.fw.send('reboot brown-out');
    expect(await report(r, 'mcu-reset', 2)).toMatchObject({ cause: 'brown-out' });
    expect(new Set(r.reports.map((x) => x.kind))).toEqual(
      new Set([
        'mcu-reset',
        'passage-timeout',
        'passage-started',
        'passage',
        'tailgating',
        'reverse-passage',
        'forced-entry',
        'intrusion',
        'door-fault',
        'power',
        'emergency',
      ]),
    );
    expect(r.reports.find((x) => x.kind === 'intrusion')).toEqual({ kind: 'intrusion', direction: 'exit' });
    expect(r.reports.find((x) => x.kind === 'door-fault')).toEqual({ kind: 'door-fault', fault: 'jammed-closed', active: true });
    expect(r.reports.filter((x) => x.kind === 'emergency').map((x) => x.active)).toEqual([true, false]);
  });

  it('a lost ACK makes the daemon retransmit; the firmware answers the duplicate without executing it twice', async () => {
    r = await rig();
    await r.link.setMode('normal');
    await report(r, 'mcu-reset');
    const authorises = () => r!.fw.received.filter((m) => m.kind === 'authorise').length;
    await r.fw.command('drop-answers 1'); // the ACK of the next request is lost on the line
    await r.link.authorise({ authId: 11, direction: 'entry', count: 1, timeoutMs: 2000 });
    // The daemon sent the same AUTHORISE twice; the firmware answered both and granted one authorisation (executing
    // the copy would have answered NAK busy and failed the call above).
    await waitFor(() => authorises() === 2 && r!.fw.auth !== null, 10_000, 'both copies seen by the firmware');
    expect(authorises()).toBe(2);
    expect(r.fw.auth).toMatchObject({ authId: 11, remaining: 1 });
    await r.fw.walkThrough();
    await report(r, 'passage');
    expect(r.reports.filter((x) => x.kind === 'passage')).toHaveLength(1);
  });

  it('a corrupted report is discarded by the daemon and comes again; handled once', async () => {
    r = await rig();
    await report(r, 'mcu-reset');
    await r.fw.command('corrupt-tx 3');
    r.fw.send('forced entry');
    await report(r, 'forced-entry');
    await waitFor(() => r!.fw.delivered.some((x) => x.kind === 'forced-entry'), 10_000, 'the forced-entry acknowledged');
    expect(r.reports.filter((x) => x.kind === 'forced-entry')).toHaveLength(1);
    expect(r.discards.filter((d) => d === 'crc' || d === 'bad-escape').length).toBeGreaterThanOrEqual(1);
  });

  it('emergency: the firmware opens, ends the authorisation, and NAKs locking until the alarm clears', async () => {
    r = await rig();
    await r.link.setMode('normal');
    await r.link.authorise({ authId: 41, direction: 'entry', count: 1, timeoutMs: 5000 });
    r.fw.setEmergency(true);
    await report(r, 'emergency');
    await waitFor(() => r!.fw.mode === 'free', 10_000, 'free mode in the firmware state');
    expect(r.reports.find((x) => x.kind === 'passage-timeout')).toMatchObject({ authId: 41, unused: 1 });
    await expect(r.link.setMode('locked')).rejects.toMatchObject({ code: 'nak', nakReason: 'emergency' });
    await expect(r.link.authorise({ authId: 42, direction: 'entry', count: 1, timeoutMs: 5000 })).rejects.toMatchObject({
      nakReason: 'emergency',
    });
    expect(r.fw.mode).toBe('free');
    r.fw.setEmergency(false);
    await report(r, 'emergency', 2);
    await waitFor(() => !r!.fw.emergency, 10_000, 'the alarm cleared in the firmware state');
    expect(r.fw.mode).toBe('free'); // stays open until the daemon sets a mode
    await r.link.setMode('locked');
    await waitFor(() => r!.fw.mode === 'locked', 10_000, 'locked mode in the firmware state');
  });

  it('when the daemon falls silent, the firmware watchdog applies the fail mode and reports it next session', async () => {
    r = await rig({ failMode: 'free', watchdogMs: 200 });
    await r.link.setMode('normal');
    await r.link.authorise({ authId: 31, direction: 'entry', count: 1, timeoutMs: 5000 });
    await r.link.stop();
    await waitFor(() => !r!.fw.session, 2000, 'the firmware watchdog');
    expect(r.fw.mode).toBe('free');
    expect(r.fw.failsafe).toBe(true);
    expect(r.fw.auth).toBeNull();
    await r.link.start();
    await r.link.whenUp();
    expect(await report(r, 'watchdog-expired')).toEqual({ kind: 'watchdog-expired', failMode: 'free' });
    expect(r.reports.find((x) => x.kind === 'passage-timeout')).toMatchObject({ authId: 31, unused: 1 });
  });

  it('a firmware reboot mid-walk ends the session: the link re-handshakes, the authorisation is gone, failsafe is set', async () => {
    r = await rig();
    await r.link.setMode('normal');
    await r.link.authorise({ authId: 21, direction: 'entry', count: 1, timeoutMs: 5000 });
    await r.fw.command('beam a on'); // a passenger is in the lane
    const down = new Promise<BridgeError>((res) => r!.link.events.once('down', res));
    await r.fw.command('reboot watchdog');
    expect((await down).code).toBe('mcu-reset');
    await r.link.whenUp();
    expect(await report(r, 'mcu-reset', 2)).toMatchObject({ cause: 'watchdog' });
    expect(r.fw.auth).toBeNull();
    expect(r.link.mcu?.failsafe).toBe(true);
    expect(r.reports.some((x) => x.kind === 'passage')).toBe(false); // the reboot lost the walk; nothing invented
  });

  it('an MCU that stops answering fails the request with no-ack, and the link recovers when it speaks again', async () => {
    r = await rig();
    await r.fw.command('silence on');
    const err = await r.link.setMode('normal').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BridgeError);
    expect((err as BridgeError).code).toBe('no-ack');
    r.fw.send('silence off');
    await r.link.whenUp();
    await r.link.setMode('normal');
    await waitFor(() => r!.fw.mode === 'normal', 10_000, 'normal mode');
  });
});
