// `gate central keygen --out DIR`: central's Ed25519 signing key pair for sync batches.
import { parseOptions, requireOption, writeJson, type Command } from '../command.js';
import { generateKeyFiles } from '../../central/keys.js';

export const centralKeygenCommand: Command = {
  name: 'central keygen',
  summary: "make central's Ed25519 key pair for signing sync batches",
  help: `usage: gate central keygen --out DIR

Writes DIR/central-signing.key (PKCS#8 PEM, mode 0600: keep it on central only) and DIR/central-signing.pub
(SPKI PEM: put its text in each gate's config under sync.centralPublicKeys). Prints the key id that every
signed batch names. Existing files are never overwritten.

example:
  gate central keygen --out /etc/central/keys`,
  async run(args, io) {
    const { values } = parseOptions(args, { out: { type: 'string' } });
    const files = generateKeyFiles(requireOption(values.out, 'out'));
    writeJson(io, {
      keyId: files.keyId,
      privateKey: files.privateKeyPath,
      publicKey: files.publicKeyPath,
      publicKeyPem: files.publicKeyPem,
    });
    return 0;
  },
};
