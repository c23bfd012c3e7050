#!/usr/bin/env node
// A stand-in "VS Code executable" for @vscode/test-electron's runTests({ vscodeExecutablePath }).
//
// VS Code itself cannot be downloaded on our machines, so this accepts the Electron command line
// runTests builds, and runs the tests in a real VS Code 1.100.3 instead: code-server on a free
// loopback port, whose web workbench is opened in headless Debian Chromium (playwright-core) with
// the `payload` query parameter carrying extensionDevelopmentPath/extensionTestsPath as
// vscode-remote:// URIs. The tests then run in code-server's server-side Node extension host;
// the workbench reports their console output through window.codeAutomationLog and the result
// through window.codeAutomationExit(code), which becomes this process's exit code.
// See docs/real-vscode.md §3.
//
// Output: the test runner's lines (mocha's spec reporter) are printed as they come; the
// workbench's own chatter is filtered out. Everything, including code-server's server log, goes
// to test-results/integration/vscode.log, whose path is printed when a run fails.
//
// Environment:
//   CODE_SERVER             code-server binary (default .vscode-test/code-server/…/code-server)
//   CHROMIUM                browser binary (default /usr/bin/chromium)
//   CODE_TEST_TIMEOUT_MS    give up after this long (default 300000 = 5 min), exit code 124
//   CODE_TEST_SHIM_VERBOSE  1 = print the workbench log unfiltered
//
// Direct use: code-test-shim.js --extensionDevelopmentPath=. --extensionTestsPath=out/…/index.js [folder]
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const util = require('util');
const cs = require('../../../scripts/lib/code-server.cjs');

const TIMEOUT_MS = Number(process.env.CODE_TEST_TIMEOUT_MS || 300000);
const VERBOSE = process.env.CODE_TEST_SHIM_VERBOSE === '1';
const LOG_FILE = path.join(cs.projectRoot, 'test-results', 'integration', 'vscode.log');
// Electron-only flags runTests always passes; code-server has its own equivalents or needs none.
const IGNORED_FLAGS = new Set([
  'no-sandbox',
  'disable-gpu-sandbox',
  'disable-updates',
  'skip-welcome',
  'skip-release-notes',
  'disable-workspace-trust',
]);

const say = (msg) => process.stderr.write(`[code-test-shim] ${msg}\n`);
/** A path relative to the cwd when it lies below it, else absolute. */
const shown = (p) => (path.relative(process.cwd(), p).startsWith('..') ? p : path.relative(process.cwd(), p));

/** Parses the VS Code command line: --key=value flags plus one optional folder/.code-workspace. */
function parseArgs(argv) {
  const opts = {
    devPaths: [],
    testsPath: undefined,
    userDataDir: undefined,
    extensionsDir: undefined,
    target: undefined,
  };
  for (const arg of argv) {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(arg);
    if (!m) {
      opts.target = path.resolve(arg);
      continue;
    }
    const [, key, value] = m;
    if (key === 'extensionDevelopmentPath') opts.devPaths.push(path.resolve(value));
    else if (key === 'extensionTestsPath') opts.testsPath = path.resolve(value);
    else if (key === 'user-data-dir') opts.userDataDir = path.resolve(value);
    else if (key === 'extensions-dir') opts.extensionsDir = path.resolve(value);
    else if (!IGNORED_FLAGS.has(key)) say(`ignoring unsupported argument ${arg}`);
  }
  return opts;
}

/**
 * With extension tests running, the workbench routes ALL its console output through
 * codeAutomationLog, and the extension host's console output (mocha's reporter, console.log in
 * tests and in the extension) arrives there too, unlabelled. So the filter is a list of what the
 * workbench itself says in a run, seen in code-server 4.100.3; anything else is shown, so an
 * unexpected workbench error (e.g. an activation failure) still reaches the test output.
 */
