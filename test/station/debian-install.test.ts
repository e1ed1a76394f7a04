// docs/deployment.md followed as written on a Debian station server: station-pki.sh run as root, the configs rendered
// into conf.d, and Mosquitto started the way Debian's unit starts it (as root, with Debian's mosquitto.conf), so it
// drops to the `mosquitto` user before it reads its keys, its CRL and the bridge's key. Needs root and the mosquitto
// user (Debian's package creates it); elsewhere the test says why it is skipped.
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { freePort, mosquittoPath } from '../../src/mqtt/local-broker.js';
import { waitFor } from '../../src/util/wait.js';
import { debianMainConf, pki, renderShipped } from './shipped-broker.js';

function mosquittoUser(): { uid: number; gid: number } | undefined {
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'mosquitto'], { stdio: 'pipe' }).toString());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    return undefined;
  }
}

const asRoot = process.getuid?.() === 0;
const user = mosquittoUser();
const canRun = asRoot && user !== undefined && mosquittoPath() !== undefined;
if (!canRun)
  console.warn('debian-install.test.ts skipped: needs root, the mosquitto user and mosquitto (Debian: apt-get install mosquitto)');

describe.skipIf(!canRun)('the station broker installed as docs/deployment.md says, on Debian', () => {
  const procs: ChildProcess[] = [];
  let dir = '';
  afterAll(async () => {
    for (const p of procs) {
      if (p.exitCode !== null || p.signalCode !== null) continue;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Debian's mosquitto.conf + one rendered conf.d file, started as root: Mosquitto drops to its own user. */
  async function startAsDebian(name: string, template: string, vars: Record<string, string | number>) {
    const port = await freePort();
    // /var/lib/mosquitto and /run/mosquitto belong to the mosquitto user on Debian.
    const dataDir = join(dir, `${name}-data`);
    const confDir = join(dir, `${name}-conf.d`);
    mkdirSync(dataDir);
    mkdirSync(confDir);
    chownSync(dataDir, user!.uid, user!.gid);
    writeFileSync(join(confDir, `${name}.conf`), renderShipped(dir, template, { ...vars, PORT: port }).replace(/^log_dest .*$/gm, ''));
    const conf = join(dir, `${name}-mosquitto.conf`);
    writeFileSync(
      conf,
      ['log_dest stderr', 'log_type information', debianMainConf(dataDir, confDir).replace(/^log_dest .*$/gm, '')].join('\n'),
    );
    const proc = spawn(mosquittoPath()!, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    procs.push(proc);
    let log = '';
    proc.stderr.on('data', (d: Buffer) => (log += d.toString()));
    await waitFor(() => /mosquitto version \S+ running/.test(log) || proc.exitCode !== null, 5000, `${name} broker to start`);
    return { port, log: () => log, proc };
  }

  it('Mosquitto, running as the mosquitto user, reads the broker and bridge keys: a gate connects and its passage reaches central', async () => {
    dir = mkdtempSync(join(tmpdir(), 'gate-debian-station-'));
    // Like /etc/mosquitto: a folder every user may enter (mkdtemp makes it 0700).
    chmodSync(dir, 0o755);
    const [centralPki, stationPki] = [join(dir, 'central'), join(dir, 'station')];
    pki(['central-init', centralPki]);
    pki(['station-init', stationPki, 'VNP']);
    pki(['gate', stationPki, '01']);
    pki(['bridge', stationPki, centralPki, 'VNP']);
    // The CA keys stay root's alone; the gate's key is for the gate, not the broker.
    for (const key of [join(stationPki, 'ca.key'), join(centralPki, 'ca.key'), join(stationPki, 'gates', '01.key')])
      expect({ key, mode: statSync(key).mode & 0o777, uid: statSync(key).uid }).toEqual({ key, mode: 0o600, uid: 0 });

    const systemsPort = await freePort();
    const central = await startAsDebian('central', 'config/mosquitto/central.conf', {
      PKI: centralPki,
      SYSTEMS_PORT: systemsPort,
      SYSTEMS_ADDRESS: '127.0.0.1',
    });
    expect(central.proc.exitCode, central.log()).toBeNull();
    const station = await startAsDebian('station', 'config/mosquitto/station.conf', {
      STATION: 'VNP',
      PKI: stationPki,
      CENTRAL_HOST: '127.0.0.1',
      CENTRAL_PORT: central.port,
    });
    expect(station.proc.exitCode, station.log()).toBeNull();

    const tls = (base: string, name: string, ca: string) => ({
      ca: readFileSync(join(ca, 'ca.crt')),
      cert: readFileSync(join(base, `${name}.crt`)),
      key: readFileSync(join(base, `${name}.key`)),
      servername: 'localhost',
      protocolVersion: 5 as const,
      reconnectPeriod: 0,
    });
    const atCentral = await mqtt.connectAsync(`mqtts://127.0.0.1:${systemsPort}`, tls(centralPki, 'central', centralPki));
    const got: string[] = [];
    atCentral.on('message', (topic) => got.push(topic));
    await atCentral.subscribeAsync('gates/v1/VNP/+/events/#', { qos: 1 });
    const gate = await mqtt.connectAsync(`mqtts://127.0.0.1:${station.port}`, {
      ...tls(join(stationPki, 'gates'), '01', stationPki),
      clientId: 'gate-VNP-01',
    });
    try {
      // The bridge connects once it has read bridge.key; until then a QoS 1 message waits in its queue.
      await gate.publishAsync('gates/v1/VNP/01/events/passage', Buffer.from('{}'), { qos: 1 });
      await waitFor(
        () => got.length === 1,
        15_000,
        `the passage at central through the bridge (station log: ${station.log().slice(-600)})`,
      );
      expect(got).toEqual(['gates/v1/VNP/01/events/passage']);
    } finally {
      await gate.endAsync();
      await atCentral.endAsync();
    }
  });
});
