import { defineProject } from 'vitest/config'

import { sharedProject } from '../../vitest.shared.ts'

export default defineProject({
  ...sharedProject,
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
  },
})
