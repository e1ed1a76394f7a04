// The daemon link against the simulated MCU through a real pty pair: every report, lost and corrupted frames,
// reboots, watchdog expiry, emergency.
import { afterEach, describe, expect, it } from 'vitest';
import { rig, waitFor, type Rig } from './support.js';
import { BridgeError } from '../../src/bridge/errors.js';
import type { Report } from '../../src/bridge/messages.js';

let r: Rig | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

const kinds = (reports: Report[]) => reports.map((x) => x.kind);
const report = <K extends Report['kind']>(rg: Rig, kind: K) =>
  waitFor(() => rg.reports.find((x): x is Extract<Report, { kind: K }> => x.kind === kind), 3000, kind);

describe('bridge link <-> simulated MCU over a pty', () => {
  it('handshakes, gets the reset report, and opens a lane that reports the passage', async () => {
    r = await rig();
    expect(r.link.mcu?.major).toBe(1);
    await report(r, 'mcu-reset');
    await r.link.setMode('normal');
    await r.link.authorise({ authId: 7, direction: 'entry', count: 1, timeoutMs: 2000 });
    expect(r.sim.auth).toMatchObject({ authId: 7, remaining: 1 });
    await r.sim.walkThrough();
    const p = await report(r, 'passage');
    expect(p).toEqual({ kind: 'passage', authId: 7, direction: 'entry', remaining: 0 });
    expect(kinds(r.reports)).toContain('passage-started');
  });

  it('delivers every report kind', async () => {
    r = await rig();
    await r.link.setMode('normal');
    await r.link.authorise({ authId: 1, direction: 'entry', count: 1, timeoutMs: 100 });
    await report(r, 'passage-timeout');
    await r.link.authorise({ authId: 2, direction: 'exit', count: 1, timeoutMs: 2000 });
    await r.sim.tailgate();
    await report(r, 'tailgating');
    await r.link.authorise({ authId: 3, direction: 'entry', count: 1, timeoutMs: 2000 });
    r.sim.reverse();
    r.sim.forced();
    r.sim.intrude();
    r.sim.doorFault('jammed-closed', true);
    r.sim.setPower('battery');
    r.sim.setEmergency(true);
    r.sim.setEmergency(false);
    await waitFor(() => r!.reports.filter((x) => x.kind === 'emergency').length === 2, 3000, 'emergency off');
    r.sim.reboot('brown-out');
    await waitFor(() => r!.reports.filter((x) => x.kind === 'mcu-reset').length === 2, 3000, 'second reset');
    expect(new Set(kinds(r.reports))).toEqual(
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
    expect(r.reports.find((x) => x.kind === 'reverse-passage')).toMatchObject({ authId: 3 });
    expect(r.reports.filter((x) => x.kind === 'mcu-reset').at(-1)).toMatchObject({ cause: 'brown-out', bootId: r.sim.bootId });
  });

  it('retransmits a request whose frame was lost, and the MCU executes it once', async () => {
    r = await rig();
    await r.link.setMode('normal');
    const before = r.sim.received.filter((m) => m.kind === 'authorise').length;
    r.sim.faults.dropRx = 2;
    await r.link.authorise({ authId: 9, direction: 'entry', count: 1, timeoutMs: 2000 });
    expect(r.sim.received.filter((m) => m.kind === 'authorise').length - before).toBe(1);
    expect(r.sim.auth?.authId).toBe(9);
  });

  it('a lost ACK makes the daemon retransmit; the MCU answers the duplicate without granting a second passage', async () => {
    r = await rig();
    await r.link.setMode('normal');
    await waitFor(() => r!.reports.length > 0); // let the reset report through first
    r.sim.faults.dropAnswers = 1; // the ACK of the next request
    await r.link.authorise({ authId: 11, direction: 'entry', count: 1, timeoutMs: 2000 });
    expect(r.sim.received.filter((m) => m.kind === 'authorise').length).toBe(2);
    expect(r.sim.auth).toMatchObject({ authId: 11, remaining: 1 });
  });

  it('a corrupted report is discarded and comes again; the daemon handles it once', async () => {
    r = await rig();
    await report(r, 'mcu-reset');
    const discards: string[] = [];
    r.link.events.on('discard', (d) => discards.push(d.reason));
    await r.link.setMode('normal');
    await r.link.authorise({ authId: 12, direction: 'entry', count: 1, timeoutMs: 2000 });
    r.sim.faults.corruptTx = 2;
    const delivered = new Promise((res) => r!.sim.events.on('delivered', (x) => x.kind === 'forced-entry' && res(x)));
    r.sim.forced();
    // Settled on both sides: the MCU has our ACK (it sends the report no more), and the link owes nothing.
    await delivered;
    await r.link.idle;
    expect(r.reports.filter((x) => x.kind === 'forced-entry')).toHaveLength(1);
    expect(discards.filter((d) => d === 'crc' || d === 'bad-escape').length).toBeGreaterThanOrEqual(1);
  });

  it('a report whose ACK is lost is retransmitted and recognised as a duplicate', async () => {
    r = await rig();
    await report(r, 'mcu-reset');
    let handled = 0;
    r.link.onReport((x) => {
      if (x.kind === 'intrusion') handled++;
    });
    r.sim.faults.dropAcks = 1; // our ACK of the intrusion report
    const delivered = new Promise((res) => r!.sim.events.on('delivered', (x) => x.kind === 'intrusion' && res(x)));
    r.sim.intrude();
    await delivered;
    expect(handled).toBe(1);
    expect(r.sim.faults.dropAcks).toBe(0); // an ACK really was lost, and the retransmission was recognised
  });

  it('a report the daemon cannot commit stays unacknowledged and is delivered again', async () => {
    r = await rig();
    await report(r, 'mcu-reset');
    let calls = 0;
    r.link.onReport((x) => {
      if (x.kind !== 'power') return;
      calls++;
      if (calls < 3) throw new Error('disk full');
    });
    const delivered = new Promise((res) => r!.sim.events.on('delivered', (x) => x.kind === 'power' && res(x)));
    r.sim.setPower('battery-low');
    await delivered;
    expect(calls).toBe(3);
  });

  it('an MCU that stops answering fails the request with no-ack and the link goes down, then recovers', async () => {
    r = await rig();
    const down = new Promise<BridgeError>((res) => r!.link.events.once('down', res));
    r.sim.silence(true);
    const err = await r.link.setMode('normal').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BridgeError);
    expect((err as BridgeError).code).toBe('no-ack');
    expect(['no-ack', 'mcu-silent']).toContain((await down).code);
    await expect(r.link.display({ code: 'idle', reason: 'none', train: '', car: '', seat: '' })).rejects.toMatchObject({
      code: 'link-down',
    });
    r.sim.silence(false);
    await r.link.whenUp();
    await r.link.setMode('normal');
  });

  it('an MCU reboot ends the session: the link re-handshakes and the authorisation is gone', async () => {
    r = await rig();
    await r.link.setMode('normal');
    await r.link.authorise({ authId: 21, direction: 'entry', count: 1, timeoutMs: 5000 });
    r.sim.startWalk();
    const down = new Promise<BridgeError>((res) => r!.link.events.once('down', res));
    r.sim.reboot('watchdog');
    expect((await down).code).toBe('mcu-reset');
    await r.link.whenUp();
    await waitFor(() => r!.reports.some((x) => x.kind === 'mcu-reset' && x.cause === 'watchdog'), 3000, 'reset report');
    expect(r.sim.auth).toBeNull();
    expect(r.link.mcu?.failsafe).toBe(true);
  });

  it('when the daemon falls silent, the MCU watchdog puts the lane in its fail mode and reports it next session', async () => {
    r = await rig({ link: { failMode: 'free', watchdogMs: 200 } });
    await r.link.setMode('normal');
    await r.link.authorise({ authId: 31, direction: 'entry', count: 1, timeoutMs: 5000 });
    const failsafe = new Promise((res) => r!.sim.events.once('failsafe', res));
    await r.link.stop();
    expect(await failsafe).toBe('free');
    expect(r.sim.mode).toBe('free');
    expect(r.sim.session).toBe(false);
    expect(r.sim.auth).toBeNull();
    await r.link.start();
    await r.link.whenUp();
    await report(r, 'watchdog-expired');
    expect(r.reports.find((x) => x.kind === 'passage-timeout')).toMatchObject({ authId: 31, unused: 1 });
  });

  it('emergency: the MCU opens the lanes, ends the authorisation, and refuses to lock until the alarm clears', async () => {
    r = await rig();
    await r.link.setMode('normal');
    await r.link.authorise({ authId: 41, direction: 'entry', count: 1, timeoutMs: 5000 });
    r.sim.setEmergency(true);
    await report(r, 'emergency');
    expect(r.sim.mode).toBe('free');
    expect(r.reports.find((x) => x.kind === 'passage-timeout')).toMatchObject({ authId: 41 });
    await expect(r.link.setMode('locked')).rejects.toMatchObject({ code: 'nak', nakReason: 'emergency' });
    await expect(r.link.authorise({ authId: 42, direction: 'entry', count: 1, timeoutMs: 5000 })).rejects.toMatchObject({
      nakReason: 'emergency',
    });
    expect(r.sim.mode).toBe('free');
    r.sim.setEmergency(false);
    await waitFor(() => r!.reports.filter((x) => x.kind === 'emergency').length === 2);
    expect(r.sim.mode).toBe('free'); // stays open until the daemon sets a mode
    await r.link.setMode('locked');
    expect(r.sim.mode).toBe('locked');
  });

  it('refuses a session with an MCU of another major version', async () => {
    r = await rig({ sim: { major: 2 }, start: false });
    const err = new Promise<BridgeError>((res) => r!.link.events.once('error', res));
    await r.link.start();
    expect((await err).code).toBe('version-mismatch');
    expect(r.link.state).toBe('handshaking');
  });

  it("a 1.1 MCU gets the passenger's language in DISPLAY", async () => {
    r = await rig();
    expect(r.link.mcu?.minor).toBe(1);
    await r.link.display({ code: 'reject', reason: 'not-verified', train: '', car: '', seat: '', language: 'ja' });
    expect(r.sim.lastDisplay).toEqual({
      kind: 'display',
      code: 'reject',
      reason: 'not-verified',
      train: '',
      car: '',
      seat: '',
      language: 'ja',
    });
  });

  it('an old MCU (protocol 1.0) is still served: DISPLAY goes without the language, is acknowledged and shown', async () => {
    r = await rig({ sim: { minor: 0 } });
    expect(r.link.mcu?.minor).toBe(0);
    await r.link.display({ code: 'reject', reason: 'not-verified', train: '', car: '', seat: '', language: 'ar' });
    expect(r.sim.lastDisplay).toEqual({ kind: 'display', code: 'reject', reason: 'not-verified', train: '', car: '', seat: '' });
    await r.link.display({ code: 'open', reason: 'ok', train: 'G1234', car: '05', seat: '12F', language: 'de' });
    expect(r.sim.lastDisplay).toMatchObject({ code: 'open', train: 'G1234' });
    expect(r.sim.received.filter((m) => m.kind === 'display')).toHaveLength(2); // no NAK, no retransmission
  });
});
