// `gate doctor`: checks config, devices, broker, cache, outbox and disk; one line each, the fix where one fails.
import { parseOptions, requireOption, type Command } from '../command.js';
import { loadConfig, resolveSecret } from '../../config/load.js';
import { formatResults, runDoctor } from '../../daemon/doctor.js';

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'check config, ports, reader and MCU handshakes, broker, cache age, outbox and disk',
  help: `usage: gate doctor --config FILE [--wait MS]

Checks everything the gate needs, one line each (OK, WARN, FAIL, SKIP), with the fix where something fails:
the config, each device port (present, permission, not held by another process), the ID reader's SAM and the
MCU's HELLO handshake (silent line or garbage = wrong baud rate), the broker (reachable, credentials), the
cache (filled, its age, the HMAC secret), the outbox depth and the free disk space.
Stop the service first (systemctl stop gate): the doctor opens the same ports. Exit 1 when a check fails.

options:
  --config FILE   the gate's config
  --wait MS       how long a device has to answer its handshake (default 2000)

example:
  sudo systemctl stop gate && gate doctor --config /etc/gate/gate.json`,
  async run(args, io) {
    const { values } = parseOptions(args, { config: { type: 'string' }, wait: { type: 'string' } });
    const loaded = loadConfig(requireOption(values.config, 'config'));
    let secret: string | null = null;
    try {
      secret = resolveSecret(loaded);
    } catch {
      // reported by the cache line: the doctor still checks the rest
    }
    const results = await runDoctor({ config: loaded.config, secret, handshakeMs: values.wait ? Number(values.wait) : undefined });
    if (!secret) results.splice(1, 0, { status: 'fail', name: 'secret', line: 'no HMAC secret: set "secret" or "secretFile" in the config, or GATE_SECRET' });
    io.stdout.write(formatResults(results));
    return results.some((r) => r.status === 'fail') ? 1 : 0;
  },
};
