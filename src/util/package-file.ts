// Files shipped with the package (package.json, config/ samples), found from a module in src/ or in dist/src/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The absolute path of `rel` (relative to the package root), or null when the package does not ship it. */
export function packageFile(rel: string): string | null {
  // This module is src/util/ (tsx) or dist/src/util/ (compiled): the root is two or three levels up.
  for (const up of ['../../', '../../../']) {
    const path = fileURLToPath(new URL(up + rel, import.meta.url));
    if (existsSync(path) && existsSync(fileURLToPath(new URL(up + 'package.json', import.meta.url)))) return path;
  }
  return null;
}
