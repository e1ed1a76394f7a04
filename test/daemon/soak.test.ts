// Issue 20: two station days at the real `gate run` (spawned, devices on socat ptys, a private Mosquitto, a virtual
// clock): morning snapshots with new epochs, deltas, a broker outage, an NTP step and a restart each day. Nothing is
// lost, the ledger keeps only the tickets that can still open a gate, nothing grows without bound, and a passage
// writes under 3x what a bare insert of the same rows writes. `npm run soak` is the 30-day version.
import { describe, expect, it } from 'vitest';
import { bareInsertKbPerPassage, runSoak } from '../../bench/soak/soak.js';

describe('soak: two compressed station days', () => {
  it(
    'loses nothing, prunes past passages, stays bounded and writes under 3x the bare insert per passage',
    { timeout: 150_000 },
    async () => {
      const lines: string[] = [];
      const P = 40;
      const r = await runSoak({ days: 2, passengersPerDay: P, extraTickets: 1000, gate: 'tsx', log: (l) => lines.push(l) });
      expect(r.failures, lines.join('\n')).toEqual([]);
      expect(r.lost).toBe(0);
      // Two refunded tickets a day were refused; everyone else walked through.
      expect(r.refusals).toBe(4);
      expect(r.passages).toBe(2 * (P - 2));
      // Day 1's tickets all arrived before the horizon of day 2's last delta: the daemon pruned exactly those rows.
      expect(r.samples[0].ledgerRows).toBe(P - 2);
      expect(r.samples[1].ledgerRows).toBe(P - 2);
      expect(r.samples[1].outboxRows).toBeGreaterThan(r.samples[0].outboxRows); // sent rows stay 72 h
      expect(r.samples[1].walMb).toBeLessThan(16);
      expect(r.samples[1].fds).toBeLessThanOrEqual(r.samples[0].fds + 4);
      const bare = bareInsertKbPerPassage(r, 500);
      expect(r.kbWrittenPerPassage).toBeGreaterThan(bare);
      expect(r.kbWrittenPerPassage / bare).toBeLessThan(3);
    },
  );
});
