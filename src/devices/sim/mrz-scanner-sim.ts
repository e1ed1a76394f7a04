// A simulated serial MRZ scanner for the demo and the integration tests: on the sim end of a pty pair it "reads"
// a document by writing its MRZ lines the way a real scanner would: in a chosen vendor framing and line ending,
// optionally cut into chunks, slow between chunks, with line noise before the block.
import { SerialPortStream } from '@serialport/stream';
import { autoDetect } from '@serialport/bindings-cpp';
import type { SerialBinding } from '../serial.js';
import { frameMrz, type MrzFraming, type MrzLineEnding } from '../../readers/mrz/framing.js';

export interface ScanBehaviour {
  framing: MrzFraming;
  lineEnding: MrzLineEnding;
  /** Cut the output into chunks of this many bytes (0: one write). */
  chunkSize: number;
  /** Pause between chunks (ms): a slow scanner or a slow line. */
  chunkGapMs: number;
  /** Bytes written before the block (idle-line garbage, a status message). */
  noise: Uint8Array | null;
}

const DEFAULTS: ScanBehaviour = { framing: 'plain', lineEnding: 'CR', chunkSize: 0, chunkGapMs: 0, noise: null };

export interface ByteSink {
  write(bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export class MrzScannerSim {
  private behaviour: ScanBehaviour;

  constructor(
    private readonly sink: ByteSink,
    behaviour: Partial<ScanBehaviour> = {},
  ) {
    this.behaviour = { ...DEFAULTS, ...behaviour };
  }

  /** Open the sim end of a pty pair (MRZ scanners run at 9600 8N1 by default) with the pair's binding. */
  static async open(
    path: string,
    behaviour: Partial<ScanBehaviour> = {},
    baudRate = 9600,
    binding?: SerialBinding,
  ): Promise<MrzScannerSim> {
    return new MrzScannerSim(await openSink(path, baudRate, binding), behaviour);
  }

  setBehaviour(b: Partial<ScanBehaviour>): void {
    this.behaviour = { ...this.behaviour, ...b };
  }

  /** Write one document's MRZ lines as the scanner would after reading the page. */
  async scan(lines: readonly string[], once: Partial<ScanBehaviour> = {}): Promise<void> {
    const b = { ...this.behaviour, ...once };
    const framed = frameMrz(lines, { framing: b.framing, lineEnding: b.lineEnding });
    const bytes = b.noise ? concat(b.noise, framed) : framed;
    const size = b.chunkSize > 0 ? b.chunkSize : bytes.length;
    for (let i = 0; i < bytes.length; i += size) {
      if (i > 0 && b.chunkGapMs > 0) await new Promise((r) => setTimeout(r, b.chunkGapMs));
      await this.sink.write(bytes.subarray(i, i + size));
    }
  }

  close(): Promise<void> {
    return this.sink.close();
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

async function openSink(path: string, baudRate: number, binding: SerialBinding = autoDetect()): Promise<ByteSink> {
  const port = new SerialPortStream({ binding, path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  return {
    write: (bytes) =>
      new Promise<void>((resolve, reject) => port.write(Buffer.from(bytes), (err) => (err ? reject(err) : port.drain(() => resolve())))),
    close: () => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())),
  };
}
