// A socat pty pair at fixed paths that can be unplugged (socat killed: both ends hang up, as when a USB serial
// adapter is pulled) and plugged in again at the same paths, so the daemon's transport can find the device again.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ReplugablePty {
  /** The end the daemon opens. */
  device: string;
  /** The end the simulator opens. */
  sim: string;
  readonly plugged: boolean;
  /** Pull the cable: socat dies, both ptys hang up, the paths go away. */
  unplug(): Promise<void>;
  /** Plug it back in: a new pair at the same paths. */
  plug(): Promise<void>;
  close(): Promise<void>;
}

export async function replugablePty(name: string, timeoutMs = 5000): Promise<ReplugablePty> {
  const dir = mkdtempSync(join(tmpdir(), `gate-faults-${name}-`));
  const device = join(dir, 'device');
  const sim = join(dir, 'sim');
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();

  const plug = async () => {
    if (child) return;
    const c = spawn('socat', [`pty,raw,echo=0,link=${device}`, `pty,raw,echo=0,link=${sim}`], { stdio: 'ignore' });
    child = c;
    exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    const deadline = Date.now() + timeoutMs;
    while (!(existsSync(device) && existsSync(sim))) {
      if (c.exitCode !== null) throw new Error('socat exited before the ptys appeared');
      if (Date.now() > deadline) throw new Error('socat did not create the pty pair in time');
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  const unplug = async () => {
    if (!child) return;
    const c = child;
    child = null;
    // SIGKILL: socat gets no chance to tidy up, like a cable pulled out; its links stay behind and are removed here.
    if (c.exitCode === null) {
      c.kill('SIGKILL');
      await exited;
    }
    rmSync(device, { force: true });
    rmSync(sim, { force: true });
  };

  await plug();
  return {
    device,
    sim,
    get plugged() {
      return child !== null;
    },
    unplug,
    plug,
    async close() {
      await unplug();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
