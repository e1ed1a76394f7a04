// Run the `gate` CLI in-process with captured output, as the CLI tests do.
import { PassThrough, Readable } from 'node:stream';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { main } from '../../src/cli/main.js';

export async function runGate(args: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const code = await main(args, { stdout, stderr, stdin: Readable.from([Buffer.from(stdin)]) });
  return { code, out, err };
}

/** The CLI entry as a technician's shell runs it (tsx, so no build is needed). */
export const GATE_ENTRY = fileURLToPath(new URL('../../src/cli/entry.ts', import.meta.url));
/** tsx's loader by absolute URL, so the child may run in any working directory. */
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface GateProcessResult {
  code: number | null;
  out: string;
  err: string;
}

/**
 * Run `gate ARGS` as a child process, as a person in a terminal would: its own process, exit code, environment and
 * (with `uid`) its own user, e.g. a technician who is not root.
 */
export function runGateProcess(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; uid?: number; gid?: number; cwd?: string; timeoutMs?: number } = {},
): Promise<GateProcessResult> {
  return new Promise((resolvePromise, reject) => {
    const proc = spawn(process.execPath, ['--import', TSX_LOADER, GATE_ENTRY, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...opts.env },
      cwd: opts.cwd,
      uid: opts.uid,
      gid: opts.gid,
      timeout: opts.timeoutMs ?? 20_000,
    });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    proc.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    proc.once('error', reject);
    proc.once('close', (code) => resolvePromise({ code, out, err }));
  });
}
