// A daemon link and a simulated MCU on the two ends of a real socat pty pair.
import { openPtyPair, type PtyPair } from '../../src/devices/pty-pair.js';
import { BridgeLink, type LinkOptions } from '../../src/bridge/link.js';
import { SerialTransport } from '../../src/devices/serial.js';
import type { Report } from '../../src/bridge/messages.js';
import { McuSim, type SimOptions } from '../../firmware-bridge/sim/mcu.js';

export const FAST: LinkOptions = {
  heartbeatMs: 40,
  watchdogMs: 400,
  ackTimeoutMs: 40,
  retries: 3,
  failMode: 'locked',
  handshakeRetryMs: 50,
};

export interface Rig {
  pair: PtyPair;
  sim: McuSim;
  link: BridgeLink;
  reports: Report[];
  close(): Promise<void>;
}

export async function rig(opts: { link?: Partial<LinkOptions>; sim?: SimOptions; start?: boolean } = {}): Promise<Rig> {
  const pair = await openPtyPair('bridge');
  const sim = await McuSim.open(pair.sim, { heartbeatMs: 40, walkMs: 20, ...opts.sim });
  const link = new BridgeLink(
    new SerialTransport({ name: 'mcu', path: pair.device, baudRate: 115200, reconnect: { initialMs: 50, maxMs: 500 } }),
    { ...FAST, ...opts.link },
  );
  const reports: Report[] = [];
  link.onReport((r) => void reports.push(r));
  if (opts.start !== false) {
    await link.start();
    await link.whenUp();
  }
  return {
    pair,
    sim,
    link,
    reports,
    async close() {
      await link.stop();
      await sim.close();
      await pair.close();
    },
  };
}

// A settle-wait: the bound only ends a test whose condition never comes; a loaded CI machine (the whole suite in
// parallel on 2 cores) can take seconds where a quiet one takes milliseconds.
export async function waitFor<T>(probe: () => T | undefined | false, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
