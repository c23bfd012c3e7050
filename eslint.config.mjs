// ESLint flat config. The import rule of DESIGN.md §1 is enforced per folder with
// `no-restricted-imports` (the GitLens approach):
//   extension.ts → features → platform → api → core;   webview-ui → shared ← core
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

const FEATURES = ['auth', 'releases', 'crosswalks', 'codes', 'codify', 'heim'];
const NODE_BUILTINS = [
  'fs',
  'fs/promises',
  'path',
  'os',
  'child_process',
  'http',
  'https',
  'net',
  'crypto',
  'stream',
  'zlib',
];
const nodeBuiltins = [...NODE_BUILTINS, ...NODE_BUILTINS.map((m) => `node:${m}`)];

/** A restriction on relative imports that reach into `folder` (any depth). */
const layer = (folder, why) => ({ regex: `(^|/)${folder}(/|$)`, message: why });
const rule = (paths, patterns) => ({
  'no-restricted-imports': [
    'error',
    {
      paths: paths.map((name) => ({ name, message: 'Not allowed in this layer (DESIGN.md §1).' })),
      patterns,
    },
  ],
});
// Feature folders sit directly under src/, so only a `../<feature>` step reaches one (`core/codes`
// is the core's own folder, not the `codes` feature).
const noFeatures = FEATURES.map((f) => ({
  regex: `(^|/)\\.\\./${f}(/|$)`,
  message: 'Lower layers never import feature folders.',
}));
// Inside core's own subfolders (`core/codify/x.ts`), `../codes` is core's `codes` folder: a feature is
// reached only by climbing out of core, `depth + 1` steps up.
const noFeaturesFromCore = (depth) =>
  FEATURES.map((f) => ({
    regex: `^(\\.\\./){${depth + 1},}${f}(/|$)`,
    message: 'core never imports feature folders.',
  }));
const noPlatform = layer('platform', 'Lower layers never import platform (it depends on vscode).');
const noApi = layer('api', 'Only features and platform may use the API clients.');
const noNode = layer('node', 'Node I/O stays out of this layer.');

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'out/',
      '.vscode-test/',
      'test-results/',
      'bench-results/',
      'samples/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    files: ['src/**/*.ts', 'sandbox/**/*.ts', 'test/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'No default exports (DESIGN.md §1).' },
      ],
    },
  },
  ...[0, 1, 2].map((depth) => ({
    files: [`src/core/${'*/'.repeat(depth)}*.ts`],
    rules: rule(
      ['vscode', 'axios', 'axios-retry', ...nodeBuiltins],
      [noPlatform, noApi, noNode, ...noFeaturesFromCore(depth)],
    ),
  })),
  {
    files: ['src/api/**/*.ts'],
    ignores: ['src/api/http.ts'],
    rules: rule(['vscode', 'axios', 'axios-retry', 'fs', 'node:fs'], [noPlatform, noNode, ...noFeatures]),
  },
  {
    // the HTTP client module: the one place axios is imported
    files: ['src/api/http.ts'],
    rules: rule(['vscode', 'fs', 'node:fs'], [noPlatform, noNode, ...noFeatures]),
  },
  {
    files: ['src/node/**/*.ts'],
    rules: rule(['vscode', 'axios', 'axios-retry'], [noPlatform, noApi, ...noFeatures]),
  },
  {
    // the command-line interface: core and node only (it runs without VS Code)
    files: ['src/cli.ts', 'src/cli/**/*.ts'],
    rules: rule(['vscode', 'axios', 'axios-retry'], [noPlatform, noApi, ...noFeatures]),
  },
  {
    files: ['src/shared/**/*.ts'],
    rules: rule(
      ['vscode', 'axios', 'axios-retry', ...nodeBuiltins],
      [noPlatform, noApi, noNode, ...noFeatures],
    ),
  },
  {
    files: ['src/platform/**/*.ts'],
    rules: rule(['axios', 'axios-retry'], [...noFeatures]),
  },
  {
    files: FEATURES.map((f) => `src/${f}/**/*.ts`),
    rules: rule(['axios', 'axios-retry'], []),
  },
  {
    files: ['src/webview-ui/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: rule(
      ['vscode', 'axios', 'axios-retry', ...nodeBuiltins],
      [noPlatform, noApi, noNode, layer('core', 'Webviews import only src/shared.'), ...noFeatures],
    ),
  },
  {
    files: ['sandbox/**/*.ts'],
    rules: rule(
      ['vscode', 'axios'],
      [layer('src', 'The sandbox is a test double: it shares no code with the extension.')],
    ),
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
