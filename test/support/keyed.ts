// Tests that fill a cache from central's plain records key them first, exactly as central and `gate cache import`
// do (src/cache/keyed.ts), so the rows are those a gate holds.
import type { PassengerRecord, TicketRecord } from '../../src/cache/records.js';
import { keyPassenger, keyTicket, keyerFor, type KeyedPassenger, type KeyedTicket } from '../../src/cache/keyed.js';

export function keyedPassengers(secret: string | Buffer, records: Iterable<PassengerRecord>): KeyedPassenger[] {
  const k = keyerFor(secret);
  return [...records].map((r) => keyPassenger(k, r));
}

export function keyedTickets(secret: string | Buffer, records: Iterable<TicketRecord>): KeyedTicket[] {
  const k = keyerFor(secret);
  return [...records].map((r) => keyTicket(k, r));
}
