// Attack: an attacker without keys floods the gate's command topic with garbage (each refused cheaply) while central
// sends one genuine signed command. The genuine command must still be carried out and answered: the flood must not
// be able to crowd central out of the command queue (MAX_QUEUED) - e.g. an emergency release or lane-mode.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitFor } from '../../../src/util/wait.js';
import { GATE, STATION, arena, type Arena } from './support.js';

let a: Arena;
beforeAll(async () => {
  a = await arena();
  await a.stillServing();
}, 90_000);
afterAll(async () => a?.close());

it('a genuine command sent during a flood of unsigned commands is still handled', async () => {
  const { w } = a;
  const topic = `gates/v1/${STATION}/${GATE}/cmd/lane-mode`;
  const genuine = w.signer.sign({ station: STATION, gate: GATE }, 'lane-mode', { mode: 'locked' });
  // a sustained flood (2 s, yielding between chunks), central's command sent 1 s into it
  let flooding = true;
  const flood = (async () => {
    while (flooding) {
      for (let i = 0; i < 200; i++) a.attacker.publish(topic, '{"v":2}', { qos: 0 });
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  await new Promise((r) => setTimeout(r, 1000));
  await w.central.publishAsync(genuine.topic, genuine.payload, { qos: 1 });
  await new Promise((r) => setTimeout(r, 1000));
  flooding = false;
  await flood;
  await waitFor(() => a.refusals('command') >= 1000, 20_000, 'refusals counted');
  // Settled when central's answer is in and the MCU holds the mode (bounded: a lost command fails below, with its story).
  await waitFor(
    () => w.mcu.mode === 'locked' && a.results.some((r) => r.name === 'lane-mode' && r.ok),
    10_000,
    'the genuine command carried out',
  ).catch(() => undefined);
  const answer = a.results.find((r) => r.name === 'lane-mode' && r.ok);
  console.log(
    'DROPPED',
    a.gate
      .log()
      .split('\n')
      .filter((l) => l.includes('connection dropped') || l.includes('publish failed')).length,
  );
  expect(
    w.mcu.mode,
    `genuine command lost in the flood; refusals=${a.refusals('command')} answers=${JSON.stringify(a.results.filter((r) => r.ok))}`,
  ).toBe('locked');
  expect(answer?.code).toBe('ok');
});
