// The central tools as a user runs them (`gate central keygen|snapshot|delta`, `gate sync status`) against a real
// Mosquitto and a gate's sync worker.
import { mqttConfig } from '../mqtt/helpers.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { startLocalBroker, type LocalBroker } from '../../src/mqtt/local-broker.js';
import { openDb } from '../../src/cache/db.js';
import { SqliteCacheView } from '../../src/cache/view.js';
import { SyncService } from '../../src/sync/service.js';
import { createProgress, progressLine } from '../../src/sync/progress.js';
import { SECRET, STATION, snapshotFile, tempDir, ticket } from './fixtures.js';
import { parseJson } from '../support/json.js';
import { z } from 'zod';

async function gate(...args: string[]) {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d) => (stdout += d));
  err.on('data', (d) => (stderr += d));
  const code = await main(args, { stdout: out, stderr: err, stdin: new PassThrough() });
  return { code, stdout, stderr };
}

let broker: LocalBroker;
let tmp: ReturnType<typeof tempDir>;
beforeAll(async () => {
  broker = await startLocalBroker();
  tmp = tempDir();
});
afterAll(async () => {
  await broker.close();
  tmp.cleanup();
});

/** The part of `gate sync status` the wait below looks at: the head central announced, if any. */
const syncStatusSchema = z.looseObject({ head: z.looseObject({ seq: z.number() }).nullable().optional() });

describe('gate central and gate sync status', () => {
  it('keygen, snapshot, delta: the gate follows, sync status reports it', async () => {
    const keys = await gate('central', 'keygen', '--out', join(tmp.dir, 'keys'));
    expect(keys.code).toBe(0);
    const k = parseJson(z.looseObject({ keyId: z.string(), privateKey: z.string(), publicKey: z.string() }), keys.stdout);
    expect(k.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(statSync(k.privateKey).mode & 0o777).toBe(0o600);
    expect((await gate('central', 'keygen', '--out', join(tmp.dir, 'keys'))).code).toBe(1); // never overwrites

    const dbPath = join(tmp.dir, 'gate.db');
    openDb(dbPath).close();
    const svc = await SyncService.start({
      dbPath,
      secret: SECRET,
      station: STATION,
      gate: 'cli',
      mqtt: mqttConfig([broker.url]),
      centralPublicKeys: [readFileSync(k.publicKey, 'utf8')],
      logLevel: 'silent',
    });
    await new Promise<void>((r) => svc.once('connected', () => r()));
    const states: number[] = [];
    svc.on('state', (s) => states.push(s.seq));
    try {
      const snapPath = join(tmp.dir, 'snap.json');
      const docKeyPath = join(tmp.dir, 'station-doc.key');
      writeFileSync(docKeyPath, SECRET);
      writeFileSync(snapPath, JSON.stringify(snapshotFile(40)));
      const snap = await gate(
        'central',
        'snapshot',
        snapPath,
        '--key',
        k.privateKey,
        '--doc-key-file',
        docKeyPath,
        '--url',
        broker.url,
        '--station',
        STATION,
        '--epoch',
        '500',
        '--chunk-rows',
        '25',
      );
      expect(snap.code).toBe(0);
      expect(JSON.parse(snap.stdout)).toMatchObject({ epoch: 500, seq: 0, counts: { passengers: 40, tickets: 40 }, chunks: 4, rows: 80 });
      expect(snap.stderr).toMatch(/snapshot SHH\/500: 80\/80 rows \(100%\)/); // plain progress lines: stderr is no TTY

      const deltaPath = join(tmp.dir, 'delta.json');
      writeFileSync(deltaPath, JSON.stringify({ upserts: { tickets: [ticket(3, 'refunded')] }, deletes: { tickets: [ticket(4).id] } }));
      const d = await gate(
        'central',
        'delta',
        deltaPath,
        '--key',
        k.privateKey,
        '--doc-key-file',
        docKeyPath,
        '--url',
        broker.url,
        '--station',
        STATION,
        '--epoch',
        '500',
        '--seq',
        '1',
      );
      expect(d.code).toBe(0);
      const end = Date.now() + 10_000;
      while (!states.includes(1) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));

      const db = openDb(dbPath, { readonly: true });
      const view = new SqliteCacheView(db, SECRET);
      expect(view.tickets([view.keyOf(ticket(3))]).map((t) => t.status)).toEqual(['refunded']);
      expect(view.tickets([view.keyOf(ticket(4))])).toEqual([]);
      db.close();

      // The delta and the retained head that announces it are two messages: the head may be handled just after.
      let st = await gate('sync', 'status', '--db', dbPath);
      const headBy = Date.now() + 5000;
      while (parseJson(syncStatusSchema, st.stdout).head?.seq !== 1 && Date.now() < headBy) {
        await new Promise((r) => setTimeout(r, 20));
        st = await gate('sync', 'status', '--db', dbPath);
      }
      expect(st.code).toBe(0);
      expect(JSON.parse(st.stdout)).toMatchObject({
        station: STATION,
        applied: { epoch: '500', seq: 1 },
        head: { epoch: 500, seq: 1 },
        behindBy: 0,
        snapshot: null,
        lastRejected: null,
      });
    } finally {
      await svc.stop();
    }
  });

  it('refuses bad input with a usage error', async () => {
    expect(
      (await gate('central', 'delta', 'x.json', '--key', 'k', '--url', broker.url, '--station', STATION, '--epoch', '0', '--seq', '1'))
        .code,
    ).toBe(2);
    expect((await gate('central', 'snapshot', '--key', 'k')).code).toBe(2);
    expect((await gate('sync', 'status')).code).toBe(2);
  });
});

describe('progress display', () => {
  it('says rows, rate and time left', () => {
    expect(progressLine('snapshot 7', 250_000, 1_000_000, 5_000)).toBe('snapshot 7: 250.0k/1.00M rows (25%), 50.0k rows/s, 15s left');
    expect(progressLine('snapshot 7', 1_000_000, 1_000_000, 20_000)).toBe('snapshot 7: 1.00M/1.00M rows (100%), 50.0k rows/s, took 20s');
  });

  it('redraws one line on a terminal and writes plain lines elsewhere', () => {
    let t = 0;
    const collect = (isTTY: boolean) => {
      let text = '';
      const out = Object.assign(new PassThrough(), { isTTY });
      out.on('data', (d) => (text += d));
      const p = createProgress({ label: 'load', total: 100, out, clock: () => t, everyMs: 1000 });
      for (t = 0; t <= 3000; t += 500) p.update(t / 30);
      p.finish();
      return () => text;
    };
    const tty = collect(true);
    const plain = collect(false);
    expect(tty()).toContain('\r\x1b[2K');
    expect(tty().endsWith('\n')).toBe(true);
    expect(plain()).not.toContain('\r');
    expect(plain().trim().split('\n').length).toBe(5); // t = 0, 1000, 2000, 3000, and the final line
  });
});
