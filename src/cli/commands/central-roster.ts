// `gate central roster --key PRIV --url URL --station S --version N --gate ID=PUBKEY ...`: sign and publish the
// station's roster (retained), the list of gates whose passage events the station's gates take (docs/sync.md 9).
import { readFileSync, existsSync } from 'node:fs';
import { parseOptions, requireOption, UsageError, writeJson, type Command } from '../command.js';
import { loadSigningKey } from '../../central/keys.js';
import { publishWithProgress, readRetainedHead } from '../../central/cli-support.js';
import { connectCentral, publishAll } from '../../central/publish.js';
import { buildHead } from '../../central/build.js';
import { sealRoster } from '../../mqtt/roster.js';
import { parsePublicKey } from '../../util/signing.js';

export const centralRosterCommand: Command = {
  name: 'central roster',
  summary: "sign and publish the station's roster of gates and their passage-signing keys (retained)",
  help: `usage: gate central roster --key PRIV --url MQTT_URL --station S --version N --gate ID=PUBKEY [--gate ...]

Signs the roster with central's SYNC key (purpose roster) and publishes it retained on stations/v1/S/roster.
Gates take a passage event of another gate only when that gate is on the roster and its signature checks out.
PUBKEY is what \`gate key\` prints on the gate (base64 SPKI DER), or a file holding it (PEM or base64).
--version must be larger than the roster's last version: gates never go back to a smaller one. List every gate
of the station each time: a gate left out is no longer believed.

example:
  gate central roster --key keys/central-sync-signing.key --url mqtts://station:8883 --station SHH --version 2 --gate 01=MCowBQYDK2VwAyEA... --gate 02=gate02.pub`,
  async run(args, io) {
    const { values } = parseOptions(args, {
      key: { type: 'string' },
      url: { type: 'string' },
      station: { type: 'string' },
      version: { type: 'string' },
      gate: { type: 'string', multiple: true },
    });
    const key = loadSigningKey(requireOption(values.key, 'key'));
    const url = requireOption(values.url, 'url');
    const station = requireOption(values.station, 'station');
    if (!/^[A-Z0-9]{2,8}$/.test(station)) throw new UsageError(`--station must be 2-8 upper-case letters or digits, got "${station}"`);
    const versionText = requireOption(values.version, 'version');
    if (!/^[1-9][0-9]{0,15}$/.test(versionText)) throw new UsageError(`--version must be a positive integer, got "${versionText}"`);
    const gates = (values.gate ?? []).map((g) => {
      const m = /^([A-Za-z0-9_-]{1,16})=(.+)$/.exec(g);
      if (!m) throw new UsageError(`--gate must be ID=PUBKEY, got "${g}"`);
      const text = existsSync(m[2]) ? readFileSync(m[2], 'utf8').trim() : m[2];
      let publicKey: string;
      try {
        const k = parsePublicKey(text);
        if (k.asymmetricKeyType !== 'ed25519') throw new Error(k.asymmetricKeyType);
        publicKey = k.export({ type: 'spki', format: 'der' }).toString('base64');
      } catch {
        throw new UsageError(`--gate ${m[1]}: not an Ed25519 public key (run \`gate key\` on the gate)`);
      }
      return { gate: m[1], publicKey };
    });
    if (gates.length === 0) throw new UsageError("list the station's gates with --gate ID=PUBKEY");
    const message = sealRoster(key, { station, version: Number(versionText), issuedAt: new Date().toISOString(), gates });
    await publishWithProgress(url, [{ ...message, retain: true, rows: gates.length }], `roster ${station} v${versionText}`, io);
    // The retained head, re-signed with the roster's version (nothing else changes, not even its time): gates then
    // refuse any older roster, so a superseded one re-posted by someone cannot bring a removed gate back.
    const client = await connectCentral(url);
    let headBumped = false;
    try {
      const head = await readRetainedHead(client, station, key);
      if (head && (head.rosterVersion ?? 0) < Number(versionText)) {
        const { v: _v, type: _t, ...fields } = head;
        await publishAll(client, [buildHead(key, { ...fields, rosterVersion: Number(versionText) })]);
        headBumped = true;
      }
    } finally {
      await client.endAsync();
    }
    writeJson(io, { station, version: Number(versionText), gates: gates.map((g) => g.gate), keyId: key.keyId, headBumped });
    return 0;
  },
};
