// `gate run` on a damaged database, as systemd would start it: a file with flipped bytes in a cache page (found by the
// check after start: one restart, never a loop), a zeroed header and a file cut short (found at start) each get a
// gate that moves the file aside, keeps the
// ledger it can still read, raises 'storage-corrupt', sends passengers to the staffed lane until central's snapshot
// is in, asks central for that snapshot, and starts cleanly the next time.
import { existsSync, readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { CARDS } from '../../src/demo/data.js';
import { waitFor } from '../../src/util/wait.js';
import type { AlarmEvent, DecisionEvent } from '../../src/gate/events.js';
import { startLoadedGate, startWorld, type GateProcess, type World } from './world.js';
import { damageFile, type Damage } from './damage.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const decisions = (w: World) => w.received.filter((e): e is DecisionEvent => e.kind === 'decision');
const corruptAlarms = (w: World) => w.received.filter((e): e is AlarmEvent => e.kind === 'alarm' && e.type === 'storage-corrupt');
const asideFiles = (w: World) => readdirSync(w.dir).filter((f) => /\.corrupt-[^.]*$/.test(f) && !f.endsWith('-wal') && !f.endsWith('-shm'));
const epoch = (w: World) => {
  try {
    return w.query<{ epoch: string }>('SELECT epoch FROM sync_state WHERE id = 1')[0]?.epoch ?? null;
  } catch {
    return null;
  }
};

async function stop(gate: GateProcess): Promise<void> {
  gate.proc.kill('SIGTERM');
  expect((await gate.exited).code).toBe(0);
}

async function started(gate: GateProcess): Promise<void> {
  await Promise.race([
    gate.ready,
    gate.exited.then((e) => Promise.reject(new Error(`gate exited (${e.code ?? e.signal}): ${gate.log().slice(-1500)}`))),
  ]);
}

describe('gate run on a damaged database', () => {
  it('a zeroed header and a truncated file are caught at start, flipped bytes by the check after start (one restart); each recovers and the next start is clean', async () => {
    world = await startWorld();
    const w = world;
    let gate = await startLoadedGate(w);
    // A passenger passes: the ledger has R1.
    w.reader.placeCard(CARDS.resident);
    await waitFor(() => w.mcu.auth !== null, 8000, 'the MCU authorisation');
    await w.mcu.walkThrough();
    await waitFor(() => w.query('SELECT 1 FROM ledger').length === 1, 8000, 'the passage in the ledger');
    w.reader.removeCard();
    await stop(gate);

    const rounds: Damage[] = ['flipped-table-page', 'zeroed-header', 'truncated'];
    for (const [i, how] of rounds.entries()) {
      damageFile(w.dbPath, how);
      const offline = how === 'zeroed-header';
      // Once with central out of reach: the passenger arriving before any snapshot is sent to the staffed lane.
      if (offline) await w.broker.stop();
      gate = w.startGate();
      await started(gate);
      if (how === 'flipped-table-page') {
        // After a clean stop the start reads only the header (this file's is sound) and serves; the whole file is
        // checked in a worker thread once ready. It finds the damage and asks to be restarted (exit 75, which
        // systemd answers with a restart), marking the file for a full check: that start sets it aside.
        expect(asideFiles(w)).toHaveLength(i);
        expect((await gate.exited).code).toBe(75);
        expect(gate.log()).toContain('database failed its integrity check after start');
        expect(existsSync(`${w.dbPath}.check-at-start`)).toBe(true);
        gate = w.startGate();
        await started(gate);
        expect(existsSync(`${w.dbPath}.check-at-start`)).toBe(false);
      }
      expect(asideFiles(w)).toHaveLength(i + 1);
      expect(gate.log()).toContain('database failed its integrity check');

      if (offline) {
        w.reader.placeCard(CARDS.hmtPermit);
        // The lane shows the passenger the staffed-lane reason (cache-stale) while it has no cache.
        await waitFor(() => w.mcu.lastDisplay?.reason === 'cache-stale', 8000, 'cache-stale on the lane display');
        expect(w.mcu.lastDisplay).toMatchObject({ code: 'reject', reason: 'cache-stale' });
        w.reader.removeCard();
        await w.broker.start();
      }
      // Central hears of it once per damaged start, and answers the gate's snapshot request.
      await waitFor(() => corruptAlarms(w).length === i + 1, 15_000, 'the storage-corrupt alarm at central');
      // The gate asked at once (central's reference answers a reload request with the data under a new epoch).
      await waitFor(() => epoch(w) !== null, 20_000, 'the snapshot loaded again');
      if (how === 'flipped-table-page') {
        // The ledger was salvaged: the used ticket stays used.
        expect(w.query<{ ticket_id: string }>('SELECT ticket_id FROM ledger').map((r) => r.ticket_id)).toEqual(['R1']);
        w.reader.placeCard(CARDS.resident);
        await waitFor(() => decisions(w).some((d) => d.reason === 'already-used'), 10_000, 'already-used at central');
        w.reader.removeCard();
      }
      if (offline) expect(decisions(w).some((d) => d.reason === 'cache-stale')).toBe(true);
      await stop(gate);

      // The next start is an ordinary one: nothing moved aside, no new alarm.
      gate = w.startGate();
      await started(gate);
      expect(asideFiles(w)).toHaveLength(i + 1);
      expect(gate.log()).not.toContain('integrity check');
      await stop(gate);
    }
    expect(corruptAlarms(w).map((a) => a.detail)).toEqual(['corrupt', 'not-a-database', 'corrupt']);
  }, 180_000);
});
