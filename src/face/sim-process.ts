// Start the simulated matcher (sim-main) as a child process and wait until it listens: the tests and the demo talk
// to it over the real socket, as the gate talks to a vendor's module.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { FaceScript } from './sim.js';
import { z } from 'zod';

export interface FaceSimProcess {
  proc: ChildProcess;
  socketPath: string;
  scriptFile: string;
  /** Every request line the sim printed (id, type, key, result). */
  requests: { id: string; type: string; key: string | null; result: string; action: string | null }[];
  /** Rewrite the script (read again on the next request). */
  script(s: FaceScript): void;
  stop(): Promise<void>;
}

/** What the sim prints on stdout: that it listens, and each request it answered. */
const simLineSchema = z.object({
  listening: z.string().optional(),
  request: z
    .object({ id: z.string(), type: z.string(), key: z.string().nullable(), result: z.string(), action: z.string().nullable() })
    .optional(),
});

export async function startFaceSim(socketPath: string, scriptFile: string, script: FaceScript = {}): Promise<FaceSimProcess> {
  writeFileSync(scriptFile, JSON.stringify(script));
  const main = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './sim-main.ts' : './sim-main.js', import.meta.url));
  const args = main.endsWith('.ts') ? ['--import', 'tsx', main] : [main];
  const proc = spawn(process.execPath, [...args, '--socket', socketPath, '--script', scriptFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  const requests: FaceSimProcess['requests'] = [];
  let stderr = '';
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  await new Promise<void>((resolve, reject) => {
    const lines = createInterface({ input: proc.stdout });
    lines.on('line', (line) => {
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch {
        return;
      }
      // Lines that are not the sim's own announcements (a stray log line) are skipped, like non-JSON ones.
      const parsed = simLineSchema.safeParse(raw);
      if (!parsed.success) return;
      const o = parsed.data;
      if (o.listening) resolve();
      if (o.request) requests.push(o.request);
    });
    proc.once('exit', (code) => reject(new Error(`face sim exited ${code}: ${stderr.trim().split('\n').at(-1) ?? ''}`)));
  });
  return {
    proc,
    socketPath,
    scriptFile,
    requests,
    script: (s) => writeFileSync(scriptFile, JSON.stringify(s)),
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}
