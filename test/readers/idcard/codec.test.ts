import { describe, expect, it } from 'vitest';
import { documentSchema } from '../../../src/identity/document.js';
import {
  COMMAND_NAMES,
  SW3_CODES,
  buildCommand,
  buildReadResponse,
  buildResponse,
  decodeCardText,
  decodeIdCard,
  encodeCardText,
  parseCommand,
  parseResponse,
  previousPrNumber,
  readCardFields,
  serializeResponse,
  toHex,
  type CardFields,
} from '../../../src/readers/idcard/index.js';
import { COMMAND_FRAMES, FRAMES, HMT_PERMIT, PR_2017, PR_2023, RESIDENT, h } from './fixtures.js';

const frameOf = (fields: CardFields) => buildReadResponse(encodeCardText(fields));
function decoded(fields: CardFields) {
  const r = decodeIdCard(frameOf(fields));
  if (!r.ok) throw new Error(r.error.toLine());
  expect(documentSchema.safeParse(r.document).success).toBe(true);
  return r.document;
}
function errorCode(bytes: Uint8Array) {
  const r = decodeIdCard(bytes);
  return r.ok ? 'ok' : r.error.code;
}

describe('commands', () => {
  it('builds the exact bytes real readers expect, and parses them back', () => {
    for (const name of COMMAND_NAMES) {
      expect(toHex(buildCommand(name))).toBe(COMMAND_FRAMES[name].replace(/\s/g, ''));
      expect(parseCommand(buildCommand(name))).toEqual({ ok: true, value: name });
    }
  });

  it('refuses the wrong checksum seen in the wild (20 01 21)', () => {
    const r = parseCommand(h('AAAAAA96690003200121'));
    expect(r.ok || r.error.code).toBe('bad-checksum');
  });
});

describe('responses', () => {
  it('parses the captured find/select/ok answers', () => {
    expect(parseResponse('find', FRAMES.findOk)).toMatchObject({ ok: true, value: { command: 'find' } });
    expect(parseResponse('select', FRAMES.selectOk)).toMatchObject({ ok: true, value: { command: 'select', sn: new Uint8Array(8) } });
    expect(parseResponse('samStatus', FRAMES.okNoData)).toMatchObject({ ok: true, value: { command: 'samStatus' } });
    expect(parseResponse('resetSam', FRAMES.okNoData)).toMatchObject({ ok: true });
  });

  it('serialize -> parse round-trips every non-read answer', () => {
    const answers = [
      { command: 'find', iin: Uint8Array.of(1, 2, 3, 4) },
      { command: 'select', sn: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) },
      { command: 'newAddress', address: '上海市浦东新区某路3号' },
      { command: 'resetSam' },
      { command: 'samStatus' },
      { command: 'samId', samId: '05.01-20101215-000123456-001234567' },
    ] as const;
    for (const a of answers) expect(parseResponse(a.command, serializeResponse(a))).toEqual({ ok: true, value: a });
    expect(toHex(serializeResponse({ command: 'find', iin: new Uint8Array(4) }))).toBe(toHex(FRAMES.findOk));
  });

  it('maps every SW3 status word to its named code', () => {
    for (const [sw3, code] of Object.entries(SW3_CODES)) {
      const r = parseResponse('select', buildResponse(Number(sw3)));
      if (code === 'ok') expect(r.ok).toBe(true);
      else if (code === 'card-found') expect(r.ok || r.error.code).toBe('unexpected-response');
      else {
        expect(r.ok || r.error.code).toBe(code);
        expect(r.ok || r.error.sw3).toBe(Number(sw3));
      }
    }
    expect(parseResponse('find', FRAMES.findNoCard)).toMatchObject({ ok: false, error: { code: 'no-card', recovery: 'retry' } });
    expect(parseResponse('select', FRAMES.selectFailed)).toMatchObject({ ok: false, error: { code: 'select-failed' } });
    expect(parseResponse('read', FRAMES.readFailed)).toMatchObject({ ok: false, error: { code: 'read-failed' } });
    expect(parseResponse('find', FRAMES.cardRejectedSam)).toMatchObject({ ok: false, error: { code: 'card-rejected-sam' } });
    expect(parseResponse('read', buildResponse(0x66))).toMatchObject({
      ok: false,
      error: { code: 'sam-not-authorised', recovery: 'fix-config' },
    });
    expect(parseResponse('read', buildResponse(0x55))).toMatchObject({ ok: false, error: { code: 'unknown-status' } });
  });

  it('treats an answer of the wrong shape as unexpected (a late answer to another command)', () => {
    expect(parseResponse('select', FRAMES.findOk)).toMatchObject({ ok: false, error: { code: 'unexpected-response' } });
    expect(parseResponse('read', FRAMES.selectOk)).toMatchObject({ ok: false, error: { code: 'unexpected-response' } });
  });

  it('copies the text of a read and keeps nothing of the photo', () => {
    const frame = frameOf(RESIDENT);
    expect(frame.length).toBe(1295);
    expect(toHex(frame.subarray(0, 14))).toBe('AAAAAA96690508000090010004' + '00');
    const r = parseResponse('read', frame);
    if (!r.ok || r.value.command !== 'read') throw new Error('expected a read');
    expect(r.value.text.buffer.byteLength).toBe(256);
    expect(r.value.photoLength).toBe(1024);
    expect(JSON.stringify(r.value)).not.toContain('WLf');
  });
});

