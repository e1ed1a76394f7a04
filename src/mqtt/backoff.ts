// Reconnect delays: exponential backoff with full jitter (AWS architecture blog "Exponential Backoff And Jitter"),
// so a station's gates coming back after a broker restart do not reconnect in lock-step. MQTT.js only offers a
// fixed reconnectPeriod, so the connection owns its loop (ecosystem.md 2.4).

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
}

/** Delay before reconnect attempt `failures` (0 = first retry): uniform in [0, min(max, initial * 2^failures)]. */
export function backoffDelay(failures: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(failures, 30));
  return Math.floor(random() * ceiling);
}
