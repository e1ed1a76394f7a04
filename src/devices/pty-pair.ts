// A pair of linked pseudo-terminals made by socat: the daemon opens one end as if it were a device, a simulator
// (reader, scanner, MCU) opens the other. Used by the demo and the integration tests; needs socat installed.
// openDevicePair() falls back to a pair joined in this process (linked-pair.ts) where socat is missing.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { autoDetect } from '@serialport/bindings-cpp';
import { findOnPath } from '../util/find-on-path.js';
import { linkedBinding, openLinkedPair } from './linked-pair.js';
import type { SerialBinding } from './serial.js';

export interface PtyPair {
  /** The end the daemon opens. */
  device: string;
  /** The end the simulator opens. */
  sim: string;
  close(): Promise<void>;
}

export function socatAvailable(): boolean {
  return findOnPath('socat') !== undefined;
}

/** A pair of ports for the daemon and a simulator, and the serial binding both ends must be opened with. */
export interface DevicePair extends PtyPair {
  /** `pty`: socat pseudo-terminals (the native binding); `in-process`: joined in this process (the mock binding). */
  kind: 'pty' | 'in-process';
  binding: SerialBinding;
}

/** socat ptys when socat is installed, otherwise a pair joined in this process. */
export async function openDevicePair(name = 'pty'): Promise<DevicePair> {
  if (socatAvailable()) return { ...(await openPtyPair(name)), kind: 'pty', binding: autoDetect() as unknown as SerialBinding };
  return { ...openLinkedPair(name), kind: 'in-process', binding: linkedBinding };
}

export async function openPtyPair(name = 'pty', timeoutMs = 5000): Promise<PtyPair> {
  const dir = mkdtempSync(join(tmpdir(), `gate-${name}-`));
  const device = join(dir, 'device');
  const sim = join(dir, 'sim');
  const child: ChildProcess = spawn(findOnPath('socat') ?? 'socat', [`pty,raw,echo=0,link=${device}`, `pty,raw,echo=0,link=${sim}`], {
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
