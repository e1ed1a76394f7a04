// `gate doctor`: checks config, devices, broker, cache, outbox and disk; one line each, the fix where one fails.
import { parseOptions, requireOption, UsageError, type Command } from '../command.js';
import { loadConfig, resolveNextSecret, resolveSecret } from '../../config/load.js';
import { runProblems } from '../../config/run-checks.js';
import { formatResults, runDoctor, type CheckResult } from '../../daemon/doctor.js';
import { consoleWarnings } from '../../console/warnings.js';

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'check config, ports, reader and MCU handshakes, broker, cache age, outbox and disk',
  help: `usage: gate doctor --config FILE [--wait MS]

Checks everything the gate needs, one line each (OK, WARN, FAIL, SKIP), with the fix where something fails:
the config (the same lines as gate config check), each device port (present, permission, not held by another
process), the ID reader's SAM and the MCU's HELLO handshake (silent line or garbage = wrong baud rate), the broker
(reachable, credentials), the cache (filled, its age, the HMAC secret), the outbox depth and the free disk space.
It writes nothing: the database is opened read-only, so a technician in the gate's group can run it without root.
Stop the service first (systemctl stop gate): the doctor opens the same ports.
Exit 0 when every check is OK (or WARN/SKIP), 1 when one fails.

options:
  --config FILE   the gate's config
  --wait MS       how long a device has to answer its handshake (default 2000)

example:
  sudo systemctl stop gate && gate doctor --config /etc/gate/gate.json`,
  async run(args, io) {
    const { values } = parseOptions(args, { config: { type: 'string' }, wait: { type: 'string' } });
    const loaded = loadConfig(requireOption(values.config, 'config'));
    const wait = values.wait === undefined ? undefined : Number(values.wait);
    if (wait !== undefined && !(Number.isInteger(wait) && wait > 0))
      throw new UsageError(`--wait: expected a number of milliseconds, got "${values.wait}"`);
    let secret: string | null = null;
    let secretNext: string | undefined;
    try {
      secret = resolveSecret(loaded);
      secretNext = resolveNextSecret(loaded);
    } catch {
      // its line comes from runProblems, the same one gate config check and gate run print
    }
    const configLines: CheckResult[] = runProblems(loaded).map((line) => ({ status: 'fail', name: 'config', line }));
    const results = await runDoctor({ config: loaded.config, secret, secretNext, handshakeMs: wait });
    const consoleLines: CheckResult[] = consoleWarnings(loaded.config).map((line) => ({ status: 'warn', name: 'console', line }));
    results.splice(1, 0, ...configLines, ...consoleLines);
    io.stdout.write(formatResults(results));
    return results.some((r) => r.status === 'fail') ? 1 : 0;
  },
};
