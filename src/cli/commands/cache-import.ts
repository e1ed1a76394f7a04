// `gate cache import FILE --db PATH [--config FILE]`: replace the cache with a snapshot file, all or nothing.
import { readFileSync } from 'node:fs';
import { parseOptions, UsageError, writeJson, type Command } from '../command.js';
import { loadConfig, parseJsonc, resolveSecret } from '../../config/load.js';
import { CacheError, openDb } from '../../cache/db.js';
import { importSnapshot, parseSnapshot, type ImportProgress } from '../../cache/import.js';

/** Below this many records an import takes well under a second: no progress lines. */
const PROGRESS_FROM = 10_000;

/**
 * Progress on stderr (stdout stays the JSON result): on a terminal one line rewritten in place, otherwise one line
 * per 10 % so a log or a pipe shows it is moving.
 */
function progressPrinter(out: NodeJS.WritableStream, total: number): ((p: ImportProgress) => void) | undefined {
  if (total < PROGRESS_FROM) return undefined;
  const tty = (out as NodeJS.WriteStream).isTTY === true;
  let lastTenth = 0;
  return ({ done }) => {
    const pct = Math.floor((done * 100) / total);
    const text = `imported ${done} of ${total} records (${pct} %)`;
    if (tty) out.write(`\r${text}${done === total ? '\n' : ''}`);
    else if (Math.floor(pct / 10) > lastTenth || done === total) {
      lastTenth = Math.floor(pct / 10);
      out.write(`${text}\n`);
    }
  };
}

export const cacheImportCommand: Command = {
  name: 'cache import',
  summary: 'replace the cache with a snapshot file (all or nothing)',
  help: `usage: gate cache import FILE [--db PATH] [--config FILE]

Loads a snapshot file {"station", "generatedAt", "passengers": [...], "tickets": [...]} (records as in
docs/design.md and src/cache/records.ts) into the gate's SQLite file, replacing the passengers and tickets it held. The whole file is
checked first: a bad record is reported by index and field (e.g. tickets[3].departure) and nothing is loaded.
The passage ledger is kept. From 10,000 records on, progress goes to stderr (a line per 10 %; in place on a
terminal); the result is JSON on stdout.

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
    if (text.length > 1_000_000) io.stderr.write(`checking ${file} (${Math.round(text.length / 1_000_000)} MB) ...\n`);
    const snapshot = parseSnapshot(parseJsonc(text, file), file);
    if (loaded && snapshot.station !== loaded.config.station) {
      throw new CacheError(
        'import-invalid',
        `${file}: station: expected ${loaded.config.station} (this gate's station), got "${snapshot.station}"; nothing imported`,
      );
    }
    const db = openDb(dbPath);
    try {
      writeJson(io, {
        imported: importSnapshot(
          db,
          secret,
          snapshot,
          new Date(),
          text,
          progressPrinter(io.stderr, snapshot.passengers.length + snapshot.tickets.length),
        ),
        db: dbPath,
      });
    } finally {
      db.close();
    }
    return 0;
  },
};
