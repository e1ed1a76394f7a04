// `npm run soak [-- --days N] [-- --passengers N] [-- --extra-tickets N] [-- --tsx]`: the compressed month of
// bench/soak/soak.ts against the compiled `gate run`, then the bare-insert baseline of bytes per passage. Prints a line
// per station day and ends with `soak: D days, N passages, rss +X MB, db Y MB, Z KB written per passage, L lost`; exit 1
// when a growth check fails or anything was lost. A run of 30 days or more writes the soak.* figures into
// bench/results.json (the other figures are kept).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bareInsertKbPerPassage, DEFAULT_SOAK, runSoak } from './soak.js';

const argv = process.argv.slice(2);
const num = (name: string, dflt: number) => {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) {
    console.error(`soak: --${name} needs a whole number above 0`);
    process.exit(2);
  }
  return v;
};
const root = resolve('.');
const opts = {
  days: num('days', DEFAULT_SOAK.days),
  passengersPerDay: num('passengers', DEFAULT_SOAK.passengersPerDay),
  extraTickets: argv.includes('--extra-tickets') ? num('extra-tickets', DEFAULT_SOAK.extraTickets) : DEFAULT_SOAK.extraTickets,
  gate: argv.includes('--tsx') ? ('tsx' as const) : ('dist' as const),
  log: (line: string) => console.log(line),
};

if (opts.gate === 'dist') {
  console.log('soak: building dist/ (the gate runs compiled, as on a gate)');
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
}

const started = Date.now();
const report = await runSoak(opts);
const bareKb = bareInsertKbPerPassage(report, Math.max(500, report.passages));
const ratio = report.kbWrittenPerPassage / bareKb;
console.log(
  `soak: bytes per passage ${report.kbWrittenPerPassage.toFixed(1)} KB (bare insert of the same rows ${bareKb.toFixed(1)} KB, ${ratio.toFixed(2)}x), ` +
    `snapshots ${report.snapshotMbPerDay.toFixed(2)} MB/day, log ${report.logBytesPerPassage.toFixed(0)} B/passage; rss of a day-old process ${report.rssGrowthMbPerDay.toFixed(3)} MB/day; ` +
    `db ${report.dbMbDay2.toFixed(2)} MB at day 2, ${report.dbMbLast.toFixed(2)} MB at day ${report.days}; ${report.refusals} refunded tickets refused; ` +
    `${((Date.now() - started) / 60_000).toFixed(1)} min`,
);
const budget = JSON.parse(
  execFileSync(process.execPath, ['--import', 'tsx', join(root, 'bench', 'soak', 'write-budget.ts'), '2000'], {
    cwd: root,
    encoding: 'utf8',
  })
    .trim()
    .split('\n')
    .pop()!,
) as Record<string, number>;
console.log(
  `soak: the store's steps per passage, KB written: ${Object.entries(budget)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}`,
);
for (const f of report.failures) console.log(`soak: FAIL ${f}`);

if (report.days >= 30 && !argv.includes('--no-record')) {
  const file = join(root, 'bench', 'results.json');
  const kept = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  const fig = (value: number, unit: string, extra: Record<string, unknown> = {}) => ({ value: Number(value.toFixed(3)), unit, ...extra });
  writeFileSync(
    file,
    JSON.stringify(
      {
        ...kept,
        'soak.rss-growth-mb-per-day': fig(report.rssGrowthMbPerDay, 'MB/day', { goal: 'under 0.5' }),
        'soak.db-mb-at-day-30': fig(report.dbMbLast, 'MB', {
          baseline: Number(report.dbMbDay2.toFixed(3)),
          ratio: Number((report.dbMbLast / report.dbMbDay2).toFixed(3)),
          goal: 'under 2x the size at day 2',
        }),
        'soak.kb-written-per-passage': fig(report.kbWrittenPerPassage, 'KB', {
          baseline: Number(bareKb.toFixed(3)),
          ratio: Number(ratio.toFixed(3)),
          goal: 'under 3x the bare insert of the same rows',
        }),
        'soak.bare-insert-kb-per-passage': fig(bareKb, 'KB'),
      },
      null,
      2,
    ) + '\n',
  );
  console.log('wrote the soak.* figures to bench/results.json');
}
const rss = report.rssPlusMb;
console.log(
  `soak: ${report.days} days, ${report.passages} passages, rss ${rss >= 0 ? '+' : ''}${rss.toFixed(1)} MB, db ${report.dbMbLast.toFixed(1)} MB, ${report.kbWrittenPerPassage.toFixed(1)} KB written per passage, ${report.lost} lost`,
);
process.exitCode = report.failures.length === 0 && report.lost === 0 ? 0 : 1;
