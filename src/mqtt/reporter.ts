// Everything the gate does over MQTT, wired from config: one connection (will = offline status), the outbox
// publisher, the status heartbeat, signed commands and station siblings. The daemon builds one and calls kick()
// after each committed record.
import type { GateConfig } from '../config/schema.js';
import type { OutboxDrain } from '../outbox/outbox.js';
import type { CommandNonces } from './nonce-store.js';
import type { SiblingStores } from './siblings.js';
import { silentLogger, type Logger } from '../util/log.js';
import { CommandChannel, type CommandHandler } from './commands.js';
import { MqttConnection, type ConnectionOptions } from './connection.js';
import { OutboxPublisher } from './publisher.js';
import { SiblingPassages } from './siblings.js';
import { StatusPublisher, statusWill, type StatusSnapshot } from './status.js';

export interface ReporterDeps {
  /** The parts of the gate's file the MQTT side uses (src/daemon/gate-store.ts holds them all). */
  store: SiblingStores & { outbox: OutboxDrain; nonces: CommandNonces };
  mqtt: GateConfig['mqtt'];
  status: () => StatusSnapshot;
  onCommand: CommandHandler;
  /** Central's sync keys: the station roster that vouches for sibling gates is signed with one of them. */
  syncPublicKeys?: readonly string[];
  /** A message from the network was refused (a command, a sibling passage, the roster): counted by the daemon. */
  onRefused?(kind: 'command' | 'sibling', code: string): void;
  log?: Logger;
  now?: () => number;
  random?: () => number;
  window?: number;
  connection?: Pick<ConnectionOptions, 'connectTimeoutMs' | 'createClient'>;
}

export class GateReporter {
  readonly connection: MqttConnection;
  readonly publisher: OutboxPublisher;
  readonly status: StatusPublisher;
  readonly commands: CommandChannel;
  readonly siblings: SiblingPassages;

  constructor(d: ReporterDeps) {
    const log = d.log ?? silentLogger();
    const gateId = { station: d.store.station, gate: d.store.gate };
    this.connection = new MqttConnection(
      { ...d.mqtt, clientId: d.mqtt.clientId ?? `gate-${gateId.station}-${gateId.gate}` },
      { will: statusWill(gateId), log, random: d.random, ...d.connection },
    );
    this.publisher = new OutboxPublisher(d.store.outbox, this.connection, {
      publishTimeoutMs: d.mqtt.publishTimeoutMs,
      retentionMs: d.mqtt.retentionHours * 3_600_000,
      window: d.window,
      now: d.now,
      log,
    });
    this.status = new StatusPublisher(gateId, this.connection, d.status, {
      intervalMs: d.mqtt.statusIntervalSeconds * 1000,
      now: d.now,
      log,
    });
    this.commands = new CommandChannel(gateId, this.connection, d.store.nonces, d.onCommand, {
      centralPublicKeys: d.mqtt.centralPublicKeys,
      maxSkewSeconds: d.mqtt.commandMaxSkewSeconds,
      now: d.now,
      log,
      onRefused: (code) => d.onRefused?.('command', code),
    });
    this.siblings = new SiblingPassages(d.store, this.connection, { centralKeys: d.syncPublicKeys ?? [], log, now: d.now });
    this.siblings.events.on('refused', (r) => d.onRefused?.('sibling', r.code));
  }

  start(): void {
    this.commands.start();
    this.siblings.start();
    this.publisher.start();
    this.status.start();
    this.connection.start();
  }

  /** New outbox rows are committed. */
  kick(): void {
    this.publisher.kick();
  }

  async stop(): Promise<void> {
    this.status.stop();
    this.publisher.stop();
    await this.connection.stop(() => this.status.publishOffline());
  }
}
