/**
 * The mocha runner the VS Code extension host loads (runTests' `extensionTestsPath`). It runs
 * every compiled `*.test.js` under out/test/integration (so adding a `test/integration/**\/*.test.ts`
 * file is all it takes), prints `N passed, N failed` and rejects when a test failed or none ran;
 * a rejection becomes exit code 1 of the test run.
 *
 * Environment (set it when calling `npm run test:integration`; it reaches the extension host):
 *   MOCHA_GREP        run only the tests whose full title matches this regular expression
 *   MOCHA_TIMEOUT_MS  per-test timeout (default 20000)
 */
import * as fs from 'fs';
import { findSourceMap } from 'module';
import * as path from 'path';
import { fileURLToPath } from 'url';
import Mocha from 'mocha';

/** Compiled test files below `dir`, sorted so the order is stable. */
function findTests(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return findTests(full);
      return entry.name.endsWith('.test.js') ? [full] : [];
    })
    .sort();
}

/**
 * Makes stack traces point into the .ts sources. Node maps them itself only through its default
 * `Error.prepareStackTrace`, which the extension host replaces with its own. Setting ours makes the
 * host call its own first (it attributes errors to extensions, and caches its text per error, so
 * we cannot delegate the formatting to it) and then ours, which formats call sites whose positions
 * come from the source maps build-tests.mjs writes.
 */
function mapStackTraces(): void {
  process.setSourceMapsEnabled(true); // must precede loading the test files: findSourceMap needs it
  const remap = (site: NodeJS.CallSite): NodeJS.CallSite => {
    const file = site.getFileName();
    const line = site.getLineNumber();
    const column = site.getColumnNumber();
    if (!file || !line || !column || !file.endsWith('.js')) return site;
    const entry = findSourceMap(file)?.findEntry(line - 1, column - 1);
    if (!entry || !('originalSource' in entry)) return site;
    const source = entry.originalSource.startsWith('file:')
      ? fileURLToPath(entry.originalSource)
      : entry.originalSource;
    const where = `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
    const fn = site.getFunctionName() ?? (site.getTypeName() ? `${site.getTypeName()}.<anonymous>` : '');
    return new Proxy(site, {
      get: (target, prop) => {
        if (prop === 'getFileName') return () => source;
        if (prop === 'getLineNumber') return () => entry.originalLine + 1;
        if (prop === 'getColumnNumber') return () => entry.originalColumn + 1;
        if (prop === 'toString') return () => (fn ? `${fn} (${where})` : where);
        const value = Reflect.get(target, prop);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  };
  Error.prepareStackTrace = (error, sites) =>
    `${error.name || 'Error'}: ${error.message ?? ''}` + sites.map((s) => `\n    at ${remap(s)}`).join('');
}

/**
 * Records the runner's progress where the shim looks for it (CODE_TEST_RESULT_FILE): an extension
 * host that ends before 'done' (e.g. a process.exit in a test) then fails the run even if the
 * workbench reports exit code 0.
 */
function recordState(state: 'running' | 'done', stats: Record<string, number> = {}): void {
  const file = process.env.CODE_TEST_RESULT_FILE;
  if (file) fs.writeFileSync(file, JSON.stringify({ state, ...stats }));
}

export function run(): Promise<void> {
  recordState('running');
  mapStackTraces();
  const mocha = new Mocha({
    ui: 'bdd',
    reporter: 'spec',
    color: false, // the output travels through the workbench's log, not a terminal
    timeout: Number(process.env.MOCHA_TIMEOUT_MS || 20000),
    ...(process.env.MOCHA_GREP ? { grep: new RegExp(process.env.MOCHA_GREP) } : {}),
  });
  const testsRoot = path.resolve(__dirname, '..');
  const files = findTests(testsRoot);
  if (files.length === 0) return Promise.reject(new Error(`no *.test.js files under ${testsRoot}`));
  files.forEach((f) => mocha.addFile(f));

  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const { passes = 0, pending = 0 } = runner.stats ?? {};
      console.log(`${passes} passed, ${failures} failed` + (pending ? `, ${pending} skipped` : ''));
      recordState('done', { passes, failures, pending });
      if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
      else if (passes === 0) reject(new Error('no integration test ran (check MOCHA_GREP)'));
      else resolve();
    });
  });
}
