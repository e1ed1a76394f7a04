// `gate run` meets an error nothing caught: one log line, the passage under way finishes (the MCU's passenger is in
// the ledger), then exit 70 for systemd to restart it. Never a silent death mid-passage, never a zombie daemon.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CARDS } from '../../src/demo/data.js';
import { UNEXPECTED_EXIT_CODE } from '../../src/daemon/process-policy.js';
import { waitFor } from '../../src/util/wait.js';
import { startLoadedGate, startWorld, type World } from './world.js';

let world: World | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const ENTRY = resolve('src/cli/entry.ts');
const FIXTURE = resolve('test/daemon/fixtures/unexpected-error.ts');

function startBuggyGate(w: World) {
  const proc = spawn(process.execPath, ['--import', 'tsx', '--import', FIXTURE, ENTRY, 'run', '--config', w.configPath], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, GATE_LOG_LEVEL: 'info' },
  });
  let log = '';
  proc.stderr.on('data', (d: Buffer) => (log += d.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    proc.once('exit', (code, signal) => r({ code, signal })),
  );
  return { proc, exited, log: () => log };
}

const unexpectedLines = (log: string) => log.split('\n').filter((l) => l.includes('unexpected error'));

describe('gate run: unexpected errors', () => {
  it('an uncaught exception mid-passage: logged once, the passage finishes and is recorded, exit 70', async () => {
    world = await startWorld({ passageTimeoutMs: 8000 });
    const w = world;
    // The snapshot is loaded by an ordinary gate first; the buggy one then starts on the loaded file.
    const loader = await startLoadedGate(w);
    loader.proc.kill('SIGTERM');
    await loader.exited;

    const gate = startBuggyGate(w);
    await waitFor(() => gate.log().includes('"msg":"gate ready"'), 20_000, 'the gate ready');
    await waitFor(() => w.mcu.session && w.mcu.mode === 'normal', 10_000, 'the MCU session');
    w.reader.placeCard(CARDS.resident);
    await waitFor(() => w.mcu.auth !== null, 8000, 'the MCU authorisation');

    gate.proc.kill('SIGUSR2');
    await waitFor(() => unexpectedLines(gate.log()).length > 0, 5000, 'the error logged');
    expect(gate.proc.exitCode).toBeNull(); // still there: the passenger is in the lane
    await w.mcu.walkThrough();
    const { code } = await gate.exited;
    expect(code).toBe(UNEXPECTED_EXIT_CODE);
    expect(w.query<{ ticket_id: string }>('SELECT ticket_id FROM ledger').map((r) => r.ticket_id)).toEqual(['R1']);
    const lines = unexpectedLines(gate.log());
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 60, kind: 'uncaughtException', err: 'a bug in a timer callback', exitCode: 70 });
    expect(lines[0]).not.toContain('at '); // one line, no stack
  }, 90_000);

  it('an unhandled rejection with the lane idle: logged once, exit 70 at once', async () => {
    world = await startWorld();
    const w = world;
    const gate = startBuggyGate(w);
    await waitFor(() => gate.log().includes('"msg":"gate ready"'), 20_000, 'the gate ready');
    gate.proc.kill('SIGUSR1');
    const { code } = await gate.exited;
    expect(code).toBe(UNEXPECTED_EXIT_CODE);
    const lines = unexpectedLines(gate.log());
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ kind: 'unhandledRejection', err: 'a bug in an async handler' });
    expect(gate.log()).toContain('"msg":"stopped"');
  }, 60_000);
});
