// `gate`: one CLI for the daemon, the demo, the technician's tools and central's reference tools.
import { UsageError, type CliIO, type Command } from './command.js';
import { errorLine } from '../util/gate-error.js';
import { appVersion } from '../daemon/versions.js';

/** The commands main() chooses from: every one, or the few a caller loaded (entry.ts, for `gate run`). */
let COMMANDS: readonly Command[] = [];

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return (
    [
      'usage: gate <command> [options]',
      '',
      'commands:',
      ...lines,
      '',
      'gate help <command> (or gate <command> --help) shows the options of one command; gate --version the version.',
      'exit codes: 0 ok, 1 a check or the operation failed, 2 usage (unknown command or option, missing argument).',
    ].join('\n') + '\n'
  );
}

function commandHelp(command: Command): string {
  return command.help.endsWith('\n') ? command.help : command.help + '\n';
}

/** `gate help CMD...`: that command's help (exit 0), or the usage error of an unknown one (exit 2). */
function help(words: string[], io: CliIO): number {
  if (words.length === 0) {
    io.stdout.write(topHelp());
    return 0;
  }
  const found = findCommand(words);
  if (!found || found.rest.length > 0) return unknown(words, io);
  io.stdout.write(commandHelp(found.command));
  return 0;
}

function unknown(args: string[], io: CliIO): number {
  const group = COMMANDS.filter((c) => c.name.startsWith(args[0] + ' '));
  if (group.length) {
    io.stderr.write(`gate ${args[0]}: choose one of: ${group.map((c) => c.name).join(', ')}\n`);
  } else {
    io.stderr.write(`gate: unknown command "${args.join(' ')}"; gate --help lists the commands\n`);
  }
  return 2;
}

/** The command whose name matches the most leading words of args. */
function findCommand(args: string[]): { command: Command; rest: string[] } | undefined {
  let best: { command: Command; rest: string[] } | undefined;
  for (const command of COMMANDS) {
    const words = command.name.split(' ');
    if (words.every((w, i) => args[i] === w) && (!best || words.length > best.command.name.split(' ').length)) {
      best = { command, rest: args.slice(words.length) };
    }
  }
  return best;
}

export async function main(
  args: string[],
  io: CliIO = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin },
  commands?: readonly Command[],
): Promise<number> {
  COMMANDS = commands ?? (await import('./commands/index.js')).COMMANDS;
  if (args.length === 0) {
    // No command is a usage error: the help goes to stderr, stdout stays empty for scripts.
    io.stderr.write(topHelp());
    return 2;
  }
  if (args[0] === '--help' || args[0] === '-h') {
    io.stdout.write(topHelp());
    return 0;
  }
  if (args[0] === 'help') return help(args.slice(1), io);
  if (args[0] === '--version' || args[0] === '-V' || args[0] === 'version') {
    io.stdout.write(`gate ${appVersion()}\n`);
    return 0;
  }
  const found = findCommand(args);
  if (!found) return unknown(args, io);
  const { command, rest } = found;
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(commandHelp(command));
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    const usage = err instanceof UsageError;
    const line = usage ? `${err.message} (gate ${command.name} --help)` : errorLine(err);
    io.stderr.write(`gate ${command.name}: ${line}\n`);
    // --json promises JSON on stdout whatever happens: a script reads the failure there too.
    if (rest.includes('--json'))
      io.stdout.write(
        JSON.stringify(
          {
            ok: false,
            error: line
              .split('\n')
              .map((l) => l.trim())
              .filter(Boolean),
          },
          null,
          2,
        ) + '\n',
      );
    return usage ? 2 : 1;
  }
}
