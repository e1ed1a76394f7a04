// Run the `gate` CLI as a child process, as a person types it in a terminal (tsx on src/cli/entry.ts, like
// test/daemon/world.ts starts `gate run`): exit code, stdout and stderr.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const ENTRY = resolve('src/cli/entry.ts');

export interface GateRun {
  code: number | null;
  out: string;
  err: string;
}

export function runGateProcess(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<GateRun> {
  return new Promise((done, fail) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...opts.env },
    });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    proc.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      fail(new Error(`gate ${args.join(' ')} did not finish within ${opts.timeoutMs ?? 30_000} ms; stderr: ${err.slice(-500)}`));
    }, opts.timeoutMs ?? 30_000);
    proc.once('error', fail);
    proc.once('close', (code) => {
      clearTimeout(timer);
      done({ code, out, err });
    });
  });
}
