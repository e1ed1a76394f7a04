// `gate`: one CLI for the daemon, the demo, the technician's tools and central's reference tools.
import { COMMANDS } from './commands/index.js';
import { UsageError, type CliIO, type Command } from './command.js';
import { errorLine } from '../util/gate-error.js';

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return ['usage: gate <command> [options]', '', 'commands:', ...lines, '', 'gate <command> --help shows the options of one command.'].join('\n') + '\n';
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

export async function main(args: string[], io: CliIO = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }): Promise<number> {
  if (args.length === 0 || args[0] === '--help' || args[0] === '-h' || args[0] === 'help') {
    io.stdout.write(topHelp());
    return args.length === 0 ? 2 : 0;
  }
  const found = findCommand(args);
  if (!found) {
    const group = COMMANDS.filter((c) => c.name.startsWith(args[0] + ' '));
    if (group.length) {
      io.stderr.write(`gate ${args[0]}: choose one of: ${group.map((c) => c.name).join(', ')}\n`);
    } else {
      io.stderr.write(`gate: unknown command "${args[0]}"; gate --help lists the commands\n`);
    }
    return 2;
  }
  const { command, rest } = found;
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(command.help.endsWith('\n') ? command.help : command.help + '\n');
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`gate ${command.name}: ${err.message} (gate ${command.name} --help)\n`);
      return 2;
    }
    io.stderr.write(`gate ${command.name}: ${errorLine(err)}\n`);
    return 1;
  }
}
