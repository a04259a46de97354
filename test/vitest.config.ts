import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.ts'],
    // Boundary tests start a real HTTPS emulator per file; forks keep their ports and env apart.
    pool: 'forks',
    testTimeout: 30_000,
    benchmark: { include: ['test/bench/**/*.bench.ts'] },
    // Lets the memory benchmark collect garbage before it measures.
    execArgv: ['--expose-gc'],
  },
});
