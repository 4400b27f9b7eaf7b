import { defineProject } from 'vitest/config'

import { sharedProject } from '../../vitest.shared.ts'

export default defineProject({
  ...sharedProject,
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Pyodide loads in seconds (more on a busy machine); each test file loads it once.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Builds the package once for the tests that run it from dist.
    globalSetup: ['./test/build-once.ts'],
  },
})
