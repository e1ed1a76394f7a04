// The face section of the config (validated like the rest, paths relative to the config file) and doctor's line.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseConfig } from '../../src/config/load.js';
import { runProblems } from '../../src/config/run-checks.js';
import { checkFaceMatcher } from '../../src/face/doctor.js';
import { startFaceSim } from '../../src/face/sim-process.js';

const dir = mkdtempSync(join(tmpdir(), 'gate-face-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problems(face: unknown): string[] {
  try {
    parseConfig({ station: 'VNP', face });
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

describe('config face', () => {
  it('defaults: off, staffed on failure, 75 % threshold', () => {
    expect(parseConfig({ station: 'VNP' }).face).toEqual({
      enabled: false,
      endpoint: '/run/gate/face.sock',
      timeoutMs: 3000,
      noFaceWaitMs: 8000,
      minScore: 0.75,
      onUnavailable: 'staffed',
    });
  });

  it('refuses what it cannot use, one line per key', () => {
    expect(problems({ onUnavailable: 'wave-through' })).toEqual([expect.stringMatching(/^face\.onUnavailable: .*staffed.*open/)]);
    expect(problems({ minScore: 1.5 })).toEqual([expect.stringMatching(/^face\.minScore: /)]);
    expect(problems({ timeoutMs: 10 })).toEqual([expect.stringMatching(/^face\.timeoutMs: /)]);
    expect(problems({ endpiont: '/x' })).toEqual([expect.stringMatching(/^face\.endpiont: unknown key/)]);
  });

  it('resolves the endpoint relative to the config file and wants its folder to exist when enabled', () => {
    const cfgDir = join(dir, 'etc');
    mkdirSync(cfgDir);
    const file = join(cfgDir, 'gate.json');
    writeFileSync(
      file,
      JSON.stringify({
        station: 'VNP',
        gate: '01',
        secret: 'x'.repeat(40),
        db: 'gate.db',
        face: { enabled: true, endpoint: 'run/face.sock' },
      }),
    );
    const loaded = loadConfig(file);
    expect(loaded.config.face.endpoint).toBe(join(cfgDir, 'run', 'face.sock'));
    expect(runProblems(loaded, {}).filter((p) => p.startsWith('face.'))).toEqual([
      expect.stringMatching(/^face\.endpoint: the folder .*run does not exist/),
    ]);
    mkdirSync(join(cfgDir, 'run'));
    expect(runProblems(loaded, {}).filter((p) => p.startsWith('face.'))).toEqual([]);
  });
});

describe('doctor: face', () => {
  it('FAIL with the fix when nothing listens; OK once the module answers health; FAIL with its word when it is unavailable', async () => {
    const config = parseConfig({ station: 'VNP', face: { enabled: true, endpoint: join(dir, 'face.sock') } });
    const down = await checkFaceMatcher(config, 500);
    expect(down).toMatchObject({ status: 'fail', name: 'face' });
    expect(down.line).toMatch(/nothing listens there: start the vendor adapter or fix face\.endpoint/);
    const sim = await startFaceSim(join(dir, 'face.sock'), join(dir, 'face.json'));
    try {
      const check = await checkFaceMatcher(config, 1000);
      expect(check.status).toBe('ok');
      expect(check.line).toMatch(/answers/);
      sim.script({ health: 'unavailable' });
      expect((await checkFaceMatcher(config, 1000)).line).toMatch(/it says unavailable/);
    } finally {
      await sim.stop();
    }
  });
});
