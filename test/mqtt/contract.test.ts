// The contract files for central are generated from the code: fail when docs/ is stale.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { contractSchemas } from '../../src/mqtt/contract.js';
import { gateEventSchema } from '../../src/gate/events.js';

const docs = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs');

describe('MQTT contract for central', () => {
  const schemas = contractSchemas();

  it('docs/schemas matches the zod definitions (run npx tsx scripts/gen-docs.ts)', () => {
    for (const [file, text] of Object.entries(schemas)) {
      const path = join(docs, 'schemas', file);
      expect(existsSync(path), `${file} missing`).toBe(true);
      expect(readFileSync(path, 'utf8'), `${file} is stale`).toBe(text);
    }
    expect(readdirSync(join(docs, 'schemas')).sort()).toEqual(Object.keys(schemas).sort());
  });

  it('covers every event kind, and the AsyncAPI document names every schema', () => {
    for (const kind of gateEventSchema.options.map((o) => o.shape.kind.value)) expect(schemas[`event-${kind}.json`]).toBeDefined();
    const asyncapi = readFileSync(join(docs, 'asyncapi.yaml'), 'utf8');
    for (const file of Object.keys(schemas)) expect(asyncapi, file).toContain(`schemas/${file}`);
  });
});
