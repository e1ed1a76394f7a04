// docs/design.md is the project's design: it carries every reason code, gate event kind, alarm type, command and
// error code the code defines, and nothing in the project points to the old DESIGN.md outside it.
import { SIGNING_PURPOSES } from '../../src/util/signing.js';
import { COMMAND_RESULT_CODES } from '../../src/mqtt/schemas.js';
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REASONS } from '../../src/decide/reasons.js';
import { ALARM_TYPES, PASSAGE_OUTCOMES } from '../../src/gate/events.js';
import { COMMAND_NAMES } from '../../src/mqtt/schemas.js';
import { DOCUMENT_TYPES, IDENTITY_KINDS } from '../../src/identity/document.js';
import { CENTRAL_ERROR_CODES } from '../../src/central/errors.js';
import { SYNC_ERROR_CODES } from '../../src/sync/errors.js';
import { LANE_MODES } from '../../src/decide/lane-rules.js';
import { runGateProcess } from '../support/gate-process.js';

const design = readFileSync('docs/design.md', 'utf8');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

describe('docs/design.md', () => {
  it('lists every reason code in its reasons table, in the code order', () => {
    const table = [...design.matchAll(/^\| `([a-z-]+)` \| /gm)].map((m) => m[1]).filter((r) => (REASONS as readonly string[]).includes(r));
    expect(table).toEqual([...REASONS]);
  });

  it('names every document type, identity kind, lane mode, passage outcome, alarm type, command and the sync and central error codes', () => {
    const named = [
      ...DOCUMENT_TYPES,
      ...IDENTITY_KINDS,
      ...LANE_MODES,
      ...PASSAGE_OUTCOMES,
      ...ALARM_TYPES,
      ...COMMAND_NAMES,
      ...CENTRAL_ERROR_CODES,
    ];
    expect(named.filter((n) => !design.includes(`\`${n}\``))).toEqual([]);
    // The sync layer's codes that refuse a batch before it touches the cache.
    const refusals = SYNC_ERROR_CODES.filter((c) => !['count-mismatch', 'topic-mismatch'].includes(c));
    expect(refusals.filter((c) => !design.includes(`\`${c}\``))).toEqual([]);
  });

  it('says in "Network trust" what each signature is for and every refusal a command can get', () => {
    const trust = design.slice(design.indexOf('## Network trust'));
    expect(SIGNING_PURPOSES.filter((p) => !trust.includes(`\`${p}\``))).toEqual([]);
    const codes = COMMAND_RESULT_CODES.filter(
      (c) =>
        ![
          'ok',
          'malformed',
          'unknown-command',
          'bad-args',
          'unsigned',
          'bad-signature',
          'stale',
          'replayed',
          'refused',
          'failed',
          'too-large',
        ].includes(c),
    );
    expect(codes.filter((c) => !trust.includes(`\`${c}\``))).toEqual([]);
  });

  it('is what README, docs and the source point to: no reference to DESIGN.md is left', () => {
    const texts = ['README.md', ...files('docs'), ...files('src')];
    const stale = texts.filter((f) => /(^|[^/])DESIGN\.md/.test(readFileSync(f, 'utf8')));
    expect(stale).toEqual([]);
    expect(readFileSync('README.md', 'utf8')).toContain('docs/design.md');
  });

  it('gate cache import --help cites docs/design.md for the records', async () => {
    const r = await runGateProcess(['cache', 'import', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('docs/design.md');
    expect(r.out).not.toContain(' DESIGN.md');
  }, 30_000);
});
