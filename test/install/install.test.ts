// scripts/install.sh on the gate OS. Its preflight runs here on every test run: on anything older than Debian 13 it
// stops with one line saying what is needed, before touching the machine. The install itself is opt-in
// (GATE_DEBOOTSTRAP=1, as root, with the Debian archive reachable): a Debian 13 root is built with debootstrap and
// install.sh runs in it under chroot, from apt-get update to the enabled unit; the gate then runs there.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const INSTALL = join(REPO, 'scripts/install.sh');
const isRoot = process.getuid?.() === 0;

const releases = mkdtempSync(join(tmpdir(), 'gate-os-release-'));
let releaseNo = 0;
afterAll(() => rmSync(releases, { recursive: true, force: true }));

const osRelease = (lines: Record<string, string>) => {
  const file = join(releases, `os-release-${++releaseNo}`);
  writeFileSync(
    file,
    Object.entries(lines)
      .map(([k, v]) => `${k}="${v}"`)
      .join('\n') + '\n',
  );
  return file;
};

/** install.sh against a given os-release, stopping after the checks when they pass (it never installs here). */
function preflight(release: Record<string, string>) {
  const r = spawnSync('bash', [INSTALL], {
    env: { ...process.env, GATE_OS_RELEASE: osRelease(release), GATE_INSTALL_PREFLIGHT_ONLY: '1' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status, out: r.stdout, errLines: r.stderr.split('\n').filter(Boolean) };
}

describe('install.sh preflight', () => {
  it.each([
    [
      { ID: 'debian', VERSION_ID: '12', PRETTY_NAME: 'Debian GNU/Linux 12 (bookworm)' },
      'this is Debian GNU/Linux 12 (bookworm): upgrade the gate OS first',
    ],
    [
      { ID: 'debian', VERSION_ID: '11', PRETTY_NAME: 'Debian GNU/Linux 11 (bullseye)' },
      'this is Debian GNU/Linux 11 (bullseye): upgrade the gate OS first',
    ],
    [{ ID: 'ubuntu', VERSION_ID: '24.04', PRETTY_NAME: 'Ubuntu 24.04.1 LTS' }, 'this is Ubuntu 24.04.1 LTS'],
  ])('refuses %o with one line saying what is needed', (release, tail) => {
    const r = preflight(release);
    expect(r.code).toBe(1);
    expect(r.errLines).toEqual([`install.sh: needs Debian 13 (trixie) or newer, whose nodejs package is Node 20 or newer; ${tail}`]);
  });

  it.each([
    [{ ID: 'debian', VERSION_ID: '13', PRETTY_NAME: 'Debian GNU/Linux 13 (trixie)' }],
    // testing and unstable carry no VERSION_ID
    [{ ID: 'debian', PRETTY_NAME: 'Debian GNU/Linux forky/sid' }],
  ])('takes %o (then needs root)', (release) => {
    const r = preflight(release);
    if (isRoot) {
      expect(r.code).toBe(0);
      expect(r.out.trim()).toBe(`install.sh: preflight ok (${release.PRETTY_NAME})`);
    } else {
      expect(r.code).toBe(1);
      expect(r.errLines).toEqual(['install.sh: run as root (sudo)']);
    }
  });
});

// ---- opt-in: a real Debian 13 root ---------------------------------------------------------------------------------

const DEBOOTSTRAP = process.env.GATE_DEBOOTSTRAP === '1';
/** The pristine root is built once and kept (a few minutes and ~250 MB from the archive); each run installs into a copy. */
const CACHED_ROOT = process.env.GATE_DEBOOTSTRAP_ROOT ?? '/var/tmp/gate-debootstrap/trixie';
const MIRROR = process.env.GATE_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';
const BUILT = '.gate-debootstrap-ok';

function sh(cmd: string, args: string[], timeoutMs: number): { code: number | null; out: string; err: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, out: r.stdout ?? '', err: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

function buildRoot(): void {
  if (existsSync(join(CACHED_ROOT, BUILT))) return;
  if (sh('sh', ['-c', 'command -v debootstrap'], 10_000).code !== 0) {
    const apt = sh('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap'], 600_000);
    if (apt.code !== 0) throw new Error(`cannot install debootstrap: ${apt.err.trim().split('\n').at(-1)}`);
  }
  rmSync(CACHED_ROOT, { recursive: true, force: true });
  const r = sh('debootstrap', ['--variant=minbase', 'trixie', CACHED_ROOT, MIRROR], 1_800_000);
  if (r.code !== 0) throw new Error(`debootstrap trixie failed: ${(r.err || r.out).trim().split('\n').at(-1)}`);
  writeFileSync(join(CACHED_ROOT, BUILT), new Date().toISOString() + '\n');
}

const mountsUnder = (dir: string) =>
  readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1])
    .filter((m) => m && (m === dir || m.startsWith(dir + '/')));

