// The C firmware (firmware-bridge/c, POSIX port) as the MCU at the far end of a pty: built with the system
// compiler by `make`, started as a child process on the simulator's end of a socat pair, driven by command lines on
// its stdin, and followed through the JSON lines it prints. Offers what the daemon tests use of the TypeScript
// simulator (auth, mode, session, lastDisplay, received, walkThrough), so the same world runs against either.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Authorisation } from '../../firmware-bridge/sim/mcu.js';
import type { DaemonMessage, FailMode, MessageOf, Mode, Report } from '../../src/bridge/messages.js';
import { waitFor } from '../../src/util/wait.js';

export const FIRMWARE_DIR = resolve('firmware-bridge/c');
export const FIRMWARE_BIN = resolve(FIRMWARE_DIR, 'build/gate-mcu-posix');

let built = false;
/** `make` in firmware-bridge/c with the system compiler (once per test process); throws with the compiler's output. */
export function buildFirmware(target = 'all'): string {
  if (built && target === 'all') return '';
  // Test files run in parallel processes: one make at a time in the build folder (flock, util-linux).
  mkdirSync(resolve(FIRMWARE_DIR, 'build'), { recursive: true });
  const r = spawnSync('flock', [resolve(FIRMWARE_DIR, 'build/.make-lock'), 'make', '-C', FIRMWARE_DIR, target], {
    encoding: 'utf8',
    timeout: 180_000,
  });
  if (r.error)
    throw new Error(
      `make ${target} in firmware-bridge/c could not run (${r.error.message}); install make and a C compiler (Debian: gcc make)`,
    );
  if (r.status !== 0) throw new Error(`make ${target} in firmware-bridge/c failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  if (target === 'all') built = true;
  return r.stdout + r.stderr;
}

interface PortState {
  mode: Mode;
  session: boolean;
  failsafe: boolean;
  emergency: boolean;
  power: string;
  flaps: string;
  auth: Authorisation | null;
}

/** One line the port printed (see firmware-bridge/c/port/posix/main.c). */
type PortLine =
  | { ready: { port: string; bootId: number } }
  | { state: PortState }
  | { received: DaemonMessage }
  | { report: Report }
  | { delivered: Report }
  | { display: MessageOf<'display'> }
  | { done: string }
  | { failsafe: FailMode }
  | { session: boolean }
  | { error: string }
  | Record<string, unknown>;

export class CFirmware {
  auth: Authorisation | null = null;
  mode: Mode = 'locked';
  session = false;
  failsafe = false;
  emergency = false;
  flaps = 'closed';
  lastDisplay: MessageOf<'display'> | null = null;
  /** Every message from the daemon but heartbeats, as the TypeScript simulator keeps them. */
  readonly received: DaemonMessage[] = [];
  readonly queued: Report[] = [];
  readonly delivered: Report[] = [];
  /** The fail modes the firmware entered by itself (boot, watchdog, battery-low), in order. */
  readonly failsafes: FailMode[] = [];
  readonly errors: string[] = [];
  private readonly done: string[] = [];
  private readonly did: string[] = [];
  private exited = false;
  private stderr = '';

  private constructor(private readonly proc: ChildProcess) {
    createInterface({ input: proc.stdout! }).on('line', (line) => this.onLine(line));
    proc.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString('utf8')));
    proc.once('exit', () => (this.exited = true));
  }

  /** Start the firmware on `path` (the simulator's end of a pty pair) and wait until it has booted. */
  static async open(path: string, opts: { failMode?: FailMode; walkMs?: number; statusMs?: number } = {}): Promise<CFirmware> {
    buildFirmware();
    const args = [
      '--port',
      path,
      '--fail-mode',
      opts.failMode ?? 'locked',
      '--walk-ms',
      String(opts.walkMs ?? 300),
      '--status-ms',
      String(opts.statusMs ?? 500),
    ];
    const fw = new CFirmware(spawn(FIRMWARE_BIN, args, { stdio: ['pipe', 'pipe', 'pipe'] }));
    await waitFor(() => fw.ready || fw.exited, 20_000, 'the C firmware to boot');
    if (!fw.ready) throw new Error(`the C firmware exited at start: ${fw.stderr.trim()}`);
    return fw;
  }

  private ready = false;

  private onLine(line: string): void {
    let o: PortLine;
    try {
      o = JSON.parse(line) as PortLine;
    } catch {
      this.errors.push(`not JSON: ${line}`);
      return;
    }
    if ('ready' in o) this.ready = true;
    else if ('state' in o) {
      const s = o.state as PortState;
      this.mode = s.mode;
      this.session = s.session;
      this.failsafe = s.failsafe;
      this.emergency = s.emergency;
      this.flaps = s.flaps;
      this.auth = s.auth;
    } else if ('received' in o) this.received.push(o.received as DaemonMessage);
    else if ('report' in o) this.queued.push(o.report as Report);
    else if ('delivered' in o) this.delivered.push(o.delivered as Report);
    else if ('display' in o) this.lastDisplay = o.display as MessageOf<'display'>;
    else if ('done' in o) this.done.push(o.done as string);
    else if ('did' in o) this.did.push(o.did as string);
    else if ('failsafe' in o) this.failsafes.push(o.failsafe as FailMode);
    else if ('error' in o) this.errors.push(o.error as string);
  }

  /** One command line on the firmware's stdin (see the port's usage). */
  send(command: string): void {
    this.proc.stdin!.write(command + '\n');
  }

  /** Send a command and wait until the firmware has run it (its `did` line). */
  async command(line: string): Promise<void> {
    const name = line.trim().split(/\s+/)[0];
    const before = this.did.filter((d) => d === name).length;
    this.send(line);
    await waitFor(() => this.did.filter((d) => d === name).length > before || this.exited, 5000, `the C firmware to run ${name}`);
  }

  private async run(command: string, name: string, timeoutMs: number): Promise<void> {
    const before = this.done.filter((d) => d === name).length;
    this.send(command);
    await waitFor(() => this.done.filter((d) => d === name).length > before || this.exited, timeoutMs, `the C firmware's ${name}`);
  }

  /** A passenger walks through the lane in the authorised direction; resolves once they are out of it. */
  walkThrough(): Promise<void> {
    return this.run('walk', 'walk', 10_000);
  }

  tailgate(): Promise<void> {
    return this.run('tailgate', 'tailgate', 10_000);
  }

  /** The fire-alarm input. */
  setEmergency(active: boolean): void {
    this.send(`emergency ${active ? 'on' : 'off'}`);
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((r) => this.proc.once('exit', () => r()));
    this.proc.kill('SIGTERM');
    await gone;
  }
}
