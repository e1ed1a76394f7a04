// Reading the one config file: JSON with // and /* */ comments and trailing commas allowed (.jsonc), validated
// with the zod schema once; the typed result is passed to whoever needs it (no global settings object).
import { weakKeyReason } from '../util/key-strength.js';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { gateConfigSchema, type GateConfig } from './schema.js';
import { formatIssues } from './issues.js';
import { GateError } from '../util/gate-error.js';

export type ConfigErrorCode =
  | 'not-found'
  | 'unreadable'
  | 'bad-json'
  | 'invalid'
  | 'secret-missing'
  | 'secret-file-unreadable'
  | 'secret-too-short'
  | 'secret-weak'
  | 'not-runnable';

export class ConfigError extends GateError<ConfigErrorCode> {
  /** One line per problem (for `invalid`: key path, bad value, what was expected). */
  readonly problems: string[];

  constructor(code: ConfigErrorCode, message: string, problems: string[] = [], options?: { cause?: unknown }) {
    super('config', code, problems.length ? `${message}\n${problems.map((p) => `  ${p}`).join('\n')}` : message, 'fix-config', options);
    this.problems = problems.length ? problems : [message];
  }
}

/** Keys whose values never appear in printed config or in error lines. */
export const SECRET_KEYS = ['secret', 'secretNext', 'password', 'key', 'passwordHash'] as const;

/**
 * JSONC -> JSON: drop // and /* *\/ comments and trailing commas outside strings. Comments become spaces and
 * newlines are kept, so JSON.parse positions still point at the right line and column of the original.
 */
export function stripJsonComments(text: string): string {
  let out = '';
  let i = 0;
  let pendingComma = -1; // index in `out` of a comma that is trailing if the next token closes a container
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      pendingComma = -1;
      i = j + 1;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') {
        out += ' ';
        i++;
      }
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      for (; i < stop; i++) out += text[i] === '\n' ? '\n' : ' ';
    } else if (c === ',') {
      pendingComma = out.length;
      out += c;
      i++;
    } else if ((c === '}' || c === ']') && pendingComma >= 0) {
      out = out.slice(0, pendingComma) + ' ' + out.slice(pendingComma + 1) + c;
      pendingComma = -1;
      i++;
    } else {
      if (!/\s/.test(c)) pendingComma = -1;
      out += c;
      i++;
    }
  }
  return out;
}

function lineColumn(text: string, position: number): string {
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}

/** Parse JSON or JSONC text; a syntax error names the line and column. */
export function parseJsonc(text: string, source: string): unknown {
  const clean = stripJsonComments(text);
  try {
    return JSON.parse(clean);
  } catch (err) {
    const msg = (err as Error).message;
    const pos = /position (\d+)/.exec(msg);
    const where = pos ? ` at ${lineColumn(clean, Number(pos[1]))}` : '';
    throw new ConfigError('bad-json', `${source}: not valid JSON${where}: ${msg.split('\n')[0]}`, [], { cause: err });
  }
}

/** Validate an already parsed config object; every problem is one line. */
export function parseConfig(input: unknown, source = 'config'): GateConfig {
  const r = gateConfigSchema.safeParse(input);
  if (!r.success) {
    const problems = formatIssues(r.error.issues, input, { maskKeys: SECRET_KEYS });
    throw new ConfigError('invalid', `${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'}`, problems);
  }
  return r.data;
}

export interface LoadedConfig {
  /** Every path in it (db, secretFile, recordTo, mqtt.tls files) already absolute: see resolveConfigPaths. */
  config: GateConfig;
  /** The file it came from (absolute). */
  path: string;
}

/**
 * One rule for every path in a config: relative to the config file's folder, never to the working directory, so a
 * config means the same whether systemd, a technician in /root or a test starts the command. mqtt.tls values may be
 * PEM text instead of a path; those are left alone.
 */
