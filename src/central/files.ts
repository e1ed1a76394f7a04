// Central's input files for the reference tools: a snapshot file as `gate cache import` reads it
// ({station, generatedAt, passengers[], tickets[]}), and a delta file of upserts and deletes.
import { z } from 'zod';
import { passengerRecordSchema, ticketRecordSchema } from '../cache/records.js';
import { identitySchema } from '../sync/wire.js';

export const deltaFileSchema = z
  .object({
    /** When central cut this change; defaults to the time of publishing. */
    generatedAt: z.iso.datetime({ offset: true }).optional(),
    upserts: z
      .object({ passengers: z.array(passengerRecordSchema).default([]), tickets: z.array(ticketRecordSchema).default([]) })
      .strict()
      .prefault({}),
    deletes: z
      .object({ passengers: z.array(identitySchema).default([]), tickets: z.array(z.string().min(1).max(64)).default([]) })
      .strict()
      .prefault({}),
    /** Sibling uses to undo at every gate (a ticket consumed by a forged or mistaken passage). */
    clearUses: z.array(z.object({ ticketId: z.string().min(1).max(64), direction: z.enum(['entry', 'exit']) }).strict()).optional(),
  })
  .strict();
export type DeltaFile = z.infer<typeof deltaFileSchema>;
