// The shape of one `gate` sub-command. Each lives in src/cli/commands/<name>.ts and is listed in commands/index.ts.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
}

export interface Command {
  /** Words after `gate`, e.g. "cache import". */
  name: string;
  /** One line for `gate --help`. */
  summary: string;
  /** Full help: usage line, options, examples. Printed by `gate <name> --help`. */
  help: string;
  run(args: string[], io: CliIO): Promise<number>;
}

/** Thrown for a usage error: main prints the line and the command's usage, exit 2. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs with strict checking; a bad option becomes one UsageError line. */
export function parseOptions<O extends Options>(args: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals });
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]);
  }
}

export function requireOption<T>(value: T | undefined, name: string): T {
  if (value === undefined || value === '') throw new UsageError(`missing required option --${name}`);
  return value;
}

export function writeJson(io: CliIO, value: unknown): void {
  io.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** Read all of standard input as text. */
export async function readStdin(io: CliIO): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of io.stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks).toString('utf8');
}
