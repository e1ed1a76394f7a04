// Central's records as they travel and as the gate stores them: a document is named by its key (HMAC-SHA256 under
// the station's document key over the canonical identity, src/identity/document-key.ts), a birth date by a keyed
// value bound to that document. No number, name or birth date crosses the wire (issue 14, docs/sync.md 4).
// keyPassenger/keyTicket are the ONE place plain records become keyed ones: central's build (src/central/build.ts)
// and `gate cache import` both call them, so the two can never key differently.
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { IDENTITY_KINDS } from '../identity/document.js';
import { canonicalIdentity } from '../identity/document-key.js';
import { ticketJourneyFields, type PassengerRecord, type SnapshotFile, type TicketRecord } from './records.js';

const hexKey = z.string().regex(/^[0-9a-f]{64}$/, 'a document key (64 lower-case hex digits)');

export const docKeySchema = hexKey;

/** A passenger on the wire: the document's key, its kind (not personal: it picks the passport rules), status, birth key. */
export const keyedPassengerSchema = z
  .object({
    docKey: hexKey,
    kind: z.enum(IDENTITY_KINDS),
    status: z.enum(['verified', 'pending', 'rejected']),
    birthKey: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'a birth key (64 lower-case hex digits)')
      .nullable()
      .optional(),
  })
  .strict();
export type KeyedPassenger = z.infer<typeof keyedPassengerSchema>;

export const keyedTicketSchema = z
  .object({
    id: z.string().min(1).max(64),
    docKey: hexKey,
    ...ticketJourneyFields,
  })
  .strict();
export type KeyedTicket = z.infer<typeof keyedTicketSchema>;

/** The label whose HMAC names a document key on the wire (docs/sync.md "Keyed bytes"). */
export const DOC_KEY_ID_LABEL = 'station-gate/doc-key-id';

function secretKey(secret: string | Buffer): KeyObject {
  return createSecretKey(typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret);
}

/**
 * The document key's id: HMAC-SHA256(key, "station-gate/doc-key-id"), first 16 hex digits. Without the key it
 * reveals nothing; with a key of 128+ bits (enforced at config check) it is no more a guessing oracle than any
 * docKey of a document the attacker knows (their own), which any HMAC-keyed record must allow.
 */
export function docKeyIdOf(secret: string | Buffer): string {
  return createHmac('sha256', secretKey(secret)).update(DOC_KEY_ID_LABEL, 'utf8').digest('hex').slice(0, 16);
}

/** The bytes keyed for a birth date: "birth\n" + docKey + "\n" + YYYY-MM-DD (binds the date to one document). */
export function birthKeyInput(docKey: string, birthDate: string): string {
  return `birth\n${docKey}\n${birthDate}`;
}

export interface Keyer {
  /** The id of the key (manifest, delta and head carry it). */
  readonly keyId: string;
  docKey(id: Parameters<typeof canonicalIdentity>[0]): string;
  birthKey(docKey: string, birthDate: string): string;
}

/** One document key bound once (a KeyObject spares OpenSSL re-importing it per row of a million-row snapshot). */
export function keyerFor(secret: string | Buffer): Keyer {
  const key = secretKey(secret);
  return {
    keyId: docKeyIdOf(secret),
    docKey: (id) => createHmac('sha256', key).update(canonicalIdentity(id), 'utf8').digest('hex'),
    birthKey: (docKey, birthDate) => createHmac('sha256', key).update(birthKeyInput(docKey, birthDate), 'utf8').digest('hex'),
  };
}

export function keyPassenger(k: Keyer, r: PassengerRecord): KeyedPassenger {
  const docKey = k.docKey(r);
  return { docKey, kind: r.kind, status: r.status, birthKey: r.birthDate ? k.birthKey(docKey, r.birthDate) : null };
}

export function keyTicket(k: Keyer, r: TicketRecord): KeyedTicket {
  const { kind: _kind, country: _country, number: _number, ...rest } = r;
  const keyed: KeyedTicket = {
    id: rest.id,
    docKey: k.docKey(r),
    train: rest.train,
    date: rest.date,
    from: rest.from,
    to: rest.to,
    departure: rest.departure,
    arrival: rest.arrival,
    car: rest.car,
    seat: rest.seat,
    status: rest.status,
  };
  // Issue 17's fields only when central sent them: an adult ticket's wire bytes stay what they were.
  if (rest.fare !== undefined) keyed.fare = rest.fare;
  if (rest.concessionVerified !== undefined) keyed.concessionVerified = rest.concessionVerified;
  if (rest.registeredJourney !== undefined) keyed.registeredJourney = { from: rest.registeredJourney.from, to: rest.registeredJourney.to };
  if (rest.calls !== undefined) keyed.calls = [...rest.calls];
  return keyed;
}

export interface KeyedSnapshot {
  station: string;
  generatedAt: string;
  passengers: KeyedPassenger[];
  tickets: KeyedTicket[];
}

export function keySnapshot(k: Keyer, s: SnapshotFile): KeyedSnapshot {
  return {
    station: s.station,
    generatedAt: s.generatedAt,
    passengers: s.passengers.map((p) => keyPassenger(k, p)),
    tickets: s.tickets.map((t) => keyTicket(k, t)),
  };
}
