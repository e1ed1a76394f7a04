// What a technician types in a terminal, run as child processes: status that tells the truth (always JSON with
// --json, an unreadable status file said as such), doctor and decide on a database the user may only read (a
// technician who is not root), gate cache clear that keeps the ledger and the outbox, import progress, and the CLI
// conventions (--version, help CMD, exit codes 0/1/2).
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGate, runGateProcess } from '../support/cli.js';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { defaultStatusFile } from '../../src/daemon/gate-daemon.js';
import { parseJson } from '../support/json.js';
import { z } from 'zod';

const SECRET_A = 'technician-A-667899827574da26cc69c532bcc445e9c7239c6664553b3e8baeacc849a3025e';
const SECRET_B = 'technician-B-b52f41a829cd42c50785b72a89c69dd227a68698697331ebbade06a2f388be82';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gate-tech-'));
  chmodSync(dir, 0o755); // a technician who is not root reads the config and the database in here
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run as a technician without root: as root, as the unprivileged `nobody`; otherwise as ourselves (not root). */
const technician = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};

function writeConfig(name: string, secret: string, extra: Record<string, unknown> = {}): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    JSON.stringify({ station: 'VNP', gate: '01', secret, db: 'gate.db', bridge: { port: { path: '/dev/null-mcu' } }, ...extra }),
  );
  chmodSync(file, 0o644);
  return file;
}

async function importSample(config: string): Promise<void> {
  const r = await runGateProcess(['cache', 'import', 'config/sample-snapshot.json', '--config', config]);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
}

/** `gate status --json`: whether the daemon runs, and the problems found, one line each. */
const statusOutputSchema = z.looseObject({ running: z.boolean(), ok: z.boolean(), problems: z.array(z.string()) });

