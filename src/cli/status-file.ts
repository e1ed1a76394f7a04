// What `gate status` and `gate cache clear` learn from the daemon's status file (<db>.status.json, rewritten when
// something in it changes and at least every minute, src/daemon/status-writer.ts): whether it runs, its last report,
// and what is wrong with the cache. A file that exists but cannot be read is said so (a technician outside the gate
// group), never taken for "not running".
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { GateConfig } from '../config/schema.js';
import { defaultStatusFile } from '../daemon/gate-daemon.js';

const statusFileSchema = z
  .object({
    state: z.enum(['running', 'stopped']),
    pid: z.number().int(),
    writtenAt: z.string(),
    laneMode: z.string(),
    lanePhase: z.string(),
    devices: z.record(z.string(), z.object({ state: z.string(), detail: z.string().nullable() })),
    outbox: z.object({ pending: z.number(), lastSeq: z.number(), oldestPendingAgeSeconds: z.number().nullable() }),
    cache: z.object({ epoch: z.string().nullable(), seq: z.number().nullable(), ageSeconds: z.number().nullable() }),
    uptimeSeconds: z.number(),
    appVersion: z.string(),
    configVersion: z.string(),
  })
  .loose();

export type StatusFile = z.infer<typeof statusFileSchema>;

export type StatusRead =
  | { kind: 'missing'; file: string }
  | { kind: 'unreadable'; file: string; line: string }
  | { kind: 'found'; file: string; status: StatusFile; running: boolean; ageSeconds: number };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A status written more than this long ago means the daemon is hung or gone (it rewrites it at least every 60 s). */
const STALE_STATUS_SECONDS = 150;

export function readStatusFile(config: GateConfig, nowMs = Date.now()): StatusRead {
  const file = defaultStatusFile(config.db);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing', file };
    const why =
      code === 'EACCES' ? 'permission denied: run as a member of the gate group (install.sh) or with sudo' : (err as Error).message;
    return { kind: 'unreadable', file, line: `cannot read the status file ${file}: ${why}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'unreadable', file, line: `the status file ${file} is not JSON: restart the gate (systemctl restart gate)` };
  }
  const r = statusFileSchema.safeParse(json);
  if (!r.success) return { kind: 'unreadable', file, line: `the status file ${file} is not one this version writes: restart the gate` };
  const ageSeconds = Math.round((nowMs - Date.parse(r.data.writtenAt)) / 1000);
  return {
    kind: 'found',
    file,
    status: r.data,
    ageSeconds,
    running: r.data.state === 'running' && alive(r.data.pid) && ageSeconds < STALE_STATUS_SECONDS,
  };
}
