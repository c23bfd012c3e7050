// Builds the integration tier: every TypeScript file under test/integration that runs INSIDE the
// VS Code extension host (the mocha runner suite/index.ts and every *.test.ts) becomes a CommonJS
// file under out/test/integration, with source maps. Takes well under a second.
//
// Each file is bundled on its own so that relative imports of pure modules from src/ (e.g.
// `../../src/constants`) are inlined and resolve no matter where the output lives; npm packages
// (mocha, …), Node built-ins (assert, …) and `vscode` (provided by the extension host) stay
// external `require`s. Note: code from src/ inlined into a test is a separate copy from the one in
// the extension's bundle, so tests must talk to the extension through `vscode` APIs and the
// value `activate()` returns, never through shared module state.
//
// test/integration/runTest.ts is not built here: it runs in plain Node (via tsx) and starts the
// sandbox and VS Code. test/integration/shim/ is plain JavaScript.
//
// Usage: node scripts/build-tests.mjs
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = path.join(root, 'test', 'integration');
const outDir = path.join(root, 'out', 'test', 'integration');
const HOST_SIDE = new Set([path.join(srcDir, 'runTest.ts')]);

/** All .ts files below `dir` (declaration files excluded). */
function tsFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

const started = Date.now();
const entryPoints = tsFiles(srcDir).filter((f) => !HOST_SIDE.has(f));
// A fresh output folder, so a deleted test does not linger as a stale .test.js.
fs.rmSync(outDir, { recursive: true, force: true });
await esbuild.build({
  entryPoints,
  outdir: outDir,
  outbase: srcDir,
  bundle: true,
  packages: 'external',
  external: ['vscode'],
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
});
const tests = entryPoints.filter((f) => f.endsWith('.test.ts')).length;
console.log(
  `build-tests: ${entryPoints.length} files (${tests} test files) -> ${path.relative(root, outDir)} in ${Date.now() - started} ms`,
);
