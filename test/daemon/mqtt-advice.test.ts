// The one line a technician reads when the broker will not keep the gate: each cause names what to check.
import { describe, expect, it } from 'vitest';
import { mqttAdvice } from '../../src/daemon/line-health.js';

describe('mqtt advice', () => {
  it.each([
    ['135', /username or password|not authorised/],
    ['ECONNREFUSED', /nothing listens/],
    ['ENOTFOUND', /resolve/],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', /TLS/],
    ['session-taken-over', /same client id: check that no other gate has this mqtt\.clientId/],
    ['ETIMEDOUT', /cannot reach/],
  ])('%s', (reason, line) => {
    expect(mqttAdvice('mqtts://station:8883', reason)).toMatch(line);
  });
});
