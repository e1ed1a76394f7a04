// `gate decide`: one decision on the cache, as the lane would make it, printed as one JSON object.
import { existsSync, readFileSync } from 'node:fs';
import { parseOptions, requireOption, UsageError, type Command } from '../command.js';
import { loadConfig, resolveSecret } from '../../config/load.js';
import { CacheError } from '../../cache/db.js';
import { openReadOnly } from '../../cache/read-only.js';
import { SqliteCacheView } from '../../cache/view.js';
import { decideRead, type LaneMode } from '../../decide/decide.js';
import { LANE_MODES } from '../../decide/lane-rules.js';
import { LANE_DIRECTIONS, type Decision, type LaneDirection } from '../../decide/reasons.js';
import { documentSchema, type Document } from '../../identity/document.js';
import { decodeIdCard } from '../../readers/idcard/index.js';
import { parseMrz } from '../../readers/mrz/index.js';
import { readOutcome, type ReadFailureReason, type ReadOutcome } from '../../readers/outcome.js';
import { passengerMessage } from '../../i18n/passenger.js';

/** What the lane would get from a reader (src/readers/outcome.ts maps decoder errors), with a line for stderr. */
type Input = { ok: true; document: Document } | { ok: false; reason: ReadFailureReason; detail: string };

/** `JSON`, `@FILE` or `@FILE#NAME` (one entry of a file holding several documents, like config/sample-documents.json). */
function documentFromOption(value: string): Input {
  let text = value;
  let pick: string | undefined;
  if (value.startsWith('@')) {
    const [file, name] = value.slice(1).split('#', 2);
    pick = name;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`--document: cannot read ${file}: ${(err as Error).message}`);
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: 'unreadable', detail: `--document is not JSON: ${(err as Error).message}` };
  }
  if (pick !== undefined) {
    const entry = json && typeof json === 'object' ? (json as Record<string, unknown>)[pick] : undefined;
    if (entry === undefined) throw new UsageError(`--document: no entry "${pick}" in ${value.slice(1).split('#')[0]}`);
    json = entry;
  }
  const r = documentSchema.safeParse(json);
  if (!r.success) {
    const first = r.error.issues[0];
    return { ok: false, reason: 'document-invalid', detail: `${first.path.join('.') || '(top level)'}: ${first.message}` };
  }
  return { ok: true, document: r.data };
}

function readInput(values: { 'idcard-hex'?: string; mrz?: string; document?: string }, now: Date): Input {
  const given = (['idcard-hex', 'mrz', 'document'] as const).filter((k) => values[k] !== undefined);
  if (given.length !== 1) throw new UsageError('give exactly one of --idcard-hex, --mrz, --document');
  if (values.document !== undefined) return documentFromOption(values.document);
  if (values['idcard-hex'] !== undefined) {
    const hex = values['idcard-hex'].replace(/[\s:]/g, '');
    if (!/^([0-9a-fA-F]{2})+$/.test(hex)) {
      return { ok: false, reason: 'unreadable', detail: '--idcard-hex is not an even number of hex digits' };
    }
    return withDetail(readOutcome(decodeIdCard(Uint8Array.from(Buffer.from(hex, 'hex')))));
  }
  // Lines may be given with literal "\n" or real newlines.
  return withDetail(readOutcome(parseMrz(values.mrz!.replace(/\\n/g, '\n'), now)));
}

function withDetail(o: ReadOutcome): Input {
  return o.ok ? o : { ok: false, reason: o.reason, detail: o.error.toLine() };
}

