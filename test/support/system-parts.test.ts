// `npm test` on a machine without socat or Mosquitto: the test command installs them when it can, with one line
// saying what and why, or stops before any test with one line naming the command (never dozens of failures).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planSystemParts } from './system-parts.js';
import { findOnPath } from '../../src/util/find-on-path.js';
import { barePath } from './bare-path.js';

const VITEST = resolve('node_modules/vitest/vitest.mjs');

/** Run vitest as `npm test` would, in a child with the given environment. */
async function vitest(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [VITEST, 'run', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  // eslint-disable-next-line no-control-regex
  return { code, out: out.replace(/\x1b\[[0-9;]*m/g, '') };
}

const setupLines = (out: string) => out.split('\n').filter((l) => l.startsWith('test setup:'));

describe('the test command on a machine without socat or Mosquitto', () => {
  it('plans: nothing when both are there; apt-get as root or through sudo; otherwise one line naming the command', () => {
    const base = { missing: ['socat', 'mosquitto'], root: false, sudo: false, aptGet: true };
    expect(planSystemParts({ ...base, missing: [] })).toEqual({ kind: 'ready' });
    const asRoot = planSystemParts({ ...base, root: true });
    expect(asRoot).toMatchObject({ kind: 'install', argv: [] });
    expect(asRoot.kind === 'install' && asRoot.line).toBe(
      'test setup: installing socat mosquitto with apt-get (socat joins the code and the simulated devices with pty pairs; the MQTT tests start a private Mosquitto on a free port)',
    );
    const viaSudo = planSystemParts({ ...base, sudo: true, missing: ['mosquitto'] });
    expect(viaSudo).toMatchObject({ kind: 'install', argv: ['sudo', '-n'] });
    expect(viaSudo.kind === 'install' && viaSudo.line).toMatch(/^test setup: installing mosquitto with sudo apt-get \(the MQTT tests/);
    const noRights = planSystemParts(base);
    expect(noRights).toEqual({
      kind: 'stop',
      line: 'test setup: socat and mosquitto are not installed and this user cannot install them (no root, no passwordless sudo): run `sudo apt-get install -y --no-install-recommends socat mosquitto`, then the tests again',
    });
    const noApt = planSystemParts({ ...base, root: true, aptGet: false, missing: ['socat'] });
    expect(noApt.kind).toBe('stop');
    expect(noApt.kind === 'stop' && noApt.line).toMatch(
      /^test setup: socat is not installed and there is no apt-get here: .*`sudo apt-get install -y --no-install-recommends socat`/,
    );
  });

  it.each([
    ['vitest.config.ts', 'test/foundation/decide.test.ts'],
    ['vitest.faults.config.ts', 'test/faults/fuzz.test.ts'],
  ])(
    '%s with a PATH of node only and no apt-get: stops before any test, with one line naming the command',
    async (config, file) => {
      const bare = barePath();
      try {
        const r = await vitest(['-c', config, file], bare.env);
        expect(r.code, r.out).toBe(1);
        expect(setupLines(r.out)).toEqual([
          expect.stringMatching(
            /^test setup: socat, mosquitto and openssl are not installed .*`sudo apt-get install -y --no-install-recommends socat mosquitto openssl`/,
          ),
        ]);
        // No test ran: no test counts, no failures.
        expect(r.out).not.toMatch(/Tests\s+\d|passed|failed|ENOENT/);
      } finally {
        bare.close();
      }
    },
    60_000,
  );

  // As root with apt-get, the setup installs the parts and the tests then run on them. Debian's apt-get is stood in
  // for by a script that logs its arguments and "installs" by linking the machine's own socat and mosquitto into
  // the PATH folder (a real install would need the network and would change this machine for everyone).
  it.runIf(process.getuid?.() === 0)(
    'as root with apt-get: one line saying what it installs and why, then the tests run on the installed parts',
    async () => {
      const bare = barePath();
      try {
        const log = join(bare.bin, 'apt-get.log');
        const socat = findOnPath('socat');
        const mosquitto = findOnPath('mosquitto');
        const openssl = findOnPath('openssl');
        expect(socat && mosquitto && openssl, 'socat, mosquitto and openssl on this machine').toBeTruthy();
        bare.addScript(
          'apt-get',
          `#!/bin/sh\necho "$@" >> ${log}\nif [ "$1" = install ]; then /bin/ln -sf ${socat} ${bare.bin}/socat; /bin/ln -sf ${mosquitto} ${bare.bin}/mosquitto; /bin/ln -sf ${openssl} ${bare.bin}/openssl; fi\n`,
        );
        const r = await vitest(['test/support/infra.test.ts'], bare.env);
        expect(setupLines(r.out)).toEqual([
          'test setup: installing socat mosquitto openssl with apt-get (socat joins the code and the simulated devices with pty pairs; the MQTT tests start a private Mosquitto on a free port; the TLS tests issue a private CA and certificates)',
        ]);
        expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual([
          'update -qq',
          'install -y -qq --no-install-recommends socat mosquitto openssl',
        ]);
        expect(r.code, r.out).toBe(0);
        // Every test of the file ran on the linked-in socat and mosquitto, and passed.
        expect(r.out).toMatch(/Tests\s+(\d+) passed \(\1\)/);
        expect(r.out).not.toMatch(/failed|skipped/);
      } finally {
        bare.close();
      }
    },
    60_000,
  );
});
