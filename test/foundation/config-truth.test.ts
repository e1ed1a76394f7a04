// A config check that cannot lie: whatever `gate run` refuses, `gate config check` and `gate doctor` refuse with the
// same line. Run as child processes, the way a technician types them.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGateProcess } from '../support/cli.js';
import { maskedConfigSchema, parseJson } from '../support/json.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gate-config-truth-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SECRET = 'config-truth-b8ecda0f8a7c9eb2746ab62850639cd01738446c98aa4a417eae19e87c46ed42';

/** A config a gate could run with (no device is opened by config check), changed by `edit`. */
/** A config as the cases below write it: the keys they edit in place are typed; any other key holds whatever a case
 *  needs, valid or not (judging it is what the schema under test is for). */
interface ConfigDraft {
  [key: string]: unknown;
  gate?: string;
  secret?: string;
  devices: { idcard: { enabled: boolean; path: string; recordTo?: string }; mrzHid?: { enabled: boolean } };
}

function writeConfig(name: string, edit: (c: ConfigDraft) => void = () => undefined): string {
  const c: ConfigDraft = {
    station: 'VNP',
    gate: '01',
    secret: SECRET,
    db: join(dir, 'gate.db'),
    devices: { idcard: { enabled: true, path: '/dev/ttyUSB1' } },
    bridge: { port: { path: '/dev/ttyUSB0' } },
  };
  edit(c);
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(c, null, 2));
  return file;
}

/** The indented problem lines of a ConfigError as the CLI prints it. */
const problemLines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('  '))
    .map((l) => l.trim());

describe('gate config check, gate doctor and gate run refuse the same configs with the same lines', () => {
  it('accepts a runnable config (exit 0, effective config on stdout)', async () => {
    const r = await runGateProcess(['config', 'check', writeConfig('good.json')]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(parseJson(maskedConfigSchema, r.out).secret).toBe('***');
  });

  it('a misspelt time zone: every command refuses it, naming the key (it used to pass and reject every passport)', async () => {
    const file = writeConfig('tz.json', (c) => (c.rules = { timeZone: 'Asia/Shangai' }));
    const line = 'rules.timeZone: expected an IANA time zone such as "Asia/Shanghai", got "Asia/Shangai"';
    const check = await runGateProcess(['config', 'check', file]);
    expect(check.code).toBe(1);
    expect(problemLines(check.err)).toEqual([line]);
    const doctor = await runGateProcess(['doctor', '--config', file]);
    expect(doctor.code).toBe(1);
    expect(problemLines(doctor.err)).toEqual([line]);
    expect(doctor.out).not.toMatch(/^OK\s+config/m);
    const run = await runGateProcess(['run', '--config', file]);
    expect(run.code).toBe(1);
    expect(problemLines(run.err)).toEqual([line]);
  });

  it('no gate id, no secret, an HID scanner without ids and a recordTo folder that does not exist: one line each, everywhere', async () => {
    const file = writeConfig('broken.json', (c) => {
      delete c.gate;
      delete c.secret;
      c.devices.mrzHid = { enabled: true };
      c.devices.idcard.recordTo = join(dir, 'no-such-folder', 'idcard.rec');
    });
    const env = { GATE_SECRET: '' };
    const check = await runGateProcess(['config', 'check', file], { env });
    expect(check.code).toBe(1);
    const lines = problemLines(check.err);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^gate: expected a gate id/);
    expect(lines[1]).toMatch(/needs the HMAC secret/);
    expect(lines.some((l) => l.startsWith('devices.idcard.recordTo: the folder ') && l.includes('no-such-folder'))).toBe(true);
    expect(lines.some((l) => l.startsWith('devices.mrzHid.path: expected a device path'))).toBe(true);

    const run = await runGateProcess(['run', '--config', file], { env });
    expect(run.code).toBe(1);
    expect(problemLines(run.err)).toEqual(lines);

    const doctor = await runGateProcess(['doctor', '--config', file, '--wait', '200'], { env });
    expect(doctor.code).toBe(1);
    const failLines = doctor.out
      .split('\n')
      .filter((l) => /^FAIL\s+config\s/.test(l))
      .map((l) => l.replace(/^FAIL\s+config\s+/, ''));
    expect(failLines).toEqual(lines);
  });

  it("central's command key listed as a sync key too, or a key that is not Ed25519: refused everywhere, naming the key", async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const pem = (k: import('node:crypto').KeyObject) => k.export({ type: 'spki', format: 'pem' }).toString();
    const shared = pem(generateKeyPairSync('ed25519').publicKey);
    const rsa = pem(generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey);
    const file = writeConfig('keys.json', (c) => {
      c.mqtt = { enabled: true, centralPublicKeys: [shared] };
      c.sync = { enabled: true, centralPublicKeys: [rsa, shared] };
    });
    const lines = [
      'sync.centralPublicKeys[0]: expected an Ed25519 public key (PEM or base64 SPKI DER), got a rsa key',
      "mqtt.centralPublicKeys[0]: the same key as sync.centralPublicKeys[1]; central's command key must be a key of its own (gate central keygen makes one)",
    ];
    for (const args of [
      ['config', 'check', file],
      ['run', '--config', file],
    ]) {
      const r = await runGateProcess(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(problemLines(r.err)).toEqual(lines);
    }
  });

  it('a secretFile that does not exist: doctor says which file it cannot read, not that no secret is set', async () => {
    const file = writeConfig('secretfile.json', (c) => {
      delete c.secret;
      c.secretFile = 'missing-secret';
    });
    const doctor = await runGateProcess(['doctor', '--config', file, '--wait', '200'], { env: { GATE_SECRET: '' } });
    expect(doctor.code).toBe(1);
    expect(doctor.out).toMatch(new RegExp(`^FAIL\\s+config\\s+secretFile: cannot read ${join(dir, 'missing-secret')}: `, 'm'));
    expect(doctor.out).not.toContain('no HMAC secret');
  });

  it('GATE_LOG_LEVEL=verbose is a config error of one line, not a logger crash', async () => {
    const file = writeConfig('level.json');
    const env = { GATE_LOG_LEVEL: 'verbose' };
    const line =
      'GATE_LOG_LEVEL (environment): expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "verbose"';
    const run = await runGateProcess(['run', '--config', file], { env });
    expect(run.code).toBe(1);
    expect(problemLines(run.err)).toEqual([line]);
    expect(run.err).not.toMatch(/\n\s+at /); // no stack trace
    const check = await runGateProcess(['config', 'check', file], { env });
    expect(check.code).toBe(1);
    expect(problemLines(check.err)).toEqual([line]);
  });

  it('an unknown logLevel in the file is refused by the schema', async () => {
    const r = await runGateProcess(['config', 'check', writeConfig('loglevel.json', (c) => (c.logLevel = 'verbose'))]);
    expect(r.code).toBe(1);
    expect(problemLines(r.err)[0]).toMatch(/^logLevel: expected one of "fatal", .*, got "verbose"$/);
  });
});

