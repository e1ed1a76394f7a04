// The `gate` commands of the foundation, through main() with captured output, on the bundled sample data.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { buildReadResponse, encodeCardText } from '../../src/readers/idcard/index.js';
import { maskedConfigSchema, parseJson } from '../support/json.js';
import { z } from 'zod';
import { snapshotFileSchema } from '../../src/cache/records.js';

/** What `gate decide` prints; `message` holds one line per language. */
const decideOutputSchema = z.looseObject({
  decision: z.string(),
  reason: z.string(),
  ticket: z.unknown(),
  message: z.record(z.string(), z.string()),
});
/** The parts of `gate cache stats` these tests check. */
const cacheStatsSchema = z.looseObject({
  schemaVersion: z.number(),
  latestSchemaVersion: z.number(),
  tickets: z.number(),
  bytes: z.number(),
  tables: z.record(z.string(), z.number()),
  files: z.looseObject({ db: z.number(), wal: z.number() }),
});

async function gate(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  const code = await main(args, { stdout, stderr, stdin: new PassThrough() });
  return { code, out, err };
}

let dir: string;
let db: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gate-cli-'));
  db = join(dir, 'gate.db');
  const r = await gate('cache', 'import', 'config/sample-snapshot.json', '--db', db, '--config', 'config/sample.json');
  expect(r.code).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const AT = '2025-06-01T09:30:00+08:00';
const decideArgs = (direction: string, doc: string) => [
  'decide',
  '--db',
  db,
  '--config',
  'config/sample.json',
  '--direction',
  direction,
  '--at',
  AT,
  '--document',
  doc,
];

describe('gate cache import / stats', () => {
  it('imports the sample and reports counts and the snapshot time', async () => {
    const r = await gate('cache', 'stats', '--db', db);
    expect(r.code).toBe(0);
    const stats = parseJson(cacheStatsSchema, r.out);
    expect(stats).toMatchObject({
      passengers: 4,
      tickets: 11,
      ledger: 0,
      snapshot: { station: 'VNP', generatedAt: '2025-06-01T06:00:00+08:00' },
    });
    expect(stats.schemaVersion).toBe(stats.latestSchemaVersion);
    // Every table's rows and the files' sizes, to see what a long-running gate's storage holds.
    expect(stats.tables).toMatchObject({ passengers: 4, tickets: 11, ledger: 0, outbox: 0, cleared_uses: 0, command_nonces: 0 });
    expect(stats.files.db).toBe(stats.bytes);
    expect(stats.files.wal).toBeGreaterThanOrEqual(0);
  });

  it('refuses a bad snapshot with index and field, exit 1, and keeps the old cache', async () => {
    const snap = parseJson(snapshotFileSchema, readFileSync('config/sample-snapshot.json', 'utf8'));
    snap.tickets[3].departure = 'xyz';
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify(snap));
    const r = await gate('cache', 'import', bad, '--db', db, '--config', 'config/sample.json');
    expect(r.code).toBe(1);
    expect(r.err).toContain('cache/import-invalid');
    expect(r.err).toContain('tickets[3].departure: expected an ISO 8601 time with offset, got "xyz"');
    expect(parseJson(cacheStatsSchema, (await gate('cache', 'stats', '--db', db)).out).tickets).toBe(11);
  });

  it('needs the secret: without --config or GATE_SECRET it says so', async () => {
    const saved = process.env.GATE_SECRET;
    delete process.env.GATE_SECRET;
    const r = await gate('cache', 'import', 'config/sample-snapshot.json', '--db', join(dir, 'other.db'));
    if (saved !== undefined) process.env.GATE_SECRET = saved;
    expect(r.code).toBe(1);
    expect(r.err).toContain('config/secret-missing');
  });
});

