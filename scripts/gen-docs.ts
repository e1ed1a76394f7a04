// Writes docs/schemas/*.json (the MQTT payload contract for central) from the zod schemas:
// `npx tsx scripts/gen-docs.ts`. test/mqtt/contract.test.ts fails when the files are stale.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { contractSchemas } from '../src/mqtt/contract.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'schemas');
mkdirSync(dir, { recursive: true });
const schemas = contractSchemas();
for (const f of readdirSync(dir)) if (f.endsWith('.json') && !(f in schemas)) rmSync(join(dir, f));
for (const [file, text] of Object.entries(schemas)) writeFileSync(join(dir, file), text);
console.log(`wrote ${Object.keys(schemas).length} schemas to ${dir}`);
