// Central's side of gate commands: build and sign one. Used by tests, the demo and the `gate central` tools.
import { randomUUID, type KeyObject } from 'node:crypto';
import { canonicalJson, parsePrivateKey, signBytes } from '../util/signing.js';
import { COMMAND_ARGS, type CommandName, type SignedCommand } from './schemas.js';
import { commandTopic, type GateId } from './topics.js';

/** The bytes central signs and the gate verifies: the command bound to its target gate. */
export function commandSigningBytes(target: GateId, c: Pick<SignedCommand, 'name' | 'args' | 'issuedAt' | 'nonce'>): Buffer {
  return Buffer.from(canonicalJson({ name: c.name, args: c.args, issuedAt: c.issuedAt, nonce: c.nonce, station: target.station, gate: target.gate }), 'utf8');
}

export interface SignOptions {
  nowMs?: number;
  nonce?: string;
}

export class CommandSigner {
  private readonly key: KeyObject;

  /** privateKey: PEM or base64 PKCS#8 DER (src/util/signing.ts). */
  constructor(privateKey: string | KeyObject) {
    this.key = typeof privateKey === 'string' ? parsePrivateKey(privateKey) : privateKey;
  }

  sign<N extends CommandName>(target: GateId, name: N, args: Record<string, unknown>, opts: SignOptions = {}): { topic: string; command: SignedCommand } {
    COMMAND_ARGS[name].parse(args);
    const unsigned = { name, args, issuedAt: new Date(opts.nowMs ?? Date.now()).toISOString(), nonce: opts.nonce ?? randomUUID() };
    const signature = signBytes(this.key, commandSigningBytes(target, unsigned));
    return { topic: commandTopic(target, name), command: { ...unsigned, signature } };
  }
}
