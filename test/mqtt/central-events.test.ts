// Central's listener for the gates' events (src/central/publish.ts onGateEvents), used by the demo, the test world,
// the station test and the soak: on a real Mosquitto, a well-formed event reaches the handler with the gate its
// topic names, and what anyone else posts under events/ (not JSON, not an event, another station) is dropped without
// throwing into MQTT.js.
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { connectCentral, onGateEvents } from '../../src/central/publish.js';
import type { GateEvent } from '../../src/gate/events.js';
import { waitFor } from '../../src/util/wait.js';
import { useBroker } from './helpers.js';

describe('central listening to gate events', () => {
  const ctx = useBroker();

  it('hands over events with their gate and ignores garbage, non-events and other stations', async () => {
    const central = await connectCentral(ctx.broker.url);
    ctx.cleanups.push(() => central.endAsync());
    const got: { seq: number; gate: string }[] = [];
    await onGateEvents(central, 'SHH', (e: GateEvent, gate) => got.push({ seq: e.seq, gate }));
    const gate = await mqtt.connectAsync(ctx.broker.url, { protocolVersion: 5 });
    ctx.cleanups.push(() => gate.endAsync());
    const alarm = (seq: number, station = 'SHH') =>
      JSON.stringify({
        kind: 'alarm',
        eventId: `0190d0a0-0000-7000-8000-${String(seq).padStart(12, '0')}`,
        seq,
        station,
        gate: '04',
        at: '2026-12-05T08:00:00.000Z',
        type: 'power',
        detail: null,
        active: true,
      });
    await gate.publishAsync('gates/v1/SHH/04/events/alarm', '{not json', { qos: 1 });
    await gate.publishAsync('gates/v1/SHH/04/events/alarm', '{"kind":"alarm"}', { qos: 1 });
    await gate.publishAsync('gates/v1/XYZ/04/events/alarm', alarm(9, 'XYZ'), { qos: 1 });
    await gate.publishAsync('gates/v1/SHH/04/events/alarm', alarm(1), { qos: 1 });
    await gate.publishAsync('gates/v1/SHH/05/events/alarm', alarm(2), { qos: 1 });
    await waitFor(() => got.length === 2, 5000, 'the two events');
    expect(got).toEqual([
      { seq: 1, gate: '04' },
      { seq: 2, gate: '05' },
    ]);
    expect(central.connected).toBe(true);
  });
});
