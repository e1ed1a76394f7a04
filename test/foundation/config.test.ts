// Config: defaults, one-line errors naming the key path, JSONC, secret resolution and the generated schema.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConfigError,
  loadConfig,
  maskedConfig,
  parseConfig,
  parseJsonc,
  resolveNextSecret,
  resolveSecret,
  stripJsonComments,
} from '../../src/config/load.js';
import { runProblems } from '../../src/config/run-checks.js';
import { configJsonSchema } from '../../src/config/json-schema.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gate-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function problemsOf(input: unknown): string[] {
  try {
    parseConfig(input);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('invalid');
    return (err as ConfigError).problems;
  }
  throw new Error('expected the config to be refused');
}

describe('config', () => {
  it('accepts a file with only the station and rules, defaulting every other key', () => {
    const c = parseConfig({ station: 'VNP', rules: { entry: { opensMinutesBefore: 90 } } });
    expect(c.rules.entry).toEqual({ opensMinutesBefore: 90, closesMinutesBefore: 5 });
    expect(c.rules.timeZone).toBe('Asia/Shanghai');
    expect(c.lane.initialMode).toBe('normal');
    expect(c.bridge.failMode).toBe('locked');
  });

  it.each([
    [{ station: 'VNP', rules: { entry: { opensMinutesBefore: -5 } } }, 'rules.entry.opensMinutesBefore', '-5'],
    [{ station: 'vnp' }, 'station', '"vnp"'],
    [{}, 'station', 'nothing'],
    [{ station: 'VNP', lane: { initialMode: 'open' } }, 'lane.initialMode', '"open"'],
    [{ station: 'VNP', mqtt: { urls: ['http://x'] } }, 'mqtt.urls[0]', '"http://x"'],
    [{ station: 'VNP', rules: { maxCacheAge: 5 } }, 'rules.maxCacheAge', '5'],
    [{ station: 'VNP', devices: { idcard: { baudRate: 1.5 } } }, 'devices.idcard.baudRate', '1.5'],
  ])('names the key path and the bad value: %j', (input, path, got) => {
    const problems = problemsOf(input);
    expect(problems).toHaveLength(1);
    expect(problems[0].startsWith(`${path}: `)).toBe(true);
    expect(problems[0]).toContain(`got ${got}`);
    expect(problems[0]).not.toContain('\n');
  });

  it('gives one line per problem and never prints a secret', () => {
    const problems = problemsOf({ station: 'VNP', secret: 'hunter2', gate: 'a b', logLevel: 'loud' });
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).not.toContain('hunter2');
  });

  it('reads JSONC: comments and trailing commas, strings with // untouched', () => {
    const text = '// head\n{\n  "station": "VNP", /* inline */\n  "db": "//server/x.db",\n  "rules": {"maxCacheAgeMinutes": 60,},\n}\n';
    expect(parseJsonc(text, 'x')).toEqual({ station: 'VNP', db: '//server/x.db', rules: { maxCacheAgeMinutes: 60 } });
    expect(stripJsonComments('{"a": "x,}"}')).toBe('{"a": "x,}"}');
  });

  it('reports bad JSON with line and column (bad-json), a missing file (not-found)', () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, '{\n  "station": "VNP"\n  "gate": "01"\n}');
    expect(() => loadConfig(path)).toThrow(expect.objectContaining({ code: 'bad-json' }));
    expect(() => loadConfig(path)).toThrow(/line 3/);
    expect(() => loadConfig(join(dir, 'none.json'))).toThrow(expect.objectContaining({ code: 'not-found' }));
  });

  it('resolves the secret from the config, a secret file or GATE_SECRET, and says when there is none', () => {
    const long = 'f3b1c9e07a5d42868e0c1b7d9a2f4e6c8b0d3a5f7e9c1b3d5f7a9c0e2b4d6f8a';
    writeFileSync(join(dir, 'secret'), `${long}\n`);
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ station: 'VNP', secretFile: 'secret' }));
    expect(resolveSecret(loadConfig(join(dir, 'a.json')), {})).toBe(long);
    expect(resolveSecret(undefined, { GATE_SECRET: long })).toBe(long);
    expect(() => resolveSecret(undefined, {})).toThrow(expect.objectContaining({ code: 'secret-missing' }));
    expect(() => resolveSecret(undefined, { GATE_SECRET: 'short' })).toThrow(expect.objectContaining({ code: 'secret-too-short' }));
    // Long is not enough: a repeated, run-like or few-symbol string is refused as a key (src/util/key-strength.ts).
    for (const weak of [
      'x'.repeat(40),
      'abc'.repeat(20),
      '0123456789'.repeat(6),
      'abcdefghijklmnopqrstuvwxyz0123456789',
      'ab'.repeat(10) + 'ba'.repeat(10) + 'aabb'.repeat(5),
    ]) {
      expect(() => resolveSecret(undefined, { GATE_SECRET: weak })).toThrow(expect.objectContaining({ code: 'secret-weak' }));
    }
    // Key rotation: secretNext (or secretNextFile) is held to the same standard, and gate config check says so.
    writeFileSync(join(dir, 'next'), `${long.split('').reverse().join('')}\n`);
    writeFileSync(join(dir, 'n.json'), JSON.stringify({ station: 'VNP', gate: '01', secret: long, secretNextFile: 'next' }));
    expect(resolveNextSecret(loadConfig(join(dir, 'n.json')))).toBe(long.split('').reverse().join(''));
    writeFileSync(join(dir, 'w.json'), JSON.stringify({ station: 'VNP', gate: '01', secret: long, secretNext: 'z'.repeat(48) }));
    expect(() => resolveNextSecret(loadConfig(join(dir, 'w.json')))).toThrow(expect.objectContaining({ code: 'secret-weak' }));
    expect(runProblems(loadConfig(join(dir, 'w.json')), {})).toContain(
      'secretNext: estimated 0 bits of entropy, expected at least 128: use a random key, e.g. openssl rand -hex 32',
    );
    expect(runProblems(loadConfig(join(dir, 'w.json')), {}).join('\n')).not.toContain('zzzz');
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ station: 'VNP', secretFile: 'missing' }));
    expect(() => resolveSecret(loadConfig(join(dir, 'b.json')), {})).toThrow(expect.objectContaining({ code: 'secret-file-unreadable' }));
  });

  it('masks secrets in the printed config', () => {
    const c = parseConfig({ station: 'VNP', secret: 's'.repeat(32), secretNext: 'n'.repeat(32), mqtt: { password: 'pw' } });
    const printed = JSON.stringify(maskedConfig(c));
    expect(printed).not.toContain('s'.repeat(32));
    expect(printed).not.toContain('n'.repeat(32));
    expect(printed).not.toContain('"pw"');
  });

  it('ships a valid commented example and sample config', () => {
    expect(loadConfig('config/gate.example.jsonc').config.station).toBe('VNP');
    expect(loadConfig('config/sample.json').config.secret).toBeDefined();
  });

  it('config/schema.json is up to date with the zod schema (run: npx tsx scripts/gen-schema.ts)', () => {
    expect(readFileSync('config/schema.json', 'utf8')).toBe(configJsonSchema());
  });
});
