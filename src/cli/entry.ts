// Process entry of the `gate` CLI (bin/gate.js runs the compiled copy; tests and the bench run this file with tsx).
import { main } from './main.js';

// `gate run` is started by systemd and its start is on the clock: it loads its own command only, not the others'
// modules (the demo's embedded broker, central's tools, the doctor). Every other command goes through the full list.
const args = process.argv.slice(2);
const commands = args[0] === 'run' ? [(await import('./commands/run.js')).runCommand] : undefined;
process.exitCode = await main(args, undefined, commands);
