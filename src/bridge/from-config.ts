// The MCU link as configured (bridge.*): the serial port found by path or USB id, and the link with the configured
// heartbeat, watchdog, ACK timeout, retries and fail mode. The daemon, `gate doctor` and `gate lane test` use it.
import type { GateConfig } from '../config/schema.js';
import { SerialTransport, type SerialBinding } from '../devices/serial.js';
import { BridgeLink } from './link.js';

export interface ConfiguredBridge {
  transport: SerialTransport;
  link: BridgeLink;
}

/** Build (not open) the bridge of a config; `binding` replaces the native serial binding (the demo's in-process link). */
export function bridgeFromConfig(c: Pick<GateConfig, 'bridge' | 'devices'>, binding?: SerialBinding): ConfiguredBridge {
  const b = c.bridge;
  const transport = new SerialTransport({ name: 'bridge', configKey: 'bridge.port', ...b.port, reconnect: c.devices.reconnect, binding });
  const link = new BridgeLink(transport, {
    heartbeatMs: b.heartbeatMs,
    watchdogMs: b.watchdogMs,
    ackTimeoutMs: b.ackTimeoutMs,
    retries: b.retries,
    failMode: b.failMode,
  });
  return { transport, link };
}
