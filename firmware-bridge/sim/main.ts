// The MCU simulator as a process: `node dist/firmware-bridge/sim/main.js --port PATH [--fail-mode locked|free]
// [--minor N]` (--minor 0 plays a protocol 1.0 MCU: DISPLAY without the passenger's language).
// Reads one command per line on stdin (walk, tailgate, reverse, forced, intrusion, emergency on|off,
// power mains|battery|battery-low, door-fault FAULT on|off, reboot, silence on|off, drop-tx N, corrupt-tx N, drop-rx N)
// and prints what the daemon sends, one JSON object per line on stdout.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { McuSim } from './mcu.js';
import { DOOR_FAULTS, POWER_STATES, type DoorFault, type PowerState } from '../../src/bridge/messages.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    'fail-mode': { type: 'string', default: 'locked' },
    'walk-ms': { type: 'string', default: '300' },
    minor: { type: 'string' },
  },
});
if (!values.port) {
  process.stderr.write('usage: main.js --port PATH [--fail-mode locked|free] [--walk-ms N] [--minor N]\n');
  process.exit(2);
}
const failMode = values['fail-mode'] === 'free' ? 'free' : 'locked';
const minor = values.minor === undefined ? undefined : Number(values.minor);
if (minor !== undefined && !(Number.isInteger(minor) && minor >= 0 && minor <= 255)) {
  process.stderr.write(`--minor: a protocol minor version 0..255, got "${values.minor}"\n`);
  process.exit(2);
}
const sim = await McuSim.open(values.port, { failMode, walkMs: Number(values['walk-ms']), minor });
const print = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
sim.events.on('received', (m) => m.kind !== 'heartbeat' && print({ received: m }));
sim.events.on('queued', (r) => print({ report: r }));
sim.events.on('session', (s) => print({ session: s }));
sim.events.on('failsafe', (f) => print({ failsafe: f }));

const commands: Record<string, (args: string[]) => unknown> = {
  walk: () => sim.walkThrough(),
  tailgate: () => sim.tailgate(),
  reverse: () => sim.reverse(),
  forced: () => sim.forced(),
  intrusion: () => sim.intrude(),
  emergency: ([on]) => sim.setEmergency(on === 'on'),
  power: ([s]) =>
    s in POWER_STATES ? sim.setPower(s as PowerState) : print({ error: `power: one of ${Object.keys(POWER_STATES).join(', ')}` }),
  'door-fault': ([f, on]) =>
    f in DOOR_FAULTS
      ? sim.doorFault(f as DoorFault, on !== 'off')
      : print({ error: `door-fault: one of ${Object.keys(DOOR_FAULTS).join(', ')}` }),
  reboot: () => sim.reboot('software'),
  silence: ([on]) => sim.silence(on !== 'off'),
  'drop-tx': ([n]) => (sim.faults.dropTx = Number(n) || 1),
  'corrupt-tx': ([n]) => (sim.faults.corruptTx = Number(n) || 1),
  'drop-rx': ([n]) => (sim.faults.dropRx = Number(n) || 1),
  'drop-answers': ([n]) => (sim.faults.dropAnswers = Number(n) || 1),
  'drop-acks': ([n]) => (sim.faults.dropAcks = Number(n) || 1),
  state: () =>
    print({
      mode: sim.mode,
      session: sim.session,
      failsafe: sim.failsafe,
      emergency: sim.emergency,
      auth: sim.auth,
      display: sim.lastDisplay,
    }),
};

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const [cmd, ...args] = line.trim().split(/\s+/);
  if (!cmd) return;
  const run = commands[cmd];
  if (!run) return print({ error: `unknown command ${cmd}; one of ${Object.keys(commands).join(', ')}` });
  Promise.resolve(run(args)).catch((err: unknown) => print({ error: String(err) }));
});
rl.on('close', () => void sim.close().then(() => process.exit(0)));
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => void sim.close().then(() => process.exit(0)));
