// Face match end to end: the real `gate run`, cards on the reader's pty, the simulated matcher as its own process on
// a Unix socket, the MCU simulator, a real Mosquitto. Then the privacy scan: the photo bytes are in no log, event,
// MQTT message, status file, database file or device recording.
import { afterEach, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { CARDS, PASSPORTS } from '../../src/demo/data.js';
import { waitFor } from '../../src/util/wait.js';
import { photoKey, syntheticPhotoFor } from '../../src/face/sim.js';
import type { AlarmEvent, DecisionEvent, PassageEvent } from '../../src/gate/events.js';
import { startLoadedGate, startWorld, type World } from './world.js';
import { readStatusFile } from '../support/json.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const decisions = (w: World) => w.received.filter((e): e is DecisionEvent => e.kind === 'decision');
const passages = (w: World) => w.received.filter((e): e is PassageEvent => e.kind === 'passage');
const alarms = (w: World) => w.received.filter((e): e is AlarmEvent => e.kind === 'alarm');
const displays = (w: World) => w.mcu.received.flatMap((m) => (m.kind === 'display' ? [m] : []));

/** Take the card away and wait until the reader has seen it gone (it reads a new card only after that). */
async function removeCard(w: World): Promise<void> {
  w.reader.removeCard();
  const finds = w.reader.received.length;
  await waitFor(() => w.reader.received.slice(finds).filter((c) => c === 'find').length >= 3, 3000, 'the reader to see the card gone');
}

const RESIDENT_PHOTO = syntheticPhotoFor('resident');
const IMPOSTOR_PHOTO = syntheticPhotoFor('hmt-permit');

/** Every form the photo could take in a file or message: raw, hex, base64, and a run from its middle of each. */
function photoForms(photo: Uint8Array): { name: string; needle: Buffer }[] {
  const mid = Buffer.from(photo.subarray(300, 340));
  return [
    { name: 'raw run', needle: mid },
    { name: 'hex run', needle: Buffer.from(mid.toString('hex')) },
    { name: 'HEX run', needle: Buffer.from(mid.toString('hex').toUpperCase()) },
    { name: 'base64 run', needle: Buffer.from(Buffer.from(photo).toString('base64').slice(400, 456)) },
  ];
}

describe('gate run with face match', () => {
  it('opens on a match, refuses a mismatch (face-mismatch, ticket untouched), leaves passports alone, reports the outcome; the photo goes nowhere', async () => {
    world = await startWorld({
      face: {
        script: { default: { result: 'match', score: 0.9 }, photos: { [photoKey(IMPOSTOR_PHOTO)]: { result: 'no-match', score: 0.42 } } },
      },
      recordIdCard: 'idcard-rec.jsonl',
    });
    const w = world;
    // Everything on the broker, not only the events central reads.
    const tap = await mqtt.connectAsync(w.broker.url, { protocolVersion: 5, clientId: 'privacy-tap' });
    const wire: Buffer[] = [];
    tap.on('message', (_t, payload) => wire.push(Buffer.from(payload)));
    await tap.subscribeAsync('#', { qos: 1 });
    const gate = await startLoadedGate(w);

    // 1. The card's holder: look-at-camera, the match, then the gate opens.
    w.reader.placeCard(CARDS.resident, { photo: RESIDENT_PHOTO });
    await waitFor(() => w.mcu.auth !== null, 8000, 'the authorisation after the match');
    expect(displays(w).map((d) => d.code)).toContain('look-at-camera');
    await waitFor(() => displays(w).at(-1)?.code === 'open', 3000, 'the open screen');
    expect(displays(w).at(-1)).toMatchObject({ code: 'open', train: 'G7', seat: '01A' });
    await w.mcu.walkThrough();
    await waitFor(() => passages(w).length === 1, 8000, 'the passage at central');
    await removeCard(w);

    // 2. Someone else with a card that has a good ticket: refused, sent to the staffed lane, nothing authorised.
    const authsBefore = w.mcu.received.filter((m) => m.kind === 'authorise').length;
    w.reader.placeCard(CARDS.hmtPermit, { photo: IMPOSTOR_PHOTO });
    await waitFor(() => decisions(w).length === 2, 8000, 'the mismatch decision at central');
    await waitFor(() => displays(w).at(-1)?.reason === 'face-mismatch', 3000, 'the face-mismatch screen');
    expect(displays(w).at(-1)).toMatchObject({ code: 'reject', reason: 'face-mismatch' });
    expect(w.mcu.received.filter((m) => m.kind === 'authorise').length).toBe(authsBefore);
    await removeCard(w);

    // 3. A passport has no chip photo: not face-checked.
    await w.scanner.scan(PASSPORTS.verified);
    await waitFor(() => w.mcu.auth !== null, 8000, 'the passport authorisation');
    await w.mcu.walkThrough();
    await waitFor(() => passages(w).length === 2, 8000, 'the passport passage');

    expect(decisions(w).map((d) => [d.docType, d.decision, d.reason, d.ticketId, d.face])).toEqual([
      ['cn-resident-id', 'open', 'ok', 'R1', 'match'],
      ['cn-hmt-permit', 'reject', 'face-mismatch', null, 'no-match'],
      ['mrz', 'open', 'ok', 'P1', 'not-required'],
    ]);
    // The mismatched passenger's ticket is still valid: never consumed before (or without) a match.
    expect(w.query<{ ticket_id: string }>('SELECT ticket_id FROM ledger ORDER BY ticket_id').map((r) => r.ticket_id)).toEqual(['P1', 'R1']);
    // The matcher saw exactly the two chip photos, once each.
    expect(w.face!.requests.filter((r) => r.type === 'match').map((r) => r.key)).toEqual([
      photoKey(RESIDENT_PHOTO),
      photoKey(IMPOSTOR_PHOTO),
    ]);

    // Status: the module's health and the outcome counts.
    const statusFile = `${w.dbPath}.status.json`;
    await waitFor(() => readStatusFile(statusFile).faceOutcomes?.['not-required'] === 1, 5000, 'the status with the outcomes');
    const status = readStatusFile(statusFile);
    expect(status.devices?.face).toEqual({ state: 'ok', detail: null });
    expect(status.faceOutcomes).toEqual({ match: 1, 'no-match': 1, unavailable: 0, 'not-required': 1 });
    // No score went out either.
    expect(JSON.stringify(w.received)).not.toMatch(/0\.42|0\.9\b|score/);

    await waitFor(() => w.query('SELECT 1 FROM outbox WHERE sent_ms IS NULL').length === 0, 5000, 'the outbox to drain');
    gate.proc.kill('SIGTERM');
    expect((await gate.exited).code).toBe(0);
    await tap.endAsync();

    // The privacy scan: logs, every MQTT message, the status file, every database file, the device recording.
    const places: { name: string; bytes: Buffer }[] = [
      { name: 'gate log', bytes: Buffer.from(gate.log()) },
      { name: 'MQTT traffic', bytes: Buffer.concat(wire) },
      { name: 'status file', bytes: readFileSync(statusFile) },
      ...readdirSync(w.dir)
        .filter((f) => f.startsWith('gate.db') || f.endsWith('.jsonl'))
        .map((f) => ({ name: f, bytes: readFileSync(join(w.dir, f)) })),
    ];
    expect(places.map((p) => p.name)).toEqual(expect.arrayContaining(['gate.db', 'idcard-rec.jsonl']));
    expect(readFileSync(join(w.dir, 'idcard-rec.jsonl'), 'utf8').split('\n').length).toBeGreaterThan(10); // it did record
    const leaks = places.flatMap((p) =>
      [RESIDENT_PHOTO, IMPOSTOR_PHOTO].flatMap((photo) =>
        photoForms(photo)
          .filter((f) => p.bytes.includes(f.needle))
          .map((f) => `${p.name}: ${f.name}`),
      ),
    );
    expect(leaks).toEqual([]);
  });

  it('a matcher that is down: staffed lane by default, a face-unavailable alarm, the module shown as a fault; it clears when the module is back', async () => {
    world = await startWorld({ face: { script: { default: { result: 'unavailable', detail: 'camera-fault' } } } });
    const w = world;
    await startLoadedGate(w);
    w.reader.placeCard(CARDS.resident, { photo: RESIDENT_PHOTO });
    await waitFor(() => decisions(w).length === 1, 8000, 'the decision');
    expect(decisions(w)[0]).toMatchObject({ decision: 'reject', reason: 'face-mismatch', face: 'unavailable' });
    await waitFor(() => alarms(w).some((a) => a.type === 'face-unavailable' && a.active), 5000, 'the face-unavailable alarm');
    expect(alarms(w).find((a) => a.type === 'face-unavailable')).toMatchObject({ detail: 'camera-fault' });
    await waitFor(() => readStatusFile(`${w.dbPath}.status.json`).devices?.face?.state === 'fault', 5000, 'the face fault in the status');
    await removeCard(w);

    w.face!.script({ default: { result: 'match', score: 0.9 } });
    // The lane shows the refusal for resultHoldMs, then the idle screen.
    await waitFor(() => displays(w).at(-1)?.code === 'idle', 5000, 'the lane idle again');
    w.reader.placeCard(CARDS.resident, { photo: RESIDENT_PHOTO });
    await waitFor(() => w.mcu.auth !== null, 8000, 'the authorisation once the module is back');
    await waitFor(() => alarms(w).some((a) => a.type === 'face-unavailable' && !a.active), 5000, 'the alarm cleared');
  });
});
