// The simulated face matcher as its own process: `node dist/src/face/sim-main.js --socket PATH --script FILE`.
// Prints `{"listening":PATH}` once ready, then one JSON line per request (id, type, the photo's key, the scripted
// result; never the photo). SIGTERM ends it.
import { parseArgs } from 'node:util';
import { existsSync, writeFileSync } from 'node:fs';
import { FaceMatcherSim } from './sim.js';

const { values } = parseArgs({ options: { socket: { type: 'string' }, script: { type: 'string' } } });
if (!values.socket || !values.script) {
  process.stderr.write('usage: sim-main.js --socket PATH --script FILE\n');
  process.exit(2);
}
if (!existsSync(values.script)) writeFileSync(values.script, '{}\n');
const sim = await FaceMatcherSim.start(values.socket, values.script);
const print = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
sim.events.on('request', (r) => print({ request: r }));
const stop = () => void sim.stop().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
print({ listening: values.socket });
