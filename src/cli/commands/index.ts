// Every `gate` sub-command. Add one line per command module.
import type { Command } from '../command.js';
import { centralKeygenCommand } from './central-keygen.js';
import { centralSnapshotCommand } from './central-snapshot.js';
import { centralDeltaCommand } from './central-delta.js';
import { centralRosterCommand } from './central-roster.js';
import { keyCommand } from './key.js';
import { syncStatusCommand } from './sync-status.js';
import { eventsTailCommand } from './events-tail.js';
import { configCheckCommand } from './config-check.js';
import { configSchemaCommand } from './config-schema.js';
import { cacheImportCommand } from './cache-import.js';
import { cacheStatsCommand } from './cache-stats.js';
import { cacheClearCommand } from './cache-clear.js';
import { decideCommand } from './decide.js';
import { decodeIdcardCommand } from './decode-idcard.js';
import { decodeMrzCommand } from './decode-mrz.js';
import { portsListCommand } from './ports.js';
import { replayCommand } from './replay.js';
import { runCommand } from './run.js';
import { demoCommand } from './demo.js';
import { doctorCommand } from './doctor.js';
import { statusCommand } from './status.js';
import { laneTestCommand } from './lane-test.js';
import { consoleHashPasswordCommand } from './console-hash-password.js';

export const COMMANDS: Command[] = [
  runCommand,
  demoCommand,
  doctorCommand,
  statusCommand,
  laneTestCommand,
  configCheckCommand,
  configSchemaCommand,
  cacheImportCommand,
  cacheStatsCommand,
  cacheClearCommand,
  decideCommand,
  decodeIdcardCommand,
  decodeMrzCommand,
  portsListCommand,
  replayCommand,
  centralKeygenCommand,
  centralSnapshotCommand,
  centralDeltaCommand,
  centralRosterCommand,
  keyCommand,
  syncStatusCommand,
  eventsTailCommand,
  consoleHashPasswordCommand,
];
