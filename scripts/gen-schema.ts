// Writes config/schema.json from the zod schema (`npx tsx scripts/gen-schema.ts`); a test fails when it is stale.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configJsonSchema } from '../src/config/json-schema.js';

const target = join(dirname(fileURLToPath(import.meta.url)), '..', 'config', 'schema.json');
writeFileSync(target, configJsonSchema());
console.log(`wrote ${target}`);
