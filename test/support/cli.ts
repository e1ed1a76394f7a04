// Run the `gate` CLI in-process with captured output, as the CLI tests do.
import { PassThrough, Readable } from 'node:stream';
import { main } from '../../src/cli/main.js';

export async function runGate(args: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const code = await main(args, { stdout, stderr, stdin: Readable.from([Buffer.from(stdin)]) });
  return { code, out, err };
}
