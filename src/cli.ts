/**
 * Entry point of the `clinical-coder` command (built to `dist/cli.js`, the package's `bin`).
 * Only `core` and `node` modules are reachable from here: never `vscode`.
 */

import { run } from './cli/main';

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (c: Buffer) => chunks.push(c));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

// A closed pipe (`clinical-coder validate … | head`) ends the run quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

run(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, readStdin, env: process.env, cwd: process.cwd() },
  __dirname,
).then(
  (code) => {
    // let pending writes to a pipe drain instead of calling process.exit()
    process.exitCode = code;
  },
  (e: unknown) => {
    // a bug, not a user error: say so briefly; the stack only with CLINICAL_CODER_DEBUG
    const message = e instanceof Error ? e.message : String(e);
    process.stderr.write(`clinical-coder: internal error: ${message}\n`);
    if (process.env.CLINICAL_CODER_DEBUG && e instanceof Error && e.stack)
      process.stderr.write(`${e.stack}\n`);
    process.exitCode = 2;
  },
);
