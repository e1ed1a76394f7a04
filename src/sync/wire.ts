// The sync wire format (docs/sync.md is its reference): topics, message shapes, and the signed envelope.
// Central signs the exact body text of each manifest, delta and head for its purpose (src/util/sealed.ts);
// snapshot chunks are bound to the signed manifest by SHA-256.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { docKeySchema, keyedPassengerSchema, keyedTicketSchema, type KeyedPassenger, type KeyedTicket } from '../cache/keyed.js';
import { IDENTITY_KINDS } from '../identity/document.js';
import { seal, type SealingKey } from '../util/sealed.js';
import { keyIdOf as keyIdOfKey, type SigningPurpose } from '../util/signing.js';

/** 2: bodies signed as exact text for a purpose (1 signed canonical JSON of the parsed object). */
export const WIRE_VERSION = 2;

const stationCode = z.string().regex(/^[A-Z0-9]{2,8}$/);
const gateId = z.string().regex(/^[A-Za-z0-9_-]{1,16}$/);
const isoWithOffset = z.iso.datetime({ offset: true });
/** Epochs are positive integers that only grow for a station: a smaller epoch is an old generation. */
const epoch = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
/** seq counts deltas within an epoch: the snapshot is "at seq S", the next delta is S + 1. */
const seq = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const hexDigest = z.string().regex(/^[0-9a-f]{64}$/);
/** The id of the document key the batch's records are keyed under (src/cache/keyed.ts docKeyIdOf). */
const docKeyId = z.string().regex(/^[0-9a-f]{16}$/);

export const identitySchema = z
  .object({ kind: z.enum(IDENTITY_KINDS), country: z.string().regex(/^[A-Z]{1,3}$/), number: z.string().min(1).max(40) })
  .strict();
export type IdentityRecord = z.infer<typeof identitySchema>;

export const manifestSchema = z
  .object({
    v: z.literal(WIRE_VERSION),
    type: z.literal('snapshot-manifest'),
    station: stationCode,
    epoch,
    seq,
    docKeyId,
    /** When central cut the data (feeds the gate's staleness rule). */
    generatedAt: isoWithOffset,
    counts: z.object({ passengers: z.number().int().nonnegative(), tickets: z.number().int().nonnegative() }).strict(),
    chunks: z.array(
      z
        .object({
          n: z.number().int().nonnegative(),
          // At most the chunk limit of src/sync/limits.ts (not imported: limits.ts parses topics with this module).
          bytes: z
            .number()
            .int()
            .positive()
            .max(8 * 1024 * 1024),
          sha256: hexDigest,
          passengers: z.number().int().nonnegative(),
          tickets: z.number().int().nonnegative(),
        })
        .strict(),
    ),
    /** SHA-256 of every chunk's bytes concatenated in chunk order (the snapshot as one file). */
    sha256: hexDigest,
  })
  .strict()
  .refine((m) => m.chunks.every((c, i) => c.n === i), 'chunks are numbered 0, 1, 2... in order')
  .refine((m) => m.chunks.reduce((a, c) => a + c.passengers, 0) === m.counts.passengers, 'chunk passenger counts add up')
  .refine((m) => m.chunks.reduce((a, c) => a + c.tickets, 0) === m.counts.tickets, 'chunk ticket counts add up');
export type Manifest = z.infer<typeof manifestSchema>;

export const chunkSchema = z
  .object({
    v: z.literal(WIRE_VERSION),
    type: z.literal('snapshot-chunk'),
    station: stationCode,
    epoch,
    n: z.number().int().nonnegative(),
    passengers: z.array(keyedPassengerSchema),
    tickets: z.array(keyedTicketSchema),
  })
  .strict();
export type Chunk = z.infer<typeof chunkSchema>;

export const deltaSchema = z
  .object({
    v: z.literal(WIRE_VERSION),
    type: z.literal('delta'),
    station: stationCode,
    epoch,
    seq: seq.min(1),
    docKeyId,
    generatedAt: isoWithOffset,
    /** Applied after the deletes: a record in both ends up present. */
    upserts: z.object({ passengers: z.array(keyedPassengerSchema), tickets: z.array(keyedTicketSchema) }).strict(),
    /** Passengers by document key; tickets by id. */
    deletes: z.object({ passengers: z.array(docKeySchema), tickets: z.array(z.string().min(1).max(64)) }).strict(),
    /**
     * Uses of tickets that another gate reported (ledger source 'sibling') and central says did not happen: the
     * ticket becomes usable again at this gate. A gate's own passages are never cleared this way.
     */
    clearUses: z
      .array(z.object({ ticketId: z.string().min(1).max(64), direction: z.enum(['entry', 'exit']) }).strict())
      .max(10_000)
      .optional(),
  })
  .strict();
export type Delta = z.infer<typeof deltaSchema>;

