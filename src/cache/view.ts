// The read side of the cache: the few queries a decision needs, behind an interface so that the decision core
// stays pure (tests hand it an in-memory view) and the lane hands it SQLite. Statements are prepared once.
import type { Statement } from 'better-sqlite3';
import type { Db } from './db.js';
import type { Fare, TicketStatus } from './records.js';
import type { Direction } from '../decide/reasons.js';
import type { DocumentIdentity, IdentityKind } from '../identity/document.js';
import { keyerFor, type Keyer } from './keyed.js';
import { SECRET_CHECK_KEY, secretMatches } from './write.js';

export interface CachedPassenger {
  docKey: string;
  kind: IdentityKind;
  status: 'verified' | 'pending' | 'rejected';
  /** HMAC of the birth date bound to the document (src/cache/keyed.ts); the date itself is never stored. */
  birthKey: string | null;
}

export interface CachedTicket {
  id: string;
  docKey: string;
  train: string;
  date: string;
  from: string;
  to: string;
  departure: string;
  arrival: string;
  departureMs: number;
  arrivalMs: number;
  car: string;
  seat: string;
  status: TicketStatus;
  /** Issue 17; absent: an adult ticket. */
  fare?: Fare;
  /** Student tickets: this year's concession check is done. */
  concessionVerified?: boolean;
  /** Student tickets: the registered home-school journey. */
  registeredJourney?: { from: string; to: string };
  /** The stations the ticket's train calls at, in order. */
  calls?: string[];
}

export interface LedgerUse {
  direction: Direction;
  station: string;
  gate: string;
  atMs: number;
  source: 'local' | 'sibling' | 'central';
}

export interface SyncState {
  station: string;
  epoch: string;
  seq: number;
  generatedAt: string;
  generatedAtMs: number;
  appliedAt: string;
}

export interface CacheView {
  /** The HMAC key of a document identity (the view holds the secret; the decision never sees it). */
  keyOf(identity: DocumentIdentity): string;
  /** The keyed birth value of a document's birth date (YYYY-MM-DD), to compare with the passenger's birthKey. */
  birthKeyOf(docKey: string, birthDate: string): string;
  passenger(docKey: string): CachedPassenger | undefined;
  /** Every ticket held by any of these document keys. */
  tickets(docKeys: readonly string[]): CachedTicket[];
  /** Ledger rows of a ticket: the directions in which it was already consumed, here or at a sibling gate. */
  ledgerUses(ticketId: string): LedgerUse[];
  syncState(): SyncState | undefined;
}

interface PassengerRow {
  doc_key: string;
  kind: IdentityKind;
  status: CachedPassenger['status'];
  birth_key: string | null;
}

interface TicketRow {
  id: string;
  doc_key: string;
  train: string;
  date: string;
  from_station: string;
  to_station: string;
  departure: string;
  arrival: string;
  departure_ms: number;
  arrival_ms: number;
  car: string;
  seat: string;
  status: TicketStatus;
  fare: Fare;
  concession_verified: 0 | 1 | null;
  journey_from: string | null;
  journey_to: string | null;
  calls: string | null;
}

interface LedgerRow {
  direction: Direction;
  station: string;
  gate: string;
  at_ms: number;
  source: LedgerUse['source'];
}

interface SyncRow {
  station: string;
  epoch: string;
  seq: number;
  generated_at: string;
  applied_at: string;
}

function toTicket(r: TicketRow): CachedTicket {
  return {
    id: r.id,
    docKey: r.doc_key,
    train: r.train,
    date: r.date,
    from: r.from_station,
    to: r.to_station,
    departure: r.departure,
    arrival: r.arrival,
    departureMs: r.departure_ms,
    arrivalMs: r.arrival_ms,
    car: r.car,
    seat: r.seat,
    status: r.status,
    // Only what central sent: an adult ticket reads back as it always did.
    ...(r.fare !== 'adult' ? { fare: r.fare } : {}),
    ...(r.concession_verified !== null ? { concessionVerified: r.concession_verified === 1 } : {}),
    ...(r.journey_from !== null && r.journey_to !== null ? { registeredJourney: { from: r.journey_from, to: r.journey_to } } : {}),
    ...(r.calls !== null ? { calls: r.calls.split(' ') } : {}),
  };
}

/** A CacheView over the gate's SQLite file. */
export class SqliteCacheView implements CacheView {
  private readonly passengerStmt: Statement;
  private readonly ticketsStmt: Statement;
  private readonly tickets2Stmt: Statement;
  private readonly ledgerStmt: Statement;
  private readonly syncStmt: Statement;

