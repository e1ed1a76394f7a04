// What the status topic says the gate runs: the package version and a hash of the effective config.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { GateConfig } from '../config/schema.js';
import { maskedConfig } from '../config/load.js';
import { packageFile } from '../util/package-file.js';

let cached: string | undefined;

/** The version in package.json (found from src/ or dist/src/). */
export function appVersion(): string {
  if (cached) return cached;
  const path = packageFile('package.json');
  const pkg = path ? (JSON.parse(readFileSync(path, 'utf8')) as { version?: string }) : {};
  return (cached = pkg.version ?? '0.0.0');
}

/** A short hash of the effective config without its secrets: two gates with the same number run the same config. */
export function configVersion(config: GateConfig): string {
  return createHash('sha256')
    .update(JSON.stringify(maskedConfig(config)))
    .digest('hex')
    .slice(0, 12);
}
