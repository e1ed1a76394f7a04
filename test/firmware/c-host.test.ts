// firmware-bridge/c built with the system compiler (-std=c99 -Wall -Wextra -Werror) and its host tests in C: every
// vector decoded and re-encoded byte for byte, the state machine's tables, the seeded random streams, the fuzz
// target under its standalone driver. And the vector test is not blind: a vector with one wrong byte fails it.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIRMWARE_DIR, buildFirmware } from './c-mcu.js';

const VECTORS = resolve('firmware-bridge/vectors');
const count = (file: string, pick: (j: never) => unknown[]) => pick(JSON.parse(readFileSync(join(VECTORS, file), 'utf8')) as never).length;

describe('the C firmware library (firmware-bridge/c)', () => {
  it('builds warning-free and passes its host tests against every vector', () => {
    const out = buildFirmware('test');
    const messages = count('messages.json', (j: unknown[]) => j);
    const streams = count('framing.json', (j: { streams: unknown[] }) => j.streams);
    expect(out).toMatch(new RegExp(`vectors: ${messages} messages and ${streams} streams from \\S+: \\d+ checks, 0 failed`));
    expect(out).toMatch(/machine: \d+ scenarios: \d+ checks, 0 failed/);
    expect(out).toMatch(/random: seed 1, \d+ frames x2, \d+ machine steps: \d+ checks, 0 failed/);
    expect(out).toMatch(/fuzz: 20000 cases \(standalone driver\), no failure/);
    expect(out).not.toMatch(/warning:/);
  }, 180_000);

  it('the vector test fails on a vector with one wrong byte, naming it', () => {
    buildFirmware();
    const dir = mkdtempSync(join(tmpdir(), 'gate-vectors-'));
    try {
      cpSync(VECTORS, dir, { recursive: true });
      const file = join(dir, 'messages.json');
      const vectors = JSON.parse(readFileSync(file, 'utf8')) as { name: string; hex: string }[];
      const v = vectors.find((x) => x.name === 'passage')!;
      v.hex = v.hex.slice(0, -6) + '02' + v.hex.slice(-4); // remaining 0 -> 2, CRC left as it was
      writeFileSync(file, JSON.stringify(vectors));
      const r = spawnSync(join(FIRMWARE_DIR, 'build/test_vectors'), [dir], { encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('passage: 0 frames, 1 drops');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
