// `gate central snapshot FILE --key PRIV --url URL --station S [--epoch E] [--force]`: sign and publish a station's full data.
import { parseOptions, requireOption, UsageError, writeJson, type Command } from '../command.js';
import { parseSnapshot } from '../../cache/import.js';
import { buildSnapshot, DEFAULT_CHUNK_ROWS } from '../../central/build.js';
import { loadSigningKey } from '../../central/keys.js';
import { checkSnapshotAgainstHead, loadDocKey, publishWithProgress, readJsonFile } from '../../central/cli-support.js';
import type { Head } from '../../sync/wire.js';

function positiveInt(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[1-9][0-9]{0,15}$/.test(v)) throw new UsageError(`--${name} must be a positive integer, got "${v}"`);
  return Number(v);
}

export const centralSnapshotCommand: Command = {
  name: 'central snapshot',
  summary: "sign and publish a station's snapshot (manifest, chunks, retained head)",
  help: `usage: gate central snapshot FILE --key PRIV --doc-key-file KEYFILE --url MQTT_URL --station S [--epoch E] [--seq N] [--chunk-rows R] [--force]

Reads a snapshot file {"station", "generatedAt", "passengers": [...], "tickets": [...]} (as gate cache import
reads it), checks every record, cuts it into chunks of R rows (default ${DEFAULT_CHUNK_ROWS}), signs the manifest
with the private key and publishes, QoS 1:
  stations/v1/S/sync/snapshot/E/manifest, .../snapshot/E/chunk/0.., then the retained stations/v1/S/sync/head.
Gates replace their cache with it. Each snapshot needs a new, larger epoch (default: the current Unix time in
seconds): an epoch not newer than the station's retained head (read and verified with this key first), or a head
this key did not sign, is refused (exit 1) and the head stays as it was; --force publishes anyway. --seq is the delta seq the snapshot already contains (default 0; the next delta is seq + 1).
--doc-key-file: the station's document key (the gates' secret, or secretNext during a rotation); every record is
keyed under it (docs/sync.md 4), no number, name or birth date is published.
Progress goes to stderr; the manifest summary to stdout. The wire format: docs/sync.md.

example:
  gate central snapshot snap.json --key keys/central-signing.key --doc-key-file keys/station-doc.key --url mqtt://127.0.0.1:1883 --station SHH`,
  async run(args, io) {
    const { values, positionals } = parseOptions(
      args,
      {
        key: { type: 'string' },
        url: { type: 'string' },
        station: { type: 'string' },
        epoch: { type: 'string' },
        seq: { type: 'string' },
        'chunk-rows': { type: 'string' },
        'doc-key-file': { type: 'string' },
        force: { type: 'boolean' },
      },
      true,
    );
    if (positionals.length !== 1) throw new UsageError('give exactly one snapshot FILE');
    const key = loadSigningKey(requireOption(values.key, 'key'));
    const docSecret = loadDocKey(requireOption(values['doc-key-file'], 'doc-key-file'));
    const url = requireOption(values.url, 'url');
    const station = requireOption(values.station, 'station');
    const file = positionals[0];
    const snap = parseSnapshot(readJsonFile(file), file);
    if (snap.station !== station) throw new UsageError(`${file} is for station ${snap.station}, not ${station}`);
    const epoch = positiveInt(values.epoch, 'epoch') ?? Math.floor(Date.now() / 1000);
    const seq = values.seq === undefined ? 0 : /^[0-9]{1,15}$/.test(values.seq) ? Number(values.seq) : undefined;
    if (seq === undefined) throw new UsageError(`--seq must be a whole number, got "${values.seq}"`);
    const built = buildSnapshot(snap, { key, epoch, seq, chunkRows: positiveInt(values['chunk-rows'], 'chunk-rows'), docSecret });
    const guard = { station, key, force: values.force ?? false, check: (head: Head | null) => checkSnapshotAgainstHead(head, epoch) };
    const rows = await publishWithProgress(url, built.messages, `snapshot ${station}/${epoch}`, io, guard);
    const m = built.manifest;
    writeJson(io, {
      station,
      epoch,
      seq,
      keyId: key.keyId,
      docKeyId: m.docKeyId,
      counts: m.counts,
      chunks: m.chunks.length,
      sha256: m.sha256,
      rows,
    });
    return 0;
  },
};
