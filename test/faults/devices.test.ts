// Fault suite, device faults (issue 8.3), end to end at component level on real ptys: an ID-card reader unplugged
// mid-read, a reader at the wrong baud rate sending garbage, a silent MCU (watchdog), an MCU rebooting mid-passage,
// and a full disk under the outbox. The lane runs on the real SQLite outbox in a temp dir; `lost` counts events the
// lane confirmed that the file lacks, `doubleUsed` tickets the ledger holds more than once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPortStream } from '@serialport/stream';
import { autoDetect } from '@serialport/bindings-cpp';
import { afterEach, describe, expect, it } from 'vitest';
import { openPtyPair, type PtyPair } from '../../src/devices/pty-pair.js';
import { SerialTransport } from '../../src/devices/serial.js';
import { startIdCardReaderSim, type IdCardReaderSim } from '../../src/devices/sim/idcard-reader-sim.js';
import { IdCardReader, type IdCardReaderEvents } from '../../src/readers/idcard/reader.js';
import type { SessionConfig } from '../../src/readers/idcard/session.js';
import { LineHealth } from '../../src/daemon/line-health.js';
import { BridgeLink } from '../../src/bridge/link.js';
import { LaneLoop, type LaneDecide } from '../../src/gate/lane-loop.js';
import type { LaneTiming } from '../../src/gate/lane.js';
import type { DisplayMessage } from '../../src/gate/display.js';
import type { AlarmEvent, DecisionEvent, PassageEvent } from '../../src/gate/events.js';
import { openDb, type Db } from '../../src/cache/db.js';
import { GateStore } from '../../src/daemon/gate-store.js';
import type { Document } from '../../src/identity/document.js';
import type { GateError } from '../../src/util/gate-error.js';
import { McuSim } from '../../firmware-bridge/sim/mcu.js';
import { FAST, waitFor } from '../bridge/support.js';
import { OPEN, PASSPORT } from '../gate/support/documents.js';
import { PR_2023, RESIDENT } from '../readers/idcard/fixtures.js';
import { replugablePty } from './support/devices-pty.js';
import { SEED, caseRng } from './support/prng.js';
import { scaled, tally } from './support/tally.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** An ID-card reader on a serial transport at `path`, with every event it reports collected. */
function readerOn(path: string, session: SessionConfig) {
  const transport = new SerialTransport({ name: 'idcard', path, baudRate: 115200, reconnect: { initialMs: 20, maxMs: 200 } });
  const reader = new IdCardReader(transport, { session });
  const seen = {
    docs: [] as Document[],
    errors: [] as string[],
    deviceErrors: [] as string[],
    discards: [] as IdCardReaderEvents['discard'][],
    answers: 0,
    removed: 0,
    bytesIn: 0,
  };
  reader.events.on('document', (d) => void seen.docs.push(d));
  reader.events.on('error', (e) => void seen.errors.push(e.code));
  reader.events.on('discard', (d) => void seen.discards.push(d));
  reader.events.on('answer', () => void seen.answers++);
  reader.events.on('card-removed', () => void seen.removed++);
  transport.events.on('error', (e) => void seen.deviceErrors.push(e.code));
  transport.events.on('data', (c) => void (seen.bytesIn += c.length));
  cleanups.push(async () => {
    await reader.stop();
    await transport.close();
  });
  return { transport, reader, seen };
}

