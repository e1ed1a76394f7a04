// An in-memory LaneStore that enforces what the SQLite one does: a ticket is consumed at most once per
// (ticket, direction), every event gets an eventId and a gap-free seq. `failing` makes every write throw, as a full
// disk would. Keep the object to simulate a daemon restart over the same storage.
import { randomUUID } from 'node:crypto';
import type { AlarmEvent, DecisionEvent, LaneStore, NewEvent, PassageEvent, GateEvent, PendingAuthorisation } from '../../../src/gate/events.js';
import { OutboxError } from '../../../src/outbox/store.js';

export class MemoryLaneStore implements LaneStore {
  readonly events: GateEvent[] = [];
  /** (ticket|direction) -> eventId of the passage that consumed it. */
  readonly ledger = new Map<string, string>();
  failing = false;

  private envelope() {
    if (this.failing) throw new OutboxError('disk-full', 'database or disk is full');
    return { eventId: randomUUID(), seq: this.events.length + 1, station: 'TST', gate: '01' };
  }

  recordDecision(e: NewEvent<DecisionEvent>): DecisionEvent {
    const ev = { ...this.envelope(), ...e };
    this.events.push(ev);
    return ev;
  }

  /** authId -> the pending authorisation (kept across a simulated restart, like the SQLite table). */
  readonly pending = new Map<number, PendingAuthorisation>();

  rememberAuthorisation(a: PendingAuthorisation): void {
    this.envelope();
    this.pending.set(a.authId, a);
  }

  lastAuthId(): number | null {
    return [...this.pending.values()].at(-1)?.authId ?? null;
  }

  recordPassage(e: NewEvent<PassageEvent>, authId: number | null = null): { event: PassageEvent; consumed: boolean } {
    const p = authId ? this.pending.get(authId) : undefined;
    if (p && e.outcome === 'passed' && e.ticketId === null) e = { ...e, ticketId: p.ticketId, docKey: p.docKey, decisionEventId: p.decisionEventId };
    const ev = { ...this.envelope(), ...e };
    if (authId) this.pending.delete(authId);
    this.events.push(ev);
    let consumed = false;
    if (ev.outcome === 'passed' && ev.ticketId) {
      const key = `${ev.ticketId}|${ev.direction}`;
      if (!this.ledger.has(key)) {
        this.ledger.set(key, ev.eventId);
        consumed = true;
      }
    }
    return { event: ev, consumed };
  }

  recordAlarm(e: NewEvent<AlarmEvent>): AlarmEvent {
    const ev = { ...this.envelope(), ...e };
    this.events.push(ev);
    return ev;
  }

  of<K extends GateEvent['kind']>(kind: K): Extract<GateEvent, { kind: K }>[] {
    return this.events.filter((e): e is Extract<GateEvent, { kind: K }> => e.kind === kind);
  }
}
