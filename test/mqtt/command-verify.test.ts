import { createPrivateKey, createPublicKey, sign as edSign, verify as edVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CommandSigner } from '../../src/mqtt/command-signer.js';
import { verifyCommand, type VerifyContext } from '../../src/mqtt/command-verify.js';
import { backoffDelay } from '../../src/mqtt/backoff.js';
import { seal } from '../../src/util/sealed.js';
import { generateSigningKeys, KeyRing, keyIdOf, parsePrivateKey } from '../../src/util/signing.js';

const central = generateSigningKeys();
const intruder = generateSigningKeys();
const target = { station: 'BJP', gate: '03' };
const NOW = Date.parse('2026-03-01T08:00:00Z');
const ring = new KeyRing([central.publicKey]);
const ctx = (over: Partial<VerifyContext> = {}): VerifyContext => ({
  target,
  topicName: 'lane-mode',
  keys: ring,
  nowMs: NOW,
  maxSkewMs: 60_000,
  highWaterMs: null,
  seen: () => false,
  ...over,
});
const signed = (key = central.privateKey, opts: { nowMs?: number; nonce?: string } = {}, to = target): Buffer =>
  new CommandSigner(key).sign(to, 'lane-mode', { mode: 'locked' }, { nowMs: NOW, nonce: 'nonce-0001', ...opts }).payload;
const envelope = (b: Buffer) => JSON.parse(b.toString()) as { v: number; keyId: string; sig: string; body: string };
const centralKey = {
  privateKey: parsePrivateKey(central.privateKey),
  keyId: keyIdOf(createPublicKey(createPrivateKey({ key: Buffer.from(central.privateKey, 'base64'), format: 'der', type: 'pkcs8' }))),
};
const body = (over: Record<string, unknown> = {}) => ({
  v: 2,
  type: 'command',
  name: 'lane-mode',
  args: { mode: 'locked' },
  issuedAt: new Date(NOW).toISOString(),
  nonce: 'nonce-0002',
  ...target,
  ...over,
});

describe('verifyCommand', () => {
  it('accepts a fresh command signed by central for this gate', () => {
    expect(verifyCommand(signed(), ctx())).toEqual({
      ok: true,
      command: { name: 'lane-mode', args: { mode: 'locked' }, nonce: 'nonce-0001', issuedMs: NOW },
    });
  });

  it('verifies under a second implementation: Ed25519 over "station-gate/v2/command\\n" + the body text', () => {
    const e = envelope(signed());
    const pub = createPublicKey({ key: Buffer.from(central.publicKey, 'base64'), format: 'der', type: 'spki' });
    expect(edVerify(null, Buffer.from(`station-gate/v2/command\n${e.body}`, 'utf8'), pub, Buffer.from(e.sig, 'base64'))).toBe(true);
    // The same body signed for another purpose is not a command.
    expect(edVerify(null, Buffer.from(`station-gate/v2/sync-delta\n${e.body}`, 'utf8'), pub, Buffer.from(e.sig, 'base64'))).toBe(false);
  });

  const deep = '['.repeat(10_000) + ']'.repeat(10_000);
  const cases: [string, () => string | Buffer, Partial<VerifyContext>, string][] = [
    ['not JSON', () => '{', {}, 'malformed'],
    ['unsigned', () => JSON.stringify({ ...envelope(signed()), sig: undefined }), {}, 'unsigned'],
    ['signed by someone else', () => signed(intruder.privateKey), {}, 'bad-signature'],
    ['signed for another gate', () => signed(central.privateKey, {}, { station: 'BJP', gate: '04' }), {}, 'wrong-gate'],
    [
      'changed after signing',
      () => JSON.stringify({ ...envelope(signed()), body: envelope(signed()).body.replace('locked', 'free') }),
      {},
      'bad-signature',
    ],
    ['no central key configured', () => signed(), { keys: new KeyRing([]) }, 'bad-signature'],
    ['too old', () => signed(central.privateKey, { nowMs: NOW - 61_000 }), {}, 'stale'],
    ['from the future', () => signed(central.privateKey, { nowMs: NOW + 61_000 }), {}, 'stale'],
    ['older than the high-water mark (clock stepped back)', () => signed(), { highWaterMs: NOW + 60_001, nowMs: NOW }, 'stale'],
    ['already seen', () => signed(), { seen: () => true }, 'replayed'],
    ['named differently from its topic', () => signed(), { topicName: 'release' }, 'malformed'],
    ['an unknown command', () => seal(centralKey, 'command', body({ name: 'self-destruct' })), {}, 'unknown-command'],
    ['larger than 4096 bytes', () => seal(centralKey, 'command', body({ args: { mode: 'x'.repeat(5000) } })), {}, 'too-large'],
    [
      'nested 10,000 levels deep in the envelope',
      () => `{"v":2,"keyId":"0000000000000000","sig":"x","body":"","x":${deep}}`.slice(0, 4000),
      {},
      'malformed',
    ],
    ['nested deep inside the signed body', () => seal(centralKey, 'command', body({ args: JSON.parse('[[[[[[1]]]]]]') })), {}, 'malformed'],
    [
      'carrying __proto__ inside the signed body',
      () => seal(centralKey, 'command', JSON.parse(JSON.stringify(body()).replace('{', '{"__proto__":{"admin":true},'))),
      {},
      'malformed',
    ],
    [
      'carrying a duplicate key inside the signed body',
      () => {
        const text = JSON.stringify(body()).replace('"args":{"mode":"locked"}', '"args":{"mode":"locked","mode":"free"}');
        const sig = edSign(null, Buffer.from(`station-gate/v2/command\n${text}`), centralKey.privateKey).toString('base64');
        return JSON.stringify({ v: 2, keyId: centralKey.keyId, sig, body: text });
      },
      {},
      'malformed',
    ],
    [
      'a sync head signature re-wrapped as a command',
      () => {
        const text = JSON.stringify(body());
        const sig = edSign(null, Buffer.from(`station-gate/v2/sync-head\n${text}`), centralKey.privateKey).toString('base64');
        return JSON.stringify({ v: 2, keyId: centralKey.keyId, sig, body: text });
      },
      {},
      'bad-signature',
    ],
  ];
  it.each(cases)('refuses a command that is %s', (_what, payload, over, code) => {
    const v = verifyCommand(payload(), ctx(over));
    expect(v.ok).toBe(false);
    expect(v).toMatchObject({ code });
  });

  it('parses a 10,000-level body without recursion: refused, no RangeError', () => {
    const text = '{"a":' + '['.repeat(10_000) + ']'.repeat(10_000) + '}';
    const sig = edSign(null, Buffer.from(`station-gate/v2/command\n${text}`), centralKey.privateKey).toString('base64');
    const v = verifyCommand(JSON.stringify({ v: 2, keyId: centralKey.keyId, sig, body: text }), ctx());
    expect(v).toMatchObject({ ok: false, code: 'too-large' });
    expect(() => verifyCommand(`{"body":${'['.repeat(3000)}${']'.repeat(3000)}}`, ctx())).not.toThrow();
  });
});

describe('backoffDelay', () => {
  it('grows exponentially up to the cap, with full jitter', () => {
    const p = { initialMs: 100, maxMs: 1000 };
    expect([0, 1, 2, 3, 4, 10].map((n) => backoffDelay(n, p, () => 0.999999))).toEqual([99, 199, 399, 799, 999, 999]);
    expect(backoffDelay(5, p, () => 0)).toBe(0);
  });
});
