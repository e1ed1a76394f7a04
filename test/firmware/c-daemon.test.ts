// The real daemon (`gate run`, a child process) against the C firmware instead of the TypeScript simulator: the
// same world as test/daemon/e2e.test.ts (reader and scanner on ptys, private Mosquitto, central), with the MCU's pty
// end opened by firmware-bridge/c's POSIX port. A passenger passes; the fire alarm opens the lane by itself and the
// daemon cannot re-lock it; a silent daemon trips the firmware's watchdog into the configured fail mode, reported
// in the next session.
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { CARDS, PASSPORTS } from '../../src/demo/data.js';
import type { MessageOf } from '../../src/bridge/messages.js';
import { waitFor } from '../../src/util/wait.js';
import type { AlarmEvent, DecisionEvent, PassageEvent } from '../../src/gate/events.js';
import { startLoadedGate, startWorld, type World } from '../daemon/world.js';
import { CFirmware } from './c-mcu.js';
import { parseConfig } from '../../src/config/load.js';

let world: World<CFirmware> | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const openC = (path: string) => CFirmware.open(path, { walkMs: 60, statusMs: 200 });
const decisions = (w: World<CFirmware>) => w.received.filter((e): e is DecisionEvent => e.kind === 'decision');
const passages = (w: World<CFirmware>) => w.received.filter((e): e is PassageEvent => e.kind === 'passage');
const alarms = (w: World<CFirmware>) => w.received.filter((e): e is AlarmEvent => e.kind === 'alarm');

