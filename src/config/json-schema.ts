// config/schema.json is generated from the zod schema, never edited: editors use it to check gate.jsonc files.
import { z } from 'zod';
import { gateConfigSchema } from './schema.js';

/** The JSON Schema of the config file as written by a person (input side: defaulted keys are optional). */
export function configJsonSchema(): string {
  const schema = z.toJSONSchema(gateConfigSchema, { io: 'input', target: 'draft-2020-12' });
  const titled = { ...schema, title: 'Station gate controller configuration', $id: 'https://gate.local/config/schema.json' };
  return JSON.stringify(titled, null, 2) + '\n';
}
