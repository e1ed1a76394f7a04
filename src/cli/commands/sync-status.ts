// `gate sync status --db PATH`: where the gate's cache stands in central's stream.
import { parseOptions, UsageError, writeJson, type Command } from '../command.js';
import { openReadOnly } from '../../cache/read-only.js';
import { loadConfig } from '../../config/load.js';
import { readSyncStatus } from '../../sync/status.js';

export const syncStatusCommand: Command = {
  name: 'sync status',
  summary: "show the cache's sync position, central's head, snapshot progress, resyncs and refused batches",
  help: `usage: gate sync status [--db PATH] [--config FILE]

Prints, as JSON: the (epoch, seq) the cache holds and when central generated it (the cache's age runs from it),
the newest head central announced and how many deltas the cache trails it by, a snapshot being loaded
(chunks received of all), the last resync request (reason, time, count) and the last refused batch (error
code such as bad-signature or hash-mismatch, time, count). Reads the file; safe while the daemon runs.

example:
  gate sync status --db /var/lib/gate/gate.db`,
  async run(args, io) {
    const { values } = parseOptions(args, { db: { type: 'string' }, config: { type: 'string' } });
    const dbPath = values.db ?? (values.config !== undefined ? loadConfig(values.config).config.db : undefined);
    if (!dbPath) throw new UsageError('missing required option --db');
    const db = openReadOnly(dbPath);
    try {
      writeJson(io, readSyncStatus(db));
    } finally {
      db.close();
    }
    return 0;
  },
};
