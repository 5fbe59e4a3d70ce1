// @ts-check
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * Modules libs/model may not import: it is the pure domain (STYLE.md rule 1). node:crypto is
 * allowed: hashing is computation, not I/O.
 */
const IMPURE_MODULES = [
  'fs',
  'fs/*',
  'node:*',
  '!node:crypto',
  'child_process',
  'net',
  'dgram',
  'os',
  'path',
  'http',
  'https',
  'worker_threads',
  '@nestjs/*',
  'typeorm',
  'mysql2',
  'mysql2/*',
  'bullmq',
  'ioredis',
  '@grpc/*',
  'commander',
  'yaml',
  'picocolors',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      curly: ['error', 'all'],
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Use named exports only.' },
      ],
    },
  },
  {
    // libs/dhcp renders configuration text from the model: pure the same way.
    files: ['libs/model/**/*.ts', 'libs/dhcp/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: IMPURE_MODULES,
              message:
                'libs/model is pure domain code: no I/O, no framework. Put adapters in apps/ or another lib.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'libs/model must not read the process environment.' },
        { name: 'require', message: 'libs/model must not load modules dynamically.' },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    // Tool configuration files are loaded by their tools as default exports.
    files: ['eslint.config.js', 'jest.config.js'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  prettier,
);
