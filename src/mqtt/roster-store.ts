// The station roster (central's signed list of the gates and their passage keys) as last taken, and the smallest
// version central's signed head has vouched for: kept in the gate's file so a restart refuses the same forgeries.
// The roster's bytes are stored as signed and verified again when read.
import type { Statement } from 'better-sqlite3';
import type { Db } from '../cache/db.js';
import { sqliteFailureLine, sqliteWrite } from '../cache/sqlite-failure.js';
import { MqttError } from './errors.js';

const ROSTER_META_KEY = 'station-roster';
const ROSTER_MIN_META_KEY = 'station-roster-min-version';

export interface RosterStore {
  /** The roster message last taken (its signed bytes), or null. */
  saved(): Buffer | null;
  save(bytes: Uint8Array): void;
  /** The smallest roster version central's signed head has vouched for (0: none yet). */
  minVersion(): number;
  saveMinVersion(version: number): void;
}

export class SqliteRosterStore implements RosterStore {
  private readonly get: Statement;
  private readonly set: Statement;

  constructor(private readonly db: Db) {
    this.get = db.prepare('SELECT value FROM meta WHERE key = ?').pluck();
    this.set = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  }

  saved(): Buffer | null {
    const v = this.get.get(ROSTER_META_KEY) as string | undefined;
    return v === undefined ? null : Buffer.from(v, 'base64');
  }

  save(bytes: Uint8Array): void {
    this.write('save roster', () => this.set.run(ROSTER_META_KEY, Buffer.from(bytes).toString('base64')));
  }

  minVersion(): number {
    return Number(this.get.get(ROSTER_MIN_META_KEY) ?? 0);
  }

  saveMinVersion(version: number): void {
    this.write('save roster minimum', () => this.set.run(ROSTER_MIN_META_KEY, String(version)));
  }

  private write(what: string, fn: () => unknown): void {
    sqliteWrite(this.db, fn, (err) => new MqttError('store-failed', sqliteFailureLine(err, what), { cause: err }));
  }
}
