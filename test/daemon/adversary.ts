// An adversary with publish rights on the station's broker, as its own process (like a taken-over laptop on the
// station network), so the process that measures the gate is not the one busy publishing. burst(n) publishes n
// two-byte unsigned messages (QoS 0) in turn on the sync head and delta topics and, given a gate, on that gate's
// command topic and a forged gate's passage topic (each a path the gate must refuse).
import { spawn } from 'node:child_process';

const SCRIPT = `
import mqtt from 'mqtt';
import { createInterface } from 'node:readline';
const [url, station, gate, only] = process.argv.slice(1);
const topics = only === 'gate' ? [] : ['stations/v1/' + station + '/sync/head', 'stations/v1/' + station + '/sync/delta/1/'];
if (gate) topics.push('gates/v1/' + station + '/' + gate + '/cmd/release', 'gates/v1/' + station + '/ZZ/events/passage');
const c = await mqtt.connectAsync(url, { clientId: 'adversary-' + process.pid });
process.stdout.write('connected\\n');
for await (const line of createInterface({ input: process.stdin })) {
  const n = Number(line);
  for (let i = 0; i < n; i++) {
    const t = topics[i % topics.length];
    c.publish(t.endsWith('/') ? t + i : t, '{x', { qos: 0 });
    if (i % 250 === 249) await new Promise((r) => setImmediate(r));
  }
  process.stdout.write('sent\\n');
}
await c.endAsync();
`;

export interface Flooder {
  /** Publish n garbage messages; resolves when the adversary has handed them all to its socket. */
  burst(n: number): Promise<void>;
  close(): Promise<void>;
}

/** `gate`: also flood that gate's command topic and a forged gate's passage topic; with `only: 'gate'`, only those. */
export async function startFlooder(url: string, station: string, gate?: string, only?: 'gate'): Promise<Flooder> {
  const proc = spawn(
    process.execPath,
    ['--input-type=module', '-e', SCRIPT, url, station, ...(gate ? [gate] : []), ...(only ? [only] : [])],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const waiters: (() => void)[] = [];
  let buf = '';
  proc.stdout.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      buf = buf.slice(nl + 1);
      waiters.shift()?.();
    }
  });
  const next = () => new Promise<void>((r) => waiters.push(r));
  await Promise.race([next(), exited.then(() => Promise.reject(new Error('the adversary exited before connecting')))]);
  return {
    burst(n) {
      const done = next();
      proc.stdin.write(`${n}\n`);
      return done;
    },
    async close() {
      proc.stdin.end();
      await exited;
    },
  };
}
