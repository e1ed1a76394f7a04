// Issue 13's station broker layout tried as an attacker would: a station Mosquitto and central's Mosquitto from the
// shipped configs (Debian's mosquitto.conf including the rendered conf.d file), real certificates from
// scripts/station-pki.sh, mqtt.js clients holding a gate's, another station's, an expired or a revoked certificate,
// or none. docs/deployment.md "Security review" lists what was tried; each finding has its test here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { LocalBroker } from '../../src/mqtt/local-broker.js';
import { gateEventSchema } from '../../src/gate/events.js';
import { waitFor } from '../../src/util/wait.js';
import { pki, startShippedBroker, startShippedCentral } from './shipped-broker.js';

const STATION = 'VNP';
const OTHER = 'XYZ';
const NOT_AUTHORISED = /Not authorized|0x87|135/i;

/** Every event kind a gate publishes (gates/v1/<station>/<gate>/events/<kind>), from the event schema itself. */
const EVENT_KINDS = gateEventSchema.options.map((o) => o.shape.kind.value);

describe('the station broker layout under attack (shipped configs, real TLS)', () => {
  let dir: string;
  let pkiDir: { central: string; station: string; other: string };
  let central: LocalBroker;
  let centralSystemsUrl: string;
  let broker: LocalBroker;
  const clients: MqttClient[] = [];

  const tlsOf = (base: string, name: string, ca = base): IClientOptions => ({
    ca: readFileSync(join(ca, 'ca.crt')),
    cert: readFileSync(join(base, `${name}.crt`)),
    key: readFileSync(join(base, `${name}.key`)),
  });
  const connect = async (url: string, o: IClientOptions): Promise<MqttClient> => {
    const c = await mqtt.connectAsync(url, {
      protocolVersion: 5,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      servername: 'localhost',
      // The station broker takes only client ids that start with gate- (config/mosquitto/station.conf).
      clientId: `gate-probe-${Math.random().toString(36).slice(2)}`,
      ...o,
    });
    clients.push(c);
    return c;
  };
  /** A client on the station broker with gate `gate`'s certificate (a taken-over gate, or a copied key). */
  const asGate = (gate: string, o: IClientOptions = {}) =>
    connect(broker.url, { ...tlsOf(join(pkiDir.station, 'gates'), gate, pkiDir.station), ...o });
  /** Everything a client receives, by topic. */
  const recorder = (c: MqttClient) => {
    const seen: { topic: string; payload: Buffer; retain: boolean }[] = [];
    c.on('message', (topic, payload, packet) => seen.push({ topic, payload, retain: packet.retain }));
    return seen;
  };
  /** The connection is refused: TLS handshake or CONNACK fails, no session. */
  const refused = (url: string, o: IClientOptions) => expect(connect(url, { ...o, connectTimeout: 3000 })).rejects.toThrow();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gate-station-sec-'));
    pkiDir = { central: join(dir, 'central'), station: join(dir, 'station'), other: join(dir, 'other') };
    pki(['central-init', pkiDir.central]);
    pki(['station-init', pkiDir.station, STATION]);
    for (const g of ['01', '02', 'lost']) pki(['gate', pkiDir.station, g]);
    // Expired the moment it is issued (valid 0 days).
    pki(['gate', pkiDir.station, 'old'], { DAYS: '0' });
    pki(['bridge', pkiDir.station, pkiDir.central, STATION]);
    pki(['station-init', pkiDir.other, OTHER]);
    pki(['gate', pkiDir.other, '01']);
    pki(['bridge', pkiDir.other, pkiDir.central, OTHER]);
    ({ broker: central, systemsUrl: centralSystemsUrl } = await startShippedCentral(dir, pkiDir.central));
    broker = await startShippedBroker(
      dir,
      'config/mosquitto/station.conf',
      { STATION, PKI: pkiDir.station, CENTRAL_HOST: '127.0.0.1', CENTRAL_PORT: central.port },
      (conf) => conf.replace(/^restart_timeout .*$/m, 'restart_timeout 1 1'),
    );
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => undefined);
    await broker?.close();
    await central?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Central's own client (CN "central") on central's broker. */
  const asCentral = () => connect(centralSystemsUrl, tlsOf(pkiDir.central, 'central'));

  it('runs as Debian installs it: the rendered conf.d files load beside Debian’s mosquitto.conf, and only the TLS listener is open', () => {
    // startShippedBroker got this far, so Debian's main file and the conf.d file loaded together.
    const listening = [...broker.log().matchAll(/Opening ipv[46] listen socket on port (\d+)/g)].map((m) => Number(m[1]));
    expect(new Set(listening)).toEqual(new Set([broker.port]));
  });

  it("a gate's certificate publishes nothing under another gate, no command, no sync or roster (MQTT 5 reason 0x87)", async () => {
    const intruder = await asGate('01');
    const forged = Buffer.from('{"forged":true}');
    const denied = [
      ...EVENT_KINDS.map((k) => `gates/v1/${STATION}/02/events/${k}`),
      `gates/v1/${STATION}/02/status`,
      `gates/v1/${STATION}/02/cmd-result`,
      `gates/v1/${STATION}/02/sync/resync-request`,
      `gates/v1/${STATION}/02/cmd/open`,
      `gates/v1/${STATION}/01/cmd/open`,
      `gates/v1/${OTHER}/01/events/passage`,
      `stations/v1/${STATION}/sync/head`,
      `stations/v1/${STATION}/roster`,
      `stations/v1/${OTHER}/sync/head`,
    ];
    for (const topic of denied)
      await expect(intruder.publishAsync(topic, forged, { qos: 1, retain: true }), topic).rejects.toThrow(NOT_AUTHORISED);
  });

  it('a gate publishes its own events (every kind), status, command result and resync request, and nothing else under its prefix', async () => {
    const gate = await asGate('01');
    const c = await asCentral();
    const spy = recorder(c);
    await c.subscribeAsync(`gates/v1/${STATION}/01/#`, { qos: 1 });
    const own = [
      ...EVENT_KINDS.map((k) => `gates/v1/${STATION}/01/events/${k}`),
      `gates/v1/${STATION}/01/status`,
      `gates/v1/${STATION}/01/cmd-result`,
      `gates/v1/${STATION}/01/sync/resync-request`,
    ];
    for (const topic of own) await gate.publishAsync(topic, Buffer.from('{}'), { qos: 1 });
    // Topics no gate uses: a taken-over gate could otherwise park a retained 8 MiB message on each of as many
    // topics as it likes, at the station broker and, through the bridge, at central.
    for (const junk of ['events/junk-1', 'events/passage/extra', 'sync/junk', 'status/x'])
      await expect(gate.publishAsync(`gates/v1/${STATION}/01/${junk}`, Buffer.alloc(1024), { qos: 1, retain: true }), junk).rejects.toThrow(
        NOT_AUTHORISED,
      );
    // Through the bridge at central: every allowed one, in order.
    await waitFor(() => spy.length >= own.length, 10_000, 'the gate’s own messages at central');
    expect(spy.map((m) => m.topic)).toEqual(own);
  });

  it("a gate's subscriptions bring it nothing of other gates' commands, other stations or $SYS", async () => {
    const intruder = await asGate('01');
    const seen = recorder(intruder);
    for (const filter of [`gates/v1/${STATION}/+/cmd/#`, `stations/v1/${OTHER}/#`, '$SYS/#', '#', `gates/v1/${OTHER}/#`])
      await intruder.subscribeAsync(filter, { qos: 1 });
    const gate02 = await asGate('02');
    const at02 = recorder(gate02);
    await gate02.subscribeAsync(`gates/v1/${STATION}/02/cmd/#`, { qos: 1 });
    const c = await asCentral();
    await c.publishAsync(`gates/v1/${STATION}/02/cmd/open`, Buffer.from('{"cmd":1}'), { qos: 1 });
    await c.publishAsync(`stations/v1/${OTHER}/sync/head`, Buffer.from('{"other":1}'), { qos: 1, retain: true });
    // Positive control: the command crossed the bridge and reached gate 02.
    await waitFor(() => at02.length === 1, 10_000, 'gate 02 to receive its command');
    // Anything the intruder would be sent was queued before 02's copy (same broker, same publish); a round trip
    // through the intruder's own connection flushes it.
    await intruder.publishAsync(`gates/v1/${STATION}/01/events/passage`, Buffer.from('{}'), { qos: 1 });
    await waitFor(() => seen.some((m) => m.topic.endsWith('/01/events/passage')), 5000, 'the intruder’s own passage');
    // $SYS/broker/version is retained: a client allowed to read $SYS gets it on subscribing.
    expect(seen.map((m) => m.topic).filter((t) => !t.startsWith(`gates/v1/${STATION}/01/`) && !t.endsWith('/events/passage'))).toEqual([]);
  });

  it("a gate's certificate stays its own name: a username claiming another gate is ignored", async () => {
    const intruder = await asGate('01', { username: '02', password: 'anything' });
    await expect(intruder.publishAsync(`gates/v1/${STATION}/02/status`, Buffer.from('{}'), { qos: 1 })).rejects.toThrow(NOT_AUTHORISED);
  });

  it('a wildcard in a published topic or a message over 8 MiB + 64 KiB ends the connection; nothing is delivered', async () => {
    const c = await asCentral();
    const spy = recorder(c);
    await c.subscribeAsync(`gates/v1/${STATION}/#`, { qos: 1 });
    for (const [topic, size] of [
      [`gates/v1/${STATION}/01/events/+`, 10],
      [`gates/v1/${STATION}/01/events/#`, 10],
      [`gates/v1/${STATION}/01/events/passage`, 8_454_144 + 1],
    ] as const) {
      const intruder = await asGate('01');
      const closed = new Promise<void>((r) => intruder.once('close', () => r()));
      intruder.publish(topic, Buffer.alloc(size), { qos: 1 }, () => undefined);
      await closed;
    }
    // A message within the limit still flows (the bridge is up): it is the only one central sees.
    const ok = await asGate('01');
    await ok.publishAsync(`gates/v1/${STATION}/01/events/passage`, Buffer.alloc(100_000), { qos: 1 });
    await waitFor(() => spy.length >= 1, 10_000, 'the allowed message at central');
    expect(spy.map((m) => [m.topic, m.payload.length])).toEqual([[`gates/v1/${STATION}/01/events/passage`, 100_000]]);
    expect(broker.log().match(/disconnected due to protocol error/g)).toHaveLength(2);
    expect(broker.log()).toMatch(/disconnected due to oversize packet/);
  });

  it('no certificate, anonymous, a password, plain TCP, another station’s CA or an expired certificate: refused', async () => {
    const ca = { ca: readFileSync(join(pkiDir.station, 'ca.crt')) };
    await refused(broker.url, ca);
    await refused(broker.url, { ...ca, username: '01', password: 'secret' });
    await refused(broker.url.replace('mqtts:', 'mqtt:'), { username: '01', password: 'secret' });
    await refused(broker.url, tlsOf(join(pkiDir.other, 'gates'), '01', pkiDir.station));
    await refused(broker.url, tlsOf(join(pkiDir.station, 'gates'), 'old', pkiDir.station));
    // A station's bridge certificate is central's, not the station's: refused at the station broker.
    await refused(broker.url, tlsOf(pkiDir.station, 'bridge', pkiDir.station));
    // A gate's own certificate under a client id without the gate- prefix (the bridge's is bridge-local-<station>).
    await refused(broker.url, { ...tlsOf(join(pkiDir.station, 'gates'), '01', pkiDir.station), clientId: 'mqttjs_0123' });
    // Positive control: gate 01's certificate is let in.
    await expect(asGate('01')).resolves.toBeTruthy();
  });

  it("a revoked gate certificate is refused once the station's CRL has it (station-pki.sh revoke, broker restarted)", async () => {
    await expect(asGate('lost')).resolves.toBeTruthy();
    // The thief's copy of the lost gate's certificate and key.
    const stolen = tlsOf(join(pkiDir.station, 'gates'), 'lost', pkiDir.station);
    pki(['revoke', pkiDir.station, 'lost']);
    await broker.stop(true);
    await broker.start();
    await refused(broker.url, stolen);
    await expect(asGate('01')).resolves.toBeTruthy();
    // Its ACL block is gone and the name can be issued again (a replacement gate 'lost' with a new key).
    expect(readFileSync(join(pkiDir.station, 'station.acl'), 'utf8')).not.toMatch(/^user lost$/m);
    pki(['gate', pkiDir.station, 'lost']);
    await expect(asGate('lost')).resolves.toBeTruthy();
  });

  it("at central, a station's bridge certificate writes only its own station's reports and no command or sync", async () => {
    // VNP's own bridge identity on central's systems listener: on the stations' listener its client id would be its
    // CN, bridge-VNP, and it would close the station broker's bridge (the ACL is the same file on both listeners).
    const bridgeVnp = await connect(centralSystemsUrl, tlsOf(pkiDir.station, 'bridge', pkiDir.central));
    const bridgeXyz = await connect(central.url, tlsOf(pkiDir.other, 'bridge', pkiDir.central));
    const forged = Buffer.from('{"forged":true}');
    for (const [c, topic] of [
      [bridgeXyz, `gates/v1/${STATION}/01/events/passage`],
      [bridgeXyz, `gates/v1/${STATION}/01/cmd/open`],
      [bridgeXyz, `stations/v1/${STATION}/sync/head`],
      [bridgeVnp, `gates/v1/${STATION}/01/cmd/open`],
      [bridgeVnp, `stations/v1/${STATION}/roster`],
      [bridgeVnp, `gates/v1/${OTHER}/01/events/passage`],
      [bridgeVnp, `gates/v1/${STATION}/01/events/junk`],
    ] as const)
      await expect(c.publishAsync(topic, forged, { qos: 1 }), topic).rejects.toThrow(NOT_AUTHORISED);
    // Positive control: its own station's report is taken.
    await bridgeVnp.publishAsync(`gates/v1/${STATION}/01/events/passage`, forged, { qos: 1 });
  });

  it("at central, another station's bridge certificate cannot take over a station bridge's client id and session", async () => {
    const gate02 = await asGate('02');
    const at02 = recorder(gate02);
    await gate02.subscribeAsync(`gates/v1/${STATION}/02/cmd/#`, { qos: 1 });
    // The station's bridge is connected to central as bridge-VNP (the positive control: a command reaches gate 02).
    const c = await asCentral();
    await c.publishAsync(`gates/v1/${STATION}/02/cmd/before`, Buffer.from('{}'), { qos: 1 });
    await waitFor(() => at02.length === 1, 10_000, 'the first command at gate 02');
    // A taken-over station XYZ reuses VNP's bridge client id, with a persistent session to resume.
    const attacker = await connect(central.url, {
      ...tlsOf(pkiDir.other, 'bridge', pkiDir.central),
      clientId: `bridge-${STATION}`,
      clean: false,
      properties: { sessionExpiryInterval: 600 },
    });
    const stolen = recorder(attacker);
    await c.publishAsync(`gates/v1/${STATION}/02/cmd/after`, Buffer.from('{}'), { qos: 1 });
    await waitFor(() => at02.length === 2, 10_000, 'the second command at gate 02');
    expect(stolen).toEqual([]);
    // Mosquitto names a client id taken from a connected client; VNP's bridge was never one.
    expect(central.log()).not.toMatch(new RegExp(`Client bridge-${STATION} already connected`));
  });

  it("a gate's certificate using the bridge's local client id does not cut the station off from central", async () => {
    const c = await asCentral();
    const spy = recorder(c);
    await c.subscribeAsync(`gates/v1/${STATION}/02/events/alarm`, { qos: 1 });
    await connect(broker.url, { ...tlsOf(join(pkiDir.station, 'gates'), '01', pkiDir.station), clientId: `bridge-local-${STATION}` }).catch(
      () => undefined,
    );
    const gate02 = await asGate('02');
    await gate02.publishAsync(`gates/v1/${STATION}/02/events/alarm`, Buffer.from('{}'), { qos: 1 });
    await waitFor(() => spy.length === 1, 10_000, 'gate 02’s alarm at central through the bridge');
  });
});
