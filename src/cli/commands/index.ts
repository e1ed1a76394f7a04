// Every `gate` sub-command. Add one line per command module.
import type { Command } from '../command.js';
import { configCheckCommand } from './config-check.js';

export const COMMANDS: Command[] = [configCheckCommand];
