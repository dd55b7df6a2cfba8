// ESLint flat config: typescript-eslint type-checked rules, plus the machines/ import fence
// (architecture.md, house rule 1: the machine is a picture, not a program).
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

/** Imports a statechart may never make: effects, I/O and the layers above the domain. */
export const machineFence = {
  paths: ['effect', 'undici', 'fs', 'http', 'https', 'net', 'better-sqlite3', 'pg', 'pg-boss', 'zod'].map(
    (name) => ({ name, message: 'machines/ is pure: only xstate and src/domain may be imported here.' }),
  ),
  patterns: [
    { group: ['node:*', 'effect/*', 'undici/*'], message: 'machines/ is pure: no node:* or effect imports.' },
    {
      group: ['**/src/services/**', '**/src/bridge/**', '**/src/reconnector/**', '**/src/stores/**'],
      message: 'machines/ may import only xstate and src/domain.',
    },
  ],
}

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'test/fixtures/**',
      'bin/**',
      '.stryker-tmp/**',
      'reports/**',
      'docs/api/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['machines/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', machineFence],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'Use named delays in machines/.' },
        { name: 'setInterval', message: 'Use named delays in machines/.' },
        { name: 'fetch', message: 'No I/O in machines/.' },
        { name: 'process', message: 'No I/O in machines/.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Time is injected (house rule 7).' },
        { object: 'Math', property: 'random', message: 'Randomness is injected (house rule 7).' },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
)
