// `gate central delta FILE --key PRIV --url URL --station S --epoch E --seq N [--force]`: sign and publish one delta.
import { parseOptions, requireOption, UsageError, writeJson, type Command } from '../command.js';
import { buildDelta } from '../../central/build.js';
import { deltaFileSchema } from '../../central/files.js';
import { loadSigningKey } from '../../central/keys.js';
import type { Head } from '../../sync/wire.js';
import { checkDeltaAgainstHead, loadDocKey, publishWithProgress, readJsonFile } from '../../central/cli-support.js';

export const centralDeltaCommand: Command = {
  name: 'central delta',
  summary: 'sign and publish one sequenced delta (upserts and deletes) for a station',
  help: `usage: gate central delta FILE --key PRIV --doc-key-file KEYFILE --url MQTT_URL --station S --epoch E --seq N [--force]

Reads a delta file {"generatedAt"?, "upserts": {"passengers": [...], "tickets": [...]},
"deletes": {"passengers": [{kind, country, number}], "tickets": ["<ticket id>"]}}: a refund, a use at another
station or a verification change is an upsert of the whole record with its new status. Signs it as delta N of
epoch E and publishes stations/v1/S/sync/delta/E/N (QoS 1), then the retained head. N must be one more than the
last delta of the epoch (the snapshot's seq for the first); gates that miss one ask for a resync.
Before publishing, the station's retained head is read and verified with this key: a delta for another epoch,
a seq that is not the head's + 1, no head at all, or a head this key did not sign is refused (exit 1) and the
--doc-key-file: the station's document key (the gates' secret, or secretNext during a rotation); every record is
keyed under it (docs/sync.md 4), no number, name or birth date is published.
head stays as it was. --force publishes anyway (replaying a lost delta by hand, a head under another key).

example:
  gate central delta refunds.json --key keys/central-signing.key --doc-key-file keys/station-doc.key --url mqtt://127.0.0.1:1883 --station SHH --epoch 1767225600 --seq 1`,
  async run(args, io) {
    const { values, positionals } = parseOptions(
      args,
      {
        key: { type: 'string' },
        url: { type: 'string' },
        station: { type: 'string' },
        epoch: { type: 'string' },
        seq: { type: 'string' },
        force: { type: 'boolean' },
        'doc-key-file': { type: 'string' },
      },
      true,
    );
    if (positionals.length !== 1) throw new UsageError('give exactly one delta FILE');
    const keyPath = requireOption(values.key, 'key');
    const url = requireOption(values.url, 'url');
    const station = requireOption(values.station, 'station');
    if (!/^[A-Z0-9]{2,8}$/.test(station)) throw new UsageError(`--station must be 2-8 upper-case letters or digits, got "${station}"`);
    const epochText = requireOption(values.epoch, 'epoch');
    const seqText = requireOption(values.seq, 'seq');
    if (!/^[1-9][0-9]{0,15}$/.test(epochText)) throw new UsageError(`--epoch must be a positive integer, got "${epochText}"`);
    if (!/^[1-9][0-9]{0,15}$/.test(seqText)) throw new UsageError(`--seq must be a positive integer, got "${seqText}"`);
    const key = loadSigningKey(keyPath);
    const docSecret = loadDocKey(requireOption(values['doc-key-file'], 'doc-key-file'));
    const file = positionals[0];
    const parsed = deltaFileSchema.safeParse(readJsonFile(file));
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      throw new UsageError(`${file}: ${i?.path.join('.') || '(root)'}: ${i?.message}`);
    }
    const epoch = Number(epochText);
    const seq = Number(seqText);
    const { delta, messages } = buildDelta(parsed.data, { key, station, epoch, seq, now: new Date(), docSecret });
    const guard = {
      station,
      key,
      force: values.force ?? false,
      check: (head: Head | null) => checkDeltaAgainstHead(head, station, epoch, seq, delta.docKeyId),
    };
    const rows = await publishWithProgress(url, messages, `delta ${station}/${epochText}/${seqText}`, io, guard);
    writeJson(io, { station, epoch: delta.epoch, seq: delta.seq, keyId: key.keyId, generatedAt: delta.generatedAt, rows });
    return 0;
  },
};
