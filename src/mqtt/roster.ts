// The station's roster: which gates exist and the public key each signs its passage events with. Central signs it
// (purpose `roster`, with a sync key: it is data central vouches for, like a snapshot) and publishes it retained on
// stations/v1/<S>/roster. A gate takes a roster only for its station and only newer than the one it holds, so an old
// roster replayed cannot bring back a gate that was removed.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { openSealed, seal, type OpenCode, type SealingKey } from '../util/sealed.js';
import { parsePublicKey, type KeyRing } from '../util/signing.js';

export const rosterTopic = (station: string) => `stations/v1/${station}/roster`;

/** A roster's bytes at most (checked before parsing): room for a few hundred gates. */
export const ROSTER_LIMITS = { maxBytes: 64 * 1024, maxDepth: 3 } as const;

export const rosterSchema = z
  .object({
    v: z.literal(2),
    type: z.literal('roster'),
    station: z.string().regex(/^[A-Z0-9]{2,8}$/),
    /** Grows with every change; a gate never goes back to a smaller version. */
    version: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    issuedAt: z.iso.datetime({ offset: true }),
    gates: z
      .array(
        z
          .object({
            gate: z.string().regex(/^[A-Za-z0-9_-]{1,16}$/),
            /** The gate's Ed25519 public key, base64 SPKI DER (what `gate key` prints). */
            publicKey: z.string().min(40).max(200),
          })
          .strict(),
      )
      .max(512),
  })
  .strict();
export type Roster = z.infer<typeof rosterSchema>;

export type RosterRefusal = OpenCode | 'station-mismatch' | 'bad-key' | 'old-version';

/** A verified roster: gate id -> public key. */
export interface HeldRoster {
  version: number;
  keys: ReadonlyMap<string, KeyObject>;
}

/** Verify a roster message for `station`; `held` is the version this gate holds (null: none). */
export function openRoster(
  bytes: Uint8Array,
  station: string,
  centralKeys: KeyRing,
  heldVersion: number | null,
): { ok: true; roster: HeldRoster } | { ok: false; code: RosterRefusal; message: string } {
  const opened = openSealed(bytes, 'roster', centralKeys, ROSTER_LIMITS);
  if (!opened.ok) return opened;
  const parsed = rosterSchema.safeParse(opened.value);
  if (!parsed.success)
    return {
      ok: false,
      code: 'malformed',
      message: `roster: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`,
    };
  const r = parsed.data;
  if (r.station !== station) return { ok: false, code: 'station-mismatch', message: `roster of station ${r.station}` };
  if (heldVersion !== null && r.version < heldVersion)
    return { ok: false, code: 'old-version', message: `roster version ${r.version} is older than ${heldVersion}` };
  const keys = new Map<string, KeyObject>();
  for (const g of r.gates) {
    try {
      const k = parsePublicKey(g.publicKey);
      if (k.asymmetricKeyType !== 'ed25519') throw new Error('not ed25519');
      keys.set(g.gate, k);
    } catch {
      return { ok: false, code: 'bad-key', message: `roster key of gate ${g.gate} is not an Ed25519 public key` };
    }
  }
  return { ok: true, roster: { version: r.version, keys } };
}

/** Central's side: the signed, retained roster message. */
export function sealRoster(key: SealingKey, roster: Omit<Roster, 'v' | 'type'>): { topic: string; payload: Buffer } {
  const body: Roster = { v: 2, type: 'roster', ...roster };
  rosterSchema.parse(body);
  return { topic: rosterTopic(roster.station), payload: seal(key, 'roster', body) };
}

/** The base64 SPKI DER of a private key's public half: what a roster lists. */
export function publicKeyText(privateKey: KeyObject): string {
  return createPublicKey(privateKey).export({ type: 'spki', format: 'der' }).toString('base64');
}
