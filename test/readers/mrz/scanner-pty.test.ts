// End to end over a real socat pty pair: simulated scanner -> pty -> real serialport (SerialTransport) ->
// MrzScanner (line assembler + parser) -> Document.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPtyPair, socatAvailable, type PtyPair } from '../../../src/devices/pty-pair.js';
import { SerialTransport } from '../../../src/devices/serial.js';
import { MrzScannerSim } from '../../../src/devices/sim/mrz-scanner-sim.js';
import { MrzScanner } from '../../../src/readers/mrz/index.js';
import type { Document } from '../../../src/identity/document.js';
import type { MrzScannerEvents } from '../../../src/readers/mrz/index.js';
import { V } from './vectors.js';

describe.skipIf(!socatAvailable())('serial MRZ scanner over a pty pair', () => {
  let pty: PtyPair;
  let transport: SerialTransport;
  let scanner: MrzScanner;
  let sim: MrzScannerSim;
  const docs: Document[] = [];
  const rejected: MrzScannerEvents['rejected'][] = [];

  beforeEach(async () => {
    docs.length = 0;
    rejected.length = 0;
    pty = await openPtyPair('mrz');
    transport = new SerialTransport({ name: 'mrz', path: pty.device, baudRate: 9600, reconnect: { initialMs: 50, maxMs: 200 } });
    scanner = new MrzScanner(transport, { input: 'serial', interLineTimeoutMs: 300 });
    scanner.events.on('document', (d) => docs.push(d));
    scanner.events.on('rejected', (e) => rejected.push(e));
    await transport.open();
    sim = await MrzScannerSim.open(pty.sim);
  });

  afterEach(async () => {
    scanner.stop();
    await sim.close();
    await transport.close();
    await pty.close();
  });

  const until = async (cond: () => boolean, ms = 3000) => {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error('timed out waiting for the scanner');
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  it('reads documents in every framing, chunked, slow and noisy', async () => {
    await sim.scan(V.V1, { framing: '3m' });
    await sim.scan(V.V4, { framing: 'stx-etx', lineEnding: 'CRLF', chunkSize: 7, chunkGapMs: 5 });
    await sim.scan(V.V8, { framing: 'access-is', noise: Uint8Array.from([0x00, 0xff, 0x13, 0x37]) });
    await sim.scan(V.V13, { framing: 'regula', lineEnding: 'LF', chunkSize: 1 });
    await sim.scan(V.V6, { framing: 'separator-only' }); // no terminator: completes on the inter-line timeout
    await until(() => docs.length === 5);
    expect(docs.map((d) => d.number)).toEqual(['L898902C3', 'D23145890', 'D23145890', 'C01X0006H', 'D23145890734']);
    expect(rejected).toEqual([]);
  });

  it('a document with a wrong check digit is rejected, naming the field', async () => {
    await sim.scan(V.V20bad2, { framing: 'plain', lineEnding: 'CRLF' });
    await until(() => rejected.length === 1);
    expect(rejected[0]).toMatchObject({ reason: 'document-invalid', error: { code: 'check-digit', field: 'birthDate' } });
    expect(docs).toEqual([]);
  });
});
