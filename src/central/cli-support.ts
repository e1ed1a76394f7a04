// Shared pieces of the `gate central ...` commands: reading input files, connecting, publishing with progress.
import { readFileSync } from 'node:fs';
import type { CliIO } from '../cli/command.js';
import { parseJsonc } from '../config/load.js';
import { createProgress } from '../sync/progress.js';
import type { OutMessage } from './build.js';
import { connectCentral, publishAll } from './publish.js';

export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as Error).message}`);
  }
  return parseJsonc(text, path);
}

/** Publish the messages in order with QoS 1; progress (rows, rate, time left) goes to stderr. */
export async function publishWithProgress(url: string, messages: OutMessage[], label: string, io: CliIO): Promise<number> {
  const client = await connectCentral(url);
  try {
    const total = messages.reduce((a, m) => a + m.rows, 0);
    const progress = createProgress({ label, total, out: io.stderr as NodeJS.WritableStream & { isTTY?: boolean } });
    return await publishAll(client, messages, progress);
  } finally {
    await client.endAsync();
  }
}
