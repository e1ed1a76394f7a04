// `gate status`: what the running daemon last wrote (<db>.status.json) and whether it is still alive.
import { existsSync, readFileSync } from 'node:fs';
import { parseOptions, requireOption, type Command } from '../command.js';
import { loadConfig } from '../../config/load.js';
import { defaultStatusFile } from '../../daemon/gate-daemon.js';

interface StatusFile {
  state: 'running' | 'stopped';
  pid: number;
  writtenAt: string;
  laneMode: string;
  lanePhase: string;
  devices: Record<string, { state: string; detail: string | null }>;
  outbox: { pending: number; lastSeq: number; oldestPendingAgeSeconds: number | null };
  cache: { epoch: string | null; seq: number | null; ageSeconds: number | null };
  uptimeSeconds: number;
  appVersion: string;
  configVersion: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export const statusCommand: Command = {
  name: 'status',
  summary: "the running gate's lane, devices, cache and outbox",
  help: `usage: gate status --config FILE [--json]

Prints what the running daemon reports (it rewrites <db>.status.json every 2 s): whether it runs, the lane's mode
and phase, each device's health with its error code, the cache's epoch/seq and age, the outbox depth.
Exit 0 when the daemon runs and every device is ok, 1 otherwise.

options:
  --config FILE   the gate's config (for the database path)
  --json          print the status file as JSON

example:
  gate status --config /etc/gate/gate.json`,
  async run(args, io) {
    const { values } = parseOptions(args, { config: { type: 'string' }, json: { type: 'boolean' } });
    const { config } = loadConfig(requireOption(values.config, 'config'));
    const file = defaultStatusFile(config.db);
    if (!existsSync(file)) {
      io.stdout.write(`not running: no status file at ${file} (the daemon writes it once started: systemctl status gate)\n`);
      return 1;
    }
    const s = JSON.parse(readFileSync(file, 'utf8')) as StatusFile;
    const ageS = Math.round((Date.now() - Date.parse(s.writtenAt)) / 1000);
    const running = s.state === 'running' && alive(s.pid) && ageS < 30;
    if (values.json) {
      io.stdout.write(JSON.stringify({ ...s, running }, null, 2) + '\n');
    } else {
      const lines = [
        running ? `running: pid ${s.pid}, up ${s.uptimeSeconds} s, version ${s.appVersion}, config ${s.configVersion}` : `not running (last status ${ageS} s ago, state ${s.state}, pid ${s.pid})`,
        `lane:    mode ${s.laneMode}, ${s.lanePhase}`,
        ...Object.entries(s.devices).map(([name, d]) => `device:  ${name.padEnd(10)} ${d.state}${d.detail ? ` (${d.detail})` : ''}`),
        `cache:   ${s.cache.epoch === null ? 'empty' : `epoch ${s.cache.epoch} seq ${s.cache.seq}, ${Math.round((s.cache.ageSeconds ?? 0) / 60)} min old`}`,
        `outbox:  ${s.outbox.pending} waiting, last seq ${s.outbox.lastSeq}${s.outbox.oldestPendingAgeSeconds !== null ? `, oldest ${s.outbox.oldestPendingAgeSeconds} s` : ''}`,
      ];
      io.stdout.write(lines.join('\n') + '\n');
    }
    return running && Object.values(s.devices).every((d) => d.state === 'ok') ? 0 : 1;
  },
};
