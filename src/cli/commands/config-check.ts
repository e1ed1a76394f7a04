// `gate config check FILE`: the effective config (every default filled in, secrets masked) or one line per problem.
import { parseOptions, UsageError, writeJson, type Command } from '../command.js';
import { ConfigError, loadConfig, maskedConfig } from '../../config/load.js';

export const configCheckCommand: Command = {
  name: 'config check',
  summary: 'validate a config file and print the effective config',
  help: `usage: gate config check FILE

Reads FILE (JSON; // and /* */ comments and trailing commas allowed), validates it and prints the
effective config as JSON with every default filled in and secrets shown as "***".
On problems prints one line each (key path, bad value, what was expected) and exits 1.

example:
  gate config check config/gate.example.jsonc`,
  async run(args, io) {
    const { positionals } = parseOptions(args, {}, true);
    if (positionals.length !== 1) throw new UsageError('give exactly one config FILE');
    try {
      writeJson(io, maskedConfig(loadConfig(positionals[0]).config));
      return 0;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      io.stderr.write(`${err.code === 'invalid' ? err.message : err.toLine()}\n`);
      return 1;
    }
  },
};
