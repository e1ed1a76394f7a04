// Privacy: after a whole demo run (real daemon, devices, broker, central), nothing personal is anywhere the gate
// writes or sends: not in its log, not in the events central received, not in the status file, not in the cache
// file (with its WAL), not on the demo's screen. Searched for: every document number, every name (UTF-8 and the
// card's UTF-16LE), addresses, whole MRZ lines, and the photo block the reader sent.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../src/demo/run-demo.js';
import { CARDS, PASSPORTS } from '../../src/demo/data.js';
import { buildReadResponse, encodeCardText, syntheticPhoto } from '../../src/readers/idcard/index.js';
import { tally } from './support/tally.js';

let dir: string | null = null;
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Every personal value of the demo's documents, as the bytes it could appear as. */
function needles(): { what: string; bytes: Buffer }[] {
  const out: { what: string; bytes: Buffer }[] = [];
  const add = (what: string, text: string) => {
    if (text.trim().length < 3) return;
    out.push({ what, bytes: Buffer.from(text, 'utf8') }, { what: `${what} (UTF-16LE)`, bytes: Buffer.from(text, 'utf16le') });
  };
  for (const [card, f] of Object.entries(CARDS)) {
    const fields = f as Record<string, string>;
    add(`${card}.number`, fields.number);
    for (const k of ['name', 'nameChinese', 'nameLatin', 'address', 'permitNumber']) if (fields[k]) add(`${card}.${k}`, fields[k]);
  }
  for (const [p, lines] of Object.entries(PASSPORTS)) {
    lines.forEach((l, i) => add(`${p}.mrz[${i}]`, l));
    add(`${p}.number`, lines[1].slice(0, 9).replace(/<+$/, ''));
    add(`${p}.surname`, lines[0].slice(5).split('<<')[0]);
  }
  add('previous PR number', 'SAU320185010112');
  // 48 bytes from the middle of the photo block: no run of the photo may be stored or sent.
  out.push({ what: 'photo bytes', bytes: Buffer.from(syntheticPhoto().subarray(500, 548)) });
  return out;
}

describe('privacy scan after a demo run', () => {
  it('finds no document number, name, address, MRZ line or photo byte in logs, events, status or the cache file', async () => {
    const screen = new PassThrough();
    let text = '';
    screen.on('data', (d) => (text += d));
    const r = await runDemo({ out: screen, keepFiles: true });
    dir = r.dir;
    expect(r.failures, text).toBe(0);
    expect(r.received.length).toBeGreaterThan(10);

    const haystacks: { name: string; bytes: Buffer }[] = [
      { name: 'screen', bytes: Buffer.from(text) },
      { name: 'events central received', bytes: Buffer.from(JSON.stringify(r.received)) },
      ...readdirSync(dir!).map((f) => ({ name: f, bytes: readFileSync(join(dir!, f)) })),
    ];
    const names = haystacks.map((h) => h.name);
    expect(names).toEqual(expect.arrayContaining(['gate.log', 'gate.db', 'gate.db.status.json']));
    expect(haystacks.find((h) => h.name === 'gate.log')!.bytes.length).toBeGreaterThan(1000);

    // The search itself works: the reader's own answer for a card holds its number, name and photo.
    const answer = Buffer.from(buildReadResponse(encodeCardText(CARDS.resident)));
    const all = needles();
    for (const what of ['resident.number (UTF-16LE)', 'resident.name (UTF-16LE)', 'photo bytes']) expect(answer.includes(all.find((n) => n.what === what)!.bytes), what).toBe(true);

    const found: string[] = [];
    let checks = 0;
    for (const n of needles()) {
      for (const h of haystacks) {
        checks++;
        if (h.bytes.includes(n.bytes)) found.push(`${n.what} in ${h.name}`);
      }
    }
    expect(found).toEqual([]);
    tally({ scenario: 'privacy', cycles: checks, lost: found.length, doubleUsed: 0 });
  });
});
