// `gate lane test`: the technician's turnstile test in maintenance mode: release the lane for one passage, watch the
// sensors, close. Runs the daemon's own lane and store against the MCU, so the release is recorded (and reaches
// central with the next run) like any other.
import { passageDirection } from '../../decide/reasons.js';
import { parseOptions, requireOption, UsageError, type Command } from '../command.js';
import { loadConfig } from '../../config/load.js';
import { openDb } from '../../cache/db.js';
import { sqliteLaneJournal } from '../../outbox/lane-journal.js';
import { bridgeFromConfig } from '../../bridge/from-config.js';
import { LaneLoop } from '../../gate/lane-loop.js';
import { waitFor } from '../../util/wait.js';
import { errorLine } from '../../util/gate-error.js';

export const laneTestCommand: Command = {
  name: 'lane test',
  summary: 'maintenance test: release the turnstile for one passage, then close it',
  help: `usage: gate lane test --config FILE [--direction entry|exit] [--timeout-s N]

With the service stopped (systemctl stop gate): connects to the MCU, puts the lane in maintenance mode, releases
it for one passage and reports what the sensors saw (passed, or nobody walked through), then closes the lane
(maintenance mode: flaps closed). The release and its passage are recorded in the outbox like any other event.
Exit 0 when the MCU carried out release and close, 1 otherwise.

options:
  --config FILE     the gate's config
  --direction D     entry or exit (default: the config's lane.direction; entry for a transfer lane)
  --timeout-s N     how long to wait for someone to walk through (default: bridge.passageTimeoutMs)

example:
  gate lane test --config /etc/gate/gate.json`,
  async run(args, io) {
    const { values } = parseOptions(args, { config: { type: 'string' }, direction: { type: 'string' }, 'timeout-s': { type: 'string' } });
    const { config: c } = loadConfig(requireOption(values.config, 'config'));
    // A transfer lane's flap opens the entry way (it is an entry for the onward ticket).
    const direction = values.direction ?? passageDirection(c.lane.direction);
    if (direction !== 'entry' && direction !== 'exit') throw new UsageError(`--direction: expected entry or exit, got "${direction}"`);
    const passageTimeoutMs = values['timeout-s'] ? Number(values['timeout-s']) * 1000 : c.bridge.passageTimeoutMs;
    const say = (status: string, what: string, line: string) => io.stdout.write(`${status.padEnd(4)}  ${what.padEnd(8)} ${line}\n`);

    const db = openDb(c.db);
    const store = sqliteLaneJournal(db, { station: c.station, gate: c.gate ?? 'unset' }).journal;
    const { transport, link } = bridgeFromConfig(c);
    const lane = new LaneLoop({
      station: c.station,
      direction,
      mode: 'maintenance',
      timing: { passageTimeoutMs, resultHoldMs: 200, guardMs: 2000 },
      decide: () => ({ decision: 'reject', reason: 'gate-mode', ticket: null }),
      keyOf: () => null,
      store,
      bridge: link,
    });
    let openError: string | null = null;
    transport.events.on('error', (e) => (openError ??= e.message));
    try {
      lane.start();
      await link.start().catch((err: unknown) => (openError ??= errorLine(err)));
      await waitFor(() => link.state === 'up' || openError !== null, 5000, 'the MCU').catch(() => undefined);
      if (link.state !== 'up') {
        say('FAIL', 'link', openError ?? `no HELLO reply from the MCU on ${c.bridge.port.path ?? 'the USB id'}: run gate doctor`);
        return 1;
      }
      say('ok', 'link', `MCU firmware ${link.mcu?.firmware} on ${c.bridge.port.path ?? 'USB id'}`);
      if (link.mcu?.emergency) {
        say('FAIL', 'release', 'the fire alarm is active: the lanes are open for evacuation; test after it is reset');
        return 1;
      }
      await waitFor(() => lane.state.linkUp, 2000, 'the lane to see the link');
      say('ok', 'mode', 'maintenance: the lane serves no passenger during the test');
      if (!lane.release()) {
        say('FAIL', 'release', `the lane refused the release (phase ${lane.state.phase})`);
        return 1;
      }
      const passage = new Promise<string>((resolve) => lane.events.on('passage', (p) => resolve(p.event.outcome)));
      const auth = lane.state.passenger?.authId;
      say(
        'ok',
        'release',
        `one ${direction} passage authorised (authId ${auth}); walk through within ${Math.round(passageTimeoutMs / 1000)} s`,
      );
      const outcome = await passage;
      say(
        outcome === 'passed' ? 'ok' : 'warn',
        'passage',
        outcome === 'passed' ? 'the sensors saw one person walk through' : `${outcome}: nobody walked through (the flaps closed again)`,
      );
      await waitFor(() => lane.state.phase === 'idle', passageTimeoutMs + 3000, 'the lane to close');
      await link.setMode('maintenance');
      say('ok', 'close', 'flaps closed, lane in maintenance mode; systemctl start gate returns it to service');
      return 0;
    } finally {
      lane.stop();
      if (link.state !== 'closed') await link.stop().catch(() => undefined);
      await transport.close();
      db.close();
    }
  },
};
