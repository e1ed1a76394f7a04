// Replay protection that survives clock steps: the attack 6. Command B prunes command A's nonce; the gate's
// clock then steps back (an RTC that lags at boot until NTP corrects it) and A is replayed. The high-water mark of
// accepted issuedAt, kept in the gate's file, refuses A whatever the clock says, also after a restart.
import { describe, expect, it } from 'vitest';
import { openDb } from '../../src/cache/db.js';
import { CommandChannel } from '../../src/mqtt/commands.js';
import { CommandSigner } from '../../src/mqtt/command-signer.js';
import type { MqttConnection } from '../../src/mqtt/connection.js';
import { GateStore } from '../../src/daemon/gate-store.js';
import { generateSigningKeys } from '../../src/util/signing.js';
import { tempGate } from './helpers.js';

const central = generateSigningKeys();
const target = { station: 'BJP', gate: '03' };
const T0 = Date.parse('2026-03-01T08:00:00Z');

/** The two calls the channel makes: subscribe (the handler is kept, to deliver messages) and publish (answers). */
function connection(answers: unknown[]) {
  const c = {
    deliver: (_topic: string, _payload: Buffer): void => undefined,
    subscribe: (_f: string, _q: number, h: (topic: string, payload: Buffer) => void) => void (c.deliver = h),
    publish: (_t: string, p: string) => (answers.push(JSON.parse(p)), Promise.resolve()),
  };
  return c as typeof c & MqttConnection;
}

/** A started channel on a fresh gate file: messages go in through `conn.deliver`, answers and runs are recorded. */
function listeningChannel(now: () => number) {
  const tg = tempGate('BJP', '03');
  const answers: { code: string; nonce: string | null }[] = [];
  const handled: string[] = [];
  const conn = connection(answers);
  const ch = new CommandChannel(target, conn, tg.store.nonces, (c) => (handled.push(c.nonce), { ok: true, code: 'ok' }), {
    centralPublicKeys: [central.publicKey],
    maxSkewSeconds: 60,
    now,
  });
  ch.start();
  return { tg, answers, handled, conn, ch };
}

describe('command replay after a clock step', () => {
  it('refuses a command whose nonce was pruned when the clock steps back, also after a restart', async () => {
    const tg = tempGate('BJP', '03');
    let clock = T0;
    const answers: unknown[] = [];
    const handled: string[] = [];
    const channel = (store: GateStore) =>
      new CommandChannel(target, connection(answers), store.nonces, (c) => (handled.push(c.nonce), { ok: true, code: 'ok' }), {
        centralPublicKeys: [central.publicKey],
        maxSkewSeconds: 60,
        now: () => clock,
      });
    const signer = new CommandSigner(central.privateKey);
    const a = signer.sign(target, 'lane-mode', { mode: 'locked' }, { nowMs: T0, nonce: 'command-A' });
    const b = signer.sign(target, 'lane-mode', { mode: 'normal' }, { nowMs: T0 + 5 * 60_000, nonce: 'command-B' });
    let ch = channel(tg.store);
    expect((await ch.handle(a.topic, a.payload)).code).toBe('ok');
    clock = T0 + 5 * 60_000;
    expect((await ch.handle(b.topic, b.payload)).code).toBe('ok');
    // B's acceptance pruned A's nonce: the nonce table alone could no longer recognise A.
    expect(tg.store.nonces.seen('command-A')).toBe(false);
    clock = T0 + 10_000; // the clock steps back: A looks fresh to the clock
    expect((await ch.handle(a.topic, a.payload)).code).toBe('stale');
    // A restart on the same file keeps the mark.
    tg.db.close();
    tg.db = openDb(tg.path);
    ch = channel(new GateStore(tg.db, target));
    expect((await ch.handle(a.topic, a.payload)).code).toBe('stale');
    expect(handled).toEqual(['command-A', 'command-B']);
    tg.close();
  });

  it('contains a failing handler: the command is answered failed and the next one still runs', async () => {
    const tg = tempGate('BJP', '03');
    const answers: { code: string }[] = [];
    let calls = 0;
    const ch = new CommandChannel(
      target,
      connection(answers),
      tg.store.nonces,
      () => {
        if (calls++ === 0) throw new Error('boom');
        return { ok: true, code: 'ok' };
      },
      { centralPublicKeys: [central.publicKey], maxSkewSeconds: 60, now: () => T0 },
    );
    const signer = new CommandSigner(central.privateKey);
    await ch.handle('gates/v1/BJP/03/cmd/resync', signer.sign(target, 'resync', {}, { nowMs: T0 }).payload);
    await ch.handle('gates/v1/BJP/03/cmd/resync', signer.sign(target, 'resync', {}, { nowMs: T0 }).payload);
    expect(answers.map((x) => x.code)).toEqual(['failed', 'ok']);
    tg.close();
  });

  it("a flood of unsigned and forged commands never crowds out central's genuine one; forged signatures are checked at a bounded rate", async () => {
    let clock = T0;
    const { tg, answers, handled, conn, ch } = listeningChannel(() => clock);
    const signer = new CommandSigner(central.privateKey);
    const genuine = signer.sign(target, 'lane-mode', { mode: 'locked' }, { nowMs: T0, nonce: 'genuine-1' });
    const env = JSON.parse(genuine.payload.toString()) as Record<string, string>;
    // Under central's own key id, with a signature that does not verify: each would cost an Ed25519 check.
    const forged = Buffer.from(JSON.stringify({ ...env, sig: Buffer.alloc(64, 7).toString('base64') }));
    for (let i = 0; i < 5000; i++) conn.deliver(genuine.topic, i % 2 ? Buffer.from('{"v":2}') : forged);
    await ch.idle();
    const refused = answers.map((a) => a.code);
    expect(refused.filter((c) => c === 'bad-signature').length).toBeLessThanOrEqual(20);
    expect(refused.length).toBe(30); // answers are budgeted too: the rest is only counted
    // A second later the budget has refilled: central's command is checked, run and answered.
    clock += 1000;
    conn.deliver(genuine.topic, genuine.payload);
    await ch.idle();
    expect(handled).toEqual(['genuine-1']);
    expect(answers.at(-1)).toMatchObject({ nonce: 'genuine-1', code: 'ok' });
    tg.close();
  });

  it('a command older than one accepted a moment ago is stale even while that one still waits in the queue', async () => {
    const { tg, answers, handled, conn, ch } = listeningChannel(() => T0);
    const signer = new CommandSigner(central.privateKey);
    const newer = signer.sign(target, 'lane-mode', { mode: 'normal' }, { nowMs: T0 + 45_000, nonce: 'newer-001' });
    const older = signer.sign(target, 'lane-mode', { mode: 'locked' }, { nowMs: T0 - 45_000, nonce: 'older-001' });
    // All three arrive in one socket read, before the queue has run the first.
    conn.deliver(newer.topic, newer.payload);
    conn.deliver(newer.topic, newer.payload);
    conn.deliver(older.topic, older.payload);
    await ch.idle();
    expect(answers.map((a) => a.code).sort()).toEqual(['ok', 'replayed', 'stale']);
    expect(handled).toEqual(['newer-001']);
    tg.close();
  });
});
