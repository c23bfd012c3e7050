/**
 * A coder builds a crosswalk: signs in, runs "Create Crosswalk…" from the palette and answers its
 * prompts (name, description, no attributes, a first mapping ICD-10-CM E11.9 → HCPCS A4253), finds
 * the new crosswalk in the Crosswalks view, expands it down to the target code, then exports the
 * version to CSV from its context menu through code-server's save dialog (the simple, quick-input
 * one) into a temporary folder, and opens the file from the notification.
 * Screenshots: test-results/screenshots/crosswalks-{created,mapping,exported,exported-file}.png.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as Papa from 'papaparse';
import type { Locator } from 'playwright-core';
import { startSandbox, type Sandbox } from '../../sandbox/server';
import { Workbench, sandboxSettings } from './workbench';

const NAME = 'E2E diabetes supplies';
const DESCRIPTION = 'Made in the browser tier';
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('a coder creates a crosswalk, sees it in the tree and exports it', () => {
  let sandbox: Sandbox;
  let wb: Workbench;
  let folder: string;
  let crosswalks: Locator;

  /** A row of the Crosswalks view whose label is exactly `label`. */
  const row = (label: string) =>
    crosswalks.locator('.monaco-list-row', {
      has: wb.page.locator('.label-name', { hasText: new RegExp(`^${escape(label)}$`) }),
    });

  /** Answers a quick pick whose title matches `title` by clicking the item labelled exactly `label`. */
  async function pick(title: RegExp, label: string): Promise<void> {
    const widget = wb.page.locator('.quick-input-widget', {
      has: wb.page.locator('.quick-input-title', { hasText: title }),
    });
    await widget.waitFor();
    await widget
      .locator('.quick-input-list .monaco-list-row', {
        has: wb.page.locator('.label-name', { hasText: new RegExp(`^${escape(label)}$`) }),
      })
      .first()
      .click();
  }

  /** Waits until the quick input holds exactly `value` (the save dialog fills it in asynchronously). */
  async function waitForValue(value: string): Promise<void> {
    // (a string expression: this project compiles without DOM types)
    await wb.page.waitForFunction(
      `document.querySelector('.quick-input-widget input.input')?.value === ${JSON.stringify(value)}`,
    );
  }

  before(async () => {
    sandbox = await startSandbox({ quiet: true });
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-e2e-crosswalks-'));
    wb = await Workbench.open({
      workspace: 'test/fixtures/workspace',
      settings: sandboxSettings(sandbox.url),
    });
    await wb.runCommand('Clinical Coder: Sign In to IMO');
    await wb.fillInputBox(sandbox.credentials.IMO_CLIENT_ID, { prompt: /Client ID/ });
    await wb.fillInputBox(sandbox.credentials.IMO_CLIENT_SECRET, { password: true, prompt: /Client secret/ });
    await wb.waitForNotification('Signed in to IMO (local).');
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && wb) {
      const shot = await wb.screenshot(`crosswalks-failed-${this.currentTest.title.slice(0, 30)}`);
      console.log(`    screenshot: ${shot}; log: ${wb.logFile}`);
    }
  });

  after(async () => {
    await wb?.close();
    await sandbox?.close();
    if (folder) fs.rmSync(folder, { recursive: true, force: true });
  });

  it('creates a crosswalk with a first mapping from the palette and sees it in the tree', async () => {
    const sidebar = await wb.openView('Clinical Coder');
    crosswalks = sidebar.locator('.pane', {
      has: wb.page.locator('.pane-header', { hasText: /^Crosswalks/ }),
    });
    // room for the Crosswalks view: the other views of the container collapsed, it expanded
    for (const [view, expanded] of [
      ['Releases', false],
      ['Downloads', false],
      ['Crosswalks', true],
    ] as const) {
      const header = sidebar.locator('.pane-header', { hasText: new RegExp(`^${view}`, 'i') });
      if (((await header.getAttribute('aria-expanded')) === 'true') !== expanded) await header.click();
    }
    await row('CVX vaccines → HCPCS admin').waitFor(); // the seeded crosswalks are listed

    await wb.runCommand('Clinical Coder: Create Crosswalk…');
    await wb.fillInputBox(NAME, { prompt: /New crosswalk: name/ });
    await wb.fillInputBox(DESCRIPTION, { prompt: /New crosswalk: description/ });
    await pick(/attributes \(0\)/, 'No attributes');
    await pick(/: mappings$/, 'Add a first mapping…');
    await pick(/^Source code system$/, 'ICD-10-CM');
    await wb.fillInputBox('E11.9', { prompt: /Source code \(ICD-10-CM\)/ });
    await pick(/^Target code system$/, 'HCPCS');
    await wb.fillInputBox('A4253', { prompt: /Target codes \(HCPCS\) for E11\.9/ });
    await wb.waitForNotification(`Created crosswalk "${NAME}" (version 1).`);

    const created = row(NAME);
    await created.waitFor();
    assert.match(await created.innerText(), /v1/);
    const state = await sandbox.crosswalks.state();
    assert.strictEqual(state.created, 1);
    await wb.page.mouse.move(900, 500); // no hover tooltip in the picture
    await wb.screenshot('crosswalks-created.png');
  });

  it('expands the crosswalk to Version 1 → E11.9 → A4253', async () => {
    await wb.runCommand('Notifications: Clear All Notifications');
    await wb.page
      .locator('.notifications-toasts .notification-list-item')
      .first()
      .waitFor({ state: 'hidden' });
    await row(NAME).click();
    await row('Version 1').click();
    const mapping = row('E11.9');
    await mapping.waitFor();
    assert.match(await mapping.innerText(), /Type 2 diabetes mellitus without complications/);
    assert.match(await mapping.innerText(), /→ HCPCS: A4253/);
    await mapping.click();
    const target = row('A4253');
    await target.waitFor();
    assert.match(await target.innerText(), /blood glucose test/i);
    await wb.page.mouse.move(900, 500);
    await wb.screenshot('crosswalks-mapping.png');
  });

  it("exports Version 1 to CSV from the version's context menu", async () => {
    const version = row('Version 1');
    await version.click(); // selected (and collapsed): the menu is surely this row's
    await version.click({ button: 'right' });
    const menu = wb.page.locator('.monaco-menu', { hasText: 'Open Version as Table' });
    await menu.waitFor();
    // a click that arrives right after the menu opened can be dropped (seen here): hover the item,
    // which focuses it, then press Enter
    const item = menu.locator('.action-item', { hasText: 'Export Version to CSV…' });
    await item.hover();
    await menu.locator('.action-item.focused', { hasText: 'Export Version to CSV…' }).waitFor();
    await wb.page.keyboard.press('Enter');
    // code-server's save dialog is a quick input holding a path, proposed in the workspace folder
    const workspace = path.resolve(__dirname, '..', 'fixtures', 'workspace');
    await wb.page
      .locator('.quick-input-widget .quick-input-title', { hasText: `Export "${NAME}" version 1` })
      .waitFor();
    await waitForValue(path.join(workspace, `${NAME}-v1.csv`));
    // replaced by a path in our temporary folder
    const file = path.join(folder, 'e2e-diabetes.csv');
    const input = wb.page.locator('.quick-input-widget input.input');
    await input.fill(file);
    await waitForValue(file);
    // The dialog lists the typed folder (its only entry is `..`), then takes OK. An accept that
    // arrives while it is still busy is queued and can be dropped (VS Code 1.100's
    // simpleFileDialog.ts resets `filePickBox.busy` without firing the event the queued accept
    // waits for; seen here in about one run in five), so OK is pressed again while it stays open.
    await wb.page.locator('.quick-input-list .monaco-list-row', { hasText: /^\.\.$/ }).waitFor();
    const dialog = wb.page.locator('.quick-input-widget', {
      has: wb.page.locator('.quick-input-title', { hasText: `Export "${NAME}" version 1` }),
    });
    for (let attempt = 1; ; attempt++) {
      await dialog.locator('.monaco-button', { hasText: /^OK$/ }).click();
      const closed = await dialog.waitFor({ state: 'hidden', timeout: 3000 }).then(
        () => true,
        () => false,
      );
      if (closed) break;
      assert.ok(attempt < 3, 'the save dialog took the path');
      console.log(`    the save dialog dropped OK #${attempt}: pressing it again`);
    }
    await wb.waitForNotification(`Exported 1 mapping (1 target code) of "${NAME}" version 1.`);
    const rows = Papa.parse<Record<string, string>>(fs.readFileSync(file, 'utf8'), {
      header: true,
      skipEmptyLines: true,
    }).data;
    assert.strictEqual(rows.length, 1);
    assert.deepStrictEqual(
      [rows[0]!.sourceCodeSystem, rows[0]!.sourceCode, rows[0]!.targetCodeSystem, rows[0]!.targetCode],
      ['icd10cm', 'E11.9', 'hcpcs', 'A4253'],
    );

    // the progress notification stays up a moment after the export ends
    await wb.page
      .locator('.notifications-toasts .notification-list-item', { hasText: 'Exporting "' })
      .waitFor({ state: 'hidden' });
    await wb.page.mouse.move(900, 500);
    await wb.screenshot('crosswalks-exported.png');

    // the notification's Open shows the file
    await wb.page
      .locator('.notifications-toasts .notification-list-item', { hasText: 'Exported 1 mapping' })
      .locator('.monaco-button', { hasText: 'Open' })
      .click();
    await wb.page.locator('.tab.active', { hasText: 'e2e-diabetes.csv' }).waitFor();
    await wb.page.locator('.monaco-editor .view-lines', { hasText: 'E11.9' }).waitFor();
    await wb.page.mouse.move(900, 500);
    await wb.screenshot('crosswalks-exported-file.png');
  });
});
