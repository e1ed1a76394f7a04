// Worker thread entry: PRAGMA quick_check on the gate's file on its own read-only connection, off the event loop
// (about 0.6 s at a million tickets), after the gate is ready. Posts one IntegrityAnswer and ends.
import { parentPort, workerData } from 'node:worker_threads';
import { checkIntegrity } from '../cache/db.js';
import { errorLine } from '../util/gate-error.js';
import type { IntegrityAnswer } from './integrity-check.js';

const { path } = workerData as { path: string };
let answer: IntegrityAnswer;
try {
  answer = { verdict: checkIntegrity(path, 'quick') };
} catch (err) {
  answer = { error: errorLine(err) };
}
parentPort?.postMessage(answer);