describe('gate status tells the truth', () => {
  it('--json prints JSON when no daemon runs (it printed plain text), exit 1', async () => {
    const r = await runGateProcess(['status', '--config', writeConfig('status.json', SECRET_A, { db: 'status-only/gate.db' }), '--json']);
    expect(r.code).toBe(1);
    const j = parseJson(statusOutputSchema, r.out);
    expect(j).toMatchObject({ running: false, ok: false, status: null });
    expect(j.problems[0]).toMatch(/^not running: no status file at /);
  });

  it('--json with a config that does not exist: still JSON on stdout, exit 1', async () => {
    const r = await runGateProcess(['status', '--config', join(dir, 'nope.json'), '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out)).toMatchObject({ ok: false, error: [expect.stringMatching(/^config\/not-found: cannot read config file /)] });
  });

  it('a status file the technician may not read is said so, not "no status file"', async () => {
    const config = writeConfig('status-locked.json', SECRET_A, { db: 'locked.db' });
    const file = defaultStatusFile(join(dir, 'locked.db'));
    writeFileSync(file, '{}');
    chmodSync(file, 0o000);
    const r = await runGateProcess(['status', '--config', config], technician);
    expect(r.code).toBe(1);
    expect(r.out.trim()).toBe(
      `cannot read the status file ${file}: permission denied: run as a member of the gate group (install.sh) or with sudo`,
    );
    const j = await runGateProcess(['status', '--config', config, '--json'], technician);
    expect(parseJson(statusOutputSchema, j.out).problems).toEqual([r.out.trim()]);
  });
});

describe('a technician who is not root: doctor and decide write nothing', () => {
  it('doctor checks the cache and decide decides on a database in a folder the user cannot write', async () => {
    const sub = mkdtempSync(join(dir, 'ro-'));
    chmodSync(sub, 0o755);
    const config = join(sub, 'gate.json');
    writeFileSync(
      config,
      JSON.stringify({
        station: 'VNP',
        gate: '01',
        secret: SECRET_A,
        db: 'gate.db',
        bridge: { port: { path: '/dev/null-mcu' } },
        rules: { maxCacheAgeMinutes: 60 * 24 * 365 * 100 },
      }),
    );
    chmodSync(config, 0o644);
    await importSample(config);
    chmodSync(join(sub, 'gate.db'), 0o644);
    chmodSync(sub, 0o555); // nobody (not even the owner, for a non-root run) may create the -shm file here

    const doctor = await runGateProcess(['doctor', '--config', config, '--wait', '200'], technician);
    expect(doctor.err).toBe('');
    expect(doctor.out).toMatch(/^OK\s+cache\s+11 tickets, epoch import:/m);
    expect(doctor.out).toMatch(/^OK\s+outbox\s+0 events waiting/m);

    const decide = await runGateProcess(
      [
        'decide',
        '--config',
        config,
        '--direction',
        'entry',
        '--at',
        '2025-06-01T09:30:00+08:00',
        '--document',
        '@config/sample-documents.json#resident-two-tickets',
      ],
      technician,
    );
    expect(decide.err).toBe('');
    expect(decide.code).toBe(0);
    expect(JSON.parse(decide.out)).toMatchObject({ decision: 'open', reason: 'ok' });
    chmodSync(sub, 0o755);
  });
});

describe('gate cache clear', () => {
  it('clears a cache filled under another secret, keeps the ledger and the outbox, and a new import then works', async () => {
    const configA = writeConfig('clear-a.json', SECRET_A, { db: 'clear.db' });
    const configB = writeConfig('clear-b.json', SECRET_B, { db: 'clear.db' });
    await importSample(configA);
    const db = new Database(join(dir, 'clear.db'));
    db.prepare(
      "INSERT INTO ledger (ticket_id, direction, station, gate, at_ms, event_id, source) VALUES ('T1', 'entry', 'VNP', '01', 1, 'ev-1', 'local')",
    ).run();
    db.prepare("INSERT INTO outbox (seq, event_id, kind, payload, created_ms) VALUES (1, 'ev-1', 'passage', '{}', 1)").run();
    db.close();

    // The gate refuses to start on a cache keyed with another secret, and names the way out.
    const refused = await runGateProcess(['run', '--config', configB]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/cache\/secret-mismatch: .*gate cache clear --config FILE --yes/);

    const unconfirmed = await runGateProcess(['cache', 'clear', '--config', configB]);
    expect(unconfirmed.code).toBe(2);
    const clear = await runGateProcess(['cache', 'clear', '--config', configB, '--yes']);
    expect(clear.err).toBe('');
    expect(clear.code).toBe(0);
    expect(parseJson(z.looseObject({ cleared: z.unknown() }), clear.out).cleared).toEqual({
      passengers: 4,
      tickets: 11,
      ledgerKept: 1,
      outboxKept: 1,
    });

    await importSample(configB);
    const after = new Database(join(dir, 'clear.db'), { readonly: true });
    expect(after.prepare('SELECT count(*) FROM ledger').pluck().get()).toBe(1);
    expect(after.prepare('SELECT count(*) FROM outbox').pluck().get()).toBe(1);
    expect(after.prepare('SELECT count(*) FROM tickets').pluck().get()).toBe(11);
    after.close();
  });
});

describe('gate cache import shows progress on a long import', () => {
  it('a line per 10 % on stderr, the JSON result alone on stdout', async () => {
    const dep = '2025-06-01T10:00:00+08:00';
    const arr = '2025-06-01T12:00:00+08:00';
    const n = 30_000;
    const snap = {
      station: 'VNP',
      generatedAt: '2025-06-01T06:00:00+08:00',
      passengers: [],
      tickets: Array.from({ length: n }, (_, i) => ({
        id: `T${i}`,
        kind: 'cn-resident-id',
        country: 'CHN',
        number: `11010519491231${String(i).padStart(4, '0')}`,
        train: 'G1',
        date: '2025-06-01',
        from: 'VNP',
        to: 'AOH',
        departure: dep,
        arrival: arr,
        car: '01',
        seat: '01A',
        status: 'valid',
      })),
    };
    const file = join(dir, 'big-snapshot.json');
    writeFileSync(file, JSON.stringify(snap));
    const r = await runGateProcess(['cache', 'import', file, '--config', writeConfig('big.json', SECRET_A, { db: 'big.db' })], {
      timeoutMs: 60_000,
    });
    expect(r.code).toBe(0);
    expect(parseJson(z.looseObject({ imported: z.looseObject({ tickets: z.number() }) }), r.out).imported.tickets).toBe(n);
    const progress = r.err.split('\n').filter((l) => l.startsWith('imported '));
    expect(progress.length).toBeGreaterThanOrEqual(5);
    expect(progress.at(-1)).toBe(`imported ${n} of ${n} records (100 %)`);
    const done = progress.map((l) => Number(/^imported (\d+)/.exec(l)![1]));
    expect(done).toEqual([...done].sort((a, b) => a - b));
  }, 60_000);
});

describe('CLI conventions', () => {
  it('gate --version prints the package version', async () => {
    const r = await runGateProcess(['--version']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(`gate ${parseJson(z.looseObject({ version: z.string() }), readFileSync('package.json', 'utf8')).version}\n`);
  });

  it("gate help run prints run's help (it printed the top-level help); help of an unknown command is a usage error", async () => {
    const r = await runGateProcess(['help', 'run']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^usage: gate run --config FILE/);
    const two = await runGateProcess(['help', 'cache', 'import']);
    expect(two.out).toMatch(/^usage: gate cache import FILE/);
    const bad = await runGateProcess(['help', 'nonsense']);
    expect(bad.code).toBe(2);
    expect(bad.out).toBe('');
  });

  it('every command: exit 2 for an unknown option, 1 for a config file that does not exist', async () => {
    const missing = join(dir, 'no-such-config.json');
    for (const c of COMMANDS) {
      const words = c.name.split(' ');
      const usage = await runGate([...words, '--no-such-option']);
      expect(usage.code, `${c.name} --no-such-option`).toBe(2);
      if (/--config FILE/.test(c.help)) {
        const extra = c.name === 'cache import' || c.name === 'config check' ? ['config/sample-snapshot.json'] : [];
        const args = c.name === 'config check' ? [...words, missing] : [...words, ...extra, '--config', missing];
        const r = await runGate(args);
        expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(1);
        expect(r.err).toContain('not-found');
      }
    }
  });
});
