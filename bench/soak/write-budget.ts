// Where a passage's bytes go: the gate's own store (src/daemon/gate-store.ts: the lane journal over outbox and ledger) driven through one passage after another at
// a busy gate's pace, each step's write_bytes (/proc/self/io) counted on its own. Run as its own process by
// `npm run soak` (docs/design.md "Storage wear" quotes it): prints {"decision": KB, "authorisation": KB, ...}.
// usage: node --import tsx bench/soak/write-budget.ts [PASSAGES]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb } from '../../src/cache/db.js';
import { GateStore } from '../../src/daemon/gate-store.js';

const passages = Number(process.argv[2] ?? 2000);
const writeBytes = () => Number(/write_bytes:\s+(\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))?.[1] ?? 0);
const dir = mkdtempSync(join(tmpdir(), 'gate-write-budget-'));
try {
  const db = openDb(join(dir, 'gate.db'));
  let now = Date.parse('2026-03-02T06:00:00Z');
  // A signature of the real length (Ed25519, base64url): the bytes matter here, not the key.
  const store = new GateStore(db, { station: 'VNP', gate: '05', now: () => now, signPassage: () => 'S'.repeat(86) });
  const cost = { decision: 0, passage: 0, markSent: 0 };
  const step = (k: keyof typeof cost, fn: () => void) => {
    const b = writeBytes();
    fn();
    cost[k] += writeBytes() - b;
  };
  const docKey = 'k'.repeat(64);
  for (let i = 0; i < passages; i++) {
    now += 6000;
    let decision!: { seq: number; eventId: string };
    let passage!: { seq: number };
    // The decision and the authorisation it leads to share one commit (the lane's record-decision carries it).
    step(
      'decision',
      () =>
        (decision = store.recordDecision(
          {
            kind: 'decision',
            at: new Date(now).toISOString(),
            direction: 'entry',
            decision: 'open',
            reason: 'ok',
            docType: 'mrz',
            docKey,
            ticketId: `T${i}`,
            train: 'G1',
          },
          { authId: i + 1, direction: 'entry', ticketId: `T${i}`, docKey, atMs: now },
        )),
    );
    step(
      'passage',
      () =>
        (passage = store.recordPassage(
          {
            kind: 'passage',
            at: new Date(now).toISOString(),
            direction: 'entry',
            outcome: 'passed',
            ticketId: `T${i}`,
            docKey,
            decisionEventId: decision.eventId,
          },
          i + 1,
        ).event),
    );
    // The publisher marks each PUBACK within 250 ms: at a busy gate the decision's and the passage's come apart.
    step('markSent', () => {
      store.outbox.markSent([decision.seq]);
      store.outbox.markSent([passage.seq]);
    });
  }
  const b = writeBytes();
  db.close();
  const close = writeBytes() - b;
  const kb = (v: number) => Number((v / 1024 / passages).toFixed(2));
  process.stdout.write(
    JSON.stringify({
      decision: kb(cost.decision),
      passage: kb(cost.passage),
      markSent: kb(cost.markSent),
      close: kb(close),
    }) + '\n',
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
