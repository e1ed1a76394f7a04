// The demo's station (VNP, 2025-06-01): central's records and the documents the simulated passengers carry. All
// synthetic: numbers have valid check characters but belong to nobody. Built on config/sample-snapshot.json, plus
// two tickets the scripted hour needs (a tailgater's companion and a ticket refunded during the hour).
import { readFileSync } from 'node:fs';
import type { SnapshotFile, TicketRecord } from '../cache/records.js';
import { parseSnapshot } from '../cache/import.js';
import type { CardFields } from '../readers/idcard/index.js';
import { buildMrz, buildPermitMrz } from '../readers/mrz/build.js';
import type { Document } from '../identity/document.js';
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
export const REFUND_TICKET = extra({
  id: 'D0001',
  kind: 'cn-resident-id',
  country: 'CHN',
  number: '440305198511151625',
  car: '02',
  seat: '11D',
});

// Issue 17's passengers, on train G105 (11:00; its entry window opens at 09:00).
const g105 = (t: Partial<TicketRecord> & Pick<TicketRecord, 'id' | 'kind' | 'country' | 'number'>) =>
  extra({ train: 'G105', departure: '2025-06-01T11:00:00+08:00', arrival: '2025-06-01T15:20:00+08:00', car: '03', ...t });
const resident = (number: string) => ({ kind: 'cn-resident-id' as const, country: 'CHN', number });
export const STUDENT_NUMBER = '110105200509010121';
export const PARENT_NUMBER = '110105198002140031';
export const TRANSFER_NUMBER = '310115198706220013';
export const ISSUE_17_TICKETS: TicketRecord[] = [
  // A student whose registered home-school journey is VNP-TNV, travelling to AOH: staffed lane, student card.
  g105({
    id: 'D0003',
    ...resident(STUDENT_NUMBER),
    seat: '07A',
    fare: 'student',
    concessionVerified: true,
    registeredJourney: { from: 'VNP', to: 'TNV' },
  }),
  // A parent with their own ticket and a child's bought on their card: both go to the staffed lane.
  g105({ id: 'D0004', ...resident(PARENT_NUMBER), seat: '08B' }),
  g105({ id: 'D0005', ...resident(PARENT_NUMBER), seat: '08C', fare: 'child' }),
  // A Hong Kong resident with a Home Return Permit card, read by MRZ.
  g105({ id: 'D0006', kind: 'hk-mo-home-return-permit', country: 'CHN', number: 'H12345678', seat: '09D' }),
  // A transfer passenger: arrived from AOH on G7 at 09:58, leaves on G105 without leaving the station.
  extra({
    id: 'D0007',
    ...resident(TRANSFER_NUMBER),
    train: 'G7',
    from: 'AOH',
    to: STATION,
    departure: '2025-06-01T06:10:00+08:00',
    arrival: '2025-06-01T09:58:00+08:00',
    car: '01',
    seat: '01A',
  }),
  g105({ id: 'D0008', ...resident(TRANSFER_NUMBER), to: 'SHH', seat: '10F' }),
];

export function demoSnapshot(): SnapshotFile {
  const path = packageFile('config/sample-snapshot.json');
  if (!path) throw new Error('config/sample-snapshot.json is missing from the package');
  const text = readFileSync(path, 'utf8');
  const snap = parseSnapshot(JSON.parse(text), 'config/sample-snapshot.json');
  return {
    ...snap,
    tickets: [
      ...snap.tickets,
      ...ISSUE_17_TICKETS,
      REFUND_TICKET,
      extra({
        id: 'D0002',
        kind: 'cn-hmt-permit',
        country: 'CHN',
        number: '810000199205050039',
        train: 'G101',
        departure: '2025-06-01T10:00:00+08:00',
        arrival: '2025-06-01T14:28:00+08:00',
        car: '05',
        seat: '12B',
      }),
    ],
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
  student: {
    layout: 'resident',
    name: '样本己',
    sex: '2',
    nation: '01',
    birthDate: '20050901',
    address: '北京市东城区样本街道9号',
    number: STUDENT_NUMBER,
    authority: '北京市公安局东城分局',
    validFrom: '20210901',
    validTo: '20310901',
  },
  parent: {
    layout: 'resident',
    name: '样本庚',
    sex: '1',
    nation: '01',
    birthDate: '19800214',
    address: '北京市东城区样本街道11号',
    number: PARENT_NUMBER,
    authority: '北京市公安局东城分局',
    validFrom: '20180101',
    validTo: '20380101',
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

/** A Hong Kong resident's Home Return Permit card (specimen layout: docs/documents.md). */
export const HOME_RETURN_PERMIT = buildPermitMrz({
  documentCode: 'CR',
  number: 'H12345678',
  issueCount: 1,
  expiryDate: '300115',
  sex: 'M',
  birthDate: '880412',
  centuryFlag: 'B',
  regionIdNumber: 'A1234563',
  surname: 'CHAN',
  givenNames: 'TAI MAN',
});

/** The transfer passenger's card as the reader hands it over (the demo's one lane is an entry lane). */
export const TRANSFER_DOCUMENT: Document = {
  type: 'cn-resident-id',
  number: TRANSFER_NUMBER,
  nationality: 'CHN',
  sex: 'M',
  birthDate: '1987-06-22',
  validFrom: '2019-01-01',
  validTo: '2039-01-01',
  warnings: [],
};

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
