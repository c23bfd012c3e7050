/**
 * A coder's first minutes, in the real workbench with the packaged .vsix: open the Clinical Coder
 * container and see the welcome view, sign in from the command palette by typing into the input
 * boxes, see the status bar change, run Test IMO Connection and read the session id in the
 * notification. Screenshots of each step go to test-results/screenshots/signin-*.png.
 */
import * as assert from 'assert';
import { startSandbox, type Sandbox } from '../../sandbox/server';
import { Workbench, sandboxSettings } from './workbench';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/;

describe('a coder signs in to IMO', () => {
  let sandbox: Sandbox;
  let wb: Workbench;

  before(async () => {
    sandbox = await startSandbox({ quiet: true });
    wb = await Workbench.open({
      workspace: 'test/fixtures/workspace',
      settings: sandboxSettings(sandbox.url),
    });
  });

  after(async () => {
    await wb?.close();
    await sandbox?.close();
  });

  const statusItem = () => wb.page.locator('.part.statusbar .statusbar-item', { hasText: 'IMO:' });

  it('sees the welcome view with a Sign In button while signed out', async () => {
    const sidebar = await wb.openView('Clinical Coder');
    const releases = sidebar.locator('.pane', {
      has: wb.page.locator('.pane-header', { hasText: 'Releases' }),
    });
    const welcome = releases.locator('.welcome-view-content');
    await welcome.getByText('Sign in to IMO to browse its downloadable releases').waitFor();
    await welcome.getByRole('button', { name: 'Sign In to IMO' }).waitFor();
    await statusItem().filter({ hasText: 'IMO: local (signed out)' }).waitFor();
    await wb.screenshot('signin-1-welcome');
  });

  it('signs in from the command palette by typing the client ID and secret', async () => {
    await wb.runCommand('Clinical Coder: Sign In to IMO');
    await wb.fillInputBox(sandbox.credentials.IMO_CLIENT_ID, { prompt: /Client ID/ });
    await wb.fillInputBox(sandbox.credentials.IMO_CLIENT_SECRET, { password: true, prompt: /Client secret/ });
    await wb.waitForNotification('Signed in to IMO (local).');
    assert.strictEqual(
      sandbox.count('POST', '/oauth/token'),
      1,
      'one token request verified the credentials',
    );
    await wb.screenshot('signin-2-signed-in');
  });

  it('shows the change in the status bar, the Releases and the Connections views', async () => {
    const item = statusItem();
    await item.filter({ hasNotText: 'signed out' }).waitFor();
    assert.match(await item.innerText(), /IMO: local$/m);
    const sidebar = await wb.openView('Clinical Coder');
    const pane = (name: string) =>
      sidebar.locator('.pane', { has: wb.page.locator('.pane-header', { hasText: name }) });
    await pane('Releases').locator('.monaco-list-row', { hasText: 'ICD-10-CM' }).first().waitFor();
    const connections = pane('Connections');
    if ((await connections.locator('.pane-header').getAttribute('aria-expanded')) !== 'true') {
      await connections.locator('.pane-header').click();
    }
    for (const label of ['IMO', 'Codify', 'Heim']) {
      await connections.locator('.monaco-list-row', { hasText: label }).first().waitFor();
    }
    await connections.locator('.monaco-list-row', { hasText: 'signed in' }).waitFor();
    await wb.screenshot('signin-3-status-bar');
  });

  it('runs Test IMO Connection and sees the session id the sandbox issued', async () => {
    await wb.runCommand('Clinical Coder: Test IMO Connection');
    const toast = await wb.waitForNotification(/^Session ID \S+: IMO \(local\) connection OK\./);
    const shown = UUID.exec(await toast.innerText())?.[0];
    const issued = (sandbox.state().imo as { lastSessionId: string | null }).lastSessionId;
    assert.ok(shown, 'the notification shows a session id');
    assert.strictEqual(shown, issued);
    await wb.screenshot('signin-4-test-connection');
  });
});
