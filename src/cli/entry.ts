// Process entry of the `gate` CLI (bin/gate.js runs the compiled copy; tests and the bench run this file with tsx).
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
