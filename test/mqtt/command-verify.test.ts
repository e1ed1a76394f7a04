import { describe, expect, it } from 'vitest';
import { CommandSigner } from '../../src/mqtt/command-signer.js';
import { verifyCommand, type VerifyContext } from '../../src/mqtt/command-verify.js';
import { backoffDelay } from '../../src/mqtt/backoff.js';
import type { SignedCommand } from '../../src/mqtt/schemas.js';
import { generateSigningKeys, parsePublicKey } from '../../src/util/signing.js';

const central = generateSigningKeys();
const intruder = generateSigningKeys();
const target = { station: 'BJP', gate: '03' };
const NOW = Date.parse('2026-03-01T08:00:00Z');
const ctx = (over: Partial<VerifyContext> = {}): VerifyContext => ({
  target,
  topicName: 'lane-mode',
  keys: [parsePublicKey(central.publicKey)],
  nowMs: NOW,
  maxSkewMs: 60_000,
  seen: () => false,
  ...over,
});
const signed = (key = central.privateKey, opts: { nowMs?: number; nonce?: string } = {}, to = target): SignedCommand =>
  new CommandSigner(key).sign(to, 'lane-mode', { mode: 'locked' }, { nowMs: NOW, nonce: 'nonce-0001', ...opts }).command;

describe('verifyCommand', () => {
  it('accepts a fresh command signed by central for this gate', () => {
    expect(verifyCommand(JSON.stringify(signed()), ctx())).toEqual({ ok: true, command: { name: 'lane-mode', args: { mode: 'locked' }, nonce: 'nonce-0001', issuedMs: NOW } });
  });

  const cases: [string, () => string, Partial<VerifyContext>, string][] = [
    ['not JSON', () => '{', {}, 'malformed'],
    ['unsigned', () => JSON.stringify({ ...signed(), signature: undefined }), {}, 'unsigned'],
    ['signed by someone else', () => JSON.stringify(signed(intruder.privateKey)), {}, 'bad-signature'],
    ['signed for another gate', () => JSON.stringify(signed(central.privateKey, {}, { station: 'BJP', gate: '04' })), {}, 'bad-signature'],
    ['args changed after signing', () => JSON.stringify({ ...signed(), args: { mode: 'free' } }), {}, 'bad-signature'],
    ['no central key configured', () => JSON.stringify(signed()), { keys: [] }, 'bad-signature'],
    ['too old', () => JSON.stringify(signed(central.privateKey, { nowMs: NOW - 61_000 })), {}, 'stale'],
    ['from the future', () => JSON.stringify(signed(central.privateKey, { nowMs: NOW + 61_000 })), {}, 'stale'],
    ['already seen', () => JSON.stringify(signed()), { seen: () => true }, 'replayed'],
    ['name differs from topic', () => JSON.stringify(signed()), { topicName: 'release' }, 'malformed'],
    ['unknown command', () => JSON.stringify({ ...signed(), name: 'self-destruct' }), {}, 'unknown-command'],
  ];
  it.each(cases)('refuses a command that is %s', (_what, payload, over, code) => {
    const v = verifyCommand(payload(), ctx(over));
    expect(v.ok).toBe(false);
    expect(v).toMatchObject({ code });
  });
});

describe('backoffDelay', () => {
  it('grows exponentially up to the cap, with full jitter', () => {
    const p = { initialMs: 100, maxMs: 1000 };
    expect([0, 1, 2, 3, 4, 10].map((n) => backoffDelay(n, p, () => 0.999999))).toEqual([99, 199, 399, 799, 999, 999]);
    expect(backoffDelay(5, p, () => 0)).toBe(0);
  });
});
