// Privacy: after a whole demo run (real daemon, devices, broker, central), nothing personal is anywhere the gate
// writes or sends: not in its log, not in the events central received, not in the status file, not in the cache
// file (with its WAL), not on the demo's screen. Searched for: every document number, every name (UTF-8 and the
// card's UTF-16LE), addresses, whole MRZ lines, and the photo block the reader sent. And on the wire (issue 14): a
// separate client subscribed to `#` captures every byte published on the demo's broker, on every topic, in both
// directions (central's snapshot, delta and head; the gate's events, status and resync requests), and the scan
// searches it for every document number, name, birth date and MRZ line of the demo data, central's records included.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../src/demo/run-demo.js';
import { CARDS, HOME_RETURN_PERMIT, PASSPORTS, TRANSFER_DOCUMENT, demoSnapshot } from '../../src/demo/data.js';
import { needlesOf, scanMessages, tapAll, type WireTap } from '../support/wire-tap.js';
import { buildReadResponse, encodeCardText, syntheticPhoto } from '../../src/readers/idcard/index.js';
import { syntheticPhotoFor } from '../../src/face/sim.js';
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
  // The Home Return Permit card read by MRZ (issue 17): its lines, permit and HK identity numbers, name.
  HOME_RETURN_PERMIT.forEach((l, i) => add(`homeReturnPermit.mrz[${i}]`, l));
  add('homeReturnPermit.number', 'H12345678');
  add('homeReturnPermit.regionIdNumber', 'A1234563');
  add('homeReturnPermit.name', 'CHAN TAI MAN');
  add('transfer passenger.number', TRANSFER_DOCUMENT.number);
  for (const n of wireNeedles()) out.push(n);
  // 48 bytes from the middle of the photo block: no run of the photo may be stored or sent.
  out.push({ what: 'photo bytes', bytes: Buffer.from(syntheticPhoto().subarray(500, 548)) });
  // The chip photos the demo's cards give (sent to the face matcher, and nowhere else): raw, hex and base64 runs.
  for (const [card, f] of Object.entries(CARDS)) {
    const photo = Buffer.from(syntheticPhotoFor((f as { number: string }).number));
    out.push(
      { what: `${card} photo bytes`, bytes: photo.subarray(500, 548) },
      { what: `${card} photo hex`, bytes: Buffer.from(photo.subarray(500, 548).toString('hex')) },
      { what: `${card} photo base64`, bytes: Buffer.from(photo.toString('base64').slice(600, 664)) },
    );
  }
  return out;
}

/** YYYYMMDD (the card's form) or YYMMDD (the MRZ's) as YYYY-MM-DD. */
function isoBirth(d: string): string {
  const full = d.length === 6 ? `${Number(d.slice(0, 2)) > 30 ? '19' : '20'}${d}` : d;
  return `${full.slice(0, 4)}-${full.slice(4, 6)}-${full.slice(6, 8)}`;
}

/** What central's records and the documents hold that must never be on the wire: numbers, names, birth dates, MRZ lines. */
function wireNeedles() {
  const v: { what: string; text: string }[] = [];
  const snap = demoSnapshot();
  for (const p of snap.passengers) {
    v.push({ what: `record ${p.number}: number`, text: p.number });
    if (p.birthDate)
      v.push(
        { what: `record ${p.number}: birth date`, text: p.birthDate },
        { what: `record ${p.number}: birth date compact`, text: p.birthDate.replaceAll('-', '') },
      );
    if (p.nameLatin) v.push({ what: `record ${p.number}: nameLatin`, text: p.nameLatin });
  }
  for (const t of snap.tickets) v.push({ what: `ticket ${t.id}: document number`, text: t.number });
  for (const [card, f] of Object.entries(CARDS)) {
    const fields = f as Record<string, string>;
    v.push({ what: `${card}.birthDate`, text: fields.birthDate }, { what: `${card}.birthDate ISO`, text: isoBirth(fields.birthDate) });
    for (const k of ['number', 'name', 'nameChinese', 'nameLatin']) if (fields[k]) v.push({ what: `${card}.${k}`, text: fields[k] });
  }
  for (const [p, lines] of Object.entries(PASSPORTS)) {
    lines.forEach((l, i) => v.push({ what: `${p}.mrz[${i}]`, text: l }));
    v.push({ what: `${p}.birth date`, text: isoBirth(lines[1].slice(13, 19)) });
  }
  v.push({ what: 'homeReturnPermit.birth date', text: '1988-04-12' }, { what: 'homeReturnPermit.regionIdNumber', text: 'A1234563' });
  return needlesOf(v);
}

