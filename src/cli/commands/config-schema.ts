// `gate config schema`: the config's JSON Schema on stdout, so an editor can check a config wherever it sits
// (`gate config schema > /etc/gate/schema.json` next to a config whose "$schema" is "./schema.json").
import { parseOptions, type Command } from '../command.js';
import { configJsonSchema } from '../../config/json-schema.js';

export const configSchemaCommand: Command = {
  name: 'config schema',
  summary: "print the config's JSON Schema (for editors)",
  help: `usage: gate config schema

Prints the JSON Schema of the config file (the same as config/schema.json, generated from the code, with a
description for every key). Editors (VS Code and others) check and explain a config whose "$schema" names it;
"$schema" is resolved relative to the config file, so write the schema next to the config:

  gate config schema > /etc/gate/schema.json      # and "$schema": "./schema.json" in /etc/gate/gate.json`,
  async run(args, io) {
    parseOptions(args, {});
    io.stdout.write(configJsonSchema());
    return 0;
  },
};
