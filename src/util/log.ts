// Structured logs (pino): readable on a terminal, JSON lines for machines. Nothing personal may land in a log: no names, document numbers or photo bytes.
// Code logs document keys (HMAC) only; the redaction below is a second line of defence for careless fields.
import { pino, type Logger, type DestinationStream } from 'pino';
import { createRequire } from 'node:module';

export type { Logger };

export const PERSONAL_FIELDS = [
  'number',
  'previousNumber',
  'permitNumber',
  'nameLatin',
  'nameChinese',
  'surname',
  'givenNames',
  'optionalData',
  'photo',
  'mrz',
  'lines',
  'text',
];

/** pino's levels: the config's logLevel and GATE_LOG_LEVEL must be one of these (pino throws on any other). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(level: string): level is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(level);
}

/** The one line for an unknown level, shared by the config check and the logger. */
export function unknownLevelLine(source: string, level: string): string {
  return `${source}: expected one of ${LOG_LEVELS.map((l) => JSON.stringify(l)).join(', ')}, got ${JSON.stringify(level)}`;
}

export interface LogOptions {
  level?: string;
  name?: string;
  destination?: DestinationStream;
}

/**
 * Where log lines go: readable lines (pino-pretty) when stderr is a terminal, JSON lines otherwise (journald, files,
 * tests). GATE_LOG_FORMAT=json|pretty overrides the guess.
 */
function defaultDestination(env: NodeJS.ProcessEnv): DestinationStream {
  const format = env.GATE_LOG_FORMAT ?? (process.stderr.isTTY ? 'pretty' : 'json');
  if (format === 'pretty') {
    // Loaded only for a terminal: under systemd (JSON lines) the daemon's start does not pay for it.
    const pretty = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
    return pretty({
      destination: 2,
      sync: true,
      colorize: process.stderr.isTTY,
      translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
      ignore: 'pid,hostname',
    });
  }
  return pino.destination({ fd: 2, sync: false });
}

/** Throws a one-line Error for an unknown level (pino's own error is a stack trace from deep inside it). */
export function createLogger(opts: LogOptions = {}, env: NodeJS.ProcessEnv = process.env): Logger {
  const paths = PERSONAL_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]);
  const level = opts.level ?? env.GATE_LOG_LEVEL ?? 'info';
  if (!isLogLevel(level)) throw new Error(unknownLevelLine(opts.level === undefined ? 'GATE_LOG_LEVEL' : 'logLevel', level));
  return pino(
    {
      name: opts.name ?? 'gate',
      level,
      redact: { paths, censor: '[redacted]' },
      base: { pid: process.pid },
    },
    opts.destination ?? defaultDestination(env),
  );
}

/** A logger that discards everything (tests, one-shot CLI commands). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
