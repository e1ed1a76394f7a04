// `gate cache clear`: empty the cache (passengers, tickets, sync position, the secret it was keyed with) and keep
// the ledger and the outbox. The way out of a cache filled under another secret, which stops `gate run`.
import { existsSync } from 'node:fs';
import { parseOptions, UsageError, writeJson, type Command } from '../command.js';
import { loadConfig } from '../../config/load.js';
import { CacheError, openDb } from '../../cache/db.js';
import { clearCacheKeepLedger } from '../../cache/clear.js';
import { readStatusFile } from '../status-file.js';

export const cacheClearCommand: Command = {
  name: 'cache clear',
  summary: 'empty the cache (keeps the passage ledger and the outbox)',
  help: `usage: gate cache clear --config FILE --yes [--db PATH]

Removes the cached passengers and tickets, the sync position and the fingerprint of the HMAC secret the cache was
filled with. Keeps the passage ledger (no ticket can be used twice) and the event outbox (nothing central has not
received is lost). Use it when the gate refuses to start because the cache was filled with another secret, then
let sync load a fresh snapshot (it asks for one at start) or run gate cache import.
Stop the gate first (systemctl stop gate): it refuses while the daemon runs. Prints what it removed as JSON.

options:
  --config FILE   the gate's config (the database path)
  --db PATH       the SQLite file, instead of the config's "db"
  --yes           required: the cache is gone until sync or an import fills it again

example:
  sudo systemctl stop gate && gate cache clear --config /etc/gate/gate.json --yes`,
  async run(args, io) {
    const { values } = parseOptions(args, { config: { type: 'string' }, db: { type: 'string' }, yes: { type: 'boolean' } });
    const loaded = values.config !== undefined ? loadConfig(values.config) : undefined;
    const dbPath = values.db ?? loaded?.config.db;
    if (!dbPath) throw new UsageError('missing required option --config (or --db)');
    if (!values.yes) throw new UsageError('this empties the cache: add --yes to confirm (the ledger and the outbox are kept)');
    if (!existsSync(dbPath)) throw new CacheError('open-failed', `no database at ${dbPath}: nothing to clear`);
    if (loaded) {
      const status = readStatusFile(loaded.config);
      if (status.kind === 'found' && status.running) {
        io.stderr.write(`gate cache clear: the gate is running (pid ${status.status.pid}): stop it first (systemctl stop gate)\n`);
        return 1;
      }
    }
    const db = openDb(dbPath);
    try {
      writeJson(io, { cleared: clearCacheKeepLedger(db), db: dbPath });
    } finally {
      db.close();
    }
    return 0;
  },
};
