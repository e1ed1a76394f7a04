// The demo's station (VNP, 2025-06-01): central's records and the documents the simulated passengers carry. All
// synthetic: numbers have valid check characters but belong to nobody. Built on config/sample-snapshot.json, plus
// two tickets the scripted hour needs (a tailgater's companion and a ticket refunded during the hour).
import { readFileSync } from 'node:fs';
import type { SnapshotFile, TicketRecord } from '../cache/records.js';
import { parseSnapshot } from '../cache/import.js';
import type { CardFields } from '../readers/idcard/index.js';
import { buildMrz } from '../readers/mrz/build.js';
import { packageFile } from '../util/package-file.js';

export const STATION = 'VNP';
export const GATE = '01';
/** The demo's HMAC secret: for this demo only (config/sample.json uses the same). */
export const DEMO_SECRET = 'demo-only-58a8e5ef073e91e502d89e8c93c35688117d8bb1c50f5974426631c4a1040fd4';
/** The scripted hour starts here (Asia/Shanghai). */
export const DEMO_START = '2025-06-01T09:20:00+08:00';

const extra = (t: Partial<TicketRecord> & Pick<TicketRecord, 'id' | 'kind' | 'country' | 'number'>): TicketRecord => ({
  train: 'G103',
  date: '2025-06-01',
  from: STATION,
  to: 'AOH',
  departure: '2025-06-01T10:40:00+08:00',
  arrival: '2025-06-01T15:02:00+08:00',
  car: '08',
  seat: '03C',
  status: 'valid',
  ...t,
});

/** The ticket central refunds during the hour (by delta). */
export const REFUND_TICKET = extra({ id: 'D0001', kind: 'cn-resident-id', country: 'CHN', number: '440305198511151625', car: '02', seat: '11D' });

export function demoSnapshot(): SnapshotFile {
  const path = packageFile('config/sample-snapshot.json');
  if (!path) throw new Error('config/sample-snapshot.json is missing from the package');
  const text = readFileSync(path, 'utf8');
  const snap = parseSnapshot(JSON.parse(text), 'config/sample-snapshot.json');
  return {
    ...snap,
    tickets: [...snap.tickets, REFUND_TICKET, extra({ id: 'D0002', kind: 'cn-hmt-permit', country: 'CHN', number: '810000199205050039', train: 'G101', departure: '2025-06-01T10:00:00+08:00', arrival: '2025-06-01T14:28:00+08:00', car: '05', seat: '12B' })],
  };
}

export const CARDS = {
  resident: {
    layout: 'resident',
    name: '样本甲',
    sex: '2',
    nation: '01',
    birthDate: '19491231',
    address: '北京市东城区样本街道1号',
    number: '11010519491231002X',
    authority: '北京市公安局东城分局',
    validFrom: '20150101',
    validTo: '长期',
  },
  pr2023: {
    layout: 'Y',
    nameChinese: '样本乙',
    sex: '1',
    renewalCount: '00',
    birthDate: '19850101',
    nameLatin: 'SPECIMEN SAMPLE',
    number: '932682198501010017',
    validFrom: '20240101',
    validTo: '20340101',
    nationality: 'SAU',
    link: '011',
  },
  lateResident: {
    layout: 'resident',
    name: '样本丙',
    sex: '1',
    nation: '01',
    birthDate: '19900307',
    address: '上海市浦东新区样本路3号',
    number: '310115199003073410',
    authority: '上海市公安局浦东分局',
    validFrom: '20200101',
    validTo: '20400101',
  },
  hmtPermit: {
    layout: 'J',
    name: '样本丁',
    sex: '1',
    birthDate: '19920505',
    address: '广东省深圳市福田区样本路2号',
    number: '810000199205050039',
    authority: '深圳市公安局福田分局',
    validFrom: '20200101',
    validTo: '20300101',
    permitNumber: 'H00000000',
    issueCount: '01',
  },
  refunded: {
    layout: 'resident',
    name: '样本戊',
    sex: '2',
    nation: '01',
    birthDate: '19851115',
    address: '广东省深圳市南山区样本路5号',
    number: '440305198511151625',
    authority: '深圳市公安局南山分局',
    validFrom: '20160501',
    validTo: '20360501',
  },
} satisfies Record<string, CardFields>;

export const PASSPORTS = {
  verified: buildMrz({
    format: 'TD3',
    documentCode: 'P',
    issuingState: 'D',
    surname: 'MUSTERMANN',
    givenNames: 'ERIKA',
    number: 'C01X00T47',
    nationality: 'D',
    birthDate: '640812',
    sex: 'F',
    expiryDate: '301031',
  }),
  unverified: buildMrz({
    format: 'TD3',
    documentCode: 'P',
    issuingState: 'USA',
    surname: 'SAMPLE',
    givenNames: 'JOHN',
    number: '963545637',
    nationality: 'USA',
    birthDate: '700101',
    sex: 'M',
    expiryDate: '290630',
  }),
  /** Not verified on 12306 either: the demo's refusal in the passenger's language (Japanese, from CLDR). */
  unverifiedJapan: buildMrz({
    format: 'TD3',
    documentCode: 'P',
    issuingState: 'JPN',
    surname: 'SAMPLE',
    givenNames: 'HANAKO',
    number: 'TK0000001',
    nationality: 'JPN',
    birthDate: '880315',
    sex: 'F',
    expiryDate: '320401',
  }),
};
