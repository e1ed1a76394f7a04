import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'firmware-bridge/**/*.test.ts'],
    exclude: ['test/faults/**', 'node_modules/**', 'dist/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // socat and Mosquitto: installed by the test command when it can, else one line saying how (test/support/system-parts.ts).
    globalSetup: ['test/support/system-parts.ts'],
    // `npm run coverage` (and CI's test run) print one line per measure; json-summary keeps the figures in coverage/.
    coverage: {
      provider: 'v8',
      include: ['src/**'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'coverage',
      // A run with a failing test still prints its figure (vitest prints none by default then).
      reportOnFailure: true,
    },
  },
});
