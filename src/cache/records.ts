// Central -> gate records (docs/design.md "Central -> gate data"), validated at the JSON edge with zod.
import { z } from 'zod';
import { IDENTITY_KINDS } from '../identity/document.js';

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD');
const isoDateTimeWithOffset = z.iso.datetime({ offset: true });
const stationCode = z.string().regex(/^[A-Z0-9]{2,8}$/, 'a station code (2-8 upper-case letters or digits)');

export const passengerRecordSchema = z
  .object({
    kind: z.enum(IDENTITY_KINDS),
    country: z.string().regex(/^[A-Z]{1,3}$/, 'a country code (ICAO/ISO alpha-3)'),
    number: z.string().min(1).max(40),
    status: z.enum(['verified', 'pending', 'rejected']),
    birthDate: isoDate.nullable().optional(),
    nameLatin: z.string().nullable().optional(),
  })
  .strict();
export type PassengerRecord = z.infer<typeof passengerRecordSchema>;

export const TICKET_STATUSES = ['valid', 'refunded', 'changed', 'used-entry', 'used-exit'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

/** What a ticket was sold as (issue 17): only adult tickets open a self-service gate without conditions. */
export const FARES = ['adult', 'child', 'student', 'disabled-military'] as const;
export type Fare = (typeof FARES)[number];

/** A ticket's journey, the same in central's plain records and on the wire (src/cache/keyed.ts). */
export const ticketJourneyFields = {
  train: z.string().min(1).max(16),
  date: isoDate,
  from: stationCode,
  to: stationCode,
  departure: isoDateTimeWithOffset,
  arrival: isoDateTimeWithOffset,
  car: z.string().min(1).max(8),
  seat: z.string().min(1).max(8),
  status: z.enum(TICKET_STATUSES),
  // Issue 17. Absent on older records: an adult ticket, no conditions, no calling stations known.
  /** adult (default), child (bought on an adult's document), student, disabled-military. */
  fare: z.enum(FARES).optional(),
  /** Student tickets: this year's concession check (资质核验) is done. */
  concessionVerified: z.boolean().optional(),
  /** Student tickets: the registered home-school journey; the ticket must run between these two stations. */
  registeredJourney: z.object({ from: stationCode, to: stationCode }).strict().optional(),
  /** The stations the ticket's train calls at, in order (an exit gate tells overtravel from a wrong station). */
  calls: z.array(stationCode).min(2).max(80).optional(),
};

export const ticketRecordSchema = z
  .object({
    id: z.string().min(1).max(64),
    kind: z.enum(IDENTITY_KINDS),
    country: z.string().regex(/^[A-Z]{1,3}$/, 'a country code (ICAO/ISO alpha-3)'),
    number: z.string().min(1).max(40),
    ...ticketJourneyFields,
  })
  .strict();
export type TicketRecord = z.infer<typeof ticketRecordSchema>;

export const snapshotFileSchema = z
  .object({
    station: stationCode,
    generatedAt: isoDateTimeWithOffset,
    passengers: z.array(passengerRecordSchema),
    tickets: z.array(ticketRecordSchema),
  })
  .strict();
export type SnapshotFile = z.infer<typeof snapshotFileSchema>;
