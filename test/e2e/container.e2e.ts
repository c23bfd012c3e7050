/**
 * Smallest browser-tier check: the packaged extension installs into a real VS Code, its activity-bar
 * container opens, and the screenshot shows it (test-results/screenshots/clinical-coder-container.png).
 */
import * as assert from 'assert';
import { startSandbox, type Sandbox } from '../../sandbox/server';
import { Workbench, sandboxSettings } from './workbench';

describe('Clinical Coder in the VS Code workbench', () => {
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

  it('opens the Clinical Coder view container from the activity bar', async () => {
    const sidebar = await wb.openView('Clinical Coder');
    assert.match(await sidebar.locator('.composite.title').innerText(), /clinical coder/i);
    // at least one view of the container is rendered (a lone view's header is merged into the title)
    await sidebar.locator('.pane-body').first().waitFor();
    await wb.screenshot('clinical-coder-container');
  });
});
