// The technician's tools against the simulated station: gate doctor (all well, then each fault a technician meets
// on site, each with its one-line fix), gate lane test (release and close in maintenance mode), gate status.
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { SerialPort } from 'serialport';
import { runGate } from '../support/cli.js';
import { openDb } from '../../src/cache/db.js';
import { bindSecret } from '../../src/cache/write.js';
import { importSnapshot } from '../../src/cache/import.js';
import { DEMO_SECRET } from '../../src/demo/data.js';
import { waitFor } from '../../src/util/wait.js';
import { startLocalBroker, type LocalBroker } from '../../src/mqtt/local-broker.js';
import { GateDaemon } from '../../src/daemon/gate-daemon.js';
import { parseConfig } from '../../src/config/load.js';
import { pino } from 'pino';
import { stationSnapshot, startWorld, type World } from './world.js';
import { parseJson, readStatusFile } from '../support/json.js';
import { gateEventSchema } from '../../src/gate/events.js';
import type { GateConfig } from '../../src/config/schema.js';

let world: World | undefined;
let extraBroker: LocalBroker | undefined;
afterEach(async () => {
  await world?.close();
  await extraBroker?.close();
  world = extraBroker = undefined;
});

const gate = (...args: string[]) => runGate(args);

/** The line of one check: "STATUS  name  text". */
const check = (out: string, name: string) => out.split('\n').find((l) => l.split(/\s+/)[1] === name) ?? `(no ${name} line)`;

async function loadedWorld(): Promise<World> {
  const w = await startWorld();
  const db = openDb(w.dbPath);
  bindSecret(db, DEMO_SECRET);
  importSnapshot(db, DEMO_SECRET, stationSnapshot(Date.now()), new Date());
  db.close();
  return w;
}

function editConfig(w: World, edit: (c: GateConfig) => void): void {
  const c = parseConfig(JSON.parse(readFileSync(w.configPath, 'utf8')));
  edit(c);
  writeFileSync(w.configPath, JSON.stringify(c));
}

describe('gate doctor', () => {
  it('all well: config, reader SAM, MCU handshake, broker, cache, outbox and disk each say OK', async () => {
    world = await loadedWorld();
    const r = await gate('doctor', '--config', world.configPath, '--wait', '1500');
    expect(r.code).toBe(0);
    for (const name of ['config', 'idcard', 'mrzSerial', 'bridge', 'mqtt', 'cache', 'outbox', 'disk'])
      expect(check(r.out, name)).toMatch(/^OK /);
    expect(check(r.out, 'bridge')).toContain('firmware sim-1.0.0');
    expect(check(r.out, 'cache')).toContain('6 tickets');
  });

  it('names the fix for a wrong port, a silent reader, garbage from a wrong baud rate, a silent MCU and a port held by another process', async () => {
    world = await loadedWorld();
    const w = world;
    editConfig(w, (c) => (c.devices.mrzSerial.path = '/dev/ttyNOPE9'));
    w.reader.setBehaviour({ silent: true });
    w.mcu.silence(true);
    let r = await gate('doctor', '--config', w.configPath, '--wait', '600');
    expect(r.code).toBe(1);
    expect(check(r.out, 'mrzSerial')).toMatch(/^FAIL .*\/dev\/ttyNOPE9 does not exist: check the cable and the path/);
    expect(check(r.out, 'idcard')).toMatch(/^FAIL .*no answer on .*check that it is the right port/);
    expect(check(r.out, 'bridge')).toMatch(/^FAIL .*no HELLO reply from the MCU/);

    // Garbage instead of frames: the baud rate.
    w.reader.setBehaviour({ silent: false, noise: Uint8Array.from({ length: 40 }, (_, i) => (i * 37 + 11) & 0xff), corruptNext: 10 });
    // Another process holds the MCU's port.
    const holder = new SerialPort({ path: w.pairs[2].device, baudRate: 115200, autoOpen: false });
    await new Promise<void>((res, rej) => holder.open((e) => (e ? rej(e) : res())));
    try {
      r = await gate('doctor', '--config', w.configPath, '--wait', '900');
    } finally {
      await new Promise<void>((res) => holder.close(() => res()));
    }
    expect(check(r.out, 'idcard')).toMatch(/^FAIL .*only garbage .*wrong baud rate; set devices.idcard.baudRate/);
    expect(check(r.out, 'bridge')).toMatch(/^FAIL .*held by another process/);
  });

  it('a broker that refuses the gate: the line says to check the credentials', async () => {
    world = await loadedWorld();
    extraBroker = await startLocalBroker({ listenerLines: ['allow_anonymous false'] });
    editConfig(world, (c) => {
      c.mqtt.urls = [extraBroker!.url];
      c.mqtt.username = 'gate07';
      c.mqtt.password = 'wrong';
    });
    const r = await gate('doctor', '--config', world.configPath, '--wait', '600');
    expect(check(r.out, 'mqtt')).toMatch(/^FAIL .*refused (the username or password|this client \(not authorised\)): check mqtt.username/);
  });
});

