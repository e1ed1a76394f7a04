// An empty or days-old cache refuses every passenger: the daemon warns at start, and `gate status` (as a technician
// types it) says FAIL and exits 1, where it used to show every device ok and exit 0.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { runGateProcess } from '../support/cli.js';
import { openDb } from '../../src/cache/db.js';
import { importSnapshot } from '../../src/cache/import.js';
import { DEMO_SECRET } from '../../src/demo/data.js';
import { waitFor } from '../../src/util/wait.js';
import { GateDaemon } from '../../src/daemon/gate-daemon.js';
import { parseConfig } from '../../src/config/load.js';
import { stationSnapshot, startWorld, type World } from './world.js';
import { logLineSchema, parseJson, readStatusFile } from '../support/json.js';

let world: World | undefined;
let daemon: GateDaemon | undefined;
afterEach(async () => {
  await daemon?.stop({ drainMs: 0 });
  await world?.close();
  world = daemon = undefined;
});

async function startDaemon(w: World): Promise<{ daemon: GateDaemon; lines: { level: number; msg: string }[] }> {
  const cfg = parseConfig(JSON.parse(readFileSync(w.configPath, 'utf8')));
  const lines: { level: number; msg: string }[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => lines.push(parseJson(logLineSchema, l)) });
  const d = new GateDaemon({
    config: { ...cfg, mqtt: { ...cfg.mqtt, enabled: false }, sync: { ...cfg.sync, enabled: false } },
    secret: DEMO_SECRET,
    configVersion: 't',
    appVersion: '0.0.0-test',
    log,
  });
  await d.start();
  await waitFor(() => d.link.state === 'up' && d.statusSnapshot().devices.idcard?.state === 'ok', 8000, 'devices up');
  await waitFor(() => readStatusFile(`${w.dbPath}.status.json`).devices?.bridge?.state === 'ok', 5000, 'the status file');
  return { daemon: d, lines };
}

describe('an empty or stale cache is not healthy', () => {
  it('empty: a warning at start, and gate status FAIL with exit 1 (text and --json)', async () => {
    world = await startWorld();
    const started = await startDaemon(world);
    daemon = started.daemon;
    const ready = started.lines.findIndex((l) => l.msg === 'gate ready');
    const warning = started.lines.find((l) => l.level === 40 && l.msg.startsWith('cache empty: every passenger is refused'));
    expect(ready).toBeGreaterThanOrEqual(0);
    expect(warning).toBeDefined();

    const r = await runGateProcess(['status', '--config', world.configPath]);
    expect(r.out).toMatch(/^running: pid \d+/);
    expect(r.out).toMatch(/device:\s+bridge\s+ok/);
    expect(r.out).toMatch(/^cache:\s+FAIL empty: every passenger is refused/m);
    expect(r.code).toBe(1);
    const j = await runGateProcess(['status', '--config', world.configPath, '--json']);
    expect(j.code).toBe(1);
    expect(JSON.parse(j.out)).toMatchObject({ running: true, ok: false, cache: 'empty' });
  });

  it('days old: a warning at start, and gate status FAIL stale with exit 1', async () => {
    world = await startWorld();
    const db = openDb(world.dbPath);
    importSnapshot(db, DEMO_SECRET, stationSnapshot(Date.now() - 3 * 24 * 3600_000), new Date());
    db.close();
    const started = await startDaemon(world);
    daemon = started.daemon;
    expect(
      started.lines.some((l) => l.level === 40 && /^cache epoch import:[0-9a-f]+ seq 0, 4320 min old \(max 1440\): too old/.test(l.msg)),
    ).toBe(true);
    const r = await runGateProcess(['status', '--config', world.configPath]);
    expect(r.out).toMatch(/^cache:\s+FAIL epoch import:[0-9a-f]+ seq 0, 4320 min old \(max 1440\): too old, every passenger is refused/m);
    expect(r.code).toBe(1);
  });
});
