// Lint for the whole tree: typescript-eslint with type information, imports sorted, the shape of
// src/ held (below), and formatting left to Prettier (eslint-config-prettier turns off the rules it owns).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import simpleImportSort from 'eslint-plugin-simple-import-sort';
import tseslint from 'typescript-eslint';

/**
 * The layers of src/, top to bottom. A module imports only from its own folder and from layers
 * below its own; folders in one layer never import each other. So no two folders can import each
 * other, even through others, and each rule of the architecture has this one owner:
 * - functions/ (the handlers) call operations/, never the reverse;
 * - http/, catalog/, schemas/ and identity/ never reach operations/, functions/, graph/ or config.ts;
 * - graph/ never reaches operations/, http/ or functions/;
 * - storage/, budget/ and idempotency/ never reach graph/.
 */
const LAYERS = [
  ['index.ts'],
  ['functions'],
  ['config.ts'],
  ['operations', 'api-description'],
  ['graph', 'http'],
  ['budget', 'idempotency'],
  ['storage'],
  ['identity', 'catalog', 'telemetry'],
  ['schemas'],
  ['clock.ts', 'json.ts'],
];

/** One restricted zone per module: what it may not import is every layer above it and its own layer's others. */
const LAYER_ZONES = LAYERS.flatMap((layer, rank) =>
  layer.map((place) => ({
    target: `./src/${place}`,
    from: LAYERS.slice(0, rank + 1)
      .flat()
      .filter((other) => other !== place)
      .map((other) => `./src/${other}`),
    message: `src/${place} is in layer ${rank} of eslint.config.mjs (LAYERS): it may import only from its own folder and from the layers below.`,
  })),
).filter((zone) => zone.from.length > 0);

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.emulator/', 'coverage/', 'infra/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'simple-import-sort': simpleImportSort },
    rules: {
      'simple-import-sort/imports': 'error',
      'simple-import-sort/exports': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      // Stores and stand-ins implement async interfaces with synchronous bodies; that is not a bug.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // The shape of src/: the layers, no cycle between files, and the Functions library only where
    // functions are registered and handled.
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      // The TypeScript parser reads the imported modules too, so that a cycle through them is seen.
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      'import-x/no-cycle': 'error',
      // A module past this has more than one concern: split it.
      'max-lines': ['error', { max: 250 }],
      'import-x/no-restricted-paths': ['error', { zones: LAYER_ZONES }],
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@azure/functions',
              message:
                'Only src/functions/ and src/index.ts use the Functions library; the rest builds plain answers (http/response.ts).',
            },
          ],
        },
      ],
    },
  },
  { files: ['src/functions/**/*.ts', 'src/index.ts'], rules: { 'no-restricted-imports': 'off' } },
  {
    // Tests read answers as parsed JSON of any shape, and assert on it.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  { files: ['**/*.mjs', '**/*.js'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: {
      globals: { console: 'readonly', process: 'readonly', URL: 'readonly', module: 'writable', require: 'readonly' },
    },
  },
  prettier,
);
