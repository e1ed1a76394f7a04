// Central's side of gate commands: build and sign one. Used by tests, the demo and the `gate central` tools.
import { randomUUID, type KeyObject } from 'node:crypto';
import { seal } from '../util/sealed.js';
import { keyIdOf, parsePrivateKey } from '../util/signing.js';
import { createPublicKey } from 'node:crypto';
import { COMMAND_ARGS, type CommandBody, type CommandName } from './schemas.js';
import { commandTopic, type GateId } from './topics.js';

export interface SignOptions {
  nowMs?: number;
  nonce?: string;
}

export interface SignedCommandMessage {
  topic: string;
  /** The bytes to publish. */
  payload: Buffer;
  body: CommandBody;
}

export class CommandSigner {
  private readonly key: { privateKey: KeyObject; keyId: string };

  /** privateKey: PEM or base64 PKCS#8 DER (src/util/signing.ts). */
  constructor(privateKey: string | KeyObject) {
    const k = typeof privateKey === 'string' ? parsePrivateKey(privateKey) : privateKey;
    this.key = { privateKey: k, keyId: keyIdOf(createPublicKey(k)) };
  }

  sign<N extends CommandName>(target: GateId, name: N, args: Record<string, unknown>, opts: SignOptions = {}): SignedCommandMessage {
    COMMAND_ARGS[name].parse(args);
    const body: CommandBody = {
      v: 2,
      type: 'command',
      name,
      args,
      issuedAt: new Date(opts.nowMs ?? Date.now()).toISOString(),
      nonce: opts.nonce ?? randomUUID(),
      station: target.station,
      gate: target.gate,
    };
    return { topic: commandTopic(target, name), payload: seal(this.key, 'command', body), body };
  }
}
