// Progress of long work (publishing or loading a snapshot): on a terminal one line redrawn in place with rows, rate
// and time left; elsewhere (a log file, systemd's journal) a plain line every few seconds and one at the end.
export interface ProgressOptions {
  label: string;
  total: number;
  unit?: string;
  out: NodeJS.WritableStream & { isTTY?: boolean };
  /** Plain-mode line interval. */
  everyMs?: number;
  clock?: () => number;
}

export interface Progress {
  update(done: number): void;
  finish(): void;
}

function fmtCount(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)}k` : String(Math.round(n));
}

function fmtSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.ceil(s)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.ceil(s - m * 60)).padStart(2, '0')}s`;
}

/** The text of one progress line (pure: the tests and both modes share it). */
export function progressLine(label: string, done: number, total: number, elapsedMs: number, unit = 'rows'): string {
  const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  const pct = total > 0 ? Math.floor((done * 100) / total) : 100;
  const left = done >= total ? 0 : rate > 0 ? (total - done) / rate : Infinity;
  return `${label}: ${fmtCount(done)}/${fmtCount(total)} ${unit} (${pct}%), ${fmtCount(rate)} ${unit}/s, ${done >= total ? `took ${fmtSeconds(elapsedMs / 1000)}` : `${fmtSeconds(left)} left`}`;
}

export function createProgress(o: ProgressOptions): Progress {
  const clock = o.clock ?? Date.now;
  const started = clock();
  const tty = !!o.out.isTTY;
  const every = o.everyMs ?? (tty ? 100 : 5000);
  let lastAt = -Infinity;
  let done = 0;
  let finished = false;
  const draw = (final: boolean) => {
    const line = progressLine(o.label, done, o.total, clock() - started, o.unit);
    o.out.write(tty ? `\r\x1b[2K${line}${final ? '\n' : ''}` : `${line}\n`);
  };
  return {
    update(n) {
      done = n;
      const now = clock();
      if (now - lastAt >= every) {
        lastAt = now;
        draw(false);
      }
    },
    finish() {
      if (finished) return;
      finished = true;
      draw(true);
    },
  };
}
