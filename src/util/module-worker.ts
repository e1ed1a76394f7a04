// A worker thread or a child process running one of this package's modules: the compiled .js next to the caller on
// a gate, or the .ts source through tsx where the caller itself runs from source (tests, bench, `npm run demo`).
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** Start `./<name>.js` (or `./<name>.ts`) relative to `callerUrl` (the caller's import.meta.url) in a worker thread. */
export function moduleWorker(callerUrl: string, name: string, options: WorkerOptions = {}): Worker {
  if (callerUrl.endsWith('.ts')) {
    const entry = new URL(`./${name}.ts`, callerUrl).href;
    const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
    return new Worker(boot, { ...options, eval: true });
  }
  return new Worker(new URL(`./${name}.js`, callerUrl), options);
}

/** Fork `./<name>.js` (or `./<name>.ts` through tsx) relative to `callerUrl` with an IPC channel; stderr is piped. */
export function moduleProcess(callerUrl: string, name: string, args: string[]): ChildProcess {
  const fromSource = callerUrl.endsWith('.ts');
  const entry = fileURLToPath(new URL(`./${name}.${fromSource ? 'ts' : 'js'}`, callerUrl));
  return fork(entry, args, {
    execArgv: fromSource ? ['--import', 'tsx'] : [],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
}
