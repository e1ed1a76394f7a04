// Central's reference feed answers the gate's resync requests the way docs/sync.md says.
import type { MqttClient } from 'mqtt';
import { DEMO_SECRET } from '../../src/demo/data.js';
import { describe, expect, it } from 'vitest';
import { CentralFeed } from '../../src/central/feed.js';
import { WIRE_VERSION, type ResyncRequest } from '../../src/sync/wire.js';
import { STATION, newKey, snapshotFile } from '../sync/fixtures.js';

function feed() {
  const published: string[] = [];
  const client = { publishAsync: (topic: string) => (published.push(topic), Promise.resolve(undefined)) } as unknown as MqttClient;
  const now = Date.parse('2026-03-01T06:00:00Z');
  const f = new CentralFeed({ docSecret: DEMO_SECRET, client, key: newKey().key, station: STATION, clock: () => new Date(now) });
  return { f, published };
}

const request = (f: CentralFeed, reason: ResyncRequest['reason']): ResyncRequest => ({
  v: WIRE_VERSION,
  type: 'resync-request',
  requestId: '01900000-0000-7000-8000-000000000001',
  station: STATION,
  gate: '01',
  at: new Date(Date.parse('2026-03-01T07:00:00Z')).toISOString(),
  reason,
  have: { epoch: f.epoch, seq: f.seq },
  want: null,
});

describe('CentralFeed.answer', () => {
  it("answers a gate that needs the snapshot (no data, or central's resync command) with the current one after a fresh head, at most once per 2 s", async () => {
    const { f, published } = feed();
    const first = await f.snapshot(snapshotFile(3));
    published.length = 0;
    await f.answer(request(f, 'requested'));
    expect(f.epoch).toBe(first); // no new epoch: gates that hold it drop it as a duplicate
    expect(published).toEqual([
      `stations/v1/${STATION}/sync/head`,
      `stations/v1/${STATION}/sync/snapshot/${first}/manifest`,
      `stations/v1/${STATION}/sync/snapshot/${first}/chunk/0`,
    ]);
    // A flood of forged requests (they are not signed) costs nothing more within the interval.
    for (let i = 0; i < 50; i++) await f.answer({ ...request(f, 'no-data'), have: null });
    expect(published).toHaveLength(3);
    expect(f.epoch).toBe(first);
  });

  it('answers a gap with the missing deltas and the head, in the same epoch', async () => {
    const { f, published } = feed();
    const epoch = await f.snapshot(snapshotFile(3));
    await f.delta({ upserts: { passengers: [], tickets: [] }, deletes: { passengers: [], tickets: [] } });
    published.length = 0;
    await f.answer({ ...request(f, 'gap'), have: { epoch, seq: 0 } });
    expect(f.epoch).toBe(epoch);
    expect(published).toEqual([`stations/v1/${STATION}/sync/delta/${epoch}/1`, `stations/v1/${STATION}/sync/head`]);
  });
});
