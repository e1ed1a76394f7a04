import { EventEmitter } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HidKeyboardDecoder, encodeKeystrokes } from '../../../src/readers/hid/index.js';
import { MrzLineAssembler, MrzScanner, parseMrz } from '../../../src/readers/mrz/index.js';
import { HidTransport, type HidDeviceHandle, type HidModule } from '../../../src/devices/hid.js';
import type { Document } from '../../../src/identity/document.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/hid');
const NOW = new Date('2026-11-24T12:00:00Z');
const r = (...b: number[]) => Uint8Array.from([...b, 0, 0, 0, 0, 0, 0, 0, 0].slice(0, 8));

interface Fixture {
  description: string;
  lines: string[];
  reports: Array<{ t: number; hex: string }>;
}
const fixtures = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.json'))
  .map((f) => [f, JSON.parse(readFileSync(join(FIXTURES, f), 'utf8')) as Fixture] as const);

describe('HidKeyboardDecoder', () => {
  it('types letters with Shift upper case, `<` as Shift+comma, Enter as CR', () => {
    const d = new HidKeyboardDecoder();
    const typed = [
      r(0x02, 0, 0x13),
      r(0),
      r(0x02, 0, 0x36),
      r(0),
      r(0, 0, 0x1e),
      r(0),
      r(0x20, 0, 0x36),
      r(0),
      r(0, 0, 0x28),
      r(0),
      r(0, 0, 0x58),
    ]
      .map((x) => d.feed(x))
      .join('');
    expect(typed).toBe('P<1<\r\r');
  });

  it('a key held into the next report is not typed again; only newly pressed keys are', () => {
    const d = new HidKeyboardDecoder();
    expect(d.feed(r(0x02, 0, 0x04))).toBe('A');
    expect(d.feed(r(0x02, 0, 0x04, 0x05))).toBe('B'); // A still held, B pressed
    expect(d.feed(r(0x02, 0, 0x05))).toBe(''); // A released
    expect(d.feed(r(0x02, 0, 0x05, 0x04))).toBe('A'); // A pressed again while B held
  });

  it('repeated identical reports type nothing; a release then a press types again', () => {
    const d = new HidKeyboardDecoder();
    expect([r(0x02, 0, 0x36), r(0x02, 0, 0x36), r(0x02, 0, 0x36)].map((x) => d.feed(x)).join('')).toBe('<');
    expect(d.feed(r(0))).toBe('');
    expect(d.feed(r(0x02, 0, 0x36))).toBe('<');
  });

  it('a leading report-id byte is skipped', () => {
    const d = new HidKeyboardDecoder();
    expect(d.feed(Uint8Array.from([1, 0x02, 0, 0x04, 0, 0, 0, 0, 0]))).toBe('A');
  });

  it('ErrorRollOver reports, Ctrl combinations and short reports type nothing and are counted', () => {
    const d = new HidKeyboardDecoder();
    expect(d.feed(r(0, 0, 1, 1, 1, 1, 1, 1))).toBe('');
    expect(d.feed(r(0x01, 0, 0x06))).toBe('');
    expect(d.feed(Uint8Array.from([0]))).toBe('');
    expect(d.stats).toMatchObject({ rollover: 1, ignoredKeys: 1, malformed: 1 });
  });

  it('Alt + keypad digits type the character with that code (060 is <)', () => {
    const d = new HidKeyboardDecoder();
    const typed = [r(0x04, 0, 0x62), r(0x04), r(0x04, 0, 0x5e), r(0x04), r(0x04, 0, 0x62), r(0)].map((x) => d.feed(x)).join('');
    expect(typed).toBe('<');
  });

  it('encoder and decoder agree on every MRZ character', () => {
    const text = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<\r';
    for (const opts of [{}, { rollover: true }, { repeat: 3 }, { reportId: 2 }]) {
      const d = new HidKeyboardDecoder();
      expect(
        encodeKeystrokes(text, opts)
          .map((x) => d.feed(Uint8Array.from(x)))
          .join(''),
      ).toBe(text);
    }
  });
});

describe('recorded HID report sequences -> decoder -> assembler -> parser', () => {
  it.each(fixtures)('%s', (_file, fx) => {
    const decoder = new HidKeyboardDecoder();
    const assembler = new MrzLineAssembler({ interLineTimeoutMs: 300 });
    const docs: Document[] = [];
    for (const rep of fx.reports) {
      for (const o of assembler.feed(Buffer.from(decoder.feed(Buffer.from(rep.hex, 'hex')), 'latin1'), rep.t)) {
        if (o.kind !== 'mrz') throw new Error(`unexpected discard ${o.reason}`);
        const p = parseMrz(o.text, NOW);
        if (!p.ok) throw new Error(p.error.toLine());
        docs.push(p.document);
      }
    }
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({ surname: 'ERIKSSON', givenNames: 'ANNA MARIA', birthDate: '1974-08-12' });
  });
});

