// `gate demo`, as the README's first command runs it: the whole scripted hour with the daemon, simulated devices,
// a private broker and central; every outcome checked by the demo itself, and the lines a visitor reads.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../src/demo/run-demo.js';
import { barePath } from '../support/bare-path.js';

const ENTRY = resolve('src/cli/entry.ts');

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
    // socat and Mosquitto are installed here (the test setup sees to it): the real parts are the ones used.
    expect(lines[0]).toMatch(/; devices on socat ptys, Mosquitto broker$/);
    expect(row(/resident ID card\s+OPEN/)).toMatch(/G101\s+05\s+12A\s+walked through, ticket E0001 used/);
    expect(row(/PR card \(2023\)\s+OPEN/)).toMatch(/ticket E0006 used/);
    expect(row(/passport \(MRZ\)\s+OPEN/)).toMatch(/ticket E0007 used/);
    expect(row(/not-verified/)).toMatch(/verify it online on 12306 .* or at the station ticket window/);
    // The refusal in the passenger's language (a Japanese passport: Japanese from CLDR), as the MCU's panel got it.
    expect(row(/not-verified/)).toMatch(/\[ja\] パスポートの本人確認が完了していません。/);
    expect(row(/passport \(MRZ\)\s+OPEN/)).toMatch(/\[de\] Bitte gehen Sie durch/);
    expect(row(/PR card \(2023\)\s+OPEN/)).toMatch(/\[ar\] \u2067.+\u2069/); // Arabic, isolated right to left
    expect(row(/too-late/)).toMatch(/REJECT/);
    expect(row(/HK\/MO\/TW permit\s+REJECT/)).toMatch(
      /face-mismatch\s+G101\s+05\s+12B\s+\[zh\] 人证核验未通过，请到人工通道办理 \| Your face could not be matched to your ID card\. Please use the staffed gate/,
    );
    expect(row(/HK\/MO\/TW permit\s+OPEN/)).toMatch(/tailgating alarm/);
    expect(row(/^\s+face:/)).toMatch(/simulated face-match module \(its own process\)/);
    expect(r.received.filter((e) => e.kind === 'decision' && e.face === 'no-match')).toHaveLength(1);
    expect(row(/FIRE ALARM on/)).toBeTruthy();
    expect(row(/REJECT\s+emergency/)).toBeTruthy();
    expect(row(/ticket-refunded/)).toMatch(/G103\s+02\s+11D/);
    expect(row(/^central received/)).toMatch(/with no gap and no duplicate/);
    const seqs = r.received.map((e) => e.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    // Issue 17: a student outside the registered journey, a child ticket on a parent's card, a Home Return Permit
    // card by MRZ, and a transfer passenger.
    expect(row(/07A/)).toMatch(
      /REJECT\s+staffed-check\s+G105\s+03\s+07A\s+\[zh\] 学生票不在登记的家校乘车区间内.+ \| This student ticket is outside your registered home-school journey/,
    );
    expect(row(/08B/)).toMatch(
      /REJECT\s+staffed-check\s+G105\s+03\s+08B\s+\[zh\] 本证件购有儿童票.+ \| A child ticket was bought on this document/,
    );
    expect(row(/HK\/MO permit \(MRZ\)/)).toMatch(/OPEN\s+ok\s+G105\s+03\s+09D\s+walked through, ticket D0006 used/);
    expect(row(/transfer channel/)).toMatch(/OPEN\s+ok\s+G105\s+03\s+10F/);
    const details = r.received.flatMap((e) => (e.kind === 'decision' && e.detail ? [e.detail] : []));
    expect(details).toEqual(['student-outside-journey', 'child-ticket-on-document']);
    expect(r.received.filter((e) => e.kind === 'passage')).toHaveLength(5);
  });

  it('runs offline when there is no broker: the same hour, and the outbox keeps every event', async () => {
    const r = await demo(true);
    expect(r.failures, r.text).toBe(0);
    expect(r.text).toMatch(/broker:\s+none/);
    expect(r.text).toMatch(/offline: 21 events wait in the outbox \(seq 1\.\.21\)/);
  });

  it('plays the whole hour on a bare machine (PATH holds only node): devices in-process, the embedded broker, and the header says so', async () => {
    const bare = barePath();
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, 'demo'], { env: bare.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      expect(code, out + err).toBe(0);
      const lines = out.split('\n');
      expect(lines[0]).toMatch(/^gate demo: .*; devices in-process \(no socat\), embedded aedes broker \(no Mosquitto\)$/);
      expect(out).toMatch(
        /devices: ID-card reader in-process:\S+, MRZ scanner in-process:\S+, turnstile MCU in-process:\S+ \(simulated, joined in-process/,
      );
      expect(out).toMatch(/broker:\s+embedded MQTT broker \(aedes/);
      expect(out).toMatch(
        /central received 21 events from gate VNP\/01: 12 decisions, 5 passages, 4 alarms; seq 1\.\.21 with no gap and no duplicate/,
      );
      expect(lines.find((l) => /HK\/MO\/TW permit\s+OPEN/.test(l))).toMatch(/tailgating alarm/);
      expect(out).toMatch(/^demo complete: every outcome as expected$/m);
      expect(err).not.toMatch(/ENOENT|socat|mosquitto/i);
    } finally {
      bare.close();
    }
  }, 60_000);
});
