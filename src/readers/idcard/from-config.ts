// The ID-card reader as configured (devices.idcard): a serial transport found by path or USB id, optionally
// recording its bytes for `gate replay`, and the session loop with the configured poll interval and timeouts.
import type { GateConfig } from '../../config/schema.js';
import { SerialTransport, type SerialBinding } from '../../devices/serial.js';
import { RecordingTransport } from '../../devices/recording.js';
import type { Transport } from '../../devices/transport.js';
import { IdCardReader } from './reader.js';

export interface ConfiguredIdCardReader {
  transport: Transport;
  reader: IdCardReader;
}

/** Build (not open) the reader of devices.idcard; null when it is disabled. `binding` replaces the native one. */
export function idCardReaderFromConfig(
  devices: GateConfig['devices'],
  clock: () => number = Date.now,
  binding?: SerialBinding,
): ConfiguredIdCardReader | null {
  const c = devices.idcard;
  if (!c.enabled) return null;
  const serial = new SerialTransport({
    name: 'idcard',
    path: c.path,
    vendorId: c.vendorId,
    productId: c.productId,
    baudRate: c.baudRate,
    reconnect: devices.reconnect,
    binding,
  });
  const transport = c.recordTo ? new RecordingTransport(serial, c.recordTo, 'idcard', clock) : serial;
  const reader = new IdCardReader(transport, {
    clock,
    session: {
      pollIntervalMs: c.pollIntervalMs,
      findTimeoutMs: c.findTimeoutMs,
      readTimeoutMs: c.readTimeoutMs,
      resetAfterFailures: c.resetAfterFailures,
    },
  });
  return { transport, reader };
}
