// The reader session end to end through a real pseudo-terminal pair: the daemon side opens one end with the
// serial transport, the simulated reader answers on the other like hardware.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPtyPair, type PtyPair } from '../../../src/devices/pty-pair.js';
import { SerialTransport } from '../../../src/devices/serial.js';
import { startIdCardReaderSim, type IdCardReaderSim } from '../../../src/devices/sim/idcard-reader-sim.js';
import { IdCardReader, type IdCardReaderEvents } from '../../../src/readers/idcard/reader.js';
import type { Document } from '../../../src/identity/document.js';
import { PR_2017, PR_2023, RESIDENT } from './fixtures.js';

const until = async (cond: () => boolean, ms = 8000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('ID-card reader over a socat pty', () => {
  let pair: PtyPair;
  let sim: IdCardReaderSim;
  let closeSim: () => Promise<void>;
  let transport: SerialTransport;
  let reader: IdCardReader;
  let docs: Document[];
  let errors: string[];
  let discards: IdCardReaderEvents['discard'][];

  beforeEach(async () => {
    pair = await openPtyPair('idcard');
    ({ sim, close: closeSim } = await startIdCardReaderSim(pair.sim));
    transport = new SerialTransport({ name: 'idcard', path: pair.device, baudRate: 115200, reconnect: { initialMs: 50, maxMs: 500 } });
    await transport.open();
    reader = new IdCardReader(transport, {
      session: { pollIntervalMs: 50, findTimeoutMs: 200, readTimeoutMs: 2000, resetAfterFailures: 3 },
    });
    docs = [];
    errors = [];
    discards = [];
    reader.events.on('document', (d) => docs.push(d));
    reader.events.on('error', (e) => errors.push(e.code));
    reader.events.on('discard', (d) => discards.push(d));
  });

  afterEach(async () => {
    await reader.stop();
    await transport.close();
    await closeSim();
    await pair.close();
  });

  it('reads a card end to end, once, while it stays on the reader', async () => {
    reader.start();
    const finds = () => sim.received.filter((c) => c === 'find').length;
    await until(() => finds() >= 4); // the reader has polled an empty field several times
    expect(docs).toEqual([]);
    expect(errors).toEqual([]); // no card is not an error
    sim.placeCard(RESIDENT);
    await until(() => docs.length === 1);
    expect(docs[0]).toMatchObject({ type: 'cn-resident-id', number: '11010519491231002X', validTo: null });
    const after = finds();
    await until(() => finds() >= after + 6); // six more polls with the card still there
    expect(docs).toHaveLength(1);
    expect(sim.received.filter((c) => c === 'read')).toHaveLength(1);
  });

  it('copes with slow answers cut into small chunks with pauses', async () => {
    sim.setBehaviour({ delayMs: 120, chunkSize: 64, chunkGapMs: 3 });
    sim.placeCard(PR_2023);
    reader.start();
    await until(() => docs.length === 1);
    expect(docs[0]).toMatchObject({ type: 'cn-pr-2023', previousNumber: 'SAU320185010112' });
    expect(errors).toEqual([]);
  });

  it('skips line noise before every frame and reports it as garbage', async () => {
    sim.setBehaviour({ noise: Uint8Array.of(0x00, 0xff, 0xaa, 0x13, 0xaa, 0xaa, 0x96) });
    sim.placeCard(PR_2017);
    reader.start();
    await until(() => docs.length === 1);
    expect(docs[0]).toMatchObject({ type: 'cn-pr-2017', nationality: 'KAZ' });
    expect(discards.some((d) => d.reason === 'garbage')).toBe(true);
  });

  it('an answer slower than the find timeout is a timeout, and the late answer is not taken for the next one', async () => {
    sim.setBehaviour({ delayMs: 260 });
    reader.start();
    await until(() => errors.includes('timeout'));
    sim.setBehaviour({ delayMs: 5 });
    sim.placeCard(RESIDENT);
    await until(() => docs.length === 1);
    expect(docs[0].type).toBe('cn-resident-id');
  });
});

describe('ID-card reader from config', () => {
  it('builds the serial transport and session from devices.idcard and reads a card on a pty', async () => {
    const { gateConfigSchema } = await import('../../../src/config/schema.js');
    const { idCardReaderFromConfig } = await import('../../../src/readers/idcard/index.js');
    const pair = await openPtyPair('idcard-config');
    const { sim, close } = await startIdCardReaderSim(pair.sim);
    const parsed = gateConfigSchema.safeParse({
      station: 'BJP',
      gate: 'G01',
      devices: { idcard: { enabled: true, path: pair.device, pollIntervalMs: 50 } },
    });
    if (!parsed.success) throw new Error(parsed.error.issues.map((i) => i.path.join('.')).join(', '));
    const devices = parsed.data.devices;
    expect(idCardReaderFromConfig({ ...devices, idcard: { ...devices.idcard, enabled: false } })).toBeNull();
    const built = idCardReaderFromConfig(devices)!;
    await built.transport.open();
    const docs: Document[] = [];
    built.reader.events.on('document', (d) => docs.push(d));
    built.reader.start();
    sim.placeCard(RESIDENT);
    await until(() => docs.length === 1);
    await built.reader.stop();
    await built.transport.close();
    await close();
    await pair.close();
  });
});
