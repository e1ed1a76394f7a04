// Central's commands on gates/v1/<station>/<gate>/cmd/<name>: verified (src/mqtt/command-verify.ts), nonces
// persisted in SQLite before the handler runs (a restart must not reopen the replay window), handed to the
// daemon's handler, and every one answered on .../cmd-result with {nonce, name, ok, code}.
import type { CommandNonces } from './nonce-store.js';
import { errorLine } from '../util/gate-error.js';
import { silentLogger, type Logger } from '../util/log.js';
import { KeyRing } from '../util/signing.js';
import { verifyCommand, type AuthorisedCommand, type Verdict } from './command-verify.js';
import { RateBudget } from '../util/rate-budget.js';
import type { MqttConnection } from './connection.js';
import { commandResultSchema, type CommandResult, type CommandResultCode } from './schemas.js';
import { commandFilter, commandResultTopic, parseGateTopic, type GateId } from './topics.js';

/** What the daemon made of a command. `afterAnswer` runs once the answer is published (or failed to be): an action
 *  that ends this process (reload-config) must not take the answer with it. */
export interface CommandOutcome {
  ok: boolean;
  code: CommandResultCode;
  afterAnswer?: () => void;
}

/** The daemon's side: carry out an authorised command; ok false with 'refused' (e.g. release during emergency). */
export type CommandHandler = (command: AuthorisedCommand) => Promise<CommandOutcome> | CommandOutcome;

export interface CommandChannelOptions {
  /** Central's public keys (PEM or base64 SPKI DER), config mqtt.centralPublicKeys. */
  centralPublicKeys: readonly string[];
  maxSkewSeconds: number;
  now?: () => number;
  log?: Logger;
  /** A command was refused (the daemon counts refusals and reports them coalesced). */
  onRefused?(code: CommandResultCode): void;
}

/** Authorised commands waiting to be carried out at most (only central can fill it). */
const MAX_QUEUED = 64;
/** Ed25519 checks of commands per second (and in a burst): central sends a few a day. */
const COMMAND_VERIFICATIONS_PER_SECOND = 10;
const COMMAND_VERIFICATIONS_BURST = 20;
/** Refusals answered on cmd-result at most per minute: central learns why its command failed, a flood gets no echo. */
const REFUSAL_ANSWERS_PER_MINUTE = 30;

export class CommandChannel {
  private readonly keys: KeyRing;
  private queued = 0;
  /** The newest issuedAt of a command accepted on arrival (it is remembered in the file only when its turn comes). */
  private queuedHighWaterMs: number | null = null;
  /** Signature checks of messages that name central's key: a flood of forged ones is cut off here. */
  private readonly verifications = new RateBudget(COMMAND_VERIFICATIONS_PER_SECOND, COMMAND_VERIFICATIONS_BURST);
  private answerWindow = { startMs: 0, count: 0 };
  private readonly now: () => number;
  private readonly log: Logger;
  /** Commands are handled one at a time, in arrival order. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly gateId: GateId,
    private readonly connection: MqttConnection,
    private readonly nonces: CommandNonces,
    private readonly handler: CommandHandler,
    private readonly opts: CommandChannelOptions,
  ) {
    this.keys = new KeyRing(opts.centralPublicKeys);
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? silentLogger();
  }

  start(): void {
    this.connection.subscribe(commandFilter(this.gateId), 1, (topic, payload) => {
      // Checked on arrival, synchronously: only authorised commands wait in the queue, so a flood of unsigned or
      // forged ones can never crowd out central's genuine command.
      const verdict = this.check(topic, payload);
      if (!verdict.ok) {
        // Past the answer budget a refusal costs a count and nothing else (no promise, no answer).
        if (this.answerBudgetLeft(this.now())) void this.contained(this.act(verdict));
        else this.opts.onRefused?.(verdict.code);
        return;
      }
      if (this.queued >= MAX_QUEUED) {
        this.opts.onRefused?.('refused');
        return;
      }
      this.queued++;
      this.queue = this.contained(this.queue.then(() => this.act(verdict))).finally(() => this.queued--);
    });
  }

  /** A failure in one command is logged and contained: the queue carries on with the next. */
  private contained(p: Promise<unknown>): Promise<void> {
    return p.then(
      () => undefined,
      (err: unknown) => this.log.error({ err: errorLine(err) }, 'command not handled'),
    );
  }

