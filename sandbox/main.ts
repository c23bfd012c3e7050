/**
 * `npm run sandbox`: starts the sandbox on `SANDBOX_PORT` (a free port when unset), prints
 *
 *     Sandbox listening on http://127.0.0.1:PORT
 *     IMO_CLIENT_ID=…
 *     …
 *
 * on stdout (scripts parse it), logs requests on stderr, and closes cleanly on SIGINT/SIGTERM.
 *
 * `SANDBOX_CROSSWALKS_FILE=path.json` keeps the crosswalks between runs (loaded at start when the
 * file exists, written after every change); unset = in memory only.
 */
import { startSandbox } from './server';

async function main(): Promise<void> {
  const rawPort = process.env.SANDBOX_PORT;
  const port = rawPort === undefined || rawPort === '' ? 0 : Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`SANDBOX_PORT must be a port number, got "${rawPort}"`);
  }
  const crosswalksFile = process.env.SANDBOX_CROSSWALKS_FILE;
  const sandbox = await startSandbox({
    port,
    quiet: process.env.SANDBOX_QUIET === '1',
    crosswalks: crosswalksFile ? { persistFile: crosswalksFile } : undefined,
  });
  const lines = [`Sandbox listening on ${sandbox.url}`];
  for (const [name, value] of Object.entries(sandbox.credentials)) lines.push(`${name}=${value}`);
  process.stdout.write(lines.join('\n') + '\n');

  let closing = false;
  const stop = (): void => {
    if (closing) return;
    closing = true;
    sandbox.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`sandbox failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
