// The status file is rewritten when something a reader acts on changes, and otherwise only as a heartbeat (issue 20:
// every 2 s was ~43,000 file replacements a day on the gate's flash card).
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { STATUS_HEARTBEAT_MS, StatusFileWriter } from '../../src/daemon/status-writer.js';
import { tempDir } from '../sync/fixtures.js';
import { readStatusFile } from '../support/json.js';

let tmp: ReturnType<typeof tempDir> | undefined;
afterEach(() => tmp?.cleanup());

const status = (over: { pending?: number; ageSeconds?: number; uptimeSeconds?: number; mode?: string; phase?: string } = {}) => ({
  state: 'running',
  laneMode: over.mode ?? 'normal',
  lanePhase: over.phase ?? 'idle',
  writtenAt: new Date().toISOString(),
  uptimeSeconds: over.uptimeSeconds ?? 1,
  cache: { epoch: '1', seq: 0, ageSeconds: over.ageSeconds ?? 10 },
  outbox: { pending: over.pending ?? 0, lastSeq: 5, oldestPendingAgeSeconds: null },
});

describe('status file writer', () => {
  it('writes on a change, skips what only the clock moved, and rewrites an unchanged status once a heartbeat', () => {
    tmp = tempDir();
    const file = join(tmp.dir, 'gate.db.status.json');
    let now = 1_000_000;
    const w = new StatusFileWriter(file, () => now);
    expect(w.write(status())).toBe(true);
    const inode = statSync(file).ino;

    now += 2000;
    expect(
      w.write({ ...status({ ageSeconds: 12, uptimeSeconds: 3 }), outbox: { pending: 0, lastSeq: 9, oldestPendingAgeSeconds: null } }),
    ).toBe(false);
    expect(statSync(file).ino).toBe(inode);

    // The lane's phases and an event or two in flight come with every passenger: not news. A backlog building up
    // (the broker away) is.
    now += 2000;
    expect(w.write(status({ pending: 2, phase: 'passing' }))).toBe(false);
    expect(w.write(status({ pending: 12 }))).toBe(true);
    expect(readStatusFile(file).outbox?.pending).toBe(12);
    expect(w.write(status({ pending: 40 }))).toBe(false);
    expect(w.write(status({ pending: 140 }))).toBe(true);
    expect(w.write(status({ mode: 'maintenance', pending: 140 }))).toBe(true);

    now += STATUS_HEARTBEAT_MS - 1;
    expect(w.write(status({ mode: 'maintenance', pending: 150, uptimeSeconds: 60 }))).toBe(false);
    now += 1;
    expect(w.write(status({ mode: 'maintenance', pending: 150, uptimeSeconds: 61 }))).toBe(true);
    expect(readStatusFile(file).outbox?.pending).toBe(150);
    expect(w.write(status({ mode: 'maintenance', pending: 150 }), true)).toBe(true); // stop: always written
    expect(w.writes).toBe(6);
  });
});