  /** Settles when every command received so far is answered. */
  idle(): Promise<void> {
    return this.queue;
  }

  /** Check one message and carry it out (or refuse it), then answer on cmd-result. */
  async handle(topic: string, payload: Buffer): Promise<CommandResult> {
    return this.act(this.check(topic, payload));
  }

  private check(topic: string, payload: Buffer): Verdict {
    const topicName = parseGateTopic(topic)?.rest[1] ?? '';
    const nowMs = this.now();
    const verdict = verifyCommand(payload, {
      target: this.gateId,
      topicName,
      keys: this.keys,
      nowMs,
      maxSkewMs: this.opts.maxSkewSeconds * 1000,
      // The stored mark, and commands accepted but still waiting in the queue (not yet remembered in the file).
      highWaterMs: () => {
        const stored = this.nonces.highWater();
        return stored === null ? this.queuedHighWaterMs : Math.max(stored, this.queuedHighWaterMs ?? stored);
      },
      seen: (nonce) => this.nonces.seen(nonce),
      mayVerify: () => this.verifications.take(nowMs),
    });
    if (verdict.ok) this.queuedHighWaterMs = Math.max(this.queuedHighWaterMs ?? verdict.command.issuedMs, verdict.command.issuedMs);
    return verdict;
  }

  private async act(verdict: Verdict): Promise<CommandResult> {
    const nowMs = this.now();
    const maxSkewMs = this.opts.maxSkewSeconds * 1000;
    let result: { nonce: string | null; name: string | null; ok: boolean; code: CommandResultCode };
    let afterAnswer: (() => void) | undefined;
    if (!verdict.ok) {
      this.opts.onRefused?.(verdict.code);
      result = { nonce: verdict.nonce, name: verdict.name, ok: false, code: verdict.code };
      // Past the answer budget a refusal is only counted: no answer, no further work for a flood.
      if (!this.mayAnswerRefusal(nowMs)) return { ...result, at: new Date(nowMs).toISOString() };
    } else {
      const c = verdict.command;
      result = { nonce: c.nonce, name: c.name, ok: false, code: 'failed' };
      try {
        // Remember first: if the handler crashes the gate, the same command cannot be replayed after restart.
        if (!this.nonces.remember(c.nonce, c.issuedMs, nowMs)) {
          result.code = 'replayed';
        } else {
          // Kept until the high-water rule refuses them by itself (issuedAt < mark - skew), whatever the clock does.
          this.nonces.pruneBefore((this.nonces.highWater() ?? c.issuedMs) - 2 * maxSkewMs);
          const r = await this.handler(c);
          result = { ...result, ok: r.ok, code: r.code };
          afterAnswer = r.afterAnswer;
          if (!r.ok) this.opts.onRefused?.(r.code);
          this.log.info({ name: c.name, code: r.code }, 'command handled');
        }
      } catch (err) {
        this.log.error({ name: c.name, err: errorLine(err) }, 'command failed');
      }
    }
    const answer = commandResultSchema.parse({ ...result, at: new Date(this.now()).toISOString() });
    try {
      await this.connection.publish(commandResultTopic(this.gateId), JSON.stringify(answer), { qos: 1 });
    } catch (err) {
      this.log.warn({ err: errorLine(err) }, 'command result not published');
    }
    // Publish the result, then act: the answer's PUBACK is in (or the publish has failed) before the action runs.
    if (afterAnswer) {
      try {
        afterAnswer();
      } catch (err) {
        this.log.error({ name: result.name, err: errorLine(err) }, 'command action failed');
      }
    }
    return answer;
  }

  private mayAnswerRefusal(nowMs: number): boolean {
    const ok = this.answerBudgetLeft(nowMs);
    this.answerWindow.count++;
    return ok;
  }

  /** Refusal answers are budgeted per minute: true while this minute's budget is not spent. */
  private answerBudgetLeft(nowMs: number): boolean {
    const w = this.answerWindow;
    if (nowMs - w.startMs >= 60_000 || nowMs < w.startMs) this.answerWindow = { startMs: nowMs, count: 0 };
    return this.answerWindow.count < REFUSAL_ANSWERS_PER_MINUTE;
  }
}
