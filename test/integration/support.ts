import * as assert from 'assert';
import * as vscode from 'vscode';
import { Commands } from '../../src/constants';

/**
 * Points a `local` IMO environment at the sandbox (runTest.ts passes `SANDBOX_URL` and the demo
 * credentials in the environment), selects it and signs in, as a coder would.
 */
export async function signInToSandbox(): Promise<void> {
  const config = vscode.workspace.getConfiguration('clinicalCoder');
  await config.update(
    'imo.environments',
    { local: { baseUrl: process.env.SANDBOX_URL ?? '', audience: 'https://api.imohealth.com' } },
    vscode.ConfigurationTarget.Global,
  );
  await vscode.commands.executeCommand(Commands.switchEnvironment, 'imo', 'local');
  const ok = await vscode.commands.executeCommand(Commands.signIn, {
    clientId: process.env.IMO_CLIENT_ID,
    clientSecret: process.env.IMO_CLIENT_SECRET,
  });
  assert.strictEqual(ok, true, 'signed in to the sandbox');
}
