// `gate status`: what the running daemon last wrote (<db>.status.json), whether it is still alive, and whether its
// cache can let anyone through. Reads one file: works for the gate group without root and writes nothing.
import { parseOptions, requireOption, writeJson, type Command } from '../command.js';
import { loadConfig } from '../../config/load.js';
import { readStatusFile } from '../status-file.js';
import { cacheVerdict } from '../../daemon/cache-health.js';

export const statusCommand: Command = {
  name: 'status',
  summary: "the running gate's lane, devices, cache and outbox",
  help: `usage: gate status --config FILE [--json]

Prints what the running daemon reports (<db>.status.json, rewritten on a change and at least once a minute):
whether it runs, the lane's mode and phase, each device's health with its error code, the cache's epoch/seq and age
(FAIL when it is empty or older than rules.maxCacheAgeMinutes: every passenger would be refused), the outbox depth.
Exit 0 when the daemon runs, every device is ok and the cache is fresh; 1 otherwise.

options:
  --config FILE   the gate's config (for the database path and the cache age limit)
  --json          print JSON, whatever the state: {"running", "ok", "problems", "status"}

example:
  gate status --config /etc/gate/gate.json`,
  async run(args, io) {
    const { values } = parseOptions(args, { config: { type: 'string' }, json: { type: 'boolean' } });
    const { config } = loadConfig(requireOption(values.config, 'config'));
    const read = readStatusFile(config);
    if (read.kind !== 'found') {
      const line =
        read.kind === 'missing'
          ? `not running: no status file at ${read.file} (the daemon writes it once started: systemctl status gate)`
          : read.line;
      if (values.json) writeJson(io, { running: false, ok: false, problems: [line], status: null });
      else io.stdout.write(`${line}\n`);
      return 1;
    }
    const s = read.status;
    const cache = cacheVerdict(s.cache, config.rules.maxCacheAgeMinutes, read.running ? read.ageSeconds : 0);
    const badDevices = Object.entries(s.devices).filter(([, d]) => d.state !== 'ok');
    const problems = [
      ...(read.running ? [] : [`not running (last status ${read.ageSeconds} s ago, state ${s.state}, pid ${s.pid})`]),
      ...badDevices.map(([name, d]) => `device ${name}: ${d.state}${d.detail ? ` (${d.detail})` : ''}`),
      ...(cache.state === 'ok' ? [] : [`cache ${cache.line}`]),
    ];
    if (values.json) {
      writeJson(io, { running: read.running, ok: problems.length === 0, problems, cache: cache.state, status: s });
    } else {
      const lines = [
        read.running ? `running: pid ${s.pid}, up ${s.uptimeSeconds} s, version ${s.appVersion}, config ${s.configVersion}` : problems[0],
        `lane:    mode ${s.laneMode}, ${s.lanePhase}`,
        ...Object.entries(s.devices).map(([name, d]) => `device:  ${name.padEnd(10)} ${d.state}${d.detail ? ` (${d.detail})` : ''}`),
        `cache:   ${cache.state === 'ok' ? '' : 'FAIL '}${cache.line}`,
        `outbox:  ${s.outbox.pending} waiting, last seq ${s.outbox.lastSeq}${s.outbox.oldestPendingAgeSeconds !== null ? `, oldest ${s.outbox.oldestPendingAgeSeconds} s` : ''}`,
      ];
      io.stdout.write(lines.join('\n') + '\n');
    }
    return problems.length === 0 ? 0 : 1;
  },
};
