// Byte fixtures for the ID-card reader tests: one specimen card per layout (synthetic data, valid check chars
// where the real format has one) and the exact frames of research/idcard.md 1.2/1.3.
import type { CardFields } from '../../../src/readers/idcard/index.js';

export const h = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));

export const RESIDENT = {
  layout: 'resident',
  name: '张三',
  sex: '2',
  nation: '01',
  birthDate: '19491231',
  address: '北京市东城区某街道1号',
  number: '11010519491231002X',
  authority: '北京市公安局东城分局',
  validFrom: '20150101',
  validTo: '长期',
} satisfies CardFields;

export const PR_2017 = {
  layout: 'I',
  nameLatin: 'ZHENGJIAN, YANGBEN',
  sex: '1',
  number: 'KAZ110090123105',
  nationality: 'KAZ',
  nameChinese: '证件样本',
  validFrom: '20170701',
  validTo: '20270630',
  birthDate: '19901231',
  cardVersion: '01',
  officeCode: '1500',
} satisfies CardFields;

export const PR_2023 = {
  layout: 'Y',
  nameChinese: '萨利赫',
  sex: '1',
  renewalCount: '01',
  birthDate: '19850101',
  // 44 chars: 35 at offset 52, the last 9 at offset 220.
  nameLatin: 'ABDULLAH BIN MOHAMMED AL SAUDI ALHARBI KHALID',
  number: '932682198501010017',
  validFrom: '20231201',
  validTo: '20331130',
  nationality: 'SAU',
  link: '011',
} satisfies CardFields;

export const HMT_PERMIT = {
  layout: 'J',
  name: '陈大文',
  sex: '1',
  birthDate: '19940823',
  address: '广东省深圳市福田区某路2号',
  number: '810000199408230021',
  authority: '深圳市公安局福田分局',
  validFrom: '20200101',
  validTo: '20250101',
  permitNumber: 'H12345678',
  issueCount: '02',
} satisfies CardFields;

/** Status-only and short answers copied from research/idcard.md 1.3. */
export const FRAMES = {
  okNoData: h('AA AA AA 96 69 00 04 00 00 90 94'),
  findOk: h('AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97'),
  findNoCard: h('AA AA AA 96 69 00 04 00 00 80 84'),
  selectOk: h('AA AA AA 96 69 00 0C 00 00 90 00 00 00 00 00 00 00 00 9C'),
  selectFailed: h('AA AA AA 96 69 00 04 00 00 81 85'),
  readFailed: h('AA AA AA 96 69 00 04 00 00 41 45'),
  cardRejectedSam: h('AA AA AA 96 69 00 04 00 00 31 35'),
};

/** Command frames of research/idcard.md 1.2. */
export const COMMAND_FRAMES = {
  resetSam: 'AAAAAA96690003 10FFEC',
  samStatus: 'AAAAAA96690003 11FFED',
  samId: 'AAAAAA96690003 12FFEE',
  find: 'AAAAAA96690003 200122',
  select: 'AAAAAA96690003 200221',
  read: 'AAAAAA96690003 300132',
  readWithFingerprint: 'AAAAAA96690003 301023',
  newAddress: 'AAAAAA96690003 300330',
} as const;
