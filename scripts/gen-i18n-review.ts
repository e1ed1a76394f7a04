// Writes docs/i18n-review.md (the passenger texts no native speaker has checked) from the packs:
// `npx tsx scripts/gen-i18n-review.ts`. test/i18n/packs.test.ts fails when the file is stale.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reviewMarkdown } from '../src/i18n/review.js';

const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'i18n-review.md');
writeFileSync(file, reviewMarkdown());
console.log(`wrote ${file}`);
