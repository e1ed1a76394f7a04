// Every config key that a hint, an error line or a help text names must exist in the config schema: a technician
// told to "set devices.bridge.path" looks for a key that is not there (it is bridge.port.path).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../src/config/json-schema.js';
import { parseConfig } from '../../src/config/load.js';
import { bridgeFromConfig } from '../../src/bridge/from-config.js';

const SECTIONS = ['rules', 'devices', 'bridge', 'mqtt', 'sync', 'lane'];
const KEY_PATH = new RegExp(`\\b(?:${SECTIONS.join('|')})(?:\\.[A-Za-z]+)+`, 'g');

/** `sync.md`, `lane.js`: file names, not keys. */
const FILE_NAME = /\.(?:js|ts|md|json|jsonc|yaml)$/;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The text of the string and template literals of a TypeScript file, with ${...} parts cut out. */
function literals(source: string): string[] {
  const out: string[] = [];
  const re = /'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g;
  for (const m of source.matchAll(re)) out.push(m[0].slice(1, -1).replace(/\$\{[^}]*\}/g, ' '));
  return out;
}

type JsonSchema = { properties?: Record<string, JsonSchema>; anyOf?: JsonSchema[]; items?: JsonSchema };

function exists(schema: JsonSchema, path: string[]): boolean {
  let at: JsonSchema | undefined = schema;
  for (const k of path) {
    const options: JsonSchema[] = at ? [at, ...(at.anyOf ?? [])] : [];
    at = options.map((o) => o.properties?.[k]).find((p) => p !== undefined);
    if (!at) return false;
  }
  return true;
}

describe('hints name real config keys', () => {
  const schema = JSON.parse(configJsonSchema()) as JsonSchema;

  it('finds the key paths named in src/ and every one exists in the schema', () => {
    const named = new Map<string, string>();
    for (const file of [...files('src'), 'README.md', 'config/gate.example.jsonc']) {
      const text = readFileSync(file, 'utf8');
      const parts = file.endsWith('.ts') ? literals(text) : [text];
      for (const part of parts) {
        for (const m of part.matchAll(KEY_PATH)) if (!FILE_NAME.test(m[0])) named.set(m[0], file);
      }
    }
    // The test is only worth something if it sees the hints it guards.
    expect([...named.keys()]).toEqual(expect.arrayContaining(['bridge.port.baudRate', 'mqtt.username', 'devices.idcard.recordTo']));
    const missing = [...named].filter(([key]) => !exists(schema, key.split('.'))).map(([key, file]) => `${key} (${file})`);
    expect(missing).toEqual([]);
  });

  it("the MCU port's hint, as the daemon and the doctor print it, names bridge.port keys", async () => {
    const config = parseConfig({ station: 'VNP', gate: '01' });
    const { transport } = bridgeFromConfig(config);
    const err = await transport.open().then(
      () => null,
      (e: unknown) => e as Error,
    );
    await transport.close();
    expect(err?.message).toContain('bridge.port.path');
    const keys = [...(err?.message ?? '').matchAll(KEY_PATH)].map((m) => m[0]);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(exists(schema, key.split('.')), key).toBe(true);
  });
});