describe('paths in a config are relative to its folder', () => {
  it('db, secretFile and recordTo resolve from the config file, whatever the working directory', async () => {
    const site = join(dir, 'site');
    mkdirSync(join(site, 'rec'), { recursive: true });
    writeFileSync(join(site, 'secret'), SECRET);
    const file = join(site, 'gate.json');
    writeFileSync(
      file,
      JSON.stringify({
        station: 'VNP',
        gate: '01',
        secretFile: 'secret',
        db: 'gate.db',
        devices: { idcard: { path: '/dev/ttyUSB1', recordTo: 'rec/idcard.rec' } },
        bridge: { port: { path: '/dev/ttyUSB0' } },
      }),
    );
    const r = await runGateProcess(['config', 'check', file], { cwd: tmpdir() });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const c = parseJson(maskedConfigSchema, r.out);
    expect(c.db).toBe(join(site, 'gate.db'));
    expect(c.secretFile).toBe(join(site, 'secret'));
    expect(c.devices.idcard?.recordTo).toBe(join(site, 'rec', 'idcard.rec'));
  });
});

describe('the JSON Schema', () => {
  type Node = { description?: string; properties?: Record<string, Node>; anyOf?: Node[] };
  const undescribed = (n: Node, at: string): string[] =>
    Object.entries(n.properties ?? {}).flatMap(([k, child]) => {
      const here = at ? `${at}.${k}` : k;
      const own = child.description ?? child.anyOf?.find((o) => o.description)?.description;
      return [...(own ? [] : [here]), ...undescribed(child, here), ...(child.anyOf ?? []).flatMap((o) => undescribed(o, here))];
    });

  it('describes every key, from the zod definitions', () => {
    const schema = JSON.parse(readFileSync('config/schema.json', 'utf8')) as Node;
    expect(undescribed(schema, '')).toEqual([]);
    expect(schema.properties!.rules.properties!.timeZone.description).toMatch(/IANA time zone/);
  });

  it('gate config schema prints it, for an editor next to a config anywhere', async () => {
    const r = await runGateProcess(['config', 'schema']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(readFileSync('config/schema.json', 'utf8'));
  });
});

describe('cross-field rules', () => {
  it.each([
    [
      { rules: { entry: { opensMinutesBefore: 5, closesMinutesBefore: 10 } } },
      'rules.entry.closesMinutesBefore: expected a number below rules.entry.opensMinutesBefore (5) so that the entry window is not empty, got 10',
    ],
    [
      { bridge: { port: { path: '/dev/ttyUSB0' }, heartbeatMs: 2000 } },
      "bridge.watchdogMs: expected a number at least twice bridge.heartbeatMs (4000) so that one late heartbeat does not trip the MCU's watchdog, got its default",
    ],
    [
      { mqtt: { reconnect: { initialMs: 5000, maxMs: 1000 } } },
      'mqtt.reconnect.maxMs: expected a number not below mqtt.reconnect.initialMs (5000), got 1000',
    ],
    [
      { devices: { idcard: { enabled: true, path: '/dev/ttyUSB0' } } },
      'devices.idcard.path: expected a port no other device uses (bridge.port.path is the same), got "/dev/ttyUSB0"',
    ],
  ])('%j is refused by config check and gate run with one line', async (edit, line) => {
    const file = writeConfig(`cross-${Math.random().toString(36).slice(2)}.json`, (c) => {
      for (const [k, v] of Object.entries(edit)) c[k] = Object.assign({}, c[k], v);
    });
    const check = await runGateProcess(['config', 'check', file]);
    expect(check.code).toBe(1);
    expect(problemLines(check.err)).toEqual([line]);
  });
});
