#!/usr/bin/env node
// The `gate` CLI. Runs the compiled build (made by `npm ci`/`npm run build` through the prepare script).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'src', 'cli', 'entry.js');
if (!existsSync(entry)) {
  console.error('gate: the build is missing (dist/). Run `npm run build` (npm ci does it through the prepare script).');
  process.exit(2);
}
await import(pathToFileURL(entry).href);
