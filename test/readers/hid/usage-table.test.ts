// Boot-keyboard reports written by hand from the USB HID Usage Tables (test/fixtures/hid/usage-tables/, each file
// cites its source), not made by the project's encoder: an independent oracle for the HID path. They go through the
// real decoder, line assembler and MRZ parser, and through MrzScanner on a transport, to a parsed document.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HidKeyboardDecoder } from '../../../src/readers/hid/index.js';
import { MrzLineAssembler, MrzScanner, parseMrz } from '../../../src/readers/mrz/index.js';
import type { Document } from '../../../src/identity/document.js';
import { FakeTransport } from '../../support/fake-transport.js';

const DIR = join(import.meta.dirname, '../../fixtures/hid/usage-tables');
const NOW = new Date('2026-11-24T12:00:00Z');

interface UsageFixture {
  source: Record<string, string>;
  description: string;
  lines: string[];
  reports: { t: number; report: string; note: string }[];
}
const fixtures = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => [f, JSON.parse(readFileSync(join(DIR, f), 'utf8')) as UsageFixture] as const);
const bytes = (spaced: string) => Uint8Array.from(spaced.split(' ').map((h) => parseInt(h, 16)));

/** The ICAO specimen's holder, as ICAO Doc 9303 prints it (the same person on the TD1 and the TD3). */
const SPECIMEN = {
  surname: 'ERIKSSON',
  givenNames: 'ANNA MARIA',
  nationality: 'UTO',
  birthDate: '1974-08-12',
  sex: 'F' as const,
  validTo: '2012-04-15',
};
const EXPECTED: Record<string, Partial<Document>> = {
  'td3-press-release.json': { ...SPECIMEN, format: 'TD3', number: 'L898902C3', optionalData: 'ZE184226B' },
  'td1-field-habits.json': { ...SPECIMEN, format: 'TD1', number: 'D23145890' },
};

describe('hand-written HID reports (USB HID Usage Tables, Keyboard/Keypad page 0x07)', () => {
  it('every fixture has its expected document, cites its tables, and holds only 8-byte boot reports', () => {
    expect(fixtures.map(([f]) => f).sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const [, fx] of fixtures) {
      expect(fx.source.usageTables).toMatch(/Keyboard\/Keypad Page \(0x07\)/);
      expect(fx.source.reportFormat).toMatch(/Appendix B\.1/);
      for (const r of fx.reports) expect(bytes(r.report), r.note).toHaveLength(8);
    }
  });

  it.each(fixtures)('%s: the decoder types exactly the MRZ lines, each ended by CR', (_f, fx) => {
    const decoder = new HidKeyboardDecoder();
    const typed = fx.reports.map((r) => decoder.feed(bytes(r.report))).join('');
    expect(typed).toBe(fx.lines.map((l) => `${l}\r`).join(''));
    expect(decoder.stats.malformed).toBe(0);
  });

  it.each(fixtures)('%s: decoder -> line assembler -> parser gives the specimen document', (f, fx) => {
    const decoder = new HidKeyboardDecoder();
    const assembler = new MrzLineAssembler({ interLineTimeoutMs: 300 });
    const docs: Document[] = [];
    for (const r of fx.reports) {
      for (const o of assembler.feed(Buffer.from(decoder.feed(bytes(r.report)), 'latin1'), r.t)) {
        if (o.kind !== 'mrz') throw new Error(`unexpected discard ${o.reason}`);
        const p = parseMrz(o.text, NOW);
        if (!p.ok) throw new Error(p.error.toLine());
        docs.push(p.document);
      }
    }
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject(EXPECTED[f]);
  });

  it.each(fixtures)('%s: through MrzScanner on a transport, one report per data event', async (f, fx) => {
    const t = new FakeTransport('hid');
    let at = 0;
    // The scanner's clock is the wall clock (it resolves two-digit years against it): the reports' times from NOW.
    const scanner = new MrzScanner(t, { input: 'hid', interLineTimeoutMs: 300, clock: () => NOW.getTime() + at });
    const docs: Document[] = [];
    const refused: unknown[] = [];
    scanner.events.on('document', (d) => docs.push(d));
    scanner.events.on('rejected', (r) => refused.push(r));
    scanner.events.on('discard', (d) => refused.push(d));
    await t.open();
    for (const r of fx.reports) {
      at = r.t;
      t.deliver(bytes(r.report));
    }
    scanner.stop();
    await t.close();
    expect(refused).toEqual([]);
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject(EXPECTED[f]);
  });

  it('the field habits file really exercises rollover, Right Shift, keypad digits and Enter, repeats, ErrorRollOver and Alt codes', () => {
    const fx = fixtures.find(([f]) => f === 'td1-field-habits.json')![1];
    const reps = fx.reports.map((r) => bytes(r.report));
    expect(reps.some((r) => r[2] !== 0 && r[3] !== 0 && r[3] !== 1)).toBe(true); // two keys down
    expect(reps.some((r) => r[0] === 0x20 && r[2] === 0x36)).toBe(true); // Right Shift + , = '<'
    expect(reps.some((r) => r[0] === 0 && r[2] >= 0x59 && r[2] <= 0x62)).toBe(true); // keypad digit
    expect(reps.some((r, i) => i > 0 && r[2] !== 0 && fx.reports[i].report === fx.reports[i - 1].report)).toBe(true); // a repeat
    expect(reps.some((r) => r.subarray(2).every((k) => k === 1))).toBe(true); // ErrorRollOver
    expect(reps.some((r) => r[0] === 0x04 && r[2] === 0x5e)).toBe(true); // Alt + keypad 6
    const td3 = fixtures.find(([f]) => f === 'td3-press-release.json')![1];
    expect(td3.reports.some((r) => bytes(r.report)[2] === 0x58)).toBe(true); // keypad Enter
  });
});
