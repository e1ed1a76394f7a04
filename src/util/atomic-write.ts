// Atomic file writes: write a temp file beside the target, fsync it, rename over the target, fsync the folder.
// A power cut leaves either the old file or the new one, never half of one. `durable: false` skips both fsyncs, for
// files rewritten at every start anyway (the status file): the rename still never shows half a file to a reader.
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';

export function writeFileAtomic(path: string, data: string | Uint8Array, opts: { mode?: number; durable?: boolean } = {}): void {
  const durable = opts.durable ?? true;
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const fd = openSync(tmp, 'w', opts.mode ?? 0o640);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  if (!durable) return;
  try {
    const dfd = openSync(dirname(path), 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    /* some file systems do not allow fsync on a directory; the rename is still atomic */
  }
}
