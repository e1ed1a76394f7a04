// Every `gate` sub-command. Add one line per command module.
import type { Command } from '../command.js';

export const COMMANDS: Command[] = [];
