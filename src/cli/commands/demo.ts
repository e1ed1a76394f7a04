// `gate demo`: the whole gate with simulated devices, a private broker and central's tools; a scripted hour.
import { parseOptions, type Command } from '../command.js';
import { runDemo } from '../../demo/run-demo.js';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'run a complete gate with simulated devices through a scripted hour at a station',
  help: `usage: gate demo [--keep-running] [--keep-files] [--offline]

Starts the gate daemon against a simulated ID-card reader, MRZ scanner and turnstile MCU (pty pairs made with
socat; without socat, ports joined in-process), a private Mosquitto on a free port (without Mosquitto, an
embedded aedes broker), and central's tools: a signed snapshot of sample passengers and tickets, a signed refund delta, and a
subscriber that shows what central received. Plays a scripted hour on a virtual clock: one line per passage.
Exits 0 when every outcome is the expected one.

options:
  --keep-running   keep the gate up after the script (Ctrl-C stops it)
  --keep-files     keep the demo's folder (database, log) and print where it is
  --offline        start no broker: the gate runs offline and its outbox fills

example:
  npx gate demo`,
  async run(args, io) {
    const { values } = parseOptions(args, {
      'keep-running': { type: 'boolean' },
      'keep-files': { type: 'boolean' },
      offline: { type: 'boolean' },
    });
    const r = await runDemo({
      out: io.stdout,
      keepRunning: values['keep-running'],
      keepFiles: values['keep-files'],
      offline: values.offline,
    });
    return r.failures === 0 ? 0 : 1;
  },
};
