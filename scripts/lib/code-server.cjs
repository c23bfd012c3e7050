// Shared plumbing for running the real VS Code (code-server 4.100.3 = VS Code 1.100.3, installed
// by scripts/setup-vscode.sh) and headless Debian Chromium. Used by the integration-test shim
// (test/integration/shim/code-test-shim.js), the e2e harness (test/e2e/workbench.ts) and
// `npm start` (scripts/start.mjs). Background and pitfalls: docs/real-vscode.md.
//
// Plain CommonJS so that a node script, an ES module and tsx-run TypeScript can all load it;
// the types are in code-server.d.cts beside it.
'use strict';
const { spawn, execFile } = require('child_process');
const fs = require('fs');
const net = require('net');
const path = require('path');

const CODE_SERVER_VERSION = '4.100.3';
/** The VS Code release that code-server version embeds. */
const VSCODE_VERSION = '1.100.3';
const projectRoot = path.resolve(__dirname, '..', '..');
const CHROMIUM_PATH = process.env.CHROMIUM || '/usr/bin/chromium';

/** Chromium flags that work headless, as root, without GPU and without any network chatter. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * User settings for a fresh user-data-dir: no Welcome/walkthrough tab, no workspace-trust dialog
 * (Restricted Mode would disable the extension), no telemetry, no update or gallery checks, no
 * toasts unrelated to the extension.
 */
const BASE_USER_SETTINGS = Object.freeze({
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'security.workspace.trust.startupPrompt': 'never',
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  // test and demo folders live inside this git repository: no "open the parent repository?" toast
  'git.openRepositoryInParentFolders': 'never',
});

/** The audience IMO's token endpoint expects (and the sandbox checks). */
const IMO_AUDIENCE = 'https://api.imohealth.com';

/**
 * Clinical Coder user settings that make an environment named "local" of every service (IMO,
 * Codify, Heim) point at the sandbox at `url`, and select it.
 */
function sandboxSettings(url) {
  return {
    'clinicalCoder.imo.environment': 'local',
    'clinicalCoder.imo.environments': { local: { baseUrl: url, audience: IMO_AUDIENCE } },
    'clinicalCoder.codify.environment': 'local',
    'clinicalCoder.codify.environments': { local: { baseUrl: url } },
    'clinicalCoder.heim.environment': 'local',
    'clinicalCoder.heim.environments': { local: { baseUrl: url } },
  };
}

/** The code-server binary, or a clear error telling how to install it. */
function codeServerBin() {
  const bin =
    process.env.CODE_SERVER ||
    path.join(projectRoot, '.vscode-test/code-server/node_modules/.bin/code-server');
  if (!fs.existsSync(bin)) {
    throw new Error(`code-server not found at ${bin}; install it with: bash scripts/setup-vscode.sh`);
  }
  return bin;
}

/** A currently free TCP port on 127.0.0.1. */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Writes `<userDataDir>/User/settings.json`: BASE_USER_SETTINGS, then `extra` on top. Must happen
 * before code-server starts (the welcome page is decided at first load).
 */
function writeUserSettings(userDataDir, extra = {}) {
  const file = path.join(userDataDir, 'User', 'settings.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ ...BASE_USER_SETTINGS, ...extra }, null, 2) + '\n');
  return file;
}

/**
 * The environment for code-server. VSCODE_IPC_HOOK_CLI (set in any VS Code/code-server
 * integrated terminal) would make code-server hand the folder to that instance and exit 0.
 */
function codeServerEnv(extra = {}) {
  const env = { ...process.env, ...extra };
  delete env.VSCODE_IPC_HOOK_CLI;
  return env;
}

/** Flags shared by every code-server invocation (serving and --install-extension). */
function baseArgs({ userDataDir, extensionsDir, configFile }) {
  return [
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
    // isolates from ~/.config/code-server/config.yaml (which may say auth: password)
    '--config',
    configFile || path.join(userDataDir, 'code-server-config.yaml'),
  ];
}

/** Installs a .vsix into `extensionsDir` (about half a second). */
function installExtension({ vsix, userDataDir, extensionsDir, configFile }) {
  return new Promise((resolve, reject) => {
    execFile(
      codeServerBin(),
      [...baseArgs({ userDataDir, extensionsDir, configFile }), '--install-extension', path.resolve(vsix)],
      { env: codeServerEnv() },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`installing ${vsix} failed: ${err.message}\n${stdout}${stderr}`));
        else resolve(stdout + stderr);
      },
    );
  });
}

