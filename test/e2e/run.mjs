// Runs the browser tier: every test/e2e/*.e2e.ts with mocha (TypeScript loaded through tsx's
// CommonJS hook, i.e. what `mocha --require tsx/cjs` does), one after the other, each test with a
// long timeout (a workbench takes a few seconds to start). Prints `N passed, N failed`.
//
//   npm run package && node test/e2e/run.mjs [name-filter ...]
//
// Needs: bash scripts/setup-vscode.sh (code-server + chromium) and dist/clinical-coder.vsix.
// Env: MOCHA_GREP (only tests whose title matches), E2E_TIMEOUT_MS (per test, default 180000).
// Artifacts: test-results/screenshots/*.png, test-results/e2e/workbench-N.log (one per workbench).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');

require('tsx/cjs'); // TypeScript for everything mocha requires from here on
const Mocha = require('mocha');

const filters = process.argv.slice(2);
const files = fs
  .readdirSync(here)
  .filter((f) => f.endsWith('.e2e.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort()
  .map((f) => path.join(here, f));
if (files.length === 0) {
  console.error(`no test/e2e/*.e2e.ts file matches ${filters.join(' ') || '(any)'}`);
  process.exit(2);
}
const vsix = path.join(root, 'dist', 'clinical-coder.vsix');
if (!fs.existsSync(vsix)) {
  console.error(`missing ${path.relative(root, vsix)}: run npm run package first`);
  process.exit(2);
}

// this run's logs only (workbench-N.log); screenshots are overwritten by name
fs.rmSync(path.join(root, 'test-results', 'e2e'), { recursive: true, force: true });

const mocha = new Mocha({
  ui: 'bdd',
  reporter: 'spec',
  timeout: Number(process.env.E2E_TIMEOUT_MS || 180000),
  ...(process.env.MOCHA_GREP ? { grep: new RegExp(process.env.MOCHA_GREP) } : {}),
});
files.forEach((f) => mocha.addFile(f));
const started = Date.now();
const runner = mocha.run((failures) => {
  const { passes = 0, pending = 0 } = runner.stats ?? {};
  console.log(`e2e wall time ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`${passes} passed, ${failures} failed` + (pending ? `, ${pending} skipped` : ''));
  // exit explicitly: a leaked handle must not keep a finished run alive
  process.exit(failures > 0 || passes === 0 ? 1 : 0);
});
