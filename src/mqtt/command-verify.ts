// The pure half of command handling: is this message an authorised, fresh, first-seen command from central for
// this gate? Order matters: the signature is checked before the nonce is looked up or stored, so nobody but
// central can fill the nonce table; freshness bounds how long nonces must be kept.
import type { KeyObject } from 'node:crypto';
import { verifyBytes } from '../util/signing.js';
import { commandSigningBytes } from './command-signer.js';
import { COMMAND_ARGS, commandSchema, type CommandName, type CommandResultCode } from './schemas.js';
import type { GateId } from './topics.js';

export interface AuthorisedCommand {
  name: CommandName;
  args: Record<string, unknown>;
  nonce: string;
  issuedMs: number;
}

export type Verdict = { ok: true; command: AuthorisedCommand } | { ok: false; code: Exclude<CommandResultCode, 'ok'>; nonce: string | null; name: string | null };

export interface VerifyContext {
  target: GateId;
  /** The last level of the topic: it must equal the command's name. */
  topicName: string;
  keys: readonly KeyObject[];
  nowMs: number;
  maxSkewMs: number;
  seen(nonce: string): boolean;
}

export function verifyCommand(payload: Buffer | string, ctx: VerifyContext): Verdict {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString());
  } catch {
    return { ok: false, code: 'malformed', nonce: null, name: null };
  }
  const o = (json && typeof json === 'object' ? json : {}) as Record<string, unknown>;
  const nonce = typeof o.nonce === 'string' ? o.nonce : null;
  const name = typeof o.name === 'string' ? o.name : null;
  const refuse = (code: Exclude<CommandResultCode, 'ok'>): Verdict => ({ ok: false, code, nonce, name });
  if (o.signature === undefined || o.signature === '' || o.signature === null) return refuse('unsigned');
  if (name !== null && !(name in COMMAND_ARGS)) return refuse('unknown-command');
  const parsed = commandSchema.safeParse(json);
  if (!parsed.success) return refuse('malformed');
  const c = parsed.data;
  if (c.name !== ctx.topicName) return refuse('malformed');
  if (ctx.keys.length === 0 || !verifyBytes(ctx.keys, commandSigningBytes(ctx.target, c), c.signature)) return refuse('bad-signature');
  const issuedMs = Date.parse(c.issuedAt);
  if (Math.abs(ctx.nowMs - issuedMs) > ctx.maxSkewMs) return refuse('stale');
  if (ctx.seen(c.nonce)) return refuse('replayed');
  if (!COMMAND_ARGS[c.name].safeParse(c.args).success) return refuse('bad-args');
  return { ok: true, command: { name: c.name, args: c.args, nonce: c.nonce, issuedMs } };
}
