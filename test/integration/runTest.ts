/**
 * Integration tier launcher (plain Node, run with tsx): starts the sandbox in-process, then runs
 * the compiled mocha suite inside a real VS Code 1.100 extension host with the standard
 * `@vscode/test-electron` `runTests`. VS Code cannot be downloaded here, so `vscodeExecutablePath`
 * is our shim, which drives code-server + headless Chromium (docs/real-vscode.md §3).
 *
 *   npm run build && node scripts/build-tests.mjs && tsx test/integration/runTest.ts
 *
 * The tests get `SANDBOX_URL`, the sandbox's demo credentials (`IMO_CLIENT_ID`,
 * `IMO_CLIENT_SECRET`, …) and `CLINICAL_CODER_TEST_HOOKS=1` in `process.env`. VS Code starts with
 * a fresh profile and the extension's default settings: a test that needs the sandbox points an
 * environment at it itself (`getConfiguration('clinicalCoder').update(…, Global)`, with
 * `sandboxSettings(url)` of scripts/lib/code-server.cjs as a model) and resets it afterwards.
 * With `SANDBOX_URL` already set, that sandbox is used instead of starting one (its credentials
 * are then taken from the environment too).
 * MOCHA_GREP / MOCHA_TIMEOUT_MS / CODE_TEST_TIMEOUT_MS pass through (see suite/index.ts and the shim).
 */
import * as fs from 'fs';
import * as path from 'path';
import { runTests } from '@vscode/test-electron';
import { startSandbox } from '../../sandbox/server';

const root = path.resolve(__dirname, '..', '..');
const shim = path.join(__dirname, 'shim', 'code-test-shim.js');
const suiteIndex = path.join(root, 'out', 'test', 'integration', 'suite', 'index.js');
const workspace = path.join(root, 'test', 'fixtures', 'workspace');
const profileDir = path.join(root, '.vscode-test', 'integration');
const CREDENTIAL_NAME = /^[A-Z][A-Z0-9_]*$/;

interface RunningSandbox {
  url: string;
  credentials: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

async function sandboxForTests(): Promise<RunningSandbox> {
  const external = process.env.SANDBOX_URL;
  if (external) {
    console.log(`[integration] using the sandbox at ${external} (SANDBOX_URL)`);
    return { url: external, credentials: {}, close: async () => {} };
  }
  return startSandbox({ quiet: true });
}

function checkBuilt(): void {
  const missing = [
    [path.join(root, 'dist', 'extension.js'), 'npm run build'],
    [suiteIndex, 'node scripts/build-tests.mjs'],
  ].filter(([file]) => !fs.existsSync(file));
  for (const [file, fix] of missing)
    console.error(`[integration] missing ${path.relative(root, file)}: run ${fix}`);
  if (missing.length) process.exit(2);
}

async function main(): Promise<number> {
  checkBuilt();
  const sandbox = await sandboxForTests();
  try {
    // A fresh profile each run: nothing (settings, global state, last-opened folder) leaks
    // between runs. The shim writes the welcome/trust/telemetry suppressions into it.
    const userDataDir = path.join(profileDir, 'user-data');
    fs.rmSync(profileDir, { recursive: true, force: true });
    const credentials = Object.fromEntries(
      Object.entries(sandbox.credentials).filter(([name]) => CREDENTIAL_NAME.test(name)),
    );
    await runTests({
      vscodeExecutablePath: shim,
      extensionDevelopmentPath: root,
      extensionTestsPath: suiteIndex,
      launchArgs: [
        workspace,
        `--user-data-dir=${userDataDir}`,
        `--extensions-dir=${path.join(profileDir, 'extensions')}`,
      ],
      extensionTestsEnv: {
        SANDBOX_URL: sandbox.url,
        ...credentials,
        // the extension's activate() then also returns test-only hooks (src/extension.ts)
        CLINICAL_CODER_TEST_HOOKS: '1',
      },
    });
    return 0;
  } catch (err) {
    console.error(`[integration] ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    await sandbox.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('[integration] could not run the tests:', err);
    process.exit(2);
  },
);