describe.skipIf(!DEBOOTSTRAP)('install.sh in a Debian 13 root built with debootstrap (GATE_DEBOOTSTRAP=1)', () => {
  let work: string | null = null;

  afterAll(() => {
    if (!work) return;
    for (const m of mountsUnder(work).reverse()) sh('umount', ['-l', m], 30_000);
    // Never delete through a mount that is still there (a bind of the host's /dev).
    if (mountsUnder(work).length === 0 && !process.env.GATE_DEBOOTSTRAP_KEEP) rmSync(work, { recursive: true, force: true });
  }, 600_000);

  it('runs from apt-get update to the enabled unit, installs Node 20+ and no socat, and the gate runs there', () => {
    expect(isRoot, 'debootstrap and chroot need root').toBe(true);
    buildRoot();
    work = mkdtempSync('/var/tmp/gate-install-root-');
    expect(sh('cp', ['-a', `${CACHED_ROOT}/.`, work], 600_000).code).toBe(0);
    const gateSrc = join(work, 'root/gate-src');
    for (const part of [
      'bin',
      'src',
      'firmware-bridge',
      'config',
      'scripts',
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'tsconfig.build.json',
    ]) {
      cpSync(join(REPO, part), join(gateSrc, part), { recursive: true });
    }
    cpSync('/etc/resolv.conf', join(work, 'etc/resolv.conf'), { dereference: true });
    // A host behind a TLS-inspecting proxy trusts a local CA: the root must too, or npm cannot reach its registry.
    // (install.sh's ca-certificates puts it in the root's store; npm reads that store through NODE_EXTRA_CA_CERTS.)
    const localCas = '/usr/local/share/ca-certificates';
    const trustLocalCa = existsSync(localCas);
    if (trustLocalCa) cpSync(localCas, join(work, localCas), { recursive: true });
    expect(sh('mount', ['-t', 'proc', 'proc', join(work, 'proc')], 30_000).code).toBe(0);
    expect(sh('mount', ['--bind', '/dev', join(work, 'dev')], 30_000).code).toBe(0);
    const env = [
      'PATH=/usr/sbin:/usr/bin:/sbin:/bin',
      'HOME=/root',
      'LANG=C.UTF-8',
      ...(trustLocalCa ? ['NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt'] : []),
    ];
    const inRoot = (cmd: string, timeoutMs = 60_000) => sh('chroot', [work!, '/usr/bin/env', '-i', ...env, 'sh', '-c', cmd], timeoutMs);

    const install = inRoot('bash /root/gate-src/scripts/install.sh 2>&1', 1_800_000);
    expect(install.code, install.out.split('\n').slice(-60).join('\n')).toBe(0);
    // Without udevd or systemd running it says what it skipped, each in one line.
    expect(install.out).toContain('install.sh: udev is not running here (chroot or container): the hidraw rule applies from the next boot');

    expect(Number(inRoot('node -p "process.versions.node.split(\'.\')[0]"').out.trim())).toBeGreaterThanOrEqual(20);
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
    expect(inRoot('node /opt/gate/bin/gate.js --version').out.trim()).toContain(pkg.version);
    expect(inRoot('id -nG gate').out.trim().split(' ')).toEqual(expect.arrayContaining(['gate', 'dialout', 'plugdev']));
    // Nothing of the production-only rule set: no socat; the compiler used to build better-sqlite3 is gone again.
    for (const pkg of ['socat', 'g++', 'make']) expect(inRoot(`dpkg -s ${pkg} >/dev/null 2>&1`).code, `${pkg} installed`).not.toBe(0);
    // The native SQLite addon loads under Debian's Node and opens a database.
    expect(
      inRoot(
        `cd /opt/gate && node -e "const D = require('better-sqlite3'); const db = new D(':memory:'); console.log(db.prepare('select sqlite_version() v').get().v)"`,
      ).code,
    ).toBe(0);
    expect(readFileSync(join(work, 'etc/udev/rules.d/70-gate-hidraw.rules'), 'utf8')).toContain('GROUP="plugdev"');
    expect(readlinkSync(join(work, 'etc/systemd/system/multi-user.target.wants/gate.service'))).toBe('/etc/systemd/system/gate.service');
    expect(readFileSync(join(work, 'etc/systemd/system/gate.service'), 'utf8')).toMatch(/^Type=notify$/m);
    expect(existsSync(join(work, 'etc/gate/schema.json'))).toBe(true);
  }, 3_600_000);
});
