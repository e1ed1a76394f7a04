// The lane's durable record (the LaneStore the lane loop writes through): every decision, passage and alarm goes
// into the outbox in the same transaction as the ledger change it reports. On SQLite each call returns only after
// COMMIT (synchronous=FULL, set by openDb), so what the lane counts as done survives a crash or power loss, and a
// failure rolls back the ledger and the outbox together: no ticket is taken without its event, no event without it.
// The logic is written once over the parts' interfaces; the tests' memory journal runs the same code.
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
import { SqlitePassageLedger, type LaneLedger } from '../ledger/passage-ledger.js';
import { GateError } from '../util/gate-error.js';
import { SqliteOutbox, toOutboxError, type OutboxAppend, type OutboxOptions } from './outbox.js';

/** Runs `fn` as one all-or-nothing unit; a failure is thrown as a GateError naming `what`. */
export type Transact = <T>(what: string, fn: () => T) => T;

export interface LaneJournalParts {
  outbox: OutboxAppend;
  ledger: LaneLedger;
  transact: Transact;
}

export class LaneJournal implements LaneStore {
  constructor(private readonly p: LaneJournalParts) {}

  recordDecision(e: NewEvent<DecisionEvent>, authorisation?: NewAuthorisation): DecisionEvent {
    return this.p.transact('record decision', () => {
      const event = this.p.outbox.append(e);
      if (authorisation) this.p.ledger.rememberAuthorisation({ ...authorisation, decisionEventId: event.eventId });
      return event;
    });
  }

  recordPassage(e: NewEvent<PassageEvent>, authId: number | null = null): { event: PassageEvent; consumed: boolean } {
    return this.p.transact('record passage', () => {
      if (authId) {
        const pending = this.p.ledger.takeAuthorisation(authId);
        // A 'passed' the lane could not attribute (the authorisation was given before a restart) takes its ticket here.
        if (pending && e.outcome === 'passed' && e.ticketId === null) {
          e = { ...e, ticketId: pending.ticketId, docKey: pending.docKey, decisionEventId: pending.decisionEventId };
        }
      }
      const event = this.p.outbox.append(e);
      let consumed = false;
      if (event.outcome === 'passed' && event.ticketId !== null) {
        consumed = this.p.ledger.consume({
          ticketId: event.ticketId,
          direction: event.direction,
          atMs: Date.parse(event.at),
          eventId: event.eventId,
        });
      }
      return { event, consumed };
    });
  }

  rememberAuthorisation(a: PendingAuthorisation): void {
    this.p.transact('remember authorisation', () => this.p.ledger.rememberAuthorisation(a));
  }

  lastAuthId(): number | null {
    return this.p.ledger.lastAuthId();
  }

  recordAlarm(e: NewEvent<AlarmEvent>): AlarmEvent {
    return this.p.transact('record alarm', () => this.p.outbox.append(e));
  }
}

/** One IMMEDIATE transaction on the gate's file; a failure of either part arrives as that part's error, others as OutboxError. */
export function sqliteTransact(db: Db): Transact {
  return (what, fn) => {
    try {
      return db.transaction(fn).immediate();
    } catch (err) {
      throw err instanceof GateError ? err : toOutboxError(err, what);
    }
  };
}

/** The lane journal over the gate's SQLite file: outbox and ledger on one connection, one transaction per record. */
export function sqliteLaneJournal(
  db: Db,
  opts: OutboxOptions,
): { journal: LaneJournal; outbox: SqliteOutbox; ledger: SqlitePassageLedger } {
  const outbox = new SqliteOutbox(db, opts);
  const ledger = new SqlitePassageLedger(db, { station: opts.station, gate: opts.gate });
  return { journal: new LaneJournal({ outbox, ledger, transact: sqliteTransact(db) }), outbox, ledger };
}