describe('gate lane test', () => {
  it('releases the lane for one passage in maintenance mode, reports the sensors, closes it, and records it', async () => {
    world = await loadedWorld();
    const w = world;
    const walker = (async () => {
      await waitFor(() => w.mcu.auth !== null, 10_000, 'the release');
      expect(w.mcu.mode).toBe('maintenance');
      await w.mcu.walkThrough();
    })();
    const r = await gate('lane', 'test', '--config', w.configPath);
    await walker;
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/ok\s+release\s+one entry passage authorised/);
    expect(r.out).toMatch(/ok\s+passage\s+the sensors saw one person walk through/);
    expect(r.out).toMatch(/ok\s+close/);
    expect(w.mcu.mode).toBe('maintenance');
    const rows = w.query<{ payload: string }>('SELECT payload FROM outbox ORDER BY seq').map((x) => parseJson(gateEventSchema, x.payload));
    expect(rows.filter((x) => x.kind !== 'alarm')).toMatchObject([
      { kind: 'decision', decision: 'open', docType: null, ticketId: null },
      { kind: 'passage', outcome: 'passed', ticketId: null },
    ]);
    expect(w.query('SELECT 1 FROM ledger')).toHaveLength(0);
  });
});

describe('gate run: what a technician reads in the log and the status', () => {
  it('a silent reader and a broker refusing the gate each give one line that names the fix, and show in the status', async () => {
    world = await loadedWorld();
    const w = world;
    extraBroker = await startLocalBroker({ listenerLines: ['allow_anonymous false'] });
    w.reader.setBehaviour({ silent: true });
    const cfg = parseConfig(JSON.parse(readFileSync(w.configPath, 'utf8')));
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (l: string) => lines.push(l) });
    const daemon = new GateDaemon({
      config: {
        ...cfg,
        mqtt: { ...cfg.mqtt, urls: [extraBroker.url], username: 'gate07', password: 'wrong' },
        sync: { ...cfg.sync, enabled: false },
      },
      secret: DEMO_SECRET,
      configVersion: 't',
      appVersion: '0.0.0-test',
      log,
    });
    await daemon.start();
    try {
      await waitFor(() => daemon.statusSnapshot().devices.idcard?.detail === 'silent', 10_000, 'the silent reader in the status');
      await waitFor(() => daemon.statusSnapshot().devices.mqtt?.state === 'fault', 10_000, 'the refused broker in the status');
      const msgs = lines.map((l) => JSON.parse(l) as { msg: string });
      expect(msgs.filter((m) => /^idcard: no answer on .*check that it is the right port/.test(m.msg))).toHaveLength(1);
      expect(msgs.some((m) => /refused (the username or password|this client \(not authorised\)): check mqtt.username/.test(m.msg))).toBe(
        true,
      );
    } finally {
      await daemon.stop({ drainMs: 0 });
    }
  });
});

describe('gate status', () => {
  it("shows the running daemon's lane, devices, cache and outbox; not running once it stopped", async () => {
    world = await loadedWorld();
    const cfg = parseConfig(JSON.parse(readFileSync(world.configPath, 'utf8')));
    const daemon = new GateDaemon({
      config: { ...cfg, mqtt: { ...cfg.mqtt, enabled: false }, sync: { ...cfg.sync, enabled: false } },
      secret: DEMO_SECRET,
      configVersion: 't',
      appVersion: '0.0.0-test',
    });
    await daemon.start();
    try {
      await waitFor(() => daemon.link.state === 'up' && daemon.statusSnapshot().devices.idcard?.state === 'ok', 8000, 'devices up');
      await waitFor(() => readStatusFile(`${world!.dbPath}.status.json`).devices?.bridge?.state === 'ok', 5000, 'the status file');
      const r = await gate('status', '--config', world.configPath);
      expect(r.out).toMatch(/^running: pid \d+/);
      expect(r.out).toMatch(/lane:\s+mode normal, idle/);
      expect(r.out).toMatch(/device:\s+bridge\s+ok/);
      expect(r.out).toMatch(/cache:\s+epoch import:[0-9a-f]+ seq 0/);
    } finally {
      await daemon.stop({ drainMs: 0 });
    }
    const after = await gate('status', '--config', world.configPath);
    expect(after.code).toBe(1);
    expect(after.out).toMatch(/^not running/);
  });
});
