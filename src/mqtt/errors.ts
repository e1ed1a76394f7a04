import { GateError, type Recovery } from '../util/gate-error.js';

export type MqttErrorCode = 'not-connected' | 'publish-timeout' | 'publish-refused' | 'connection-lost' | 'bad-tls-file' | 'bad-url' | 'bad-gate-key';

export const MQTT_RECOVERY: Record<MqttErrorCode, Recovery> = {
  'not-connected': 'retry',
  'publish-timeout': 'retry',
  'publish-refused': 'retry',
  'connection-lost': 'retry',
  'bad-tls-file': 'fix-config',
  'bad-url': 'fix-config',
  'bad-gate-key': 'fix-config',
};

export class MqttError extends GateError<MqttErrorCode> {
  constructor(code: MqttErrorCode, message: string, options?: { cause?: unknown }) {
    super('mqtt', code, message, MQTT_RECOVERY[code], options);
  }
}
