// A pair of linked pseudo-terminals made by socat: the daemon opens one end as if it were a device, a simulator
// (reader, scanner, MCU) opens the other. Used by the demo and the integration tests; needs socat installed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PtyPair {
  /** The end the daemon opens. */
  device: string;
  /** The end the simulator opens. */
  sim: string;
  close(): Promise<void>;
}

export function socatAvailable(): boolean {
  return spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;
}

export async function openPtyPair(name = 'pty', timeoutMs = 5000): Promise<PtyPair> {
  const dir = mkdtempSync(join(tmpdir(), `gate-${name}-`));
  const device = join(dir, 'device');
  const sim = join(dir, 'sim');
  const child: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${device}`, `pty,raw,echo=0,link=${sim}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + timeoutMs;
  while (!(existsSync(device) && existsSync(sim))) {
    if (child.exitCode !== null) throw new Error(`socat exited before the ptys appeared: ${stderr.trim().split('\n')[0] ?? ''}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('socat did not create the pty pair in time');
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return {
    device,
    sim,
    async close() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
