// `gate config check FILE`: the effective config (every default filled in, secrets masked) or one line per problem:
// the schema's, then everything `gate run` would refuse (run-checks.ts), so a check never passes a broken gate.
import { parseOptions, UsageError, writeJson, type Command } from '../command.js';
import { ConfigError, loadConfig, maskedConfig } from '../../config/load.js';
import { assertRunnable } from '../../config/run-checks.js';
import { consoleWarnings } from '../../console/warnings.js';

export const configCheckCommand: Command = {
  name: 'config check',
  summary: 'validate a config file as gate run would and print the effective config',
  help: `usage: gate config check FILE

Reads FILE (JSON; // and /* */ comments and trailing commas allowed), validates it and prints the
effective config as JSON with every default filled in, every path made absolute and secrets shown as "***".
It refuses everything gate run refuses, with the same lines: the schema (types, ranges, IANA time zone), and
what the daemon needs (a gate id, a readable secret, a port for each enabled device, existing folders for the
database and recordings, sync only with mqtt, a valid GATE_LOG_LEVEL).
Relative paths in FILE are relative to FILE's folder. On problems prints one line each and exits 1.

example:
  gate config check /etc/gate/gate.json`,
  async run(args, io) {
    const { positionals } = parseOptions(args, {}, true);
    if (positionals.length !== 1) throw new UsageError('give exactly one config FILE');
    try {
      const loaded = loadConfig(positionals[0]);
      assertRunnable(loaded);
      writeJson(io, maskedConfig(loaded.config));
      // Runs, but unsafe or about to break (the console without TLS on the network, its certificate): exit 0.
      for (const w of consoleWarnings(loaded.config)) io.stderr.write(`WARN ${w}\n`);
      return 0;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      io.stderr.write(`${err.code === 'invalid' || err.code === 'not-runnable' ? err.message : err.toLine()}\n`);
      return 1;
    }
  },
};
