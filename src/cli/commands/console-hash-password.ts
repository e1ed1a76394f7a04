// `gate console hash-password`: the scrypt hash to put in console.users[].passwordHash. The password comes on
// standard input (never an argument: arguments show in `ps` and the shell history).
import { parseOptions, readStdin, UsageError, type Command } from '../command.js';
import { hashPassword } from '../../console/password.js';

const MIN_PASSWORD_CHARS = 10;

export const consoleHashPasswordCommand: Command = {
  name: 'console hash-password',
  summary: 'print the scrypt hash of a console password (read from stdin) for console.users',
  help: `usage: gate console hash-password < password-file

Reads one password from standard input (the first line) and prints its scrypt hash, to put in the config as
console.users[].passwordHash. The password itself is never stored. At least ${MIN_PASSWORD_CHARS} characters.

example:
  read -rs PW && printf '%s' "$PW" | gate console hash-password`,
  async run(args, io) {
    parseOptions(args, {});
    const password = (await readStdin(io)).split(/\r?\n/)[0];
    if (password.length < MIN_PASSWORD_CHARS)
      throw new UsageError(`the password on stdin has ${password.length} characters, expected at least ${MIN_PASSWORD_CHARS}`);
    io.stdout.write(`${await hashPassword(password)}\n`);
    return 0;
  },
};
