import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    // The scanner's tests, and each package's own.
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    // Every test must assert something: one that asserts nothing fails instead of passing vacuously.
    setupFiles: ['test/support/everyTestAsserts.ts'],
    // Nothing may be left in the temp directory (the run fails if anything outlives it), and the real Bicep CLI
    // compiles and lints infra/ once per run, for the tests under test/infra.
    globalSetup: ['test/support/noLeftovers.ts', 'test/infra/bicepSetup.ts'],
    // Boundary tests start a real HTTPS emulator per file; forks keep their ports and env apart.
    pool: 'forks',
    testTimeout: 30_000,
    benchmark: { include: ['test/bench/**/*.bench.ts'] },
    // Lets the memory benchmark collect garbage before it measures.
    execArgv: ['--expose-gc'],
  },
});
