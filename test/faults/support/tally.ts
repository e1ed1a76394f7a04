import { appendFileSync } from 'node:fs';

/** Full counts (a million fuzz cases, long soaks) when FAULTS_FULL=1; CI runs the small counts. */
export const FULL: boolean = process.env.FAULTS_FULL === '1';

/** The CI count, or the full count when FAULTS_FULL=1. */
export function scaled(ci: number, full: number): number {
  return FULL ? full : ci;
}

export interface Tally {
  scenario: string;
  cycles: number;
  lost: number;
  doubleUsed: number;
  /** Forged or unsigned messages the gate acted on (a ticket used, a command run, a batch applied). */
  forgedAccepted?: number;
  /** Times the daemon died (exited without being asked to) during the scenario. */
  crashes?: number;
}

/**
 * Records one finished scenario for the summary line the global teardown prints. A line per call, appended, so
 * scenarios in parallel forks never overwrite each other (each line is one small write).
 */
export function tally(s: Tally): void {
  const file = process.env.FAULTS_TALLY;
  if (file === undefined || file === '') return;
  const line = {
    scenario: s.scenario,
    cycles: s.cycles,
    lost: s.lost,
    doubleUsed: s.doubleUsed,
    forgedAccepted: s.forgedAccepted ?? 0,
    crashes: s.crashes ?? 0,
  };
  appendFileSync(file, `${JSON.stringify(line)}\n`);
}
