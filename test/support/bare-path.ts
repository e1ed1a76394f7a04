// A bare machine, as far as PATH goes: a folder holding node and nothing else, so neither socat, mosquitto nor
// apt-get is found (the machine's own copies stay installed for the other tests and engineers).
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BarePath {
  /** The only folder on PATH. */
  bin: string;
  /** An environment for a child: this PATH, HOME, and nothing of the parent's test runner. */
  env: NodeJS.ProcessEnv;
  /** Put an executable script into the folder (a stand-in for a system tool). */
  addScript(name: string, body: string): string;
  close(): void;
}

export function barePath(): BarePath {
  const bin = mkdtempSync(join(tmpdir(), 'gate-bare-path-'));
  symlinkSync(process.execPath, join(bin, 'node'));
  return {
    bin,
    env: { PATH: bin, HOME: process.env.HOME ?? tmpdir(), LANG: 'C.UTF-8' },
    addScript(name, body) {
      const file = join(bin, name);
      writeFileSync(file, body);
      chmodSync(file, 0o755);
      return file;
    },
    close: () => rmSync(bin, { recursive: true, force: true }),
  };
}
