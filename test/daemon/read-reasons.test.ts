// One owner for the read -> passenger reason rule (src/readers/outcome.ts): the same bad document gives the same
// reason from the running daemon (`gate run`, documents on real ptys, the decision as central receives it) and from
// `gate decide` (run as a child process against the same config and cache). Before the one mapping, an MRZ with a
// bad check digit was `unreadable` at the gate and `document-invalid` from `gate decide`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARDS, PASSPORTS } from '../../src/demo/data.js';
import { waitFor } from '../../src/util/wait.js';
import type { DecisionEvent } from '../../src/gate/events.js';
import { encodeCardText } from '../../src/readers/idcard/index.js';
import { buildReadResponse } from '../../src/readers/idcard/decode.js';
import { startLoadedGate, startWorld, type World } from './world.js';
import { runGateProcess } from '../support/gate-process.js';
import { parseJson } from '../support/json.js';
import { z } from 'zod';

let world: World;
beforeAll(async () => {
  world = await startWorld();
  await startLoadedGate(world);
}, 60_000);
afterAll(async () => {
  await world?.close();
});

const decisions = () => world.received.filter((e): e is DecisionEvent => e.kind === 'decision');

/** The verified passport with its document number's check digit (line 2, position 10) changed. */
function mrzWithBadCheckDigit(): string[] {
  const [l1, l2] = PASSPORTS.verified;
  const digit = l2[9] === '0' ? '1' : '0';
  return [l1, l2.slice(0, 9) + digit + l2.slice(10)];
}

async function gateDecide(input: string[]): Promise<{ reason: string; decision: string }> {
  const r = await runGateProcess([
    'decide',
    '--config',
    world.configPath,
    '--db',
    world.dbPath,
    '--direction',
    'entry',
    '--at',
    new Date().toISOString(),
    ...input,
  ]);
  expect(r.code, r.err).toBe(0);
  return parseJson(z.looseObject({ reason: z.string(), decision: z.string() }), r.out);
}

describe('a document the gate cannot accept gets one reason everywhere', () => {
  it('an MRZ with a bad check digit, read cleanly, is document-invalid at the gate and from gate decide', async () => {
    const mrz = mrzWithBadCheckDigit();
    const before = decisions().length;
    await world.scanner.scan(mrz);
    await waitFor(() => decisions().length === before + 1, 10_000, 'the decision at central');
    const atGate = decisions().at(-1)!;
    const fromCli = await gateDecide(['--mrz', mrz.join('\n')]);
    expect([atGate.decision, atGate.reason]).toEqual(['reject', 'document-invalid']);
    expect([fromCli.decision, fromCli.reason]).toEqual([atGate.decision, atGate.reason]);
  }, 60_000);

  it('an ID card whose number fails its MOD 11-2 check char is document-invalid at the gate and from gate decide', async () => {
    const card = { ...CARDS.resident, number: CARDS.resident.number.slice(0, 17) + (CARDS.resident.number.endsWith('0') ? '1' : '0') };
    const before = decisions().length;
    world.reader.placeCard(card);
    await waitFor(() => decisions().length === before + 1, 10_000, 'the decision at central');
    world.reader.removeCard();
    const atGate = decisions().at(-1)!;
    const frame = Buffer.from(buildReadResponse(encodeCardText(card))).toString('hex');
    const fromCli = await gateDecide(['--idcard-hex', frame]);
    expect([atGate.decision, atGate.reason]).toEqual(['reject', 'document-invalid']);
    expect([fromCli.decision, fromCli.reason]).toEqual([atGate.decision, atGate.reason]);
  }, 60_000);
});
