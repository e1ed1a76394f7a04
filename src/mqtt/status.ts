// Retained gates/v1/<station>/<gate>/status: `online` with what central needs to see at a glance (versions, cache
// freshness, lane mode, device health, outbox depth), published on every connect and every heartbeat; the last
// will, registered with each CONNECT, makes the broker publish `offline` (retained) when the gate vanishes.
import { errorLine } from '../util/gate-error.js';
import { silentLogger, type Logger } from '../util/log.js';
import type { MqttConnection, Will } from './connection.js';
import { statusSchema, type GateStatus, type OnlineStatus } from './schemas.js';
import { statusTopic, type GateId } from './topics.js';

/** What the daemon knows right now; the status publisher adds station, gate, state and time. */
export type StatusSnapshot = Omit<OnlineStatus, 'state' | 'station' | 'gate' | 'at'>;

export function offlineStatus(g: GateId, reason: 'lost' | 'shutdown'): GateStatus {
  return { state: 'offline', station: g.station, gate: g.gate, reason };
}

/** The last will to pass to MqttConnection: retained `offline`, QoS 1. */
export function statusWill(g: GateId): Will {
  return { topic: statusTopic(g), payload: JSON.stringify(offlineStatus(g, 'lost')), qos: 1, retain: true };
}

export interface StatusOptions {
  intervalMs: number;
  now?: () => number;
  log?: Logger;
}

export class StatusPublisher {
  private timer: NodeJS.Timeout | undefined;
  private off: (() => void) | undefined;
  private readonly now: () => number;
  private readonly log: Logger;

  constructor(
    private readonly gateId: GateId,
    private readonly connection: MqttConnection,
    private readonly snapshot: () => StatusSnapshot,
    private readonly opts: StatusOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? silentLogger();
  }

  start(): void {
    this.off = this.connection.events.on('up', () => void this.publishNow());
    if (this.connection.connected) void this.publishNow();
    this.timer = setInterval(() => void this.publishNow(), this.opts.intervalMs);
  }

  current(): GateStatus {
    const status: GateStatus = {
      state: 'online',
      station: this.gateId.station,
      gate: this.gateId.gate,
      at: new Date(this.now()).toISOString(),
      ...this.snapshot(),
    };
    return statusSchema.parse(status);
  }

  /** Publish the online status now (heartbeat, or after a mode change). Quietly skipped while offline. */
  async publishNow(): Promise<boolean> {
    if (!this.connection.connected) return false;
    try {
      await this.connection.publish(statusTopic(this.gateId), JSON.stringify(this.current()), { qos: 1, retain: true });
      return true;
    } catch (err) {
      this.log.warn({ err: errorLine(err) }, 'status publish failed');
      return false;
    }
  }

  /** Stop the heartbeat; the caller publishes `shutdown` via publishOffline inside MqttConnection.stop(). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.off?.();
  }

  publishOffline(): Promise<void> {
    return this.connection.publish(statusTopic(this.gateId), JSON.stringify(offlineStatus(this.gateId, 'shutdown')), {
      qos: 1,
      retain: true,
    });
  }
}
