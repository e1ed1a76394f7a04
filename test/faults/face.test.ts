// Fault: the face matcher killed (SIGKILL) while a passenger stands in front of the camera. The real `gate run`
// must follow face.onUnavailable: `staffed` refuses with face-mismatch and consumes nothing; `open` lets the ticket
// decide and the passage counts once. Either way a face-unavailable alarm, and the daemon keeps running.
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { CARDS } from '../../src/demo/data.js';
import type { CardFields } from '../../src/readers/idcard/index.js';
import { waitFor } from '../../src/util/wait.js';
import { photoKey, syntheticPhotoFor } from '../../src/face/sim.js';
import { startFaceSim, type FaceSimProcess } from '../../src/face/sim-process.js';
import type { AlarmEvent, DecisionEvent } from '../../src/gate/events.js';
import { startLoadedGate, startWorld, type World } from '../daemon/world.js';
import { tally } from './support/tally.js';

let world: World | undefined;
const sims: FaceSimProcess[] = [];
afterEach(async () => {
  for (const s of sims.splice(0)) await s.stop();
  await world?.close();
  world = undefined;
});

const PASSENGERS: { card: CardFields; ticket: string }[] = [
  { card: CARDS.resident, ticket: 'R1' },
  { card: CARDS.hmtPermit, ticket: 'H1' },
  { card: CARDS.pr2023, ticket: 'Y1' },
];
/** The matcher holds every request this long: the kill always lands mid-request. */
const SLOW = { default: { result: 'match' as const, score: 0.9, delayMs: 60_000 } };

async function removeCard(w: World): Promise<void> {
  w.reader.removeCard();
  const finds = w.reader.received.length;
  await waitFor(() => w.reader.received.slice(finds).filter((c) => c === 'find').length >= 3, 3000, 'the reader to see the card gone');
}

describe.each(['staffed', 'open'] as const)('fault: matcher killed mid-passage, face.onUnavailable=%s', (policy) => {
  it('the lane follows the policy for every passenger, raises face-unavailable, and never crashes', async () => {
    world = await startWorld({ face: { script: SLOW, onUnavailable: policy, timeoutMs: 20_000 } });
    const w = world;
    const gate = await startLoadedGate(w);
    let crashed = 0;
    void gate.exited.then(() => crashed++);
    let sim = w.face!;
    const decisions = () => w.received.filter((e): e is DecisionEvent => e.kind === 'decision');
    let lost = 0;

    for (const [i, p] of PASSENGERS.entries()) {
      const photo = syntheticPhotoFor(p.ticket);
      const seen = sim.requests.length;
      w.reader.placeCard(p.card, { photo });
      await waitFor(() => sim.requests.slice(seen).some((r) => r.key === photoKey(photo)), 8000, `the match request of ${p.ticket}`);
      sim.proc.kill('SIGKILL');
      await waitFor(() => decisions().length === i + 1, 8000, `the decision for ${p.ticket}`);
      const d = decisions()[i];
      expect(d.face).toBe('unavailable');
      if (policy === 'staffed') {
        expect(d).toMatchObject({ decision: 'reject', reason: 'face-mismatch', ticketId: null });
      } else {
        expect(d).toMatchObject({ decision: 'open', reason: 'ok', ticketId: p.ticket });
        await waitFor(() => w.mcu.auth !== null, 5000, 'the authorisation');
        await w.mcu.walkThrough();
        await waitFor(
          () => w.query('SELECT 1 FROM ledger WHERE ticket_id = ?', p.ticket).length === 1,
          8000,
          `${p.ticket} in the ledger`,
        ).catch(() => lost++);
      }
      await removeCard(w);
      // The module comes back (systemd restarts a vendor's adapter) for the next passenger, and is killed again.
      sims.push((sim = await startFaceSim(join(w.dir, 'face.sock'), join(w.dir, 'face-script.json'), SLOW)));
      await waitFor(() => w.mcu.lastDisplay?.code === 'idle', 8000, 'the lane idle again');
    }

    const ledger = w.query<{ ticket_id: string; n: number }>('SELECT ticket_id, COUNT(*) AS n FROM ledger GROUP BY ticket_id');
    const doubleUsed = ledger.filter((r) => r.n > 1).length;
    expect(ledger.map((r) => r.ticket_id).sort()).toEqual(policy === 'open' ? PASSENGERS.map((p) => p.ticket).sort() : []);
    const alarms = w.received.filter((e): e is AlarmEvent => e.kind === 'alarm' && e.type === 'face-unavailable');
    expect(alarms.some((a) => a.active)).toBe(true);
    expect(gate.proc.exitCode).toBeNull();
    tally({ scenario: `face: matcher killed mid-passage (${policy})`, cycles: PASSENGERS.length, lost, doubleUsed, crashes: crashed });
    expect([lost, doubleUsed, crashed]).toEqual([0, 0, 0]);
  });
});
