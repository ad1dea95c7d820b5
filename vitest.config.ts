import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Builds dist/ once per run (skipped when fresh): CLI and e2e tests run the real binary.
    globalSetup: ['test/global-setup.ts'],
    // Two cores: e2e files start real servers and clients, so keep parallelism modest.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