/** A fake node-hid: one device per path that plays the recorded reports on a timer and can be unplugged. */
class FakeDevice extends EventEmitter implements HidDeviceHandle {
  closed = false;
  close() {
    this.closed = true;
  }
}

function fakeHid(present: { value: boolean }, opened: FakeDevice[]): HidModule {
  return {
    devices: () => (present.value ? [{ vendorId: 0x0db5, productId: 0x0137, path: '/dev/hidraw7', usagePage: 1, usage: 6 }] : []),
    HIDAsync: {
      async open(path: string) {
        if (!present.value) throw new Error(`cannot open device with path ${path}`);
        const d = new FakeDevice();
        opened.push(d);
        return d;
      },
    },
  };
}

describe('HidTransport with an injected node-hid', () => {
  afterEach(() => vi.useRealTimers());

  it('plays recorded reports through the scanner into a Document; survives unplug and replug with backoff', async () => {
    vi.useFakeTimers({ now: NOW });
    const present = { value: true };
    const opened: FakeDevice[] = [];
    const t = new HidTransport({
      vendorId: 0x0db5,
      productId: 0x0137,
      reconnect: { initialMs: 100, maxMs: 400 },
      hid: fakeHid(present, opened),
    });
    const scanner = new MrzScanner(t, { input: 'hid', interLineTimeoutMs: 300 });
    const docs: Document[] = [];
    const errors: string[] = [];
    scanner.events.on('document', (d) => docs.push(d));
    t.events.on('error', (e) => errors.push(e.code));
    await t.open();
    expect(t.state).toBe('open');

    const fx = fixtures.find(([f]) => f === 'td1-rollover.json')![1];
    const play = async (dev: FakeDevice) => {
      let last = 0;
      for (const rep of fx.reports) {
        await vi.advanceTimersByTimeAsync(rep.t - last);
        last = rep.t;
        dev.emit('data', Buffer.from(rep.hex, 'hex'));
      }
    };
    await play(opened[0]);
    expect(docs.map((d) => d.number)).toEqual(['D23145890']);

    // Unplug: read error, then reopen attempts at 100, 200, 400, 400 ms while absent.
    present.value = false;
    opened[0].emit('error', new Error('could not read from HID device'));
    expect(t.state).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(100 + 200 + 400);
    expect(errors).toEqual(['disconnected', 'not-found', 'not-found', 'not-found']);
    present.value = true;
    await vi.advanceTimersByTimeAsync(400);
    expect(t.state).toBe('open');
    expect(opened).toHaveLength(2);

    await play(opened[1]);
    expect(docs).toHaveLength(2);
    scanner.stop();
    await t.close();
    expect(opened[1].closed).toBe(true);
  });

  it('a line that stops half-way is dropped after the inter-line timeout (fake time)', async () => {
    vi.useFakeTimers({ now: NOW });
    const opened: FakeDevice[] = [];
    const t = new HidTransport({ path: '/dev/hidraw7', hid: fakeHid({ value: true }, opened) });
    const scanner = new MrzScanner(t, { input: 'hid', interLineTimeoutMs: 300 });
    const discards: string[] = [];
    scanner.events.on('discard', (d) => discards.push(d.reason));
    await t.open();
    for (const rep of encodeKeystrokes('P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\r')) opened[0].emit('data', Buffer.from(rep));
    await vi.advanceTimersByTimeAsync(299);
    expect(discards).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(discards).toEqual(['timeout']);
    await t.close();
  });

  it('writing to a keyboard-wedge scanner is unsupported', async () => {
    const t = new HidTransport({ path: '/dev/hidraw7', hid: fakeHid({ value: true }, []) });
    await expect(t.write()).rejects.toMatchObject({ code: 'unsupported' });
  });
});

describe('HidTransport open failures', () => {
  afterEach(() => vi.useRealTimers());

  it('an absent scanner: open() throws not-found and keeps retrying until it is plugged in', async () => {
    vi.useFakeTimers();
    const present = { value: false };
    const opened: FakeDevice[] = [];
    const t = new HidTransport({
      vendorId: 0x0db5,
      productId: 0x0137,
      reconnect: { initialMs: 50, maxMs: 100 },
      hid: fakeHid(present, opened),
    });
    await expect(t.open()).rejects.toMatchObject({ code: 'not-found' });
    expect(t.state).toBe('reconnecting');
    present.value = true;
    await vi.advanceTimersByTimeAsync(50);
    expect(t.state).toBe('open');
    await t.close();
  });

  it('a permission error says so (hidraw nodes need a udev rule)', async () => {
    const hid: HidModule = {
      HIDAsync: {
        open: async () => {
          throw new Error('cannot open device: Permission denied');
        },
      },
    };
    const t = new HidTransport({ path: '/dev/hidraw0', hid });
    await expect(t.open()).rejects.toMatchObject({ code: 'permission-denied', recovery: 'fix-config' });
    await t.close();
  });
});