describe('the four layouts', () => {
  it('resident card: fields, 长期 -> validTo null, sex, dates', () => {
    expect(decoded(RESIDENT)).toEqual({
      type: 'cn-resident-id',
      number: '11010519491231002X',
      nationality: 'CHN',
      nameLatin: null,
      nameChinese: '张三',
      sex: 'F',
      birthDate: '1949-12-31',
      validFrom: '2015-01-01',
      validTo: null,
      warnings: [],
    });
  });

  it('2017 PR card (I): 120-byte English name, nationality, 7-3-1 check ok', () => {
    expect(decoded(PR_2017)).toEqual({
      type: 'cn-pr-2017',
      number: 'KAZ110090123105',
      nationality: 'KAZ',
      nameLatin: 'ZHENGJIAN, YANGBEN',
      nameChinese: '证件样本',
      sex: 'M',
      birthDate: '1990-12-31',
      validFrom: '2017-07-01',
      validTo: '2027-06-30',
      warnings: [],
    });
  });

  it('2017 PR card: a failing 7-3-1 check char is a warning, not a rejection (specimens fail it)', () => {
    const doc = decoded({ ...PR_2017, number: 'CAN110081080319', nationality: 'CAN', birthDate: '19810803' });
    expect(doc.warnings).toEqual(['pr-2017-number-check-digit']);
  });

  it('2023 PR card (Y): Chinese name first, English name joined from two fields, renewals, old number', () => {
    expect(decoded(PR_2023)).toEqual({
      type: 'cn-pr-2023',
      number: '932682198501010017',
      nationality: 'SAU',
      nameLatin: 'ABDULLAH BIN MOHAMMED AL SAUDI ALHARBI KHALID',
      nameChinese: '萨利赫',
      sex: 'M',
      birthDate: '1985-01-01',
      validFrom: '2023-12-01',
      validTo: '2033-11-30',
      previousNumber: 'SAU320185010112',
      renewalCount: 1,
      warnings: [],
    });
  });

  it('2023 PR card: the English name split exactly at char 35, and no link -> no previousNumber', () => {
    const name = 'A'.repeat(34) + ' ' + 'BCDEFGHIJKL';
    const doc = decoded({ ...PR_2023, nameLatin: name, link: '' });
    expect(doc.nameLatin).toBe(name);
    expect(doc.previousNumber).toBeUndefined();
    const text = encodeCardText({ ...PR_2023, nameLatin: name });
    expect(Buffer.from(text.subarray(52, 122)).toString('utf16le')).toBe('A'.repeat(34) + ' ');
    expect(Buffer.from(text.subarray(220, 242)).toString('utf16le')).toBe('BCDEFGHIJKL');
  });

  it('derives the old 2017 number from the link (worked example of the notes)', () => {
    expect(previousPrNumber('932682198501010017', 'SAU', '011')).toBe('SAU320185010112');
    expect(previousPrNumber('932682198501010017', 'SAU', '0A1')).toBeNull();
  });

  it('HK/Macao/Taiwan permit (J): permit number and issue count', () => {
    expect(decoded(HMT_PERMIT)).toEqual({
      type: 'cn-hmt-permit',
      number: '810000199408230021',
      nationality: 'CHN',
      nameLatin: null,
      nameChinese: '陈大文',
      sex: 'M',
      birthDate: '1994-08-23',
      validFrom: '2020-01-01',
      validTo: '2025-01-01',
      permitNumber: 'H12345678',
      issueCount: 2,
      warnings: [],
    });
  });

  it('encodeCardText and readCardFields are inverses for every layout', () => {
    for (const f of [RESIDENT, PR_2017, PR_2023, HMT_PERMIT]) {
      const text = encodeCardText(f);
      expect(text.length).toBe(256);
      expect(readCardFields(text)).toEqual({ ok: true, value: f });
    }
  });

  it('puts the card type flag at offset 248', () => {
    expect(toHex(encodeCardText(RESIDENT).subarray(248, 250))).toBe('2000');
    expect(toHex(encodeCardText(PR_2017).subarray(248, 250))).toBe('4900');
    expect(toHex(encodeCardText(PR_2023).subarray(248, 250))).toBe('5900');
    expect(toHex(encodeCardText(HMT_PERMIT).subarray(248, 250))).toBe('4A00');
  });

  it('sex codes 0 and 9 are X', () => {
    expect(decoded({ ...RESIDENT, sex: '0' }).sex).toBe('X');
    expect(decoded({ ...RESIDENT, sex: '9' }).sex).toBe('X');
  });
});