export function resolveConfigPaths(config: GateConfig, configFile: string): GateConfig {
  const base = dirname(resolve(configFile));
  const at = <T extends string | undefined>(p: T): T => (p === undefined ? p : (resolve(base, p) as T));
  const file = (p: string | undefined) => (p === undefined || p.includes('-----BEGIN') ? p : at(p));
  const d = config.devices;
  return {
    ...config,
    db: at(config.db),
    secretFile: at(config.secretFile),
    secretNextFile: at(config.secretNextFile),
    devices: {
      ...d,
      idcard: { ...d.idcard, recordTo: at(d.idcard.recordTo) },
      mrzSerial: { ...d.mrzSerial, recordTo: at(d.mrzSerial.recordTo) },
      mrzHid: { ...d.mrzHid, recordTo: at(d.mrzHid.recordTo) },
    },
    bridge: { ...config.bridge, port: { ...config.bridge.port, recordTo: at(config.bridge.port.recordTo) } },
    face: { ...config.face, endpoint: at(config.face.endpoint) },
    mqtt: config.mqtt.tls
      ? {
          ...config.mqtt,
          tls: { ...config.mqtt.tls, ca: file(config.mqtt.tls.ca), cert: file(config.mqtt.tls.cert), key: file(config.mqtt.tls.key) },
        }
      : config.mqtt,
    console: config.console.tls
      ? { ...config.console, tls: { cert: file(config.console.tls.cert)!, key: file(config.console.tls.key)! } }
      : config.console,
  };
}

export function loadConfig(path: string): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not-found' : 'unreadable';
    throw new ConfigError(code, `cannot read config file ${path}: ${(err as Error).message}`, [], { cause: err });
  }
  return { config: resolveConfigPaths(parseConfig(parseJsonc(text, path), path), path), path: resolve(path) };
}

/**
 * The HMAC secret, from (in this order) the config's `secret`, its `secretFile` (relative to the config file),
 * or the environment variable GATE_SECRET. Only commands that touch the cache need it.
 */
export function resolveSecret(loaded: LoadedConfig | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return strongEnough(resolvePlainSecret(loaded, env), 'secret');
}

/** A key with too little entropy lets anyone who knows one document test guesses of it offline (src/util/key-strength.ts). */
function strongEnough(secret: string, name: string): string {
  const weak = weakKeyReason(secret);
  if (weak) throw new ConfigError('secret-weak', `${name}: ${weak}`);
  return secret;
}

/** Key rotation: the next document key from `secretNext` or `secretNextFile`, or undefined when none is set. */
export function resolveNextSecret(loaded: LoadedConfig | undefined): string | undefined {
  const config = loaded?.config;
  if (config?.secretNext) return strongEnough(config.secretNext, 'secretNext');
  if (!config?.secretNextFile) return undefined;
  const file = resolve(dirname(loaded!.path), config.secretNextFile);
  let secret: string;
  try {
    secret = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError('secret-file-unreadable', `secretNextFile: cannot read ${file}: ${(err as Error).message}`, [], { cause: err });
  }
  return strongEnough(secret, 'secretNextFile');
}

function resolvePlainSecret(loaded: LoadedConfig | undefined, env: NodeJS.ProcessEnv): string {
  const config = loaded?.config;
  if (config?.secret) return config.secret;
  if (config?.secretFile) {
    const file = resolve(dirname(loaded!.path), config.secretFile);
    let secret: string;
    try {
      secret = readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new ConfigError('secret-file-unreadable', `secretFile: cannot read ${file}: ${(err as Error).message}`, [], { cause: err });
    }
    if (secret.length < 32)
      throw new ConfigError('secret-too-short', `secretFile: ${file} holds ${secret.length} characters, expected at least 32`);
    return secret;
  }
  const fromEnv = env.GATE_SECRET;
  if (fromEnv) {
    if (fromEnv.length < 32)
      throw new ConfigError('secret-too-short', `GATE_SECRET holds ${fromEnv.length} characters, expected at least 32`);
    return fromEnv;
  }
  throw new ConfigError(
    'secret-missing',
    'this command needs the HMAC secret that keys documents: set "secret" or "secretFile" in the config file (--config FILE), or the environment variable GATE_SECRET',
  );
}

/** The effective config for printing: every default filled in, secrets replaced by "***". */
export function maskedConfig(config: GateConfig): unknown {
  const mask = (v: unknown, key?: string): unknown => {
    if (key && (SECRET_KEYS as readonly string[]).includes(key) && typeof v === 'string') return '***';
    if (Array.isArray(v)) return v.map((x) => mask(x));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mask(x, k)]));
    return v;
  };
  return mask(config);
}
