// What `gate run` would refuse, or could never make work, beyond the schema: a config that passes these has every
// part the daemon needs. `gate config check`, `gate doctor` and `gate run` all ask this one function, so a check can
// never pass a config the daemon then refuses. Each problem is one line that starts with the key to change.
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError, resolveNextSecret, resolveSecret, type LoadedConfig } from './load.js';
import { isLogLevel, unknownLevelLine } from '../util/log.js';
import { keyIdOf, parsePublicKey } from '../util/signing.js';

type DeviceAddress = { path?: string; vendorId?: string; productId?: string };

function addressProblem(key: string, d: DeviceAddress): string | null {
  if (d.path) return null;
  if (d.vendorId && d.productId) return null;
  if (d.vendorId || d.productId)
    return `${key}.${d.vendorId ? 'productId' : 'vendorId'}: expected the other USB id too (gate ports lists them), got nothing`;
  return `${key}.path: expected a device path (or ${key}.vendorId and ${key}.productId; gate ports lists them), got nothing`;
}

function folderProblem(key: string, file: string | undefined): string | null {
  if (file === undefined) return null;
  const dir = dirname(file);
  return existsSync(dir) ? null : `${key}: the folder ${dir} does not exist: create it or change the path`;
}

function readableProblem(key: string, value: string | undefined): string | null {
  if (value === undefined || value.includes('-----BEGIN')) return null;
  try {
    accessSync(value, constants.R_OK);
    return null;
  } catch (err) {
    return `${key}: cannot read ${value}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
}

/** Every reason `gate run` would refuse this config, or run without a working part; [] when it can run. */
export function runProblems(loaded: LoadedConfig, env: NodeJS.ProcessEnv = process.env): string[] {
  const c = loaded.config;
  const out: (string | null)[] = [];
  if (!c.gate) out.push('gate: expected a gate id such as "03" (gate run needs one), got nothing');
  try {
    resolveSecret(loaded, env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    out.push(err.message);
  }
  try {
    resolveNextSecret(loaded);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    out.push(err.message);
  }
  const envLevel = env.GATE_LOG_LEVEL;
  if (envLevel !== undefined && !isLogLevel(envLevel)) out.push(unknownLevelLine('GATE_LOG_LEVEL (environment)', envLevel));
  if (!c.bridge.enabled) out.push('bridge.enabled: expected true (the gate cannot open its turnstile without the MCU), got false');
  else out.push(addressProblem('bridge.port', c.bridge.port), folderProblem('bridge.port.recordTo', c.bridge.port.recordTo));
  const d = c.devices;
  for (const [name, dev] of [
    ['idcard', d.idcard],
    ['mrzSerial', d.mrzSerial],
    ['mrzHid', d.mrzHid],
  ] as const) {
    if (!dev.enabled) continue;
    out.push(addressProblem(`devices.${name}`, dev), folderProblem(`devices.${name}.recordTo`, dev.recordTo));
  }
  out.push(folderProblem('db', c.db));
  if (c.face.enabled) out.push(folderProblem('face.endpoint', c.face.endpoint));
  if (c.sync.enabled && !c.mqtt.enabled)
    out.push('sync.enabled: sync needs mqtt.enabled true (central sends the cache over MQTT), got mqtt.enabled false');
  if (c.mqtt.enabled && c.mqtt.tls) {
    out.push(
      readableProblem('mqtt.tls.ca', c.mqtt.tls.ca),
      readableProblem('mqtt.tls.cert', c.mqtt.tls.cert),
      readableProblem('mqtt.tls.key', c.mqtt.tls.key),
    );
  }
  out.push(...keyProblems(c.mqtt.centralPublicKeys, c.sync.centralPublicKeys));
  if (c.console.enabled && c.console.users.length === 0)
    out.push(
      'console.users: expected at least one technician (name and passwordHash from gate console hash-password) when console.enabled, got none',
    );
  if (c.console.enabled && c.console.tls)
    out.push(readableProblem('console.tls.cert', c.console.tls.cert), readableProblem('console.tls.key', c.console.tls.key));
  return out.filter((p): p is string => p !== null);
}

/**
 * Central's keys: each an Ed25519 public key, and the command key never one of the sync keys. A key in both lists
 * would let whoever holds the sync key (more systems: it signs every data batch) also move the turnstile.
 */
function keyProblems(commandKeys: readonly string[], syncKeys: readonly string[]): string[] {
  const out: string[] = [];
  const ids = (key: string, list: readonly string[]) =>
    list.map((text, i) => {
      try {
        const k = parsePublicKey(text);
        if (k.asymmetricKeyType !== 'ed25519') throw new Error(`a ${k.asymmetricKeyType} key`);
        return keyIdOf(k);
      } catch (err) {
        out.push(`${key}[${i}]: expected an Ed25519 public key (PEM or base64 SPKI DER), got ${(err as Error).message.split('\n')[0]}`);
        return null;
      }
    });
  const command = ids('mqtt.centralPublicKeys', commandKeys);
  const sync = ids('sync.centralPublicKeys', syncKeys);
  command.forEach((id, i) => {
    const j = id === null ? -1 : sync.indexOf(id);
    if (j >= 0)
      out.push(
        `mqtt.centralPublicKeys[${i}]: the same key as sync.centralPublicKeys[${j}]; central's command key must be a key of its own (gate central keygen makes one)`,
      );
  });
  return out;
}

/** Throws ConfigError `not-runnable` with one line per problem (what `gate run` prints before it stops). */
export function assertRunnable(loaded: LoadedConfig, env: NodeJS.ProcessEnv = process.env): void {
  const problems = runProblems(loaded, env);
  if (problems.length) {
    throw new ConfigError(
      'not-runnable',
      `${loaded.path}: ${problems.length} problem${problems.length === 1 ? '' : 's'} gate run refuses`,
      problems,
    );
  }
}
