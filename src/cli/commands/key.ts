// `gate key --config FILE`: the gate's own Ed25519 public key (created if missing), for central's station roster.
import { loadConfig } from '../../config/load.js';
import { defaultGateKeyFile, loadOrCreateGateKey } from '../../mqtt/gate-key.js';
import { parseOptions, requireOption, writeJson, type Command } from '../command.js';

export const keyCommand: Command = {
  name: 'key',
  summary: "print this gate's passage-signing public key (for central's roster)",
  help: `usage: gate key --config FILE [--json]

Prints the public half of the gate's own Ed25519 key (mqtt.gateKeyFile, default gate-key.pem beside the database),
creating the key first if it does not exist yet. Central lists it in the station roster (gate central roster) so
the station's other gates take this gate's passage events. The private key never leaves the file (mode 0600).

example:
  gate key --config /etc/gate/gate.json`,
  async run(args, io) {
    await Promise.resolve();
    const { values } = parseOptions(args, { config: { type: 'string' }, json: { type: 'boolean' } });
    const { config } = loadConfig(requireOption(values.config, 'config'));
    const key = loadOrCreateGateKey(config.mqtt.gateKeyFile ?? defaultGateKeyFile(config.db));
    if (values.json)
      writeJson(io, { station: config.station, gate: config.gate ?? null, publicKey: key.publicKey, keyId: key.keyId, file: key.path });
    else io.stdout.write(`${key.publicKey}\n`);
    return 0;
  },
};
