// What `gate run` does with an error nothing else caught (an uncaughtException or an unhandledRejection): it is
// logged once, as one line with the error's first line and never its stack or the values it held (no personal
// data); no new passenger is taken, the passage in progress finishes (bounded by its timeout), and the process
// exits with EX_SOFTWARE (70), which systemd's Restart=on-failure answers with a fresh start. A process in an
// unknown state is not left running, and it does not die silently mid-passage either.
import { errorLine } from '../util/gate-error.js';
import type { Logger } from '../util/log.js';

/** EX_SOFTWARE (sysexits.h): an internal software error. scripts/gate.service restarts on it. */
export const UNEXPECTED_EXIT_CODE = 70;

export interface ProcessPolicyOptions {
  log: Logger;
  /** Finish the passage in progress and close (GateDaemon.stop). */
  stop(): Promise<void>;
  /** Upper bound on stop(): past it the process exits anyway. */
  stopTimeoutMs: number;
  exit?: (code: number) => void;
}

/** Install the handlers; returns a function that removes them (after a normal stop). */
export function installProcessPolicy(o: ProcessPolicyOptions): () => void {
  const exit = o.exit ?? ((code: number) => process.exit(code));
  let handling = false;
  const onUnexpected = (kind: 'uncaughtException' | 'unhandledRejection') => (err: unknown) => {
    // Logged once: a second error during the shutdown (likely, in a broken process) is not news.
    if (handling) return;
    handling = true;
    o.log.fatal(
      { kind, err: errorLine(err), exitCode: UNEXPECTED_EXIT_CODE },
      'unexpected error: finishing the passage in progress, then exiting',
    );
    const hard = setTimeout(() => finish(), o.stopTimeoutMs);
    hard.unref?.();
    const finish = () => {
      clearTimeout(hard);
      o.log.flush();
      exit(UNEXPECTED_EXIT_CODE);
    };
    o.stop().then(finish, finish);
  };
  const onException = onUnexpected('uncaughtException');
  const onRejection = onUnexpected('unhandledRejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