  /** The gate's keys (current, then next during a rotation), each bound once: re-importing a key per call is wasted work. */
  private readonly keyers: Keyer[];
  private readonly secrets: (string | Buffer)[];
  private readonly metaStmt: Statement;
  /** The cache's key verifier last seen, and which keyer it names (scrypt runs once per change of key). */
  private bound: { verifier: string | undefined; keyer: Keyer } | null = null;

  /** `secret` may list the next key too: documents are keyed under whichever the loaded cache was built with. */
  constructor(
    private readonly db: Db,
    secret: string | Buffer | readonly (string | Buffer)[],
  ) {
    this.secrets = typeof secret === 'string' || Buffer.isBuffer(secret) ? [secret] : [...secret];
    this.keyers = this.secrets.map((s) => keyerFor(s));
    this.metaStmt = db.prepare('SELECT value FROM meta WHERE key = ?').pluck();
    this.passengerStmt = db.prepare('SELECT doc_key, kind, status, birth_key FROM passengers WHERE doc_key = ?');
    const cols =
      'id, doc_key, train, date, from_station, to_station, departure, arrival, departure_ms, arrival_ms, car, seat, status, fare, concession_verified, journey_from, journey_to, calls';
    this.ticketsStmt = db.prepare(`SELECT ${cols} FROM tickets WHERE doc_key = ?`);
    // A 2023 PR card has two identities; one statement with two probes of the index beats two round trips.
    this.tickets2Stmt = db.prepare(`SELECT ${cols} FROM tickets WHERE doc_key IN (?, ?)`);
    this.ledgerStmt = db.prepare('SELECT direction, station, gate, at_ms, source FROM ledger WHERE ticket_id = ?');
    this.syncStmt = db.prepare('SELECT station, epoch, seq, generated_at, applied_at FROM sync_state WHERE id = 1');
  }

  /** The keyer of the key the cache is bound to (the current key when the cache is bound to none of ours). */
  private keyer(): Keyer {
    // One key (no rotation under way): nothing to choose, and no meta lookup on the decision path.
    if (this.keyers.length === 1) return this.keyers[0];
    const verifier = this.metaStmt.get(SECRET_CHECK_KEY) as string | undefined;
    if (this.bound && this.bound.verifier === verifier) return this.bound.keyer;
    const i = verifier === undefined || this.keyers.length === 1 ? 0 : this.secrets.findIndex((s) => secretMatches(verifier, s));
    this.bound = { verifier, keyer: this.keyers[Math.max(0, i)] };
    return this.bound.keyer;
  }

  keyOf(identity: DocumentIdentity): string {
    return this.keyer().docKey(identity);
  }

  birthKeyOf(docKey: string, birthDate: string): string {
    return this.keyer().birthKey(docKey, birthDate);
  }

  passenger(docKey: string): CachedPassenger | undefined {
    const r = this.passengerStmt.get(docKey) as PassengerRow | undefined;
    return r && { docKey: r.doc_key, kind: r.kind, status: r.status, birthKey: r.birth_key };
  }

  tickets(docKeys: readonly string[]): CachedTicket[] {
    if (docKeys.length === 0) return [];
    if (docKeys.length === 1) return (this.ticketsStmt.all(docKeys[0]) as TicketRow[]).map(toTicket);
    if (docKeys.length === 2) return (this.tickets2Stmt.all(docKeys[0], docKeys[1]) as TicketRow[]).map(toTicket);
    return docKeys.flatMap((k) => (this.ticketsStmt.all(k) as TicketRow[]).map(toTicket));
  }

  ledgerUses(ticketId: string): LedgerUse[] {
    return (this.ledgerStmt.all(ticketId) as LedgerRow[]).map((r) => ({
      direction: r.direction,
      station: r.station,
      gate: r.gate,
      atMs: r.at_ms,
      source: r.source,
    }));
  }

  syncState(): SyncState | undefined {
    const r = this.syncStmt.get() as SyncRow | undefined;
    return (
      r && {
        station: r.station,
        epoch: r.epoch,
        seq: r.seq,
        generatedAt: r.generated_at,
        generatedAtMs: Date.parse(r.generated_at),
        appliedAt: r.applied_at,
      }
    );
  }
}

export interface CacheCounts {
  passengers: number;
  tickets: number;
  ledger: number;
}

export function cacheCounts(db: Db): CacheCounts {
  const count = (table: string) => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
  return { passengers: count('passengers'), tickets: count('tickets'), ledger: count('ledger') };
}