describe('decodeIdCard errors', () => {
  it('refuses a number that disagrees with the card it is on (a read corrupted past the 8-bit XOR)', () => {
    // 18-character numbers carry the birth date; a valid check char does not make a changed number right.
    expect(errorCode(frameOf({ ...RESIDENT, birthDate: '19491230' }))).toBe('bad-field');
    expect(errorCode(frameOf({ ...PR_2023, birthDate: '19850102' }))).toBe('bad-field');
    expect(errorCode(frameOf({ ...HMT_PERMIT, birthDate: '19940822' }))).toBe('bad-field');
    // 2017 numbers start with the nationality and hold YYMMDD.
    expect(errorCode(frameOf({ ...PR_2017, nationality: 'KEZ' }))).toBe('bad-field');
    expect(errorCode(frameOf({ ...PR_2017, birthDate: '19901230' }))).toBe('bad-field');
  });

  it('names a bad number check char, bad fields and an unknown layout', () => {
    expect(errorCode(frameOf({ ...RESIDENT, number: '110105194912310021' }))).toBe('bad-number-check');
    expect(errorCode(frameOf({ ...PR_2023, number: '932682198501010018' }))).toBe('bad-number-check');
    expect(errorCode(frameOf({ ...HMT_PERMIT, number: '810000199408230022' }))).toBe('bad-number-check');
    expect(errorCode(frameOf({ ...RESIDENT, sex: '3' }))).toBe('bad-field');
    expect(errorCode(frameOf({ ...RESIDENT, birthDate: '19490231' }))).toBe('bad-field');
    expect(errorCode(frameOf({ ...RESIDENT, validTo: '永久' }))).toBe('bad-field');
    const text = encodeCardText(RESIDENT);
    text[248] = 0x5a; // 'Z'
    expect(errorCode(buildReadResponse(text))).toBe('unknown-layout');
  });

  it('names a bad checksum, a truncated frame, a failure status word and a bad preamble', () => {
    const frame = frameOf(RESIDENT);
    const flipped = frame.slice();
    flipped[100] ^= 0x01;
    expect(errorCode(flipped)).toBe('bad-checksum');
    expect(errorCode(frame.subarray(0, 800))).toBe('truncated');
    expect(errorCode(frame.subarray(0, 3))).toBe('truncated');
    expect(errorCode(FRAMES.readFailed)).toBe('read-failed');
    expect(errorCode(h('00AAAA96690003200122'))).toBe('bad-preamble');
    expect(errorCode(h('AAAAAA96690004200122'))).toBe('truncated');
    expect(errorCode(Uint8Array.from([...frame, 0x00]))).toBe('bad-length');
  });

  it('decodes the 30 10 answer with a fingerprint block, and one with an empty block', () => {
    const text = encodeCardText(PR_2023);
    const fp = buildReadResponse(text, { fingerprint: new Uint8Array(1024) });
    expect(fp.length).toBe(2321);
    expect(toHex(fp.subarray(0, 16))).toBe('AAAAAA9669090A000090010004000400');
    expect(decodeIdCard(fp)).toMatchObject({ ok: true, document: { number: '932682198501010017' } });
    const empty = buildReadResponse(text, { fingerprint: new Uint8Array(0) });
    expect(empty.length).toBe(1297);
    expect(decodeIdCard(empty)).toMatchObject({ ok: true });
  });

  it('decodeCardText alone reads a text block', () => {
    expect(decodeCardText(encodeCardText(HMT_PERMIT))).toMatchObject({ ok: true, value: { type: 'cn-hmt-permit' } });
  });
});
