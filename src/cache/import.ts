// Loading a snapshot file {station, generatedAt, passengers[], tickets[]}: validated completely first, then
// written in one transaction that replaces the cache, so a bad record leaves the previous cache untouched.
import { createHash } from 'node:crypto';
import { snapshotFileSchema, type SnapshotFile } from './records.js';
import { CacheError, type Db } from './db.js';
import { bindSecret, clearCache, setSyncState, upsertPassengers, upsertTickets, withTicketIndexDeferred } from './write.js';
import { keyPassenger, keyTicket, keyerFor } from './keyed.js';
import { formatIssues } from '../config/issues.js';
import { canonicalIdentity } from '../identity/document-key.js';

/** How many problem lines an error carries; the rest are counted. */
const MAX_PROBLEMS = 20;

export type SnapshotCheck = { ok: true; snapshot: SnapshotFile } | { ok: false; problems: string[] };

/** Structure (zod) and then consistency: unique ticket ids and identities, arrival after departure. */
export function checkSnapshot(input: unknown): SnapshotCheck {
  const r = snapshotFileSchema.safeParse(input);
  if (!r.success) return { ok: false, problems: formatIssues(r.error.issues, input) };
  const snap = r.data;
  const problems: string[] = [];
  const seenPassengers = new Map<string, number>();
  snap.passengers.forEach((p, i) => {
    const key = canonicalIdentity(p);
    const first = seenPassengers.get(key);
    if (first !== undefined)
      problems.push(`passengers[${i}]: expected one record per document, got the same document as passengers[${first}]`);
    else seenPassengers.set(key, i);
  });
  const seenTickets = new Map<string, number>();
  snap.tickets.forEach((t, i) => {
    const first = seenTickets.get(t.id);
    if (first !== undefined) problems.push(`tickets[${i}].id: expected a unique id, got ${JSON.stringify(t.id)} as in tickets[${first}]`);
    else seenTickets.set(t.id, i);
    if (Date.parse(t.arrival) < Date.parse(t.departure)) {
      problems.push(`tickets[${i}].arrival: expected a time not before departure ${t.departure}, got ${JSON.stringify(t.arrival)}`);
    }
  });
  return problems.length ? { ok: false, problems } : { ok: true, snapshot: snap };
}

/** Throws CacheError `import-invalid` with one line per problem (the first MAX_PROBLEMS of them). */
export function parseSnapshot(input: unknown, source: string): SnapshotFile {
  const check = checkSnapshot(input);
  if (check.ok) return check.snapshot;
  const shown = check.problems.slice(0, MAX_PROBLEMS);
  const more = check.problems.length - shown.length;
  const lines = more > 0 ? [...shown, `... and ${more} more`] : shown;
  throw new CacheError(
    'import-invalid',
    `${source}: ${check.problems.length} bad record${check.problems.length === 1 ? '' : 's'}, nothing imported\n${lines.map((l) => `  ${l}`).join('\n')}`,
  );
}

export interface ImportResult {
  station: string;
  generatedAt: string;
  passengers: number;
  tickets: number;
  epoch: string;
}

export interface ImportProgress {
  /** Records written so far (passengers first, then tickets) and in all. */
  done: number;
  total: number;
}

/** How often progress is reported: often enough for a line every few percent of a 150k-row file, cheap per row. */
const PROGRESS_EVERY = 5000;

function* counted<T>(items: readonly T[], offset: number, total: number, onProgress?: (p: ImportProgress) => void): Generator<T> {
  for (let i = 0; i < items.length; i++) {
    yield items[i];
    const done = offset + i + 1;
    if (onProgress && (done % PROGRESS_EVERY === 0 || done === total)) onProgress({ done, total });
  }
}

function* mapped<T, U>(items: Iterable<T>, f: (t: T) => U): Generator<U> {
  for (const t of items) yield f(t);
}

/** Replace the cache's passengers and tickets with the snapshot's, in one transaction. */
export function importSnapshot(
  db: Db,
  secret: string | Buffer,
  snap: SnapshotFile,
  appliedAt: Date,
  fileText?: string,
  onProgress?: (p: ImportProgress) => void,
): ImportResult {
  // A file import has no central epoch; a digest of the file names it, so `cache stats` tells two imports apart.
  const digest = createHash('sha256')
    .update(fileText ?? JSON.stringify(snap))
    .digest('hex')
    .slice(0, 16);
  const epoch = `import:${digest}`;
  return db
    .transaction(() => {
      clearCache(db);
      bindSecret(db, secret);
      // Keyed by the same function central's build uses (src/cache/keyed.ts): a file import and a sync agree row for row.
      const k = keyerFor(secret);
      const total = snap.passengers.length + snap.tickets.length;
      const passengers = upsertPassengers(
        db,
        mapped(counted(snap.passengers, 0, total, onProgress), (p) => keyPassenger(k, p)),
      );
      const tickets = withTicketIndexDeferred(db, () =>
        upsertTickets(
          db,
          mapped(counted(snap.tickets, snap.passengers.length, total, onProgress), (t) => keyTicket(k, t)),
        ),
      );
      setSyncState(db, { station: snap.station, epoch, seq: 0, generatedAt: snap.generatedAt, appliedAt: appliedAt.toISOString() });
      return { station: snap.station, generatedAt: snap.generatedAt, passengers, tickets, epoch };
      // IMMEDIATE: the write lock up front, waited for (busy_timeout) while a running daemon commits.
    })
    .immediate();
}
