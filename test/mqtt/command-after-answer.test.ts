// Publish the result, then act: a command whose action ends the process (reload-config) is answered on cmd-result
// first. The connection's publish is held open by the test, so "the action waits for the PUBACK" is checked against
// a publish that has provably not completed, not against a sleep.
import { describe, expect, it } from 'vitest';
import { CommandChannel, type CommandOutcome } from '../../src/mqtt/commands.js';
import { CommandSigner } from '../../src/mqtt/command-signer.js';
import type { MqttConnection } from '../../src/mqtt/connection.js';
import { generateSigningKeys } from '../../src/util/signing.js';
import { tempGate } from './helpers.js';

const central = generateSigningKeys();
const target = { station: 'BJP', gate: '03' };
const T0 = Date.parse('2026-03-01T08:00:00Z');

function channelWith(outcome: CommandOutcome, publish: (payload: string) => Promise<void>) {
  const tg = tempGate('BJP', '03');
  const conn = { subscribe: () => undefined, publish: (_t: string, p: string) => publish(p) } as unknown as MqttConnection;
  const ch = new CommandChannel(target, conn, tg.store.nonces, () => outcome, {
    centralPublicKeys: [central.publicKey],
    maxSkewSeconds: 60,
    now: () => T0,
  });
  const cmd = new CommandSigner(central.privateKey).sign(target, 'reload-config', {}, { nowMs: T0 });
  return { tg, run: () => ch.handle(cmd.topic, cmd.payload) };
}

describe('publish the result, then act', () => {
  it('the action runs only once the answer is acknowledged by the broker', async () => {
    const order: string[] = [];
    let puback!: () => void;
    let published!: () => void;
    const publishCalled = new Promise<void>((r) => (published = r));
    const { tg, run } = channelWith({ ok: true, code: 'ok', afterAnswer: () => order.push('act') }, (p) => {
      order.push(`publish ${(JSON.parse(p) as { code: string }).code}`);
      published();
      return new Promise<void>((r) => (puback = () => (order.push('puback'), r())));
    });
    const handled = run();
    await publishCalled;
    await Promise.resolve();
    expect(order).toEqual(['publish ok']); // the PUBACK is outstanding, so the action has not run
    puback();
    expect((await handled).code).toBe('ok');
    expect(order).toEqual(['publish ok', 'puback', 'act']);
    tg.close();
  });

  it('a publish that fails (broker gone) still lets the action run, after it, and the answer stays ok', async () => {
    const order: string[] = [];
    const { tg, run } = channelWith({ ok: true, code: 'ok', afterAnswer: () => order.push('act') }, () => {
      order.push('publish');
      return Promise.reject(new Error('not connected'));
    });
    expect((await run()).code).toBe('ok');
    expect(order).toEqual(['publish', 'act']);
    tg.close();
  });

  it('an action that throws is contained: the command was answered and the channel carries on', async () => {
    const answers: string[] = [];
    const { tg, run } = channelWith(
      {
        ok: true,
        code: 'ok',
        afterAnswer: () => {
          throw new Error('boom');
        },
      },
      (p) => (answers.push((JSON.parse(p) as { code: string }).code), Promise.resolve()),
    );
    await expect(run()).resolves.toMatchObject({ code: 'ok' });
    expect(answers).toEqual(['ok']);
    tg.close();
  });
});
