import { defineConfig } from 'vitest/config'

// The vitest configuration `npm run mutate` (Stryker) runs the tests with: the same tests as `npm test`,
// minus those that start child processes or whole CLI runs (a mutant is only active in Stryker's own
// test process, so a child process never sees it: those tests cost minutes and can kill nothing).
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    // MX_MUTATE_TESTS=<glob>,<glob>: only these test files (a folder's own tests, on a busy machine). A
    // mutant the other tests would kill then counts as survived: the score is a lower bound.
    include: process.env.MX_MUTATE_TESTS ? process.env.MX_MUTATE_TESTS.split(',') : ['test/**/*.test.ts'],
    exclude: [
      'node_modules/**',
      'test/cli/**',
      'test/**/crash.int.test.ts',
      'test/**/multi-process.int.test.ts',
      'test/simulator/walkthrough.int.test.ts',
      'test/lint/**',
      // Reads TSDoc comments, which mutants do not touch; 12 s per run.
      'test/public-api.test.ts',
      // MX_MUTATE_UNIT=1: unit tests only (machines/ and src/bridge/ on a small machine: the HTTP
      // integration tests cover the same lines a hundred times slower).
      ...(process.env.MX_MUTATE_UNIT ? ['test/**/*.int.test.ts'] : []),
    ],
    // Properties run a quarter of their runs (test/support/fc-params.ts): each mutant reruns them.
    env: { MX_FC_RUNS_SCALE: '0.25' },
    // One module registry for all test files: each mutant run would otherwise re-import xstate, effect and
    // undici per file (most of a run's time on a small machine).
    isolate: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
})
