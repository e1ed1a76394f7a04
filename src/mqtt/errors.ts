import { GateError, type Recovery } from '../util/gate-error.js';

export type MqttErrorCode =
  | 'not-connected'
  | 'publish-timeout'
  | 'publish-refused'
  | 'connection-lost'
  | 'bad-tls-file'
  | 'bad-url'
  | 'bad-gate-key'
  | 'store-failed';

export const MQTT_RECOVERY: Record<MqttErrorCode, Recovery> = {
  'not-connected': 'retry',
  'publish-timeout': 'retry',
  'publish-refused': 'retry',
  'connection-lost': 'retry',
  'bad-tls-file': 'fix-config',
  'bad-url': 'fix-config',
  'bad-gate-key': 'fix-config',
  // The gate's file refused a nonce or roster write: the command is answered failed, central may send it again.
  'store-failed': 'retry',
};

export class MqttError extends GateError<MqttErrorCode> {
  constructor(code: MqttErrorCode, message: string, options?: { cause?: unknown }) {
    super('mqtt', code, message, MQTT_RECOVERY[code], options);
  }
}
