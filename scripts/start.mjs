// `npm start`: try Clinical Coder in a real VS Code in your browser, against the local sandbox.
//
//   1. bash scripts/setup-vscode.sh   (code-server 4.100.3 + Debian packages; cached after the first run)
//   2. npm run package                (dist/clinical-coder.vsix)
//   3. the sandbox (sandbox/server.ts, in this process through tsx) on a free port
//   4. the vsix installed into code-server's own profile under .vscode-test/start/
//   5. samples/ (the project's copy of the synthetic sample documents) opened in code-server on
//      127.0.0.1, with user settings pointing the extension's "local" environments at the sandbox
//
// Prints the URL and the sandbox's demo credentials. Ctrl-C (SIGINT) or SIGTERM stops
// code-server (with its whole process tree) and the sandbox.
// Env: PORT or CODE_SERVER_PORT (default: a free port), SANDBOX_PORT (default: a free port).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tsImport } from 'tsx/esm/api';
import cs from './lib/code-server.cjs';

const root = cs.projectRoot;
const profile = path.join(root, '.vscode-test', 'start');
const samples = path.join(root, 'samples');
const sharedSamples = path.resolve(root, '..', 'shared', 'data', 'samples');

const step = (msg) => console.log(`\n[start] ${msg}`);

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal})`);
}

/** The port to serve on: PORT or CODE_SERVER_PORT, else 0 (a free one). */
function requestedPort() {
  const raw = process.env.PORT || process.env.CODE_SERVER_PORT || '';
  if (raw === '') return 0;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`PORT must be a port number, got "${raw}"`);
  return port;
}

/** The user settings of an earlier session ({} when none or not plain JSON). */
function readSettings(userDataDir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(userDataDir, 'User', 'settings.json'), 'utf8'));
  } catch {
    return {};
  }
}

/** samples/ is committed with the project; seed it from the shared data set only when absent. */
function ensureSamples() {
  if (fs.existsSync(samples)) return;
  if (!fs.existsSync(sharedSamples)) {
    throw new Error(`no samples/ folder, and no ${sharedSamples} to copy it from`);
  }
  fs.cpSync(sharedSamples, samples, { recursive: true });
  // the shared copies are read-only; the project's own are ordinary files
  for (const f of fs.readdirSync(samples)) fs.chmodSync(path.join(samples, f), 0o644);
  console.log(`[start] copied ${path.relative(root, sharedSamples)} -> samples/ (commit it)`);
}

async function main() {
  const port = requestedPort();
  step('setting up code-server');
  run('bash', [path.join(root, 'scripts', 'setup-vscode.sh')]);
  step('building and packaging the extension');
  run('npm', ['run', '--silent', 'package']);
  ensureSamples();

  step('starting the sandbox');
  const { startSandbox } = await tsImport('../sandbox/server.ts', import.meta.url);
  // crosswalk edits made while trying the extension survive a restart (SANDBOX_CROSSWALKS_FILE overrides)
  const sandbox = await startSandbox({
    port: Number(process.env.SANDBOX_PORT || 0),
    quiet: true,
    crosswalks: {
      persistFile: process.env.SANDBOX_CROSSWALKS_FILE || path.join(profile, 'sandbox-crosswalks.json'),
    },
  });
  let server;
  let stopping = false;
  const stop = async (code) => {
    if (stopping) return;
    stopping = true;
    console.log('\n[start] stopping code-server and the sandbox…');
    await server?.stop();
    await sandbox.close();
    process.exit(code);
  };
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));

  try {
    const dirs = {
      userDataDir: path.join(profile, 'user-data'),
      // a fresh extensions dir: always exactly the vsix just built
      extensionsDir: path.join(profile, 'extensions'),
      configFile: path.join(profile, 'config.yaml'),
    };
    fs.rmSync(dirs.extensionsDir, { recursive: true, force: true });
    // keep what the user changed in earlier sessions; the sandbox URL changes with its port
    cs.writeUserSettings(dirs.userDataDir, {
      ...readSettings(dirs.userDataDir),
      ...cs.sandboxSettings(sandbox.url),
    });
    step('installing dist/clinical-coder.vsix into code-server');
    await cs.installExtension({ vsix: path.join(root, 'dist', 'clinical-coder.vsix'), ...dirs });

    step('starting code-server');
    server = await cs.startCodeServer({
      ...dirs,
      port,
      extraArgs: [samples], // the folder a bare URL opens
      env: { SANDBOX_URL: sandbox.url },
      onOutput: (text) => {
        if (/\berror\b/i.test(text) && !/open-vsx|ENOTFOUND/.test(text)) process.stderr.write(text);
      },
    });
  } catch (err) {
    console.error(`[start] ${err instanceof Error ? err.message : String(err)}`);
    await stop(1);
  }

  const url = `${server.url}/?folder=${encodeURI(samples)}`;
  const creds = Object.entries(sandbox.credentials)
    .map(([name, value]) => `    ${name}=${value}`)
    .join('\n');
  console.log(`
  Clinical Coder is running in VS Code ${cs.VSCODE_VERSION} (code-server ${cs.CODE_SERVER_VERSION}):

    ${url}

  Sandbox (all three services' "local" environment): ${sandbox.url}
  Demo credentials, for "Clinical Coder: Sign In to IMO" and friends:
${creds}

  Press Ctrl-C to stop.`);

  // code-server ending by itself (crash, killed) ends the demo too
  server.exited.then((code) => {
    if (stopping) return;
    console.error(`[start] code-server exited (${code})`);
    stop(1);
  });
}

main().catch((err) => {
  console.error(`[start] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
