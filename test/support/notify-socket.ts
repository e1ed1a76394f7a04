// A stand-in for systemd's notify socket: a unix datagram socket (Node has none, so python3 binds it) that records
// each message a process sends to NOTIFY_SOCKET, with the time it arrived. It reads with plain recv(), so the file
// descriptor systemd-notify passes with BARRIER=1 is closed at once and the sender does not wait.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../src/util/wait.js';

const LISTENER = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("listening", flush=True)
while True:
    print(s.recv(65536).decode("utf-8", "replace").strip().replace("\\n", "\\t"), flush=True)
`;

export interface NotifyMessage {
  /** The assignments of one datagram, e.g. ['WATCHDOG=1'] or ['READY=1', 'STATUS=gate running']. */
  assignments: string[];
  atMs: number;
}

export interface NotifySocket {
  path: string;
  messages: NotifyMessage[];
  /** Arrival times of the messages holding `assignment` (e.g. 'WATCHDOG=1'). */
  times(assignment: string): number[];
  close(): Promise<void>;
}

export async function startNotifySocket(): Promise<NotifySocket> {
  const dir = mkdtempSync(join(tmpdir(), 'gate-notify-'));
  const path = join(dir, 'notify.sock');
  const proc: ChildProcess = spawn('python3', ['-c', LISTENER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const messages: NotifyMessage[] = [];
  let listening = false;
  let rest = '';
  proc.stdout!.on('data', (d: Buffer) => {
    const lines = (rest + d.toString('utf8')).split('\n');
    rest = lines.pop()!;
    for (const line of lines) {
      if (line === 'listening') listening = true;
      // systemd-notify follows each message with its own BARRIER=1 datagram: not part of what the gate said.
      else if (line && line !== 'BARRIER=1') messages.push({ assignments: line.split('\t'), atMs: Date.now() });
    }
  });
  await waitFor(() => listening || proc.exitCode !== null, 10_000, 'the notify socket listener (python3)');
  if (!listening) throw new Error('the notify socket listener (python3) did not start');
  return {
    path,
    messages,
    times: (a) => messages.filter((m) => m.assignments.includes(a)).map((m) => m.atMs),
    async close() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
