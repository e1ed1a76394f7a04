// The pure half of command handling: is this message an authorised, fresh, first-seen command from central for
// this gate? Order matters: size before parsing, the signature before anything in the body is believed, and the
// nonce is looked up or stored only after, so nobody but central can fill the nonce table. Freshness has two
// bounds: the gate's clock (|now - issuedAt| within the skew) and the newest issuedAt ever accepted (the high-water
// mark, kept across restarts): a command older than the mark minus the skew is refused whatever the clock says,
// so a clock stepped back cannot reopen the window for a command whose nonce has been pruned.
import { openSealed } from '../util/sealed.js';
import type { KeyRing } from '../util/signing.js';
import { COMMAND_ARGS, COMMAND_LIMITS, commandBodySchema, type CommandName, type CommandResultCode } from './schemas.js';
import type { GateId } from './topics.js';

export interface AuthorisedCommand {
  name: CommandName;
  args: Record<string, unknown>;
  nonce: string;
  issuedMs: number;
}

export type Verdict =
  | { ok: true; command: AuthorisedCommand }
  | { ok: false; code: Exclude<CommandResultCode, 'ok'>; nonce: string | null; name: string | null };

export interface VerifyContext {
  target: GateId;
  /** The last level of the topic: it must equal the command's name. */
  topicName: string;
  keys: KeyRing;
  nowMs: number;
  maxSkewMs: number;
  /** The newest issuedAt (ms) of any command accepted so far, or null (read only for a validly signed command). */
  highWaterMs: number | null | (() => number | null);
  seen(nonce: string): boolean;
  /** Asked before the signature check (src/util/rate-budget.ts); false refuses as rate-limited. */
  mayVerify?: () => boolean;
}

export function verifyCommand(payload: Buffer | string, ctx: VerifyContext): Verdict {
  const opened = openSealed(payload, 'command', ctx.keys, { ...COMMAND_LIMITS, mayVerify: ctx.mayVerify });
  if (!opened.ok) {
    const passThrough = ['too-large', 'unsigned', 'bad-signature', 'rate-limited'] as const;
    const code =
      opened.code === 'unknown-key'
        ? 'bad-signature'
        : (passThrough as readonly string[]).includes(opened.code)
          ? (opened.code as (typeof passThrough)[number])
          : 'malformed';
    return { ok: false, code, nonce: null, name: null };
  }
  const parsed = commandBodySchema.safeParse(opened.value);
  if (!parsed.success) {
    const name = (opened.value as { name?: unknown } | null)?.name;
    const unknown = typeof name === 'string' && !(name in COMMAND_ARGS);
    return { ok: false, code: unknown ? 'unknown-command' : 'malformed', nonce: null, name: null };
  }
  const c = parsed.data;
  const refuse = (code: Exclude<CommandResultCode, 'ok'>): Verdict => ({ ok: false, code, nonce: c.nonce, name: c.name });
  if (c.station !== ctx.target.station || c.gate !== ctx.target.gate) return refuse('wrong-gate');
  if (c.name !== ctx.topicName) return refuse('malformed');
  const issuedMs = Date.parse(c.issuedAt);
  if (Math.abs(ctx.nowMs - issuedMs) > ctx.maxSkewMs) return refuse('stale');
  const highWater = typeof ctx.highWaterMs === 'function' ? ctx.highWaterMs() : ctx.highWaterMs;
  if (highWater !== null && issuedMs < highWater - ctx.maxSkewMs) return refuse('stale');
  if (ctx.seen(c.nonce)) return refuse('replayed');
  if (!COMMAND_ARGS[c.name].safeParse(c.args).success) return refuse('bad-args');
  return { ok: true, command: { name: c.name, args: c.args, nonce: c.nonce, issuedMs } };
}
