// `gate demo`, as the README's first command runs it: the whole scripted hour with the daemon, simulated devices,
// a private broker and central; every outcome checked by the demo itself, and the lines a visitor reads.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../src/demo/run-demo.js';

async function demo(offline: boolean) {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d) => (text += d));
  const r = await runDemo({ out, offline });
  return { ...r, text };
}

describe('gate demo', () => {
  it('plays the hour online: every scene as expected, central receives every event once, in seq order', async () => {
    const r = await demo(false);
    expect(r.failures, r.text).toBe(0);
    const lines = r.text.split('\n');
    const row = (re: RegExp) => lines.find((l) => re.test(l)) ?? `(no line ${re})`;
    expect(row(/resident ID card\s+OPEN/)).toMatch(/G101\s+05\s+12A\s+walked through, ticket E0001 used/);
    expect(row(/PR card \(2023\)\s+OPEN/)).toMatch(/ticket E0006 used/);
    expect(row(/passport \(MRZ\)\s+OPEN/)).toMatch(/ticket E0007 used/);
    expect(row(/not-verified/)).toMatch(/verify it online on 12306 .* or at the station ticket window/);
    expect(row(/too-late/)).toMatch(/REJECT/);
    expect(row(/HK\/MO\/TW permit\s+OPEN/)).toMatch(/tailgating alarm/);
    expect(row(/FIRE ALARM on/)).toBeTruthy();
    expect(row(/REJECT\s+emergency/)).toBeTruthy();
    expect(row(/ticket-refunded/)).toMatch(/G103\s+02\s+11D/);
    expect(row(/^central received/)).toMatch(/with no gap and no duplicate/);
    const seqs = r.received.map((e) => e.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(r.received.filter((e) => e.kind === 'passage')).toHaveLength(4);
  });

  it('runs offline when there is no broker: the same hour, and the outbox keeps every event', async () => {
    const r = await demo(true);
    expect(r.failures, r.text).toBe(0);
    expect(r.text).toMatch(/broker:\s+none/);
    expect(r.text).toMatch(/offline: 16 events wait in the outbox \(seq 1\.\.16\)/);
  });
});