describe('privacy scan after a demo run', () => {
  it('finds no document number, name, address, MRZ line or photo byte in logs, events, status or the cache file', async () => {
    const screen = new PassThrough();
    let text = '';
    screen.on('data', (d) => (text += d));
    let tap: WireTap | null = null;
    const PLANTED = 'privacy-control/planted';
    const r = await runDemo({
      out: screen,
      keepFiles: true,
      onBroker: async (url) => {
        tap = await tapAll(url);
        // Positive control: a planted document number published through the same broker must be found.
        await tap.plant(PLANTED, JSON.stringify({ note: 'planted by the privacy test', number: CARDS.resident.number }));
      },
    });
    dir = r.dir;
    await tap!.close();
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
    for (const what of ['resident.number (UTF-16LE)', 'resident.name (UTF-16LE)', 'photo bytes'])
      expect(answer.includes(all.find((n) => n.what === what)!.bytes), what).toBe(true);
    const faceAnswer = Buffer.from(buildReadResponse(encodeCardText(CARDS.resident), { photo: syntheticPhotoFor(CARDS.resident.number) }));
    expect(faceAnswer.includes(all.find((n) => n.what === 'resident photo bytes')!.bytes)).toBe(true);

    const found: string[] = [];
    let checks = 0;
    for (const n of needles()) {
      for (const h of haystacks) {
        checks++;
        if (h.bytes.includes(n.bytes)) found.push(`${n.what} in ${h.name}`);
      }
    }
    expect(found).toEqual([]);

    // The wire: every message of every topic, both directions, searched message by message.
    const wire = tap!.messages;
    const topics = new Set(wire.map((m) => m.topic.split('/').slice(0, 4).join('/') + '/' + m.topic.split('/').slice(-1).join('')));
    expect(wire.some((m) => m.topic.includes('/sync/snapshot/'))).toBe(true);
    expect(wire.some((m) => m.topic.includes('/sync/delta/'))).toBe(true);
    expect(wire.some((m) => m.topic.includes('/events/'))).toBe(true);
    const scan = scanMessages(wire, wireNeedles());
    const control = scan.hits.filter((h) => h.topic === PLANTED);
    const leaks = scan.hits.filter((h) => h.topic !== PLANTED);
    console.log(
      `privacy scan on the wire: ${wire.length} messages, ${scan.bytes} bytes on ${topics.size} kinds of topic, ${wireNeedles().length} needles; hits ${leaks.length} (positive control: ${control.length} on the planted message)`,
    );
    expect(control.map((h) => h.what)).toContain('resident.number');
    // And the scan would have caught the wire format before issue 14: central's plain records as a chunk carried them.
    const plain = scanMessages([{ topic: 'plain-records', bytes: Buffer.from(JSON.stringify(demoSnapshot())) }], wireNeedles());
    expect(plain.hits.map((h) => h.what)).toEqual(
      expect.arrayContaining(['record C01X00T47: number', 'record C01X00T47: birth date', 'record C01X00T47: nameLatin']),
    );
    expect(leaks).toEqual([]);
    tally({ scenario: 'privacy', cycles: checks, lost: found.length, doubleUsed: 0 });
  });
});
