// Logs a person can read: pretty lines on a terminal and JSON lines for machines, an unknown level as a one-line
// config error, and a connection error that repeats every second logged the first time, then with backoff and a
// count (the sync worker logged `sync mqtt error` every second while the broker was down).
import { mqttConfig } from '../mqtt/helpers.js';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createLogger } from '../../src/util/log.js';
import { RepeatLimiter } from '../../src/util/repeat-limiter.js';
import { startSubscriber } from '../../src/sync/subscriber.js';
import type { SyncEngine } from '../../src/sync/engine.js';
import { freePort } from '../../src/mqtt/local-broker.js';
import { waitFor } from '../../src/util/wait.js';
import { logLineSchema, parseJson } from '../support/json.js';

const TSX = createRequire(import.meta.url).resolve('tsx');
const LOG_ONE_LINE = `import { createLogger } from './src/util/log.ts'; createLogger().info({ station: 'VNP' }, 'gate ready');`;

/** Run the snippet with stderr on a real terminal (util-linux `script` gives it a pty) or on a pipe. */
function logOnce(terminal: boolean, env: NodeJS.ProcessEnv = {}): string {
  const cmd = [process.execPath, '--import', TSX, '--input-type=module', '-e', JSON.stringify(LOG_ONE_LINE)].join(' ');
  const r = terminal
    ? spawnSync('script', ['-qec', `${cmd} 2>&1`, '/dev/null'], { encoding: 'utf8', env: { ...process.env, ...env } })
    : spawnSync('sh', ['-c', cmd], { encoding: 'utf8', env: { ...process.env, ...env } });
  return `${r.stdout}${r.stderr}`;
}

describe('log format', () => {
  it('on a terminal: readable lines with a level name and a local time, not JSON', () => {
    const out = logOnce(true);
    expect(out).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\]\s.*INFO.*gate ready/);
    expect(out).toContain('station');
    expect(out).not.toContain('"level":30');
  });

  it('on a pipe (journald, files): one JSON line', () => {
    const out = logOnce(false).trim();
    expect(JSON.parse(out)).toMatchObject({ level: 30, msg: 'gate ready', station: 'VNP' });
  });

  it('GATE_LOG_FORMAT=json keeps JSON on a terminal', () => {
    const out = logOnce(true, { GATE_LOG_FORMAT: 'json' }).trim();
    expect(out).toContain('"msg":"gate ready"');
  });
});

describe('log level', () => {
  it('an unknown level is one line naming where it came from, not a crash deep inside pino', () => {
    expect(() => createLogger({ level: 'verbose' })).toThrow(/^logLevel: expected one of "fatal", .*, got "verbose"$/);
    expect(() => createLogger({}, { GATE_LOG_LEVEL: 'verbose' })).toThrow(/^GATE_LOG_LEVEL: expected one of .*, got "verbose"$/);
  });
});

describe('repeated connection errors', () => {
  it('RepeatLimiter: the first at once, then after 1, 2, 4, 8 ... s with the count held back; another error starts over', () => {
    let now = 0;
    const limiter = new RepeatLimiter({ initialMs: 1000, maxMs: 60_000, now: () => now });
    const logged: { at: number; suppressed: number }[] = [];
    for (now = 0; now < 60_000; now += 1000) {
      const v = limiter.hit('ECONNREFUSED');
      if (v.log) logged.push({ at: now, suppressed: v.suppressed });
    }
    expect(logged.map((l) => l.at)).toEqual([0, 1000, 3000, 7000, 15_000, 31_000]);
    expect(logged.map((l) => l.suppressed)).toEqual([0, 0, 1, 3, 7, 15]);
    expect(limiter.hit('ENOTFOUND')).toEqual({ log: true, suppressed: 0 });
    limiter.reset();
    expect(limiter.hit('ENOTFOUND').log).toBe(true);
  });

  it('the sync subscriber with its broker down: a few lines with a count, not one per retry', async () => {
    const lines: { msg: string; repeated?: number }[] = [];
    const log = pino({ level: 'info' }, { write: (l: string) => lines.push(parseJson(logLineSchema, l)) });
    const engine = { handle: () => undefined, tick: () => undefined } as unknown as SyncEngine;
    const port = await freePort(); // nothing listens there
    const mqtt = mqttConfig([`mqtt://127.0.0.1:${port}`], { reconnect: { initialMs: 10, maxMs: 100 } });
    const sub = startSubscriber({ mqtt, station: 'VNP', gate: '01', engine, log, tickMs: 60_000 });
    let errors = 0;
    sub.connection.events.on('retry', () => errors++);
    try {
      await waitFor(() => errors >= 40, 20_000, '40 connection errors');
    } finally {
      await sub.stop();
    }
    const logged = lines.filter((l) => l.msg === 'sync mqtt error');
    expect(logged.length).toBeGreaterThanOrEqual(1);
    expect(logged.length).toBeLessThanOrEqual(5);
    if (logged.length > 1) expect(logged.at(-1)!.repeated).toBeGreaterThan(0);
  });
});