describe('gate run against the C firmware (POSIX port on a pty)', () => {
  it('a passenger shows an ID card, the C firmware opens for them, reports the passage, and central gets it once', async () => {
    world = await startWorld({ openMcu: openC });
    const w = world;
    const gate = await startLoadedGate(w);
    expect(w.mcu.received.some((m) => m.kind === 'hello')).toBe(true);

    w.reader.placeCard(CARDS.resident);
    await waitFor(() => w.mcu.auth !== null, 8000, 'the authorisation at the C firmware');
    expect(w.mcu.auth).toMatchObject({ direction: 'entry', remaining: 1, started: false });
    expect(w.mcu.flaps).toBe('open-entry');
    await waitFor(() => w.mcu.lastDisplay?.code === 'open', 3000, 'the open screen');
    // Protocol 1.1: the C firmware announced minor 1, so the screen carries the passenger's language (Chinese for a
    // resident ID card), and its display hook got it.
    expect(w.mcu.lastDisplay).toMatchObject({ code: 'open', train: 'G7', car: '03', seat: '01A', language: 'zh' });
    await w.mcu.walkThrough();
    await waitFor(() => passages(w).length === 1, 8000, 'the passage at central');
    expect(passages(w)[0]).toMatchObject({ outcome: 'passed', ticketId: 'R1' });
    expect(w.query<{ ticket_id: string }>('SELECT ticket_id FROM ledger').map((r) => r.ticket_id)).toEqual(['R1']);
    // The firmware's reports were each acknowledged by the daemon (after it stored them).
    await waitFor(() => w.mcu.delivered.some((r) => r.kind === 'passage'), 3000, 'the passage report acknowledged');
    expect(w.mcu.delivered.map((r) => r.kind)).toEqual(expect.arrayContaining(['mcu-reset', 'passage-started', 'passage']));
    expect(w.mcu.auth).toBeNull();
    await waitFor(() => w.mcu.flaps === 'closed', 2000, 'the flaps to close behind the passenger');

    // A refused passport opens nothing.
    const authorisations = () => w.mcu.received.filter((m) => m.kind === 'authorise').length;
    const before = authorisations();
    w.reader.removeCard();
    await w.scanner.scan(PASSPORTS.unverified);
    await waitFor(() => decisions(w).length === 2, 8000, 'the second decision at central');
    expect(decisions(w)[1]).toMatchObject({ decision: 'reject', reason: 'verification-pending' });
    // The reject screen in the passport holder's language (USA: English), taken by the C firmware without a NAK.
    const displays = () => w.mcu.received.filter((m): m is MessageOf<'display'> => m.kind === 'display');
    await waitFor(() => displays().some((d) => d.code === 'reject'), 3000, 'the reject screen');
    expect(displays().find((d) => d.code === 'reject')).toMatchObject({ reason: 'verification-pending', language: 'en' });
    expect(authorisations()).toBe(before);
    expect(w.mcu.errors).toEqual([]);
    gate.proc.kill('SIGTERM');
    expect((await gate.exited).code).toBe(0);
  });

  it('fire alarm: the C firmware opens the lane by itself, the daemon records it, rejects reads and cannot re-lock; cleared, the daemon restores normal', async () => {
    world = await startWorld({ openMcu: openC });
    const w = world;
    await startLoadedGate(w);
    w.reader.placeCard(CARDS.pr2023);
    await waitFor(() => w.mcu.auth !== null, 8000, 'an authorisation in effect');

    w.mcu.setEmergency(true);
    await waitFor(() => w.mcu.emergency && w.mcu.flaps === 'open-both', 2000, 'the lane open');
    expect(w.mcu.mode).toBe('free');
    expect(w.mcu.auth).toBeNull(); // nobody had entered: the authorisation ended (passage-timeout)
    await waitFor(() => alarms(w).some((a) => a.type === 'emergency-on' && a.active), 8000, 'emergency-on at central');
    await waitFor(() => w.mcu.delivered.some((r) => r.kind === 'passage-timeout'), 3000, 'the unused authorisation reported');
    await waitFor(() => w.mcu.lastDisplay?.code === 'emergency', 3000, 'the emergency screen');
    // The ticket was not used: the ledger is empty.
    expect(w.query('SELECT 1 FROM ledger')).toHaveLength(0);

    // A read during the alarm is rejected with reason emergency; no authorisation reaches the firmware.
    w.reader.removeCard();
    const auths = () => w.mcu.received.filter((m) => m.kind === 'authorise').length;
    const before = auths();
    await w.scanner.scan(PASSPORTS.verified);
    await waitFor(() => decisions(w).some((d) => d.reason === 'emergency'), 8000, 'a reject with reason emergency');
    expect(auths()).toBe(before);
    expect(w.mcu.mode).toBe('free');
    // Whatever the daemon sent during the alarm, nothing but `free` was accepted (the firmware NAKs the rest).
    expect(w.mcu.flaps).toBe('open-both');

    w.mcu.setEmergency(false);
    await waitFor(() => alarms(w).some((a) => a.type === 'emergency-off'), 8000, 'emergency-off at central');
    await waitFor(() => w.mcu.mode === 'normal' && !w.mcu.emergency, 5000, 'the daemon to restore normal mode');
    expect(w.mcu.flaps).toBe('closed');
  });

  it('the daemon dies: the C firmware watchdog drops the lane into the configured fail mode (free), reported when the daemon is back', async () => {
    world = await startWorld({ openMcu: openC });
    const w = world;
    const config = parseConfig(JSON.parse(readFileSync(w.configPath, 'utf8')));
    config.bridge.failMode = 'free';
    writeFileSync(w.configPath, JSON.stringify(config, null, 2));
    const first = await startLoadedGate(w);
    expect(w.mcu.received.find((m) => m.kind === 'hello')).toMatchObject({ failMode: 'free', watchdogMs: 2000 });
    expect(w.mcu.flaps).toBe('closed');

    const killedAt = Date.now();
    first.proc.kill('SIGKILL');
    await first.exited;
    await waitFor(() => !w.mcu.session, 5000, 'the firmware watchdog');
    const afterMs = Date.now() - killedAt;
    expect(afterMs).toBeGreaterThanOrEqual(1500); // not before watchdogMs (2000) less a heartbeat or so
    expect(w.mcu.mode).toBe('free');
    expect(w.mcu.failsafe).toBe(true);
    expect(w.mcu.flaps).toBe('open-both');
    expect(w.mcu.failsafes.at(-1)).toBe('free');
    await waitFor(() => w.mcu.lastDisplay?.code === 'fault-link', 1000, 'the fault-link screen');

    // Back: a new session; the firmware reports its watchdog; the daemon raises mcu-silent and sets the lane normal.
    await startLoadedGate(w);
    await waitFor(() => w.mcu.delivered.some((r) => r.kind === 'watchdog-expired'), 5000, 'watchdog-expired delivered');
    expect(w.mcu.delivered.find((r) => r.kind === 'watchdog-expired')).toMatchObject({ failMode: 'free' });
    await waitFor(() => alarms(w).some((a) => a.type === 'mcu-silent' && a.detail === 'watchdog-free'), 8000, 'mcu-silent at central');
    expect(w.mcu.failsafe).toBe(false);
    expect(w.mcu.flaps).toBe('closed');
  });
});
