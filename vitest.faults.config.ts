import { defineConfig } from 'vitest/config';

// The fault suite (issue 8): slow, real parts, run apart from the unit tests. FAULTS_FULL=1 raises the counts.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 60_000,
    globalSetup: ['test/support/system-parts.ts', 'test/faults/support/global-setup.ts'],
  },
});
