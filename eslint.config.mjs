// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

const app = './apps/git-sync/src';

/**
 * git-sync's folders, highest first. A folder may import from any folder below
 * it and never from one above, so the dependencies point one way and a change
 * to a low folder cannot need a high one. `app/`, `main.ts` and the module
 * files at the top compose everything and sit above all of these.
 */
const layers = [
  ['api', 'git-http', 'health'],
  ['metrics'],
  ['orchestrator'],
  ['sync'],
  ['accounts', 'vault', 'pages'],
  ['config'],
  ['common'],
];

const composition = [`${app}/app`, `${app}/main.ts`, `${app}/admin.ts`, `${app}/app.module.ts`, `${app}/engine.ts`];

const layerZones = layers.flatMap((folders, depth) => {
  const above = layers.slice(0, depth).flat();
  return folders.map((folder) => ({
    target: `${app}/${folder}`,
    from: [...above.map((f) => `${app}/${f}`), ...composition],
    message: `${folder}/ must not import from ${[...above, 'the composition root'].join(', ')}: they sit above it. Move the shared piece down instead.`,
  }));
});

export default tseslint.config(
  {
    ignores: ['**/node_modules/**', '**/dist/**', '**/coverage/**', 'packages/space-lock/esm/**', '**/*.d.ts'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        project: ['./tsconfig.test.json'],
        tsconfigRootDir: import.meta.dirname,
      },
      globals: { ...globals.node },
    },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver': { node: { extensions: ['.ts', '.js', '.mjs', '.cjs'] } } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      'import-x/no-restricted-paths': ['error', { zones: layerZones }],
    },
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.cjs', 'jest.config.js', 'scripts/*.js', 'apps/git-sync/test/integration/support/crash-child.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