export const headSchema = z
  .object({
    v: z.literal(WIRE_VERSION),
    type: z.literal('head'),
    station: stationCode,
    epoch,
    /** The newest seq central has published in this epoch (the snapshot's seq when no delta followed). */
    seq,
    docKeyId,
    generatedAt: isoWithOffset,
    /**
     * The station roster's current version (src/mqtt/roster.ts). A gate takes no roster older than this, so an old
     * roster re-posted as the retained message cannot bring back a removed gate, even on a gate started afresh.
     */
    rosterVersion: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  })
  .strict();
export type Head = z.infer<typeof headSchema>;

export const signedSchema = z.discriminatedUnion('type', [manifestSchema, deltaSchema, headSchema]);
export type Signed = Manifest | Delta | Head;

/** The signing purpose of each signed sync message: a signature made for one never verifies as another. */
export const SYNC_PURPOSE: Record<Signed['type'], SigningPurpose> = {
  'snapshot-manifest': 'sync-manifest',
  delta: 'sync-delta',
  head: 'sync-head',
};

/** `requested`: central's signed `resync` command asked this gate to load the whole snapshot again. */
export const RESYNC_REASONS = ['no-data', 'gap', 'new-epoch', 'behind-head', 'snapshot-incomplete', 'apply-failed', 'requested'] as const;
export type ResyncReason = (typeof RESYNC_REASONS)[number];

const cursorSchema = z.object({ epoch, seq }).strict();
export type Cursor = z.infer<typeof cursorSchema>;

/** A gate asks central for data: the missing deltas (have.seq + 1 ..) if central still has them, else a snapshot. */
export const resyncRequestSchema = z
  .object({
    v: z.literal(WIRE_VERSION),
    type: z.literal('resync-request'),
    requestId: z.uuid(),
    station: stationCode,
    gate: gateId,
    at: isoWithOffset,
    reason: z.enum(RESYNC_REASONS),
    /** What the gate's cache holds (null: nothing usable). */
    have: cursorSchema.nullable(),
    /** The newest batch the gate knows exists (from a head or a delta it could not apply), if any. */
    want: cursorSchema.nullable(),
  })
  .strict();
export type ResyncRequest = z.infer<typeof resyncRequestSchema>;

// ---- topics ----

export const topics = {
  root: (station: string) => `stations/v1/${station}/sync`,
  all: (station: string) => `stations/v1/${station}/sync/#`,
  manifest: (station: string, e: number) => `stations/v1/${station}/sync/snapshot/${e}/manifest`,
  chunk: (station: string, e: number, n: number) => `stations/v1/${station}/sync/snapshot/${e}/chunk/${n}`,
  delta: (station: string, e: number, s: number) => `stations/v1/${station}/sync/delta/${e}/${s}`,
  head: (station: string) => `stations/v1/${station}/sync/head`,
  resyncRequest: (station: string, gate: string) => `gates/v1/${station}/${gate}/sync/resync-request`,
  /** What central subscribes to for every gate's requests. */
  resyncRequestsAll: (station = '+') => `gates/v1/${station}/+/sync/resync-request`,
};

export type SyncTopic =
  | { kind: 'manifest'; station: string; epoch: number }
  | { kind: 'chunk'; station: string; epoch: number; n: number }
  | { kind: 'delta'; station: string; epoch: number; seq: number }
  | { kind: 'head'; station: string };

const NUM = '(0|[1-9][0-9]{0,15})';
const TOPIC_PATTERNS: [RegExp, (m: RegExpMatchArray) => SyncTopic][] = [
  [
    new RegExp(`^stations/v1/([A-Z0-9]{2,8})/sync/snapshot/${NUM}/manifest$`),
    (m) => ({ kind: 'manifest', station: m[1], epoch: Number(m[2]) }),
  ],
  [
    new RegExp(`^stations/v1/([A-Z0-9]{2,8})/sync/snapshot/${NUM}/chunk/${NUM}$`),
    (m) => ({ kind: 'chunk', station: m[1], epoch: Number(m[2]), n: Number(m[3]) }),
  ],
  [
    new RegExp(`^stations/v1/([A-Z0-9]{2,8})/sync/delta/${NUM}/${NUM}$`),
    (m) => ({ kind: 'delta', station: m[1], epoch: Number(m[2]), seq: Number(m[3]) }),
  ],
  [/^stations\/v1\/([A-Z0-9]{2,8})\/sync\/head$/, (m) => ({ kind: 'head', station: m[1] })],
];

/** The sync topic a message arrived on, or undefined for a topic that is not one of ours. */
export function parseTopic(topic: string): SyncTopic | undefined {
  for (const [re, make] of TOPIC_PATTERNS) {
    const m = topic.match(re);
    if (m) return make(m);
  }
  return undefined;
}

// ---- keys and signing (central's side; the gate's checks are in verify.ts) ----

/** A short public id of a key (src/util/signing.ts keyIdOf). */
export const keyIdOf = keyIdOfKey;

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export type SigningKey = SealingKey;

/** The bytes of a signed message as central publishes them. */
export function sealEnvelope(key: SigningKey, signed: Signed): Buffer {
  return seal(key, SYNC_PURPOSE[signed.type], signed);
}

export type { KeyedPassenger, KeyedTicket };
