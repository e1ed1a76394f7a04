// The gate process is killed with SIGKILL mid-drain (power cut for the process) and started again: central's
// persistent subscriber ends up with every eventId, first seen in seq order; a re-sent event keeps its eventId.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openDb } from '../../src/cache/db.js';
import { startLocalBroker, type LocalBroker } from '../../src/mqtt/local-broker.js';
import { GateStore } from '../../src/daemon/gate-store.js';
import { firstSeen, recorder, tempGate, until } from './helpers.js';

const child = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'gate-child.ts');

function runGate(db: string, url: string, total: number): { proc: ChildProcess; recorded: () => number } {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, db, url, String(total)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let last = 0;
  let buf = '';
  proc.stdout.on('data', (d) => {
    buf += d;
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const l of lines) last = Number(l.split(' ')[1]);
  });
  return { proc, recorded: () => last };
}

const kill = (p: ChildProcess) =>
  new Promise<void>((r) => (p.exitCode !== null || p.signalCode !== null ? r() : (p.once('exit', () => r()), p.kill('SIGKILL'))));

describe('gate killed with SIGKILL mid-drain', () => {
  let broker: LocalBroker;
  afterAll(async () => broker?.close());

  it('delivers every committed event after the restart, in seq order per gate, duplicates with the same eventId', async () => {
    broker = await startLocalBroker();
    const r = await recorder(broker.url, 'gates/v1/BJP/09/events/#', {
      clientId: 'central-crash',
      clean: false,
      properties: { sessionExpiryInterval: 300 },
    });
    const g = tempGate('BJP', '09');
    g.db.close();
    const total = 1500;

    const first = runGate(g.path, broker.url, total);
    await until(() => first.recorded() >= 300 && r.messages.length >= 100, 20_000, 'first run recording and publishing');
    await kill(first.proc);
    const recordedBeforeKill = first.recorded();
    expect(recordedBeforeKill).toBeLessThan(total);

    const second = runGate(g.path, broker.url, total);
    try {
      const check = openDb(g.path, { migrate: false });
      const store = new GateStore(check, { station: 'BJP', gate: '09' });
      await until(
        () => store.outbox.counts().lastSeq === total && store.outbox.counts().pending === 0,
        30_000,
        'second run records and drains all',
      );
      const rows = check.prepare('SELECT seq, event_id AS eventId FROM outbox ORDER BY seq').all() as { seq: number; eventId: string }[];
      check.close();
      expect(rows.map((x) => x.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1)); // gap-free across the crash

      await until(() => new Set(r.events().map((e) => e.eventId)).size >= total, 20_000, 'central has every eventId');
      const seen = firstSeen(r.events()); // throws if a duplicate carried a different event
      expect(seen.map((e) => ({ seq: e.seq, eventId: e.eventId }))).toEqual(rows);
    } finally {
      await kill(second.proc);
      await r.close();
      g.close();
    }
  });
});
