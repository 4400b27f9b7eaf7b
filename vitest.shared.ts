/**
 * Shared Vitest settings: resolve workspace packages to their TypeScript source through the
 * `@wsgi/source` export condition, so tests need no prior build.
 *
 * @module
 */

// Vite's server defaults minus 'module' (which would pick a bundler-only entry).   [vitest e2e fixture]
export const sourceConditions: string[] = ['@wsgi/source', 'node', 'development|production']

export const sharedProject = {
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions } },
}
