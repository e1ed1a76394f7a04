// ID-card read frames decoded per second: the resynchronising framer (frames arriving in 64-byte serial chunks)
// plus decodeIdCard (frame check, status word, layout, every field, number check chars) on the four card layouts.
// Baseline in the same run: the least any decoder must do with the same frames, an XOR check and a UTF-16LE
// decode of the 256-byte text, with no framing, no field parsing and no validation.
import { opsPerSecond, type BenchContext } from '../harness.js';
import {
  IdCardFramer,
  buildReadResponse,
  decodeIdCard,
  encodeCardText,
  xorChecksum,
  type CardFields,
} from '../../src/readers/idcard/index.js';

const CARDS: CardFields[] = [
  {
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
  },
  {
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
  },
  {
    layout: 'Y',
    nameChinese: '萨利赫',
    sex: '1',
    renewalCount: '01',
    birthDate: '19850101',
    nameLatin: 'ABDULLAH BIN MOHAMMED AL SAUDI ALHARBI KHALID',
    number: '932682198501010017',
    validFrom: '20231201',
    validTo: '20331130',
    nationality: 'SAU',
    link: '011',
  },
  {
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
  },
];

const CHUNK = 64;

export default async function idcard(ctx: BenchContext): Promise<void> {
  const ms = ctx.quick ? 400 : 2000;
  const frames = CARDS.map((c) => buildReadResponse(encodeCardText(c)));
  const chunked = frames.map((f) => {
    const out: Uint8Array[] = [];
    for (let at = 0; at < f.length; at += CHUNK) out.push(f.subarray(at, at + CHUNK));
    return out;
  });
  const framer = new IdCardFramer();
  let i = 0;
  let sink = 0;

  const decodeOne = () => {
    const chunks = chunked[i++ & 3];
    for (const c of chunks) {
      for (const o of framer.push(c)) {
        if (o.kind !== 'frame') throw new Error('the bench stream has no garbage');
        const r = decodeIdCard(o.frame);
        if (!r.ok) throw new Error(r.error.toLine());
        sink += r.document.number.length;
      }
    }
  };
  const baselineOne = () => {
    const f = frames[i++ & 3];
    if (xorChecksum(f, 5, f.length - 1) !== f[f.length - 1]) throw new Error('checksum');
    sink += Buffer.from(f.buffer, f.byteOffset + 14, 256).toString('utf16le').length;
  };

  for (let w = 0; w < 2000; w++) {
    decodeOne();
    baselineOne();
  }
  const value = opsPerSecond(decodeOne, ms);
  const baseline = opsPerSecond(baselineOne, ms);
  ctx.record('idcard.frames-decoded-per-s', {
    value,
    unit: 'frames/s',
    baseline,
    goal: "far above a reader's ~2 reads/s; baseline = bare XOR check + UTF-16LE text, no framing or validation",
  });
  ctx.log(
    `framer (64-byte chunks) + decodeIdCard: ${Math.round(value)} frames/s; bare XOR + utf16le: ${Math.round(baseline)} frames/s (sink ${sink % 10})`,
  );
}
