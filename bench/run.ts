// `npm run bench [-- --quick] [-- --only NAME]`: runs every suite in bench/suites, prints a table and writes
// bench/results.json as {"<name>": {"value", "unit", "baseline"?, "ratio"?, "goal"?}}.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchSuite, Figure } from './harness.js';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const onlyIdx = argv.indexOf('--only');
const only = onlyIdx >= 0 ? argv[onlyIdx + 1] : undefined;

const results: Record<string, Figure> = {};
const suites = readdirSync(join(here, 'suites'))
  .filter((f) => f.endsWith('.ts'))
  .filter((f) => !only || f.includes(only))
  .sort();

for (const file of suites) {
  const mod = (await import(pathToFileURL(join(here, 'suites', file)).href)) as { default: BenchSuite };
  const tmpDir = mkdtempSync(join(tmpdir(), 'gate-bench-'));
  const started = Date.now();
  console.log(`# ${file}`);
  try {
    await mod.default({
      quick,
      tmpDir,
      record(name, f) {
        const ratio = f.baseline !== undefined && f.baseline !== 0 ? Number((f.value / f.baseline).toFixed(3)) : undefined;
        results[name] = { ...f, value: Number(f.value.toFixed(3)), ...(ratio !== undefined ? { ratio } : {}) };
      },
      log: (line) => console.log(`  ${line}`),
    });
  } catch (err) {
    console.error(`  suite ${file} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exitCode = 1;
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
  console.log(`  (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

const rows = Object.entries(results).map(([name, f]) => [
  name,
  `${f.value} ${f.unit}`,
  f.baseline !== undefined ? `${Number(f.baseline.toFixed(3))} ${f.unit}` : '',
  f.ratio !== undefined ? `${f.ratio}x` : '',
  f.goal ?? '',
]);
const head = ['figure', 'value', 'baseline', 'ratio', 'goal'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const fmt = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ');
console.log('\n' + fmt(head) + '\n' + widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(fmt(r));
// --only re-measures some suites: the other suites' figures in results.json are kept as they were.
const file = join(here, 'results.json');
const kept = only && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
writeFileSync(file, JSON.stringify({ ...kept, ...results }, null, 2) + '\n');
console.log(`\nwrote bench/results.json (${Object.keys(results).length} figures${quick ? ', --quick' : ''}${only ? `, others kept` : ''})`);