describe('gate decide', () => {
  it.each([
    ['entry', 'resident-two-tickets', 'open', 'ok'],
    ['entry', 'resident-missed-train', 'reject', 'too-late'],
    ['entry', 'pr-2023-old-number-ticket', 'open', 'ok'],
    ['entry', 'passport-unverified', 'reject', 'not-verified'],
    ['entry', 'passport-pending', 'reject', 'verification-pending'],
    ['entry', 'passport-other-station', 'reject', 'wrong-station'],
    ['exit', 'hmt-permit-exit', 'open', 'ok'],
  ])('%s with %s -> %s %s', async (direction, name, decision, reason) => {
    const r = await gate(...decideArgs(direction, `@config/sample-documents.json#${name}`));
    expect(r.code).toBe(0);
    // The keys in the order printed (a record keeps the input's order).
    expect(Object.keys(parseJson(z.record(z.string(), z.unknown()), r.out))).toEqual([
      'decision',
      'reason',
      'ticket',
      'message',
      'passenger',
    ]);
    const out = parseJson(decideOutputSchema, r.out);
    expect(out).toMatchObject({ decision, reason });
    expect(Object.keys(out.message)).toEqual(['zh', 'en']);
  });

  it('prints the ticket it opened with', async () => {
    const out = parseJson(decideOutputSchema, (await gate(...decideArgs('entry', '@config/sample-documents.json#passport-verified'))).out);
    expect(out.ticket).toEqual({ id: 'E0007', train: 'G101', car: '05', seat: '12C', departure: '2025-06-01T10:00:00+08:00' });
  });

  it('takes inline Document JSON', async () => {
    const docs = parseJson(z.record(z.string(), z.unknown()), readFileSync('config/sample-documents.json', 'utf8'));
    const out = parseJson(decideOutputSchema, (await gate(...decideArgs('entry', JSON.stringify(docs['resident-refunded'])))).out);
    expect(out.reason).toBe('ticket-refunded');
  });

  it('answers unreadable / document-invalid instead of crashing on bad input', async () => {
    const broken = await gate(...decideArgs('entry', '{"type": "mrz"'));
    expect(broken.code).toBe(0);
    expect(JSON.parse(broken.out)).toMatchObject({ decision: 'reject', reason: 'unreadable', ticket: null });
    const wrongShape = await gate(...decideArgs('entry', '{"type": "banknote"}'));
    expect(JSON.parse(wrongShape.out)).toMatchObject({ decision: 'reject', reason: 'document-invalid' });
    const args = decideArgs('entry', '').slice(0, -2);
    const badHex = await gate(...args, '--idcard-hex', 'zz');
    expect(JSON.parse(badHex.out)).toMatchObject({ decision: 'reject', reason: 'unreadable' });
  });

  it('decodes an ID-card reader frame (--idcard-hex) and an MRZ (--mrz)', async () => {
    const base = decideArgs('entry', '').slice(0, -2);
    const frame = buildReadResponse(
      encodeCardText({
        layout: 'resident',
        name: '样本',
        sex: '2',
        nation: '01',
        birthDate: '19491231',
        address: '北京市',
        number: '11010519491231002X',
        authority: '北京市公安局',
        validFrom: '20150101',
        validTo: '长期',
      }),
    );
    const hex = Buffer.from(frame).toString('hex');
    const card = parseJson(decideOutputSchema, (await gate(...base, '--idcard-hex', hex)).out);
    expect(card).toMatchObject({ decision: 'open', reason: 'ok', ticket: { id: 'E0001' } });

    const corrupt = Buffer.from(frame);
    corrupt[corrupt.length - 1] ^= 0xff;
    expect(parseJson(decideOutputSchema, (await gate(...base, '--idcard-hex', corrupt.toString('hex'))).out).reason).toBe('unreadable');

    const mrz = 'P<D<<MUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<\\nC01X00T478D<<6408125F2702283<<<<<<<<<<<<<<<4';
    expect(JSON.parse((await gate(...base, '--mrz', mrz)).out)).toMatchObject({ decision: 'open', ticket: { id: 'E0007' } });
    const badDigit = mrz.replace('C01X00T478', 'C01X00T479');
    expect(parseJson(decideOutputSchema, (await gate(...base, '--mrz', badDigit)).out).reason).toBe('document-invalid');
  });

  it('rejects usage errors with exit 2', async () => {
    expect((await gate('decide', '--db', db, '--config', 'config/sample.json', '--at', AT)).code).toBe(2);
    expect((await gate(...decideArgs('sideways', '{}'))).code).toBe(2);
    const noOffset = decideArgs('entry', '{}');
    noOffset[noOffset.indexOf(AT)] = '2025-06-01T09:30:00';
    expect((await gate(...noOffset)).code).toBe(2);
  });

  it('has --help', async () => {
    const r = await gate('decide', '--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('--document');
  });
});

describe('gate config check', () => {
  it('prints the effective config with the secret masked', async () => {
    const r = await gate('config', 'check', 'config/sample.json');
    expect(r.code).toBe(0);
    const c = parseJson(maskedConfigSchema, r.out);
    expect(c.secret).toBe('***');
    expect(c.rules.entry.opensMinutesBefore).toBe(120);
    expect(c.bridge.failMode).toBe('locked');
  });

  it('prints one line per problem and exits 1', async () => {
    const bad = join(dir, 'bad-config.json');
    writeFileSync(bad, JSON.stringify({ station: 'VNP', rules: { entry: { opensMinutesBefore: -5 } }, lane: { initialMode: 'x' } }));
    const r = await gate('config', 'check', bad);
    expect(r.code).toBe(1);
    const lines = r.err.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1].trim()).toMatch(/^rules\.entry\.opensMinutesBefore: expected .*, got -5$/);
    expect(lines[2].trim()).toMatch(/^lane\.initialMode: expected one of .*, got "x"$/);
  });
});
