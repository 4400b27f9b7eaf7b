// @ts-check
/** Lint: typescript-eslint strict + stylistic, type-aware.   [hono, hono/middleware, trpc] */
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/.tsbuild/**', '**/coverage/**', '**/*.js', '**/*.cjs', '**/*.mjs'],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  ...tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      // isolatedDeclarations wants explicit types on exported signatures, even inferrable ones.
      '@typescript-eslint/no-inferrable-types': 'off',
      // Node builtins always with the `node:` prefix.   [koa, Effect, srvx]
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex:
                '^(assert|buffer|child_process|cluster|crypto|events|fs|http|https|net|os|path|process|stream|tls|url|util|zlib)(/.*)?$',
              message: 'Import Node builtins with the node: prefix.',
            },
          ],
        },
      ],
      // Numbers and booleans in template strings are fine; they are how messages are built.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      // Unused args named `_x` are hook parameters kept for the Template Method signature.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // Our `Headers` shares a name with the WHATWG global: inside core the global must be named
    // explicitly (globalThis.Headers) so a reader never confuses the two.   [house-style 3.4]
    files: ['packages/core/src/**/*.ts'],
    rules: { 'no-restricted-globals': ['error', 'Headers'] },
  },
  {
    // Config files belong to no tsconfig project: lint them without type information.
    files: ['*.ts', 'packages/*/vitest.config.ts'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.test.ts', '**/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-floating-promises': 'off',
    },
  },
)
