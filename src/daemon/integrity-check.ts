// When the gate checks its file, and how. A quick_check reads the whole file (about 0.6 s at a million tickets), so
// it is done before the gate serves only when damage is likely: the last run did not end cleanly (a -wal is left
// beside the file: a clean close folds it in and deletes it) or a check after an earlier start found damage (the
// marker below). Otherwise the start reads the header and schema only, and the quick_check runs in a child process
// once the gate is ready; if it finds damage, the gate asks to be restarted and that start sets the file aside.
import { existsSync, rmSync, statSync } from 'node:fs';
import type { IntegrityDepth, IntegrityVerdict } from '../cache/db.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { moduleProcess } from '../util/module-worker.js';

/** Beside the database: "check this file fully at the next start" (written when a check after start found damage). */
export const checkAtStartMarker = (dbPath: string): string => `${dbPath}.check-at-start`;

/** How deep the start-up check goes for this file (see the header). */
export function startupCheckDepth(dbPath: string): IntegrityDepth {
  if (existsSync(checkAtStartMarker(dbPath))) return 'quick';
  const wal = `${dbPath}-wal`;
  return existsSync(wal) && statSync(wal).size > 0 ? 'quick' : 'header';
}

/** Make the next start check the whole file before serving (durable: it must survive the restart it precedes). */
export function requestCheckAtStart(dbPath: string, why: string): void {
  writeFileAtomic(checkAtStartMarker(dbPath), `${why}\n`, { durable: true });
}

/** The full check has been done at start (the file passed, or was set aside): the marker has done its work. */
export function clearCheckAtStart(dbPath: string): void {
  rmSync(checkAtStartMarker(dbPath), { force: true });
}

/** What the worker answers: the verdict, or why the file could not be checked at all (not corruption). */
export type IntegrityAnswer = { verdict: IntegrityVerdict } | { error: string };

export interface BackgroundCheck {
  result: Promise<IntegrityAnswer>;
  /** Stop the check (the daemon is stopping); result then settles with an error. */
  cancel(): Promise<void>;
}

/** Run quick_check on `dbPath` in a child process; the gate (and its lane) keeps running meanwhile. */
export function checkInBackground(dbPath: string): BackgroundCheck {
  const child = moduleProcess(import.meta.url, 'integrity-child', [dbPath]);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-2000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const result = new Promise<IntegrityAnswer>((resolve) => {
    child.once('message', (answer: IntegrityAnswer) => resolve(answer));
    child.once('error', (err) => resolve({ error: err.message }));
    child.once('exit', (code, signal) => {
      const last = stderr.trim().split('\n').pop() ?? '';
      resolve({ error: `integrity check ended (${signal ?? `exit ${code}`})${last ? `: ${last}` : ''}` });
    });
  });
  return {
    result,
    cancel: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
