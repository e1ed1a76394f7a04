// The keyed bytes of docs/sync.md 4a: the table's values were computed with openssl (not by this code), so an
// integrator in another language can check against them, and this test checks the gate's code against the same table.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { docKeyIdOf, keyPassenger, keyTicket, keyerFor } from '../../src/cache/keyed.js';
import { identitiesOf } from '../../src/identity/document.js';

function vectors(): Map<string, string[]> {
  const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'sync.md'), 'utf8');
  const table = doc.split('<!-- keyed-vectors -->')[1]?.split('<!-- /keyed-vectors -->')[0];
  if (!table) throw new Error('docs/sync.md has no keyed-vectors table');
  const rows = new Map<string, string[]>();
  for (const line of table.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    // | name | input | value |: inputs hold `|` themselves, so the name is the first cell and the value the last.
    if (cells.length < 4 || !/^`[0-9a-f]+`$/.test(cells[cells.length - 2])) continue;
    const name = cells[1];
    rows.set(name, [...(rows.get(name) ?? []), cells[cells.length - 2].slice(1, -1)]);
  }
  return rows;
}

describe('docs/sync.md keyed bytes', () => {
  const v = vectors();
  const key = v.get('key')![0];
  const k = keyerFor(key);

  it('the document key id, document keys and birth key match the documented openssl values', () => {
    expect(v.get('docKeyId')).toEqual([docKeyIdOf(key)]);
    const [passportKey, prKey] = v.get('docKey')!;
    expect(k.docKey({ kind: 'passport', country: 'DEU', number: 'C01X00T47' })).toBe(passportKey);
    // The canonical form removes spaces and fillers and upper-cases: a sloppy central record keys the same.
    expect(k.docKey({ kind: 'passport', country: 'deu', number: 'c01x 00t47<' })).toBe(passportKey);
    expect(k.docKey({ kind: 'cn-pr', country: 'SAU', number: '932682198501010017' })).toBe(prKey);
    expect(k.birthKey(passportKey, '1964-08-12')).toBe(v.get('birthKey')![0]);
    expect(k.birthKey(passportKey, '1964-08-13')).not.toBe(v.get('birthKey')![0]);
  });

  it('a keyed record carries the keys and nothing personal', () => {
    const p = keyPassenger(k, {
      kind: 'passport',
      country: 'DEU',
      number: 'C01X00T47',
      status: 'verified',
      birthDate: '1964-08-12',
      nameLatin: 'MUSTERMANN ERIKA',
    });
    expect(p).toEqual({ docKey: v.get('docKey')![0], kind: 'passport', status: 'verified', birthKey: v.get('birthKey')![0] });
    const t = keyTicket(k, {
      id: 'T1',
      kind: 'cn-pr',
      country: 'SAU',
      number: '932682198501010017',
      train: 'G1',
      date: '2026-03-01',
      from: 'SHH',
      to: 'VNP',
      departure: '2026-03-01T08:00:00+08:00',
      arrival: '2026-03-01T12:00:00+08:00',
      car: '01',
      seat: '1A',
      status: 'valid',
    });
    expect(JSON.stringify(t)).not.toMatch(/932682198501010017|SAU|cn-pr/);
    expect(t.docKey).toBe(v.get('docKey')![1]);
  });

  it('a 2023 PR card is keyed under its own number and its 2017 number, the second matching the documented key', () => {
    const ids = identitiesOf({
      type: 'cn-pr-2023',
      nationality: 'SAU',
      number: '911111199001010011',
      previousNumber: '932682198501010017',
    } as never);
    expect(ids.map((id) => k.docKey(id))[1]).toBe(v.get('docKey')![1]);
  });
});
