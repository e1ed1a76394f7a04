// `gate decode mrz` and `gate decide` on issue 17's passengers, through main() with captured output: a snapshot with
// a child ticket, a student outside the registered journey, a transfer passenger, an overtravelled one and a Home
// Return Permit holder, imported with `gate cache import` into a temporary cache.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { MESSAGES } from '../../src/decide/messages.js';
import { CR_HK, CS_LINE } from '../readers/mrz/permit-vectors.js';
import { V } from '../readers/mrz/vectors.js';
import { parseJson } from '../support/json.js';
import { z } from 'zod';

async function gate(args: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const input = new PassThrough();
  input.end(stdin);
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  const code = await main(args, { stdout, stderr, stdin: input });
  return { code, out, err };
}

const resident = (number: string) => ({
  type: 'cn-resident-id',
  number,
  nationality: 'CHN',
  sex: 'M',
  birthDate: '1990-01-01',
  validFrom: '2020-01-01',
  validTo: null,
  warnings: [],
});
const PARENT = '110102199001010118';
const STUDENT = '110102199001010214';
const TRANSFER = '110102199001010417';
const STAYED_ON = '11010219900101061X';
const base = {
  train: 'G101',
  date: '2025-06-01',
  from: 'VNP',
  to: 'AOH',
  departure: '2025-06-01T10:00:00+08:00',
  arrival: '2025-06-01T14:30:00+08:00',
  car: '05',
  seat: '12A',
  status: 'valid',
};
const res = (number: string) => ({ kind: 'cn-resident-id', country: 'CHN', number });
const snapshot = {
  station: 'VNP',
  generatedAt: '2025-06-01T06:00:00+08:00',
  passengers: [],
  tickets: [
    { id: 'P1', ...res(PARENT), ...base },
    { id: 'P1-CHILD', ...res(PARENT), ...base, seat: '12B', fare: 'child' },
    { id: 'S1', ...res(STUDENT), ...base, fare: 'student', concessionVerified: true, registeredJourney: { from: 'VNP', to: 'TNV' } },
    {
      id: 'T-IN',
      ...res(TRANSFER),
      ...base,
      train: 'G7',
      from: 'AOH',
      to: 'VNP',
      departure: '2025-06-01T05:30:00+08:00',
      arrival: '2025-06-01T09:10:00+08:00',
    },
    {
      id: 'T-ON',
      ...res(TRANSFER),
      ...base,
      train: 'G9',
      to: 'SHH',
      departure: '2025-06-01T11:00:00+08:00',
      arrival: '2025-06-01T15:00:00+08:00',
    },
    {
      id: 'O1',
      ...res(STAYED_ON),
      ...base,
      train: 'D3',
      from: 'SHH',
      to: 'AOH',
      departure: '2025-06-01T06:00:00+08:00',
      arrival: '2025-06-01T08:00:00+08:00',
      calls: ['SHH', 'AOH', 'VNP', 'TNV'],
    },
    { id: 'HRP', kind: 'hk-mo-home-return-permit', country: 'CHN', number: 'H12345678', ...base },
  ],
};

let dir: string;
let db: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gate-cli-17-'));
  db = join(dir, 'gate.db');
  const file = join(dir, 'snapshot.json');
  writeFileSync(file, JSON.stringify(snapshot));
  const r = await gate(['cache', 'import', file, '--db', db, '--config', 'config/sample.json']);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const AT = '2025-06-01T09:30:00+08:00';
async function decide(direction: string, input: string[]): Promise<Record<string, unknown>> {
  const r = await gate(['decide', '--db', db, '--config', 'config/sample.json', '--direction', direction, '--at', AT, ...input]);
  expect(r.code).toBe(0);
  return parseJson(z.record(z.string(), z.unknown()), r.out);
}

describe('gate decode mrz: issue 17 documents', () => {
  it('decodes a CR card with its issue count and HK identity number', async () => {
    const r = await gate(['decode', 'mrz'], CR_HK.join('\n') + '\n');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({
      documentCode: 'CR',
      format: 'CN-3x30',
      number: 'H12345678',
      issueCount: 1,
      regionIdNumber: 'A1234563',
    });
  });

  it('names a visa and an exit permit in one line, exit 1', async () => {
    const visa = await gate(['decode', 'mrz'], V.V9.join('\n'));
    expect(visa.code).toBe(1);
    expect(visa.err.trim()).toMatch(/^gate decode mrz: mrz\/visa: a visa \(MRV-A\) is not the passport's photo page$/);
    const permit = await gate(['decode', 'mrz'], CS_LINE);
    expect(permit.code).toBe(1);
    expect(permit.err.trim()).toMatch(/^gate decode mrz: mrz\/exit-permit: an exit permit \(CS\) is not a document for domestic trains$/);
  });
});

describe('gate decide: issue 17 passengers', () => {
  it('sends the holder of a child ticket to the staffed lane, with the detail and its message', async () => {
    expect(await decide('entry', ['--document', JSON.stringify(resident(PARENT))])).toEqual({
      decision: 'reject',
      reason: 'staffed-check',
      detail: 'child-ticket-on-document',
      ticket: { id: 'P1', train: 'G101', car: '05', seat: '12A', departure: '2025-06-01T10:00:00+08:00' },
      message: MESSAGES['child-ticket-on-document'],
      // A resident ID card: the passenger reads Chinese, the detail's own text.
      passenger: { language: 'zh', direction: 'ltr', text: MESSAGES['child-ticket-on-document'].zh, source: 'chinese-card' },
    });
  });

  it('a student outside the registered journey', async () => {
    expect(await decide('entry', ['--document', JSON.stringify(resident(STUDENT))])).toMatchObject({
      reason: 'staffed-check',
      detail: 'student-outside-journey',
    });
  });

  it('a transfer lane opens for the onward ticket; an exit lane sends the overtravelled passenger to pay', async () => {
    expect(await decide('transfer', ['--document', JSON.stringify(resident(TRANSFER))])).toMatchObject({
      decision: 'open',
      ticket: { id: 'T-ON' },
    });
    expect(await decide('exit', ['--document', JSON.stringify(resident(STAYED_ON))])).toMatchObject({
      reason: 'fare-adjustment',
      ticket: { id: 'O1' },
    });
  });

  it('reads a Home Return Permit card from its MRZ, and tells a visa holder what to present', async () => {
    expect(await decide('entry', ['--mrz', CR_HK.join('\\n')])).toMatchObject({ decision: 'open', ticket: { id: 'HRP' } });
    expect(await decide('entry', ['--mrz', V.V11.join('\\n')])).toMatchObject({
      reason: 'present-passport-page',
      message: MESSAGES['present-passport-page'],
    });
    expect(await decide('entry', ['--mrz', CS_LINE])).toMatchObject({ reason: 'present-resident-card' });
  });

  it('refuses an unknown direction with exit 2', async () => {
    const r = await gate([
      'decide',
      '--db',
      db,
      '--config',
      'config/sample.json',
      '--direction',
      'sideways',
      '--at',
      AT,
      '--document',
      '{}',
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/entry, exit or transfer/);
  });
});
