// `gate cache import FILE --db PATH [--config FILE]`: replace the cache with a snapshot file, all or nothing.
import { readFileSync } from 'node:fs';
import { parseOptions, UsageError, writeJson, type Command } from '../command.js';
import { loadConfig, parseJsonc, resolveSecret } from '../../config/load.js';
import { CacheError, openDb } from '../../cache/db.js';
import { importSnapshot, parseSnapshot } from '../../cache/import.js';

export const cacheImportCommand: Command = {
  name: 'cache import',
  summary: 'replace the cache with a snapshot file (all or nothing)',
  help: `usage: gate cache import FILE [--db PATH] [--config FILE]

Loads a snapshot file {"station", "generatedAt", "passengers": [...], "tickets": [...]} (records as in
docs/design.md) into the gate's SQLite file, replacing the passengers and tickets it held. The whole file is
checked first: a bad record is reported by index and field (e.g. tickets[3].departure) and nothing is loaded.
The passage ledger is kept.

options:
  --db PATH        the gate's SQLite file (created if missing; default: the config's "db")
  --config FILE    config file: the HMAC secret ("secret"/"secretFile") and the station the snapshot must be for
  the secret may also come from the environment variable GATE_SECRET

example:
  gate cache import config/sample-snapshot.json --db /tmp/gate.db --config config/sample.json`,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, { db: { type: 'string' }, config: { type: 'string' } }, true);
    if (positionals.length !== 1) throw new UsageError('give exactly one snapshot FILE');
    const loaded = values.config !== undefined ? loadConfig(values.config) : undefined;
    const dbPath = values.db ?? loaded?.config.db;
    if (!dbPath) throw new UsageError('missing required option --db');
    const secret = resolveSecret(loaded);

    const file = positionals[0];
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new CacheError('import-invalid', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
    }
    const snapshot = parseSnapshot(parseJsonc(text, file), file);
    if (loaded && snapshot.station !== loaded.config.station) {
      throw new CacheError('import-invalid', `${file}: station: expected ${loaded.config.station} (this gate's station), got "${snapshot.station}"; nothing imported`);
    }
    const db = openDb(dbPath);
    try {
      writeJson(io, { imported: importSnapshot(db, secret, snapshot, new Date(), text), db: dbPath });
    } finally {
      db.close();
    }
    return 0;
  },
};
