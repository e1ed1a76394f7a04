// The real `gate run` publishing to a broker where nobody listens to its events any more (central unsubscribed, as a
// broker that lost central's session would have it): the broker acknowledges with "no matching subscribers", the
// gate keeps the events, says why in its status, and central gets every one of them, in order, once it listens again.
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/util/wait.js';
import { readStatusFile } from '../support/json.js';
import { STATION, firstSeenSeqs, passTraveller, startLoadedGate, startWorld, type World } from './world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('nobody subscribed to the gate events', () => {
  it('keeps them in the outbox with the status saying no-subscriber, and delivers them in order once central listens again', async () => {
    world = await startWorld({ travellers: 4 });
    const w = world;
    const gate = await startLoadedGate(w);
    const pending = () => w.query('SELECT 1 FROM outbox WHERE sent_ms IS NULL').length;
    const lastSeq = () => w.query<{ last_seq: number }>('SELECT last_seq FROM outbox_seq')[0].last_seq;
    await passTraveller(w, 0);
    await waitFor(
      () => pending() === 0 && new Set(w.received.map((e) => e.seq)).size === lastSeq(),
      10_000,
      'central to have the first passenger',
    );

    const filter = `gates/v1/${STATION}/+/events/#`;
    await w.central.unsubscribeAsync(filter);
    await passTraveller(w, 1);
    const status = () => readStatusFile(`${w.dbPath}.status.json`);
    await waitFor(() => status().devices?.mqtt?.detail === 'no-subscriber', 10_000, 'the status to say no-subscriber');
    expect(status().devices?.mqtt?.state).toBe('degraded');
    // The decision nobody could receive, and what came after it, are still in the outbox.
    expect(pending()).toBeGreaterThanOrEqual(2);
    expect(gate.log()).toContain('holding them until one subscribes');

    await w.central.subscribeAsync(filter, { qos: 1 });
    await waitFor(() => pending() === 0, 40_000, 'the outbox to drain once central listens');
    await waitFor(() => new Set(w.received.map((e) => e.seq)).size === lastSeq(), 10_000, 'central to have every event');
    expect(firstSeenSeqs(w)).toEqual(Array.from({ length: lastSeq() }, (_, k) => k + 1));
    await waitFor(() => status().devices?.mqtt?.state === 'ok', 10_000, 'the status back to ok');
  }, 120_000);
});
