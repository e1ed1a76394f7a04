// The gate's durable state on its one SQLite connection, split by purpose: the event outbox, the passage ledger
// (with pending authorisations, sibling passages and cleared uses), command nonces and the station roster. The lane
// journal writes ledger and outbox in one transaction. Each consumer is handed only the part it needs.
import type { Db } from '../cache/db.js';
import type {
  AlarmEvent,
  DecisionEvent,
  LaneStore,
  NewAuthorisation,
  NewEvent,
  PassageEvent,
  PendingAuthorisation,
} from '../gate/events.js';
import type { SqlitePassageLedger } from '../ledger/passage-ledger.js';
import { sqliteLaneJournal, type LaneJournal } from '../outbox/lane-journal.js';
import type { OutboxBacklog, OutboxOptions, SqliteOutbox } from '../outbox/outbox.js';
import { SqliteCommandNonces } from '../mqtt/nonce-store.js';
import { SqliteRosterStore } from '../mqtt/roster-store.js';

export class GateStore implements LaneStore {
  readonly station: string;
  readonly gate: string;
  readonly outbox: SqliteOutbox;
  readonly ledger: SqlitePassageLedger;
  readonly journal: LaneJournal;
  readonly nonces: SqliteCommandNonces;
  readonly roster: SqliteRosterStore;

  constructor(
    /** The one connection all parts share (a caller may wrap several records in one outer transaction). */
    readonly db: Db,
    opts: OutboxOptions,
  ) {
    this.station = opts.station;
    this.gate = opts.gate;
    const lane = sqliteLaneJournal(db, opts);
    this.outbox = lane.outbox;
    this.ledger = lane.ledger;
    this.journal = lane.journal;
    this.nonces = new SqliteCommandNonces(db);
    this.roster = new SqliteRosterStore(db);
  }

  // The lane's store is the journal. These delegate to it so the daemon's wiring (the lane, its alarms) keeps
  // handing over `store` unchanged; they add nothing.
  recordDecision(e: NewEvent<DecisionEvent>, authorisation?: NewAuthorisation): DecisionEvent {
    return this.journal.recordDecision(e, authorisation);
  }

  recordPassage(e: NewEvent<PassageEvent>, authId?: number | null): { event: PassageEvent; consumed: boolean } {
    return this.journal.recordPassage(e, authId);
  }

  rememberAuthorisation(a: PendingAuthorisation): void {
    this.journal.rememberAuthorisation(a);
  }

  lastAuthId(): number | null {
    return this.journal.lastAuthId();
  }

  recordAlarm(e: NewEvent<AlarmEvent>): AlarmEvent {
    return this.journal.recordAlarm(e);
  }

  /** The outbox's backlog, for the daemon's status and its drain at shutdown. */
  backlog(): OutboxBacklog {
    return this.outbox.backlog();
  }

  pendingCount(): number {
    return this.outbox.pendingCount();
  }
}
