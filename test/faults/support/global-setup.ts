import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

interface Summary {
  scenarios: number;
  cycles: number;
  lost: number;
  doubleUsed: number;
  forgedAccepted: number;
  crashes: number;
}

/** Sums the tally lines; a line that is not a tally (a torn write) counts as a scenario with nothing else. */
export function summarise(text: string): Summary {
  const sum: Summary = { scenarios: 0, cycles: 0, lost: 0, doubleUsed: 0, forgedAccepted: 0, crashes: 0 };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    sum.scenarios += 1;
    try {
      const t = JSON.parse(line) as Partial<Record<'cycles' | 'lost' | 'doubleUsed' | 'forgedAccepted' | 'crashes', unknown>>;
      sum.cycles += Number(t.cycles) || 0;
      sum.lost += Number(t.lost) || 0;
      sum.doubleUsed += Number(t.doubleUsed) || 0;
      sum.forgedAccepted += Number(t.forgedAccepted) || 0;
      sum.crashes += Number(t.crashes) || 0;
    } catch {
      // A torn line still counts as a scenario; its numbers are unknown.
    }
  }
  return sum;
}

export default function setup(): () => void {
  // One file per run: two runs at once (a developer and a watcher) must not wipe each other's lines.
  const file = resolve(repo, `.faults/tally-${process.pid}.jsonl`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, '');
  // Test forks inherit the environment of the process that starts them.
  process.env.FAULTS_TALLY = file;
  return () => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      text = '';
    }
    rmSync(file, { force: true });
    const s = summarise(text);
    process.stdout.write(
      `faults: ${s.scenarios} scenarios, ${s.cycles} cycles, ${s.lost} lost, ${s.doubleUsed} double-used, ${s.forgedAccepted} forged accepted, ${s.crashes} crashes\n`,
    );
    if (s.lost !== 0 || s.doubleUsed !== 0 || s.forgedAccepted !== 0 || s.crashes !== 0) process.exitCode = 1;
  };
}