/** Pids of all descendants of `pid` (from /proc), deepest last. */
function descendants(pid) {
  const children = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // field 4 of /proc/PID/stat is the parent pid; the command name (field 2) may contain spaces
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {
      // the process ended while we were reading
    }
  }
  const out = [];
  const walk = (p) => {
    for (const c of children.get(p) || []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/** Whether `pid` still runs (a zombie, dead but not yet reaped by its parent, does not count). */
const alive = (pid) => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

/**
 * Stops a process started with `detached: true` (so it leads its own process group), its whole
 * group, and any descendant that left the group (e.g. a terminal started with setsid): SIGTERM,
 * then SIGKILL for whatever is still alive after `graceMs`.
 */
async function killProcessTree(pid, graceMs = 3000) {
  if (!pid) return;
  const tree = [pid, ...descendants(pid)];
  const signalAll = (sig) => {
    try {
      process.kill(-pid, sig);
    } catch {
      // group already gone
    }
    for (const p of tree) {
      try {
        process.kill(p, sig);
      } catch {
        // already gone
      }
    }
  };
  signalAll('SIGTERM');
  for (const end = Date.now() + graceMs; Date.now() < end && tree.some(alive);) await sleep(50);
  if (tree.some(alive)) signalAll('SIGKILL');
}

/** Synchronous last resort for process.on('exit'): SIGKILL the group. */
function killGroupSync(pid) {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * Starts code-server in its own process group and resolves once /healthz answers.
 * `env` reaches the extension host's process.env. `onOutput` receives the server's log text.
 */
async function startCodeServer({
  userDataDir,
  extensionsDir,
  configFile,
  host = '127.0.0.1',
  port,
  env = {},
  extraArgs = [],
  onOutput = () => {},
  startTimeoutMs = 30000,
}) {
  const bin = codeServerBin();
  const listenPort = port || (await freePort());
  const authority = `${host}:${listenPort}`;
  fs.mkdirSync(userDataDir, { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  const child = spawn(
    bin,
    [...baseArgs({ userDataDir, extensionsDir, configFile }), '--bind-addr', authority, ...extraArgs],
    { env: codeServerEnv(env), stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let log = '';
  const collect = (d) => {
    const text = d.toString();
    log += text;
    onOutput(text);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  const spawnError = new Promise((resolve) => child.on('error', resolve));
  const onExit = () => killGroupSync(child.pid);
  process.on('exit', onExit);

  const server = {
    url: `http://${authority}`,
    authority,
    port: listenPort,
    pid: child.pid,
    process: child,
    exited,
    log: () => log,
    async stop() {
      process.removeListener('exit', onExit);
      await killProcessTree(child.pid);
    },
  };

  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    try {
      // (with a timeout: whatever else may hold the port might accept and never answer)
      if ((await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(1000) })).ok) return server;
    } catch {
      // not listening yet
    }
    const ended = await Promise.race([exited, spawnError, sleep(100).then(() => undefined)]);
    if (ended !== undefined) {
      await server.stop();
      throw new Error(`code-server (${bin}) exited before serving (${ended}):\n${log}`);
    }
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`code-server did not answer on ${server.url} within ${startTimeoutMs} ms:\n${log}`);
    }
  }
}

module.exports = {
  CODE_SERVER_VERSION,
  VSCODE_VERSION,
  CHROMIUM_PATH,
  CHROMIUM_ARGS,
  BASE_USER_SETTINGS,
  IMO_AUDIENCE,
  projectRoot,
  sandboxSettings,
  codeServerBin,
  freePort,
  sleep,
  writeUserSettings,
  codeServerEnv,
  installExtension,
  startCodeServer,
  killProcessTree,
  killGroupSync,
  descendants,
};
