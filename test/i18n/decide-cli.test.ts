// `gate decide` tells the passenger in their language; the station's override changes it; events are untouched
// (this command writes nothing). On the bundled sample data, through main().
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGate } from '../support/cli.js';
import { PACKS } from '../../src/i18n/packs.js';
import { parseJson } from '../support/json.js';
import { z } from 'zod';

let dir: string;
let db: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gate-lang-'));
  db = join(dir, 'gate.db');
  expect((await runGate(['cache', 'import', 'config/sample-snapshot.json', '--db', db, '--config', 'config/sample.json'])).code).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What `gate decide` prints, the passenger's own-language line included. */
const decideOutputSchema = z.looseObject({
  decision: z.string(),
  reason: z.string(),
  message: z.record(z.string(), z.string()),
  passenger: z.unknown(),
});

const decide = async (doc: string, config = 'config/sample.json') => {
  const r = await runGate([
    'decide',
    '--db',
    db,
    '--config',
    config,
    '--direction',
    'entry',
    '--at',
    '2025-06-01T09:30:00+08:00',
    '--document',
    doc,
  ]);
  expect(r.code, r.err).toBe(0);
  return parseJson(decideOutputSchema, r.out);
};
/** One named document of config/sample-documents.json (the file also holds a `_comment` string). */
const anObject = z.record(z.string(), z.unknown());
const sample = (name: string) => anObject.parse(parseJson(anObject, readFileSync('config/sample-documents.json', 'utf8'))[name]);

describe("gate decide in the passenger's language", () => {
  it('a French passport refused for its verification reads French', async () => {
    const out = await decide('@config/sample-documents.json#passport-rejected');
    expect(out).toMatchObject({ decision: 'reject', reason: 'verification-rejected' });
    expect(out.passenger).toEqual({ language: 'fr', direction: 'ltr', text: PACKS.fr.reasons['verification-rejected'], source: 'cldr' });
    expect(out.message.en).toBe(PACKS.en.reasons['verification-rejected']); // Chinese and English stay as before
  });

  it('a Japanese passport without verification reads Japanese; the same document from Ukraine reads English', async () => {
    const doc = sample('passport-unverified');
    const ja = await decide(JSON.stringify({ ...doc, nationality: 'JPN' }));
    expect(ja.passenger).toMatchObject({ language: 'ja', text: PACKS.ja.reasons['not-verified'] });
    const ua = await decide(JSON.stringify({ ...doc, nationality: 'UKR' }));
    expect(ua.passenger).toMatchObject({ language: 'en', source: 'fallback', text: PACKS.en.reasons['not-verified'] });
  });

  it('a Saudi PR card holder reads Arabic, marked right to left; a resident ID card reads Chinese', async () => {
    const pr = await decide('@config/sample-documents.json#pr-2023-old-number-ticket');
    expect(pr.passenger).toMatchObject({ language: 'ar', direction: 'rtl', text: PACKS.ar.reasons.ok });
    const resident = await decide('@config/sample-documents.json#resident-missed-train');
    expect(resident.passenger).toMatchObject({ language: 'zh', source: 'chinese-card', text: PACKS.zh.reasons['too-late'] });
  });

  it("the station's override in the config wins", async () => {
    const cfg = parseJson(z.record(z.string(), z.unknown()), readFileSync('config/sample.json', 'utf8'));
    delete cfg.$schema;
    const file = join(dir, 'gate.json');
    writeFileSync(file, JSON.stringify({ ...cfg, db, passengerLanguage: { byNationality: { FRA: 'de' } } }));
    const out = await decide(JSON.stringify(sample('passport-rejected')), file);
    expect(out.passenger).toMatchObject({ language: 'de', source: 'station-override', text: PACKS.de.reasons['verification-rejected'] });
  });

  it('an unreadable document has no nationality: English', async () => {
    const r = await runGate([
      'decide',
      '--db',
      db,
      '--config',
      'config/sample.json',
      '--direction',
      'entry',
      '--at',
      '2025-06-01T09:30:00+08:00',
      '--document',
      '{"type": "mrz"',
    ]);
    expect(parseJson(decideOutputSchema, r.out).passenger).toMatchObject({
      language: 'en',
      source: 'no-document',
      text: PACKS.en.reasons.unreadable,
    });
  });
});
