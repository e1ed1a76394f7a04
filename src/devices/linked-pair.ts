// Two serial ports joined in this process, as a null-modem cable would join them: what one end writes, the other
// reads. Built on the serialport project's own mock binding, so the daemon's SerialTransport and the simulators
// run their ordinary serialport streams over it; only the native binding underneath is swapped. The demo uses it
// where socat is missing (a bare machine): the same transport code, no pseudo-terminals.
import { MockBinding, type MockPortBinding } from '@serialport/binding-mock';
import type { SerialBinding } from './serial.js';

/** The far end of each created path, and the port now open on each path. */
const peerOf = new Map<string, string>();
const openPorts = new Map<string, MockPortBinding>();
let pairs = 0;

/**
 * The binding both ends open their ports with. MockBinding keeps what it is told to emit; the link adds the
 * crossing: each write on one end is emitted as received data on the other (dropped if that end is not open,
 * as bytes on an unplugged cable are).
 */
export const linkedBinding: SerialBinding = {
  list: () => MockBinding.list(),
  async open(options) {
    const port = await MockBinding.open(options);
    const path = options.path;
    openPorts.set(path, port);
    const write = port.write.bind(port);
    port.write = async (buffer: Buffer) => {
      await write(buffer);
      const peer = openPorts.get(peerOf.get(path) ?? '');
      if (peer?.isOpen) peer.emitData(Buffer.from(buffer));
    };
    const close = port.close.bind(port);
    port.close = async () => {
      if (openPorts.get(path) === port) openPorts.delete(path);
      await close();
    };
    return port;
  },
};

export interface LinkedPair {
  /** The end the daemon opens. */
  device: string;
  /** The end the simulator opens. */
  sim: string;
  close(): Promise<void>;
}

/** A new pair of joined ports; both are opened with linkedBinding. */
export function openLinkedPair(name = 'port'): LinkedPair {
  pairs++;
  const device = `in-process:${name}-${pairs}`;
  const sim = `${device}/sim`;
  // echo/record off: bytes go only to the other end, and nothing piles up in a recording.
  MockBinding.createPort(device, { echo: false, record: false });
  MockBinding.createPort(sim, { echo: false, record: false });
  peerOf.set(device, sim);
  peerOf.set(sim, device);
  return {
    device,
    sim,
    async close() {
      for (const p of [device, sim]) {
        const port = openPorts.get(p);
        if (port?.isOpen) await port.close();
        peerOf.delete(p);
      }
    },
  };
}