describe('ID-card reader faults', () => {
  it('unplugged mid-read: no Document from the half frame, a timeout/device error, and the replugged reader reads the next card', async () => {
    const started = Date.now();
    const cycles = scaled(2, 10);
    const pty = await replugablePty('idcard');
    cleanups.push(() => pty.close());
    let sim: { sim: IdCardReaderSim; close(): Promise<void> } = await startIdCardReaderSim(pty.sim);
    cleanups.push(() => sim.close());
    const { transport, reader, seen } = readerOn(pty.device, {
      pollIntervalMs: 30,
      findTimeoutMs: 200,
      readTimeoutMs: 1500,
      resetAfterFailures: 3,
    });
    await transport.open();
    reader.start();
    // The read answer is 1295 bytes; in 64-byte chunks 20 ms apart it takes about 400 ms to arrive.
    const READ_ANSWER = 1295;

    for (let cycle = 0; cycle < cycles; cycle++) {
      const docsBefore = seen.docs.length;
      const errorsBefore = seen.errors.length;
      sim.sim.setBehaviour({ chunkSize: 64, chunkGapMs: 20 });
      sim.sim.placeCard(RESIDENT);
      await waitFor(() => sim.sim.reads === 1, 5000, `cycle ${cycle}: the read starts`);
      const base = seen.bytesIn;
      await waitFor(() => seen.bytesIn - base >= 300, 3000, `cycle ${cycle}: part of the answer arrives`);
      await pty.unplug();
      const got = seen.bytesIn - base;
      expect(got, 'the answer was cut before its end').toBeLessThan(READ_ANSWER);
      await sim.close();

      // The read never completes: it times out, and the next command finds the port gone.
      await waitFor(() => seen.errors.slice(errorsBefore).includes('timeout'), 5000, `cycle ${cycle}: read timeout`);
      await waitFor(() => transport.state === 'reconnecting', 5000, `cycle ${cycle}: transport reconnecting`);
      expect(seen.docs.length, 'no Document from the half frame').toBe(docsBefore);
      expect(seen.discards.some((d) => d.reason === 'truncated' || d.reason === 'garbage')).toBe(true);

      // Plugged back in at the same path: the transport reopens by itself and the next card is read.
      await pty.plug();
      sim = await startIdCardReaderSim(pty.sim);
      await waitFor(() => transport.state === 'open', 8000, `cycle ${cycle}: transport open again`);
      sim.sim.placeCard(PR_2023);
      await waitFor(() => seen.docs.length === docsBefore + 1, 8000, `cycle ${cycle}: next card read`);
      expect(seen.docs.at(-1)).toMatchObject({ type: 'cn-pr-2023', previousNumber: 'SAU320185010112' });
      // The card leaves; the next cycle presents another one to the same reader.
      const removedBefore = seen.removed;
      sim.sim.removeCard();
      await waitFor(() => seen.removed > removedBefore, 5000, `cycle ${cycle}: card removed`);
    }
    expect(seen.docs.map((d) => d.type)).toEqual(Array(cycles).fill('cn-pr-2023'));
    expect(seen.deviceErrors).toContain('disconnected');
    console.log(
      `reader unplugged mid-read: ${cycles} cycles, errors ${[...new Set(seen.errors)].join(',')}, device ${[...new Set(seen.deviceErrors)].join(',')}, ${Date.now() - started} ms`,
    );
    tally({ scenario: 'devices: reader unplugged mid-read', cycles, lost: 0, doubleUsed: 0 });
  });

  it('wrong baud rate: garbage on the line gives only typed discards and timeouts, no Document, and the line health says wrong-baud', async () => {
    const started = Date.now();
    const answersToSend = scaled(24, 400);
    const pair = await openPtyPair('idcard-garbage');
    cleanups.push(() => pair.close());
    // The "reader": it hears every command and answers with bytes that, at the host's baud rate, are noise.
    const port = new SerialPortStream({ binding: autoDetect(), path: pair.sim, baudRate: 115200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    cleanups.push(() => new Promise<void>((r) => (port.isOpen ? port.close(() => r()) : r())));
    let sent = 0;
    let written = 0;
    port.on('data', () => {
      if (sent >= answersToSend) return;
      const rng = caseRng('devices-wrong-baud', sent);
      const bytes = rng.bytes(8 + rng.int(56));
      sent++;
      written += bytes.length;
      port.write(Buffer.from(bytes));
    });

    const { transport, reader, seen } = readerOn(pair.device, {
      pollIntervalMs: 20,
      findTimeoutMs: 80,
      readTimeoutMs: 300,
      resetTimeoutMs: 120,
      resetAfterFailures: 3,
    });
    // Fed the way the daemon feeds it (src/daemon/gate-daemon.ts startReaders).
    const line = new LineHealth();
    reader.events.on('answer', () => line.answer());
    reader.events.on('discard', (d) => line.discard(d.length));
    reader.events.on('error', (e) => {
      if (e.code === 'timeout') line.timeout();
    });
    await transport.open();
    reader.start();

    await waitFor(() => sent >= answersToSend, answersToSend * 500, `${answersToSend} garbage answers (seed ${SEED})`);
    // Every garbage byte is thrown away and counted; the request that timed out flushes what was half buffered.
    const discarded = () => seen.discards.reduce((n, d) => n + d.length, 0);
    await waitFor(() => discarded() === written, 5000, `all ${written} garbage bytes discarded (seed ${SEED})`);
    await reader.stop();

    expect(seen.docs).toEqual([]);
    expect(seen.answers).toBe(0);
    const reasons = new Set(seen.discards.map((d) => d.reason));
    for (const r of reasons) expect(['garbage', 'bad-checksum', 'bad-length', 'truncated']).toContain(r);
    expect(new Set(seen.errors)).toEqual(new Set(['timeout']));
    expect(line.verdict()).toBe('wrong-baud');
    console.log(
      `wrong baud: ${answersToSend} answers, ${written} bytes, discards ${[...reasons].join(',')}, ${seen.errors.length} timeouts, ${Date.now() - started} ms`,
    );
    tally({ scenario: 'devices: reader at the wrong baud rate', cycles: answersToSend, lost: 0, doubleUsed: 0 });
  });
});

const TIMING: LaneTiming = { passageTimeoutMs: 5000, resultHoldMs: 100, guardMs: 1000 };

/** The lane on the real SQLite outbox, the bridge link and the simulated MCU on a pty; every event it confirms. */
async function laneRig(name: string) {
  const dir = mkdtempSync(join(tmpdir(), `faults-${name}-`));
  const db: Db = openDb(join(dir, 'gate.db'));
  const store = new GateStore(db, { station: 'TST', gate: '01' });
  const pair: PtyPair = await openPtyPair(name);
  const sim = await McuSim.open(pair.sim, { heartbeatMs: 40, walkMs: 20 });
  const link = new BridgeLink(
    new SerialTransport({ name: 'mcu', path: pair.device, baudRate: 115200, reconnect: { initialMs: 50, maxMs: 500 } }),
    FAST,
  );
  let tickets = 0;
  // Every passenger holds a ticket of their own, so the ledger shows which were consumed.
  const decide: LaneDecide = () => ({ ...OPEN, ticket: { ...OPEN.ticket!, id: `T-${++tickets}` } });
  const lane = new LaneLoop({
    station: 'TST',
    direction: 'entry',
    mode: 'normal',
    timing: TIMING,
    decide,
    keyOf: () => 'doc-key-1',
    store,
    bridge: link,
    tickMs: 20,
  });
  const confirmed: string[] = [];
  const decisions: DecisionEvent[] = [];
  const passages: PassageEvent[] = [];
  const alarms: AlarmEvent[] = [];
  const displays: DisplayMessage[] = [];
  const errors: GateError[] = [];
  lane.events.on('decision', (e) => void (confirmed.push(e.eventId), decisions.push(e)));
  lane.events.on('passage', (r) => void (confirmed.push(r.event.eventId), passages.push(r.event)));
  lane.events.on('alarm', (e) => void (confirmed.push(e.eventId), alarms.push(e)));
  lane.events.on('display', (d) => void displays.push(d));
  lane.events.on('error', (e) => void errors.push(e));
  lane.start();
  await link.start();
  await link.whenUp();
  await waitFor(() => sim.mode === 'normal', 3000, 'mode normal');
  cleanups.push(async () => {
    lane.stop();
    if (link.state !== 'closed') await link.stop();
    await sim.close();
    await pair.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ledger = () =>
    (db.prepare('SELECT ticket_id FROM ledger ORDER BY ticket_id').all() as { ticket_id: string }[]).map((r) => r.ticket_id);
  const eventIds = () => new Set((db.prepare('SELECT event_id FROM outbox').all() as { event_id: string }[]).map((x) => x.event_id));
  /** The kinds of the rows after the first `n` (in seq order). */
  const kindsSince = (n: number) =>
    (db.prepare('SELECT kind FROM outbox ORDER BY seq LIMIT -1 OFFSET ?').all(n) as { kind: string }[]).map((x) => x.kind);
  return {
    db,
    store,
    sim,
    link,
    lane,
    decisions,
    passages,
    alarms,
    displays,
    errors,
    ledger,
    eventIds,
    kindsSince,
    /** A passenger with a ticket presents, the lane opens, they walk through; returns the consumed ticket. */
    async pass(what: string): Promise<string> {
      await waitFor(() => lane.state.phase === 'idle', 3000, `${what}: lane idle`);
      const before = passages.length;
      lane.read(PASSPORT);
      await waitFor(() => sim.auth, 3000, `${what}: authorisation`);
      await sim.walkThrough();
      await waitFor(() => passages.length > before, 3000, `${what}: passage`);
      const p = passages.at(-1)!;
      expect(p).toMatchObject({ outcome: 'passed' });
      await waitFor(() => lane.state.phase === 'idle', 3000, `${what}: lane idle again`);
      return p.ticketId!;
    },
    /** Events the lane confirmed as committed that the SQLite file does not hold. */
    lost(): number {
      const has = db.prepare('SELECT 1 FROM outbox WHERE event_id = ?');
      return confirmed.filter((id) => has.get(id) === undefined).length;
    },
    /** Tickets the ledger holds more than once. */
    doubleUsed(): number {
      return (
        db.prepare('SELECT count(*) AS n FROM (SELECT ticket_id FROM ledger GROUP BY ticket_id HAVING count(*) > 1)').get() as { n: number }
      ).n;
    },
  };
}

describe('MCU and storage faults under a lane on the real outbox', () => {
  it('the MCU goes silent: link down, mcu-silent alarm, reads refused with gate-mode on a fault-link screen, the MCU in its fail mode; back: the lane opens again', async () => {
    const started = Date.now();
    const cycles = scaled(2, 10);
    const r = await laneRig('mcu-silent');
    for (let cycle = 0; cycle < cycles; cycle++) {
      const alarmsBefore = r.alarms.length;
      r.sim.silence();
      await waitFor(() => r.link.state !== 'up', 3000, `cycle ${cycle}: link down`);
      await waitFor(
        () => r.alarms.slice(alarmsBefore).some((a) => a.type === 'mcu-silent' && a.active),
        3000,
        `cycle ${cycle}: mcu-silent alarm`,
      );
      // The MCU's own watchdog puts the lane in its fail mode (locked), with nobody telling it to.
      await waitFor(() => r.sim.failsafe && !r.sim.session, 3000, `cycle ${cycle}: MCU watchdog`);
      expect(r.sim.mode).toBe('locked');

      const decisionsBefore = r.decisions.length;
      const receivedBefore = r.sim.received.length;
      await waitFor(() => r.lane.state.phase === 'idle', 3000, `cycle ${cycle}: lane idle`);
      r.lane.read(PASSPORT);
      await waitFor(() => r.decisions.length > decisionsBefore, 3000, `cycle ${cycle}: decision`);
      expect(r.decisions.at(-1)).toMatchObject({ decision: 'reject', reason: 'gate-mode' });
      expect(r.displays.at(-1)).toMatchObject({ code: 'fault-link', reason: 'gate-mode' });
      expect(r.sim.auth).toBeNull();
      expect(r.sim.received.length).toBe(receivedBefore); // a hung MCU hears nothing

      r.sim.silence(false);
      await waitFor(() => r.link.state === 'up', 3000, `cycle ${cycle}: link up`);
      await waitFor(() => r.sim.mode === 'normal' && !r.sim.failsafe, 3000, `cycle ${cycle}: mode restored`);
      await waitFor(
        () => r.alarms.slice(alarmsBefore).some((a) => a.type === 'mcu-silent' && a.detail === 'watchdog-locked'),
        3000,
        `cycle ${cycle}: watchdog report`,
      );
      expect(r.alarms.slice(alarmsBefore).some((a) => a.type === 'mcu-silent' && !a.active && a.detail !== 'watchdog-locked')).toBe(true);
      const ticket = await r.pass(`cycle ${cycle}: next passenger`);
      expect(r.ledger()).toContain(ticket);
    }
    expect(r.ledger()).toHaveLength(cycles);
    const lost = r.lost();
    const doubleUsed = r.doubleUsed();
    expect({ lost, doubleUsed }).toEqual({ lost: 0, doubleUsed: 0 });
    console.log(`mcu silent: ${cycles} cycles, ${Date.now() - started} ms`);
    tally({ scenario: 'devices: MCU silent (watchdog)', cycles, lost, doubleUsed });
  });

  it('the MCU reboots mid-passage: the ticket is not consumed, the passage is cancelled, mcu-reset is recorded, the next passenger is served', async () => {
    const started = Date.now();
    const cycles = scaled(4, 20);
    const r = await laneRig('mcu-reboot');
    for (let cycle = 0; cycle < cycles; cycle++) {
      await waitFor(() => r.lane.state.phase === 'idle', 3000, `cycle ${cycle}: lane idle`);
      const passagesBefore = r.passages.length;
      const alarmsBefore = r.alarms.length;
      r.lane.read(PASSPORT);
      await waitFor(() => r.sim.auth, 3000, `cycle ${cycle}: authorisation`);
      // Half the cycles reboot before the passenger reaches the beam, half while they are in the lane.
      if (cycle % 2 === 1) r.sim.startWalk();
      r.sim.reboot('brown-out');
      await waitFor(() => r.passages.length > passagesBefore, 3000, `cycle ${cycle}: cancelled passage`);
      const p = r.passages.at(-1)!;
      expect(p).toMatchObject({ outcome: 'cancelled', ticketId: r.decisions.at(-1)!.ticketId });
      await waitFor(
        () => r.alarms.slice(alarmsBefore).some((a) => a.type === 'mcu-reset' && a.detail === 'brown-out'),
        3000,
        `cycle ${cycle}: mcu-reset alarm`,
      );
      expect(r.ledger()).not.toContain(p.ticketId);
      await waitFor(() => r.sim.mode === 'normal' && !r.sim.failsafe, 3000, `cycle ${cycle}: mode restored`);
      const ticket = await r.pass(`cycle ${cycle}: next passenger`);
      expect(r.ledger()).toContain(ticket);
    }
    // Only the passengers who walked through after a reboot consumed a ticket.
    expect(r.ledger()).toHaveLength(cycles);
    const cancelled = r.passages.filter((p) => p.outcome === 'cancelled').map((p) => p.ticketId!);
    expect(cancelled).toHaveLength(cycles);
    for (const t of cancelled) expect(r.ledger()).not.toContain(t);
    const lost = r.lost();
    const doubleUsed = r.doubleUsed();
    expect({ lost, doubleUsed }).toEqual({ lost: 0, doubleUsed: 0 });
    console.log(`mcu reboot mid-passage: ${cycles} cycles, ${Date.now() - started} ms`);
    tally({ scenario: 'devices: MCU reboot mid-passage', cycles, lost, doubleUsed });
  });

  it('disk full: the lane refuses to open rather than lose a record, says fault-storage and disk-full; nothing recorded is lost; with space back it opens again', async () => {
    const started = Date.now();
    const cycles = scaled(2, 6);
    const r = await laneRig('disk-full');
    let fillers = 0;
    const unlimited = r.db.pragma('max_page_count', { simple: true }) as number;
    await r.pass('a passenger before the disk fills');
    for (let cycle = 0; cycle < cycles; cycle++) {
      // The disk fills while the outbox grows (a long broker outage, passengers refused for other reasons): the
      // file may not grow past its current size, and rejected decisions are written until the first does not fit.
      // An open decision is at least as large in every b-tree it touches, so the next one cannot fit either.
      r.db.pragma(`max_page_count = ${r.db.pragma('page_count', { simple: true }) as number}`);
      for (;;) {
        try {
          r.store.recordDecision({
            kind: 'decision',
            at: new Date().toISOString(),
            direction: 'entry',
            decision: 'reject',
            reason: 'no-ticket',
            docType: 'mrz',
            docKey: 'doc-key-1',
            ticketId: null,
            train: null,
          });
          fillers++;
        } catch (err) {
          expect(err).toMatchObject({ code: 'disk-full' });
          break;
        }
      }
      const rowsBefore = [...r.eventIds()];
      const ledgerBefore = r.ledger();
      const errorsBefore = r.errors.length;
      const receivedBefore = r.sim.received.length;
      const displaysBefore = r.displays.length;

      await waitFor(() => r.lane.state.phase === 'idle', 3000, `cycle ${cycle}: lane idle`);
      r.lane.read(PASSPORT);
      await waitFor(() => r.errors.slice(errorsBefore).some((e) => e.code === 'disk-full'), 3000, `cycle ${cycle}: disk-full error`);
      await waitFor(
        () => r.displays.slice(displaysBefore).some((d) => d.code === 'fault-storage'),
        3000,
        `cycle ${cycle}: fault-storage display`,
      );
      await waitFor(() => r.sim.lastDisplay?.code === 'fault-storage', 3000, `cycle ${cycle}: the MCU shows fault-storage`);
      await waitFor(() => r.lane.state.phase === 'idle', 3000, `cycle ${cycle}: lane idle after the refusal`);
      expect(r.lane.state.storeFault).toBe('disk-full');
      expect(r.sim.auth).toBeNull();
      expect(r.sim.received.slice(receivedBefore).some((m) => m.kind === 'authorise')).toBe(false);
      expect(r.displays.slice(displaysBefore).some((d) => d.code === 'open')).toBe(false);
      // Every row recorded before is still there; what got in since can only be small alarm rows (storage-fault),
      // never the refused passenger's decision or a passage.
      const ids = r.eventIds();
      expect(rowsBefore.filter((id) => !ids.has(id))).toEqual([]);
      expect(r.kindsSince(rowsBefore.length).filter((k) => k !== 'alarm')).toEqual([]);
      expect(r.ledger()).toEqual(ledgerBefore);
      expect(r.lost()).toBe(0);

      // Space comes back: the next passenger is recorded and let through.
      r.db.pragma(`max_page_count = ${unlimited}`);
      const ticket = await r.pass(`cycle ${cycle}: passenger after space returns`);
      expect(r.ledger()).toEqual([...ledgerBefore, ticket].sort());
      expect(r.eventIds().size).toBeGreaterThan(rowsBefore.length);
      // The fault has ended, and the alarm says so: the storage-fault alarm is cleared in the outbox.
      const cleared = r.db
        .prepare(
          "SELECT count(*) FROM outbox WHERE kind = 'alarm' AND json_extract(payload, '$.type') = 'storage-fault' AND json_extract(payload, '$.active') = 0",
        )
        .pluck()
        .get() as number;
      expect(cleared).toBe(cycle + 1);
    }
    expect(r.db.pragma('integrity_check', { simple: true })).toBe('ok');
    const lost = r.lost();
    const doubleUsed = r.doubleUsed();
    expect({ lost, doubleUsed }).toEqual({ lost: 0, doubleUsed: 0 });
    console.log(`disk full: ${cycles} cycles, ${fillers} filler decisions, ${Date.now() - started} ms`);
    tally({ scenario: 'devices: disk full under the outbox', cycles, lost, doubleUsed });
  });
});