const WORKBENCH_NOISE = [
  /^Resolv(?:ing|ed) connection token/,
  /^Creating a socket \(/,
  /^Updating additional builtin extensions cache/,
  /^\[Service Worker\]/,
  /^ChatSessionStore:/,
  /^Started local extension host/,
  /open-vsx\.org|ENOTFOUND|ERR_NAME_NOT_RESOLVED/, // extension gallery lookups (offline)
  /\/static\/out\/vs\/|workbench\.js:\d+/, // anything with a stack inside the workbench bundle
  /^%c/, // styled workbench console messages
];
const isTestOutput = (message) => !WORKBENCH_NOISE.some((re) => re.test(message));

/** codeAutomationLog's arguments are console.log's: a printf-style format string and values. */
function formatArgs(args) {
  const list = Array.isArray(args) ? args : [args];
  return typeof list[0] === 'string' ? util.format(...list) : list.map((a) => util.inspect(a)).join(' ');
}

async function main() {
  const started = Date.now();
  const opts = parseArgs(process.argv.slice(2));
  if (!opts.testsPath || opts.devPaths.length === 0) {
    say('need --extensionDevelopmentPath=… and --extensionTestsPath=…');
    return 2;
  }

  fs.mkdirSync(path.dirname(LOG_FILE), { recursive: true });
  const logStream = fs.createWriteStream(LOG_FILE);
  const fileLog = (source, text) =>
    logStream.write(`[${source}] ${text.endsWith('\n') ? text : text + '\n'}`);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'code-test-shim-'));
  const userDataDir = opts.userDataDir || path.join(tmp, 'user-data');
  const extensionsDir = opts.extensionsDir || path.join(tmp, 'extensions');
  // Keep settings a caller already put there; ours fill in the rest.
  const settingsFile = path.join(userDataDir, 'User', 'settings.json');
  let existing = {};
  try {
    existing = JSON.parse(fs.readFileSync(settingsFile, 'utf8'));
  } catch {
    // none yet, or not plain JSON: ours replace it
  }
  cs.writeUserSettings(userDataDir, existing);

  let server;
  let browser;
  let cleaning;
  const cleanup = () =>
    (cleaning ??= (async () => {
      await browser?.close().catch(() => {});
      await server?.stop();
      fs.rmSync(tmp, { recursive: true, force: true });
      await new Promise((resolve) => logStream.end(resolve));
    })());
  // runTests forwards Ctrl-C as SIGINT; stop everything we started before exiting.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      say(`${sig}: stopping code-server and chromium`);
      cleanup().finally(() => process.exit(130));
    });
  }

  // Resolved by window.codeAutomationExit, or when the extension host dies without calling it.
  let finish;
  const exitCode = new Promise((resolve) => (finish = resolve));
  // The extension host's own exit, from code-server's log ("<pid> Extension Host Process exited
  // with code: 3, signal: null."). When it crashes, the workbench may still report exit code 0
  // (after giving up reconnecting), so a non-zero exit here overrides that.
  let hostExit;
  const watchExtensionHost = (text) => {
    const m = /Extension Host Process exited with code: (\w+), signal: (\w+)/.exec(text);
    if (!m) return;
    hostExit = { code: m[1], signal: m[2] };
    if (hostExit.code === '0' && hostExit.signal === 'null') return;
    // a normal run reports through codeAutomationExit first; give that message time to arrive
    setTimeout(() => finish(1), 3000).unref();
  };
  const hostCrashed = () => hostExit && !(hostExit.code === '0' && hostExit.signal === 'null');
  // A runner that supports it (suite/index.ts) records {state: 'running' | 'done'} in this file,
  // so an extension host that exits early with code 0 (process.exit(0)) is not taken for a pass.
  const resultFile = path.join(tmp, 'result.json');
  const runnerUnfinished = () => {
    try {
      return JSON.parse(fs.readFileSync(resultFile, 'utf8')).state !== 'done';
    } catch {
      return false; // the runner does not write the file
    }
  };

  try {
    // The environment (runTests' extensionTestsEnv included) reaches the extension host.
    server = await cs.startCodeServer({
      userDataDir,
      extensionsDir,
      configFile: path.join(tmp, 'config.yaml'),
      env: { CODE_TEST_RESULT_FILE: resultFile },
      onOutput: (text) => {
        fileLog('code-server', text);
        watchExtensionHost(text);
      },
    });
    const remote = (p) => `vscode-remote://${server.authority}${p}`;
    const payload = [
      ...opts.devPaths.map((p) => ['extensionDevelopmentPath', remote(p)]),
      ['extensionTestsPath', remote(opts.testsPath)],
    ];
    let url = `${server.url}/?payload=${encodeURIComponent(JSON.stringify(payload))}`;
    if (!opts.target)
      url += '&ew=true'; // empty window, not code-server's last-opened folder
    else if (opts.target.endsWith('.code-workspace')) url += `&workspace=${encodeURIComponent(opts.target)}`;
    else url += `&folder=${encodeURIComponent(opts.target)}`;

    const { chromium } = require('playwright-core');
    browser = await chromium.launch({
      executablePath: cs.CHROMIUM_PATH,
      headless: true,
      args: cs.CHROMIUM_ARGS,
      // our signal handlers close it (Playwright's would exit the process before our cleanup)
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
    const page = await browser.newPage();
    // The hooks VS Code's own web integration tests use.
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      const text = formatArgs(args);
      fileLog(`workbench ${type}`, text);
      if (VERBOSE || isTestOutput(text))
        (type === 'error' ? process.stderr : process.stdout).write(text + '\n');
    });
    await page.exposeFunction('codeAutomationExit', (code) => finish(Number(code)));
    page.on('pageerror', (e) => fileLog('page error', e.stack || e.message));
    // (styled `%c` messages duplicate what codeAutomationLog already got)
    page.on('console', (m) => m.text().startsWith('%c') || fileLog(`browser ${m.type()}`, m.text()));
    await page.goto(url);

    let timer;
    const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve('timeout'), TIMEOUT_MS)));
    let code = await Promise.race([exitCode, timeout]);
    clearTimeout(timer);
    if (code === 0 && hostCrashed()) {
      say(
        `the extension host crashed (exit code ${hostExit.code}, signal ${hostExit.signal}) before the tests finished`,
      );
      code = 1;
    } else if (code === 0 && runnerUnfinished()) {
      say('the extension host ended while the test runner was still running (process.exit in a test?)');
      code = 1;
    }
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    if (code === 'timeout') {
      say(
        `TIMEOUT: the extension host reported no test result within ${TIMEOUT_MS / 1000} s ` +
          `(CODE_TEST_TIMEOUT_MS). A test may hang, or the extension host failed to start.`,
      );
      say(`full log: ${shown(LOG_FILE)}`);
      return 124;
    }
    if (code !== 0) say(`extension host exit code ${code} after ${secs} s; full log: ${shown(LOG_FILE)}`);
    else say(`extension host exit code 0 after ${secs} s`);
    return code;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    say(`failed: ${err && err.stack ? err.stack : err}`);
    say(`full log: ${shown(LOG_FILE)}`);
    process.exit(2);
  },
);