export const decideCommand: Command = {
  name: 'decide',
  summary: 'decide open/reject for one document against the cache',
  help: `usage: gate decide --db PATH --config FILE --direction entry|exit|transfer --at ISO-TIME
                   (--idcard-hex HEX | --mrz TEXT | --document JSON|@FILE[#NAME])

Prints one JSON object {"decision": "open"|"reject", "reason", "ticket", "message": {"zh", "en"},
"passenger": {"language", "direction", "text", "source"}}, the decision the lane would make for this
document at that time, with "detail" when the reason is staffed-check (child-ticket-on-document,
student-not-verified, student-outside-journey, concession-check), and what the passenger reads in their
language: chosen from the document's nationality (CLDR; the config's passengerLanguage.byNationality
overrides), Chinese for resident ID cards and HK/Macao/Taiwan permits, English where no pack exists
("source" says which); "direction" "rtl" marks right-to-left text (Arabic). Reads the cache, writes nothing.

options:
  --db PATH             the gate's SQLite file (default: the config's "db")
  --config FILE         config: station, rules and the HMAC secret (or GATE_SECRET)
  --direction D         entry, exit or transfer (an in-station transfer channel; default: the config's
                        lane.direction)
  --at ISO-TIME         the time of the decision, ISO 8601 with offset (e.g. 2025-06-01T09:30:00+08:00)
  --idcard-hex HEX      an ID-card reader response frame (30 01), as hex
  --mrz TEXT            MRZ lines, separated by newlines or a literal \\n (a passport, an ID card, a CR/CT
                        permit card; a visa or an exit permit gets the reason saying what to present)
  --document JSON       a Document as \`gate decode\` prints it; @FILE reads it from a file and
                        @FILE#NAME takes entry NAME of a file holding several
  --mode M              lane mode: normal, free, locked, maintenance (default: the config's lane.initialMode)
  --emergency           decide as during a fire alarm

example:
  gate cache import config/sample-snapshot.json --db .demo/gate.db --config config/sample.json
  gate decide --db .demo/gate.db --config config/sample.json --direction entry \\
    --at 2025-06-01T09:30:00+08:00 --document @config/sample-documents.json#passport-verified`,
  async run(args, io) {
    const { values } = parseOptions(args, {
      db: { type: 'string' },
      config: { type: 'string' },
      direction: { type: 'string' },
      at: { type: 'string' },
      'idcard-hex': { type: 'string' },
      mrz: { type: 'string' },
      document: { type: 'string' },
      mode: { type: 'string' },
      emergency: { type: 'boolean' },
    });
    const loaded = loadConfig(requireOption(values.config, 'config'));
    const { config } = loaded;
    const direction = values.direction ?? config.lane.direction;
    if (!(LANE_DIRECTIONS as readonly string[]).includes(direction))
      throw new UsageError(`--direction: expected entry, exit or transfer, got "${direction}"`);
    const mode = (values.mode ?? config.lane.initialMode) as LaneMode;
    if (!LANE_MODES.includes(mode)) throw new UsageError(`--mode: expected one of ${LANE_MODES.join(', ')}, got "${mode}"`);
    const at = requireOption(values.at, 'at');
    if (!/[Zz]|[+-]\d{2}:?\d{2}$/.test(at) || Number.isNaN(Date.parse(at))) {
      throw new UsageError(`--at: expected an ISO 8601 time with offset such as 2025-06-01T09:30:00+08:00, got "${at}"`);
    }
    const now = new Date(at);
    const secret = resolveSecret(loaded);
    const dbPath = values.db ?? config.db;
    if (!existsSync(dbPath)) throw new CacheError('open-failed', `no cache file at ${dbPath}; fill it with gate cache import`);

    const input = readInput(values, now);
    if (!input.ok) io.stderr.write(`gate decide: ${input.detail}\n`);
    let result: Decision;
    // The same path as the lane: its mode and fire-alarm rules first, then the reader's reason, then the cache.
    const db = openReadOnly(dbPath); // it writes nothing: works on a file the user may only read
    try {
      result = decideRead(input, new SqliteCacheView(db, secret), config.rules, {
        station: config.station,
        direction: direction as LaneDirection,
        now,
        mode,
        emergency: values.emergency ?? false,
      });
    } finally {
      db.close();
    }
    // A staffed-check's detail has its own text (the panel shows the detail in the reason's place).
    const textKey = result.reason === 'staffed-check' && 'detail' in result && result.detail ? result.detail : result.reason;
    const passenger = passengerMessage(textKey, input.ok ? input.document : null, config.passengerLanguage.byNationality);
    io.stdout.write(JSON.stringify({ ...result, passenger }) + '\n');
    return 0;
  },
};
