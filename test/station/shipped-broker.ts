// The shipped broker configs as a technician installs them (docs/deployment.md): certificates from
// scripts/station-pki.sh, config/mosquitto/{station,central}.conf rendered by it into a conf.d folder that Debian's
// own /etc/mosquitto/mosquitto.conf includes (test/station/debian-mosquitto.conf is that file, verbatim from the
// mosquitto package). A conf.d file that clashes with Debian's main file fails here as it would on the station server.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort, startLocalBroker, type LocalBroker } from '../../src/mqtt/local-broker.js';

const PKI_SCRIPT = resolve('scripts/station-pki.sh');
const DEBIAN_MAIN = resolve('test/station/debian-mosquitto.conf');

/** scripts/station-pki.sh with `args`; stdout. Throws (with the script's stderr in the message) when it refuses. */
export function pki(args: string[], env: Record<string, string> = {}): string {
  try {
    return execFileSync('bash', [PKI_SCRIPT, ...args], { stdio: 'pipe', env: { ...process.env, ...env } }).toString();
  } catch (err) {
    const e = err as { stderr?: Buffer; status?: number };
    throw new Error(`station-pki.sh ${args[0]} exited ${e.status}: ${e.stderr?.toString().trim() ?? ''}`, { cause: err });
  }
}

/** A template rendered by station-pki.sh render, as text. */
export function renderShipped(dir: string, template: string, vars: Record<string, string | number>): string {
  const out = join(dir, `rendered-${Math.random().toString(36).slice(2)}.conf`);
  pki(['render', resolve(template), out, ...Object.entries(vars).map(([k, v]) => `${k}=${v}`)]);
  return readFileSync(out, 'utf8');
}

/**
 * Debian's mosquitto.conf with its paths moved into `dataDir` (pid file, persistence) and its include_dir at `confDir`.
 * Its `log_dest file` line is left for startLocalBroker to replace with stderr.
 */
export function debianMainConf(dataDir: string, confDir: string): string {
  return readFileSync(DEBIAN_MAIN, 'utf8')
    .replace(/^pid_file .*$/m, `pid_file ${join(dataDir, 'mosquitto.pid')}`)
    .replace(/^persistence_location .*$/m, `persistence_location ${dataDir}/`)
    .replace(/^include_dir .*$/m, `include_dir ${confDir}`);
}

/**
 * A Mosquitto running Debian's main file with `template` rendered (PORT given by the broker) as its only conf.d file.
 * `adjust` changes the rendered text for the test (faster bridge reconnects); syslog lines go, the broker logs to
 * stderr so the test can read its log.
 */
export async function startShippedBroker(
  dir: string,
  template: string,
  vars: Record<string, string | number>,
  adjust: (conf: string) => string = (c) => c,
): Promise<LocalBroker> {
  return startLocalBroker({
    tls: true,
    configText: ({ port, dataDir }) => {
      const confDir = join(dataDir, 'conf.d');
      mkdirSync(confDir, { recursive: true });
      const conf = adjust(renderShipped(dir, template, { ...vars, PORT: port })).replace(/^log_dest .*$/gm, '');
      writeFileSync(join(confDir, 'shipped.conf'), conf);
      return debianMainConf(dataDir, confDir);
    },
  });
}

/**
 * Central's broker from config/mosquitto/central.conf: `broker.url` is the stations' (bridges') listener, `systemsUrl`
 * the listener for central's own systems (on central's internal network in production, loopback here).
 */
export async function startShippedCentral(dir: string, pkiDir: string): Promise<{ broker: LocalBroker; systemsUrl: string }> {
  const systemsPort = await freePort();
  const broker = await startShippedBroker(dir, 'config/mosquitto/central.conf', {
    PKI: pkiDir,
    SYSTEMS_PORT: systemsPort,
    SYSTEMS_ADDRESS: '127.0.0.1',
  });
  return { broker, systemsUrl: `mqtts://127.0.0.1:${systemsPort}` };
}
