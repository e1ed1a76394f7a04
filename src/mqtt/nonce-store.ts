// Nonces of the central commands this gate accepted, kept in the gate's file so a restart does not reopen the replay
// window. The newest issuedAt is the high-water mark: a command older than it minus the skew is refused as stale
// whatever the clock does, so nonces far below it can go and the newest one always stays (it is the mark).
import type { Statement } from 'better-sqlite3';
import type { Db } from '../cache/db.js';
import { sqliteFailureLine, sqliteWrite } from '../cache/sqlite-failure.js';
import { MqttError } from './errors.js';

export interface CommandNonces {
  seen(nonce: string): boolean;
  /** Remember an authorised command's nonce; false when it was already there (a replay). */
  remember(nonce: string, issuedMs: number, nowMs: number): boolean;
  /** The newest issuedAt of any command accepted (ms), or null: survives restarts and clock steps. */
  highWater(): number | null;
  /** Forget nonces of commands issued before `beforeMs` (the caller keeps it below the high-water mark). */
  pruneBefore(beforeMs: number): number;
}

export class SqliteCommandNonces implements CommandNonces {
  private readonly s: Record<'seen' | 'add' | 'prune' | 'highWater', Statement>;

  constructor(private readonly db: Db) {
    this.s = {
      seen: db.prepare('SELECT 1 FROM command_nonces WHERE nonce = ?'),
      add: db.prepare('INSERT INTO command_nonces (nonce, issued_ms, seen_ms) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
      prune: db.prepare('DELETE FROM command_nonces WHERE issued_ms < ?'),
      highWater: db.prepare('SELECT max(issued_ms) FROM command_nonces').pluck(),
    };
  }

  seen(nonce: string): boolean {
    return this.s.seen.get(nonce) !== undefined;
  }

  remember(nonce: string, issuedMs: number, nowMs: number): boolean {
    return this.write('remember nonce', () => this.s.add.run(nonce, issuedMs, nowMs).changes === 1);
  }

  highWater(): number | null {
    return (this.s.highWater.get() as number | null | undefined) ?? null;
  }

  pruneBefore(beforeMs: number): number {
    return this.write('prune nonces', () => this.s.prune.run(beforeMs).changes);
  }

  private write<T>(what: string, fn: () => T): T {
    return sqliteWrite(this.db, fn, (err) => new MqttError('store-failed', sqliteFailureLine(err, what), { cause: err }));
  }
}
