// Child process entry: PRAGMA quick_check on the gate's file on its own read-only connection (about 0.6 s at a
// million tickets), after the gate is ready. A process rather than a worker thread: what the check reads and
// allocates leaves with it, instead of staying in the gate's resident memory. Sends one IntegrityAnswer and ends.
import { checkIntegrity } from '../cache/db.js';
import { errorLine } from '../util/gate-error.js';
import type { IntegrityAnswer } from './integrity-check.js';

const path = process.argv[2] ?? '';
let answer: IntegrityAnswer;
try {
  answer = { verdict: checkIntegrity(path, 'quick') };
} catch (err) {
  answer = { error: errorLine(err) };
}
process.send?.(answer, () => process.disconnect());
