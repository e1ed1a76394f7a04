// A private Mosquitto on a free loopback port with its own config and data folder: never the machine's broker
// on 1883. Used by the demo and the tests. stop()/start() keep the port and the persistence folder, so a test
// can kill the broker mid-drain and bring the same broker back. Where Mosquitto is not installed (a bare machine
// with Node and npm only) the demo stands an embedded broker (aedes, in-process) in its place: startBroker().
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { findOnPath } from '../util/find-on-path.js';

export interface BrokerOptions {
  /** Extra mosquitto.conf lines for the listener (TLS, auth). */
  listenerLines?: string[];
  /** Lines placed before the listener (global options). */
  globalLines?: string[];
  /**
   * A whole mosquitto.conf instead of the default one (a shipped config rendered for the test): given the free port
   * and the data folder. The broker still runs as this user and logs to stderr.
   */
  configText?: (o: { port: number; dataDir: string }) => string;
  /** mqtts:// URL (the config's listener is TLS); found from listenerLines otherwise. */
  tls?: boolean;
}

export interface LocalBroker {
  /** Mosquitto as a child process, or aedes embedded in this process. */
  kind: 'mosquitto' | 'embedded';
  port: number;
  url: string;
  dataDir: string;
  start(): Promise<void>;
  /** SIGKILL (crash) by default; `graceful` sends SIGTERM so the broker saves its persistence file. */
  stop(graceful?: boolean): Promise<void>;
  close(): Promise<void>;
  log(): string;
}

export function mosquittoPath(): string | undefined {
  return findOnPath('mosquitto');
}

/**
 * A broker that is stopped and started again re-binds the same port, and while it is down the kernel may hand that
 * port to anyone asking for a free one: another test's broker would then answer in its place, and the gate and
 * central would talk to the wrong broker (seen in CI as events acknowledged but never delivered). So a restartable
 * broker reserves its port in a folder every process on the machine reads, and freePort() passes over reserved ports.
 */
const RESERVED_PORTS = join(tmpdir(), 'gate-reserved-ports');

function reservedByLiveProcess(port: number): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(RESERVED_PORTS, String(port)), 'utf8'));
  } catch {
    return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Claim `port` for this process until releasePort(); false if a live process holds it. */
function reservePort(port: number): boolean {
  mkdirSync(RESERVED_PORTS, { recursive: true });
  const file = join(RESERVED_PORTS, String(port));
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
    return true;
  } catch {
    // Held by a process that died without releasing it: take it over.
    if (reservedByLiveProcess(port)) return false;
    writeFileSync(file, String(process.pid));
    return true;
  }
}

function releasePort(port: number): void {
  rmSync(join(RESERVED_PORTS, String(port)), { force: true });
}

function askKernelForPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A loopback port nothing listens on and no restartable broker has reserved. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await askKernelForPort();
    if (!reservedByLiveProcess(port)) return port;
  }
}

/** A free port reserved for this process (see RESERVED_PORTS); release it with releasePort(). */
async function reservedFreePort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (reservePort(port)) return port;
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Mosquitto logs "mosquitto version X running" at `information` once its listeners are open; `notice` adds each
 * client's connect and disconnect, which is what a failed test's log needs.
 */
const RUNNING_LOG_TYPES = ['log_type information', 'log_type notice'];
const RUNNING = /mosquitto version \S+ running/;

export async function startLocalBroker(opts: BrokerOptions = {}): Promise<LocalBroker> {
  const bin = mosquittoPath();
  if (!bin) throw new Error('mosquitto is not installed (Debian: apt-get install mosquitto)');
  const port = await reservedFreePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'gate-mosquitto-'));
  const conf = join(dataDir, 'mosquitto.conf');
  const tls = opts.tls ?? (opts.listenerLines ?? []).some((l) => l.startsWith('certfile'));
  writeFileSync(
    conf,
    opts.configText
      ? [
          `user ${userInfo().username}`,
          'log_dest stderr',
          opts.configText({ port, dataDir }).replace(/^log_dest .*$/gm, ''),
          ...RUNNING_LOG_TYPES,
          '',
        ].join('\n')
      : [
          // Started as root, mosquitto would switch to the `mosquitto` user and could not write its persistence file
          // in our private folder (losing sessions across stop()/start()); stay the user that started it.
          `user ${userInfo().username}`,
          'persistence true',
          `persistence_location ${dataDir}/`,
          'autosave_interval 1',
          'log_dest stderr',
          'log_type error',
          'log_type warning',
          ...RUNNING_LOG_TYPES,
          'max_queued_messages 0',
          'max_inflight_messages 0',
          ...(opts.globalLines ?? []),
          `listener ${port} 127.0.0.1`,
          ...(opts.listenerLines ?? ['allow_anonymous true']),
          '',
        ].join('\n'),
  );
  let child: ChildProcess | undefined;
  let output = '';
  const broker: LocalBroker = {
    kind: 'mosquitto',
    port,
    url: `${tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    dataDir,
    async start() {
      // A SIGKILLed child has exitCode null and signalCode set: only a live child counts as started.
      if (child && child.exitCode === null && child.signalCode === null) return;
      child = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
      const from = output.length;
      child.stderr?.on('data', (d) => (output += d));
      // "running" is logged once this broker's listeners are open; a port that merely answers could be another's.
      const deadline = Date.now() + 5000;
      while (!RUNNING.test(output.slice(from)) || !(await canConnect(port))) {
        if (child.exitCode !== null) throw new Error(`mosquitto exited: ${output.trim().split('\n').pop() ?? ''}`);
        if (Date.now() > deadline) throw new Error('mosquitto did not start listening in 5 s');
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop(graceful = false) {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const done = new Promise<void>((r) => c.once('exit', () => r()));
      c.kill(graceful ? 'SIGTERM' : 'SIGKILL');
      await done;
    },
    async close() {
      await broker.stop(true);
      releasePort(port);
      rmSync(dataDir, { recursive: true, force: true });
    },
    log: () => output,
  };
  await broker.start();
  return broker;
}

/**
 * aedes in this process on a free loopback port: the stand-in for Mosquitto on a machine without it. aedes 2 speaks
 * MQTT 5 (the gate connects with protocolVersion 5; aedes 1.x refuses it). Sessions and retained messages live in
 * memory, in the broker object, so stop()/start() keep them as Mosquitto's persistence file does.
 */
export async function startEmbeddedBroker(): Promise<LocalBroker> {
  const { Aedes } = await import('aedes');
  const aedes = await Aedes.createBroker();
  const port = await reservedFreePort();
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let output = '';
  aedes.on('clientError', (client, err) => (output += `client ${client.id}: ${err.message}\n`));
  const broker: LocalBroker = {
    kind: 'embedded',
    port,
    url: `mqtt://127.0.0.1:${port}`,
    dataDir: '',
    async start() {
      if (server) return;
      const s = createServer((socket) => {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
        aedes.handle(socket);
      });
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, '127.0.0.1', () => resolve());
      });
      server = s;
    },
    async stop() {
      const s = server;
      if (!s) return;
      server = null;
      // Like a broker going away: every connection drops now, not when the clients next write.
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    async close() {
      await broker.stop();
      releasePort(port);
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
    log: () => output,
  };
  await broker.start();
  return broker;
}

/** Mosquitto when it is installed, otherwise the embedded broker. */
export async function startBroker(): Promise<LocalBroker> {
  return mosquittoPath() ? startLocalBroker() : startEmbeddedBroker();
}
