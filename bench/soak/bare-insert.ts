// The baseline of the soak's bytes-per-passage figure: the same rows a passage leaves in the gate's file (its decision
// and passage events in the outbox, the ledger row), inserted bare into a file with the gate's schema and pragmas (WAL,
// synchronous=FULL), in the two commits the promise needs at least (the decision before the gate opens, the passage
// before the MCU is told it is recorded). Run as its own process: prints {"bytes": write_bytes, "passages": n}.
// usage: node --import tsx bench/soak/bare-insert.ts DB PASSAGES DECISION_BYTES PASSAGE_BYTES SIG_BYTES
import { readFileSync } from 'node:fs';
import { openDb } from '../../src/cache/db.js';

const [dbPath, n, decisionBytes, passageBytes, sigBytes] = process.argv.slice(2);
const writeBytes = () => Number(/write_bytes:\s+(\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))?.[1] ?? 0);

const passages = Number(n);
const db = openDb(dbPath);
const before = writeBytes();
const insertEvent = db.prepare('INSERT INTO outbox (seq, event_id, kind, payload, created_ms, sig) VALUES (?, ?, ?, ?, ?, ?)');
const insertLedger = db.prepare(
  "INSERT INTO ledger (ticket_id, direction, station, gate, at_ms, event_id, source, arrival_ms) VALUES (?, 'entry', 'VNP', '05', ?, ?, 'local', ?)",
);
const pad = (len: number, seed: number) => `${seed}`.padEnd(Number(len), 'x');
const t0 = Date.parse('2026-03-02T06:00:00Z');
let seq = 0;
for (let i = 0; i < passages; i++) {
  const at = t0 + i * 6000;
  db.transaction(() => insertEvent.run(++seq, `d-${i}`, 'decision', pad(Number(decisionBytes), i), at, null))();
  db.transaction(() => {
    insertEvent.run(++seq, `p-${i}`, 'passage', pad(Number(passageBytes), i), at, pad(Number(sigBytes), i));
    insertLedger.run(`T${i}`, at, `p-${i}`, at + 6 * 3_600_000);
  })();
}
db.close(); // the last connection checkpoints the WAL into the file, as the gate's does at stop
process.stdout.write(JSON.stringify({ bytes: writeBytes() - before, passages }) + '\n');
