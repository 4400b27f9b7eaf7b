import { defineProject } from 'vitest/config'

export default defineProject({
  test: {
    // The harness's own tests (plain ESM JavaScript, like the harness); servers run from dist.
    include: ['src/**/*.test.mjs'],
    testTimeout: 30_000,
  },
})
