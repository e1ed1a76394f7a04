// Shared pieces of the `gate central ...` commands: reading input files, connecting, reading the station's retained
// head (checked by the gates' own verify code), refusing what would break the gates, publishing with progress.
import { createPublicKey, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { MqttClient } from 'mqtt';
import type { CliIO } from '../cli/command.js';
import { parseJsonc } from '../config/load.js';
import { createProgress } from '../sync/progress.js';
import { checkTopic, KeyRing, openEnvelope } from '../sync/verify.js';
import { topics, type Head, type SigningKey } from '../sync/wire.js';
import { errorLine } from '../util/gate-error.js';
import type { OutMessage } from './build.js';
import { CentralError } from './errors.js';
import { weakKeyReason } from '../util/key-strength.js';
import { connectCentral, publishAll } from './publish.js';

/**
 * The station's document key from a file (the gates' `secret`, or its successor during a rotation): every record
 * is keyed under it before it leaves central. A weak key is refused: it would let anyone test guesses offline.
 */
export function loadDocKey(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (err) {
    throw new Error(`cannot read the document key ${path}: ${(err as Error).message}`, { cause: err });
  }
  const weak = weakKeyReason(text);
  if (weak) throw new CentralError('weak-doc-key', `--doc-key-file ${path}: ${weak}`);
  return text;
}

export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseJsonc(text, path);
}

const FORCE_HINT = '(--force publishes it anyway)';

/** A delta must continue the retained head: same epoch, seq = head's seq + 1 (gates that see a gap ask for a resync). */
export function checkDeltaAgainstHead(head: Head | null, station: string, epoch: number, seq: number, docKeyId?: string): void {
  if (!head) throw new CentralError('no-head', `station ${station} has no retained head: publish a snapshot first ${FORCE_HINT}`);
  if (epoch !== head.epoch) {
    throw new CentralError(
      'epoch-mismatch',
      `--epoch ${epoch} is not the head's epoch ${head.epoch} (head ${head.epoch}/${head.seq}) ${FORCE_HINT}`,
    );
  }
  if (seq !== head.seq + 1) {
    throw new CentralError(
      'seq-not-next',
      `--seq ${seq} does not follow the head ${head.epoch}/${head.seq}: the next delta is seq ${head.seq + 1} ${FORCE_HINT}`,
    );
  }
  // An epoch is keyed under one document key: a new key starts a new epoch (a snapshot), never a delta.
  if (docKeyId !== undefined && docKeyId !== head.docKeyId) {
    throw new CentralError(
      'doc-key-changed',
      `the delta is keyed under document key ${docKeyId}, epoch ${head.epoch} under ${head.docKeyId}: publish a snapshot to change keys ${FORCE_HINT}`,
    );
  }
}

/** A snapshot must start a newer epoch than the retained head's: gates ignore an older one and would keep old data. */
export function checkSnapshotAgainstHead(head: Head | null, epoch: number): void {
  if (head && epoch <= head.epoch) {
    throw new CentralError(
      'epoch-not-newer',
      `--epoch ${epoch} is not newer than the head's epoch ${head.epoch} (head ${head.epoch}/${head.seq}) ${FORCE_HINT}`,
    );
  }
}

/**
 * The station's retained head as a gate would take it (signature checked with this signing key's public half,
 * through src/sync/verify.ts), or null when none is retained. A head signed by another key, or one that does not
 * verify, is refused: this key is likely not the one the station's gates trust.
 */
export async function readRetainedHead(client: MqttClient, station: string, key: SigningKey): Promise<Head | null> {
  const headTopic = topics.head(station);
  // The broker sends a retained message on subscribe, before anything published to us later on the same
  // connection: once our own probe comes back, the head has come if there is one.
  const probeTopic = `central-tools/v1/probe/${randomBytes(8).toString('hex')}`;
  let payload = null as Buffer | null;
  let probed!: () => void;
  const probeBack = new Promise<void>((r) => (probed = r));
  const listener = (topic: string, p: Buffer) => {
    if (topic === headTopic && p.length > 0) payload = p;
    if (topic === probeTopic) probed();
  };
  client.on('message', listener);
  try {
    await client.subscribeAsync(headTopic, { qos: 1 });
    await client.subscribeAsync(probeTopic, { qos: 1 });
    await client.publishAsync(probeTopic, 'probe', { qos: 1 });
    await withTimeout(probeBack, 10_000, 'the broker did not echo the probe within 10 s');
  } finally {
    client.off('message', listener);
    await client.unsubscribeAsync([headTopic, probeTopic]).catch(() => undefined);
  }
  if (payload === null) return null;
  const keyRing = new KeyRing([createPublicKey(key.privateKey)]);
  try {
    const signed = openEnvelope(payload, keyRing, 'head');
    checkTopic({ kind: 'head', station }, signed, station);
    if (signed.type !== 'head') throw new Error(`a ${signed.type} on the head topic`);
    return signed;
  } catch (err) {
    throw new CentralError(
      'head-unverified',
      `the retained head of ${station} does not verify with key ${key.keyId}: ${errorLine(err)} ${FORCE_HINT}`,
    );
  }
}

function withTimeout(p: Promise<void>, ms: number, message: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Checks against the retained head before publishing; `force` skips them (the operator says so, and is told). */
export interface HeadGuard {
  station: string;
  key: SigningKey;
  force: boolean;
  check(head: Head | null): void;
}

/** Publish the messages in order with QoS 1; progress (rows, rate, time left) goes to stderr. */
export async function publishWithProgress(
  url: string,
  messages: OutMessage[],
  label: string,
  io: CliIO,
  guard?: HeadGuard,
): Promise<number> {
  const client = await connectCentral(url);
  try {
    if (guard?.force) io.stderr.write(`${label}: --force: not checked against the retained head\n`);
    else if (guard) guard.check(await readRetainedHead(client, guard.station, guard.key));
    const total = messages.reduce((a, m) => a + m.rows, 0);
    const progress = createProgress({ label, total, out: io.stderr });
    return await publishAll(client, messages, progress);
  } finally {
    await client.endAsync();
  }
}
