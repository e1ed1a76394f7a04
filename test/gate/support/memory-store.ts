// The lane's store in memory: the gate's own LaneJournal over the memory outbox and ledger (test/support/
// memory-stores.ts), held to the same contract as the SQLite one (test/outbox/lane-journal.contract.test.ts): a
// ticket is consumed at most once per (ticket, direction), every event gets an eventId and a gap-free seq, a failed
// record leaves nothing behind. `failing` makes every write throw, as a full disk would. Keep the object to simulate
// a daemon restart over the same storage.
import type {
  AlarmEvent,
  DecisionEvent,
  GateEvent,
  LaneStore,
  NewAuthorisation,
  NewEvent,
  PassageEvent,
  PendingAuthorisation,
} from '../../../src/gate/events.js';
import { memoryLaneJournal, type MemoryLedgerRow } from '../../support/memory-stores.js';

export class MemoryLaneStore implements LaneStore {
  private readonly parts = memoryLaneJournal({ station: 'TST', gate: '01' });

  /** Every event recorded, in seq order. */
  get events(): GateEvent[] {
    return this.parts.outbox.events;
  }

  /** `${ticket}|${direction}` -> the ledger row that consumed it. */
  get ledger(): ReadonlyMap<string, MemoryLedgerRow> {
    return this.parts.ledger.rows;
  }

  /** authId -> the pending authorisation (kept across a simulated restart, like the SQLite table). */
  get pending(): ReadonlyMap<number, PendingAuthorisation> {
    return this.parts.ledger.pending;
  }

  get failing(): boolean {
    return this.parts.outbox.failing;
  }

  set failing(v: boolean) {
    this.parts.outbox.failing = v;
    this.parts.ledger.failing = v;
  }

  recordDecision(e: NewEvent<DecisionEvent>, authorisation?: NewAuthorisation): DecisionEvent {
    return this.parts.journal.recordDecision(e, authorisation);
  }

  recordPassage(e: NewEvent<PassageEvent>, authId: number | null = null): { event: PassageEvent; consumed: boolean } {
    return this.parts.journal.recordPassage(e, authId);
  }

  rememberAuthorisation(a: PendingAuthorisation): void {
    this.parts.journal.rememberAuthorisation(a);
  }

  lastAuthId(): number | null {
    return this.parts.journal.lastAuthId();
  }

  recordAlarm(e: NewEvent<AlarmEvent>): AlarmEvent {
    return this.parts.journal.recordAlarm(e);
  }

  of<K extends GateEvent['kind']>(kind: K): Extract<GateEvent, { kind: K }>[] {
    return this.events.filter((e): e is Extract<GateEvent, { kind: K }> => e.kind === kind);
  }
}
