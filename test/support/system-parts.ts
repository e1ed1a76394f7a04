// vitest globalSetup (both configs): the tests use the real socat and Mosquitto. On a machine without them (Node and
// npm only) the test command installs them itself when it can (root or passwordless sudo, and apt-get), saying in
// one line what and why; otherwise it stops before any test with one line naming the command to run, instead of
// dozens of `spawn socat ENOENT` failures.
import { spawnSync } from 'node:child_process';
import { findOnPath } from '../../src/util/find-on-path.js';

interface SystemPart {
  tool: string;
  pkg: string;
  why: string;
}

const PARTS: SystemPart[] = [
  { tool: 'socat', pkg: 'socat', why: 'socat joins the code and the simulated devices with pty pairs' },
  { tool: 'mosquitto', pkg: 'mosquitto', why: 'the MQTT tests start a private Mosquitto on a free port' },
  { tool: 'openssl', pkg: 'openssl', why: 'the TLS tests issue a private CA and certificates' },
];

export interface Machine {
  /** Tools from PARTS not found on PATH. */
  missing: string[];
  root: boolean;
  /** sudo runs without asking for a password. */
  sudo: boolean;
  aptGet: boolean;
}

/** "a", "a and b", "a, b and c". */
const listed = (xs: string[]) => (xs.length < 2 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);

export type Plan = { kind: 'ready' } | { kind: 'install'; argv: string[]; line: string } | { kind: 'stop'; line: string };

/** What to do about the missing parts, and the one line that says so. */
export function planSystemParts(m: Machine): Plan {
  const parts = PARTS.filter((p) => m.missing.includes(p.tool));
  if (parts.length === 0) return { kind: 'ready' };
  const pkgs = parts.map((p) => p.pkg);
  // The command a person would type; the setup itself runs it with -qq and without a terminal.
  const command = `apt-get install -y --no-install-recommends ${pkgs.join(' ')}`;
  if (m.aptGet && (m.root || m.sudo)) {
    return {
      kind: 'install',
      argv: m.root ? [] : ['sudo', '-n'],
      line: `test setup: installing ${pkgs.join(' ')} with ${m.root ? '' : 'sudo '}apt-get (${parts.map((p) => p.why).join('; ')})`,
    };
  }
  const [are, them] = pkgs.length > 1 ? ['are', 'them'] : ['is', 'it'];
  const run = `sudo ${command}`;
  return {
    kind: 'stop',
    line: m.aptGet
      ? `test setup: ${listed(pkgs)} ${are} not installed and this user cannot install ${them} (no root, no passwordless sudo): run \`${run}\`, then the tests again`
      : `test setup: ${listed(pkgs)} ${are} not installed and there is no apt-get here: install ${listed(pkgs)} (on Debian: \`${run}\`), then the tests again`,
  };
}

function currentMachine(): Machine {
  const sudo = !!findOnPath('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  return {
    missing: PARTS.filter((p) => !findOnPath(p.tool)).map((p) => p.tool),
    root: process.getuid?.() === 0,
    sudo,
    aptGet: !!findOnPath('apt-get'),
  };
}

function stop(line: string): never {
  process.stderr.write(line + '\n');
  process.exit(1);
}

export default function setup(): void {
  const plan = planSystemParts(currentMachine());
  if (plan.kind === 'ready') return;
  if (plan.kind === 'stop') stop(plan.line);
  process.stdout.write(plan.line + '\n');
  const pkgs = PARTS.filter((p) => !findOnPath(p.tool)).map((p) => p.pkg);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', '--no-install-recommends', ...pkgs],
  ]) {
    const [cmd, ...argv] = [...plan.argv, 'apt-get', ...args];
    const r = spawnSync(cmd, argv, { env, encoding: 'utf8' });
    if (r.status !== 0) {
      const why = (r.stderr || r.stdout || String(r.error ?? '')).trim().split('\n').pop();
      stop(`test setup: apt-get ${args[0]} failed (${why}): run \`sudo apt-get install ${pkgs.join(' ')}\`, then the tests again`);
    }
  }
  const still = PARTS.filter((p) => !findOnPath(p.tool)).map((p) => p.tool);
  if (still.length) stop(`test setup: ${listed(still)} still not found on PATH after apt-get install: add its folder to PATH`);
}
