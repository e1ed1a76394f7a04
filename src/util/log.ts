// Structured logs (pino). Nothing personal may land in a log: no names, document numbers or photo bytes.
// Code logs document keys (HMAC) only; the redaction below is a second line of defence for careless fields.
import { pino, type Logger, type DestinationStream } from 'pino';

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

export interface LogOptions {
  level?: string;
  name?: string;
  destination?: DestinationStream;
}

export function createLogger(opts: LogOptions = {}): Logger {
  const paths = PERSONAL_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]);
  return pino(
    {
      name: opts.name ?? 'gate',
      level: opts.level ?? process.env.GATE_LOG_LEVEL ?? 'info',
      redact: { paths, censor: '[redacted]' },
      base: { pid: process.pid },
    },
    opts.destination ?? pino.destination({ fd: 2, sync: false }),
  );
}

/** A logger that discards everything (tests, one-shot CLI commands). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
