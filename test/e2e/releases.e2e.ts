/**
 * A coder keeps a reference data set current: signs in, clicks Products → Sub-products → Versions
 * → a file in the Releases view, downloads it (chooses the default folder in the quick pick), sees
 * the progress with bytes, percent and speed, then the completion notification, and finds the file
 * in the Downloads view. Screenshots: test-results/screenshots/releases-*.png.
 */
import * as assert from 'assert';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Locator } from 'playwright-core';
import { startSandbox, type Sandbox } from '../../sandbox/server';
import { DOWNLOAD_SLUGS as S } from '../../sandbox/services/download';
import { Workbench, sandboxSettings } from './workbench';

const FILE = 'icd10pcs_order_2026.txt';
const SOURCE = path.resolve(__dirname, '..', '..', 'sandbox', 'data', 'icd10pcs', FILE);
const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('a coder downloads a release file', () => {
  let sandbox: Sandbox;
  let wb: Workbench;
  let folder: string;
  let releases: Locator;

  const row = (pane: Locator, label: string) =>
    pane.locator('.monaco-list-row', {
      has: wb.page.locator('.label-name', { hasText: new RegExp(`^${label.replace(/[()]/g, '\\$&')}$`) }),
    });

  before(async () => {
    sandbox = await startSandbox({ quiet: true });
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-e2e-downloads-'));
    wb = await Workbench.open({
      workspace: 'test/fixtures/workspace',
      settings: { ...sandboxSettings(sandbox.url), 'clinicalCoder.downloads.folder': folder },
    });
    await wb.runCommand('Clinical Coder: Sign In to IMO');
    await wb.fillInputBox(sandbox.credentials.IMO_CLIENT_ID, { prompt: /Client ID/ });
    await wb.fillInputBox(sandbox.credentials.IMO_CLIENT_SECRET, { password: true, prompt: /Client secret/ });
    await wb.waitForNotification('Signed in to IMO (local).');
  });

  after(async () => {
    await wb?.close();
    await sandbox?.close();
    if (folder) fs.rmSync(folder, { recursive: true, force: true });
  });

  it('clicks through Products → Sub-products → Versions → Files', async () => {
    const sidebar = await wb.openView('Clinical Coder');
    releases = sidebar.locator('.pane', { has: wb.page.locator('.pane-header', { hasText: 'Releases' }) });
    for (const label of ['ICD-10-PCS', 'ICD-10-PCS Order Files', 'FY2026 (October 2025)']) {
      await row(releases, label).click();
    }
    const file = row(releases, FILE);
    await file.waitFor();
    assert.match(await file.innerText(), /MB/);
    await wb.screenshot('releases-1-tree');
  });

  it('downloads the file with progress, then a completion notification', async () => {
    // slow this one transfer so that the progress can be seen (and photographed)
    sandbox.download.addFault({ type: 'throttle', file: FILE, bytesPerSecond: 2_500_000, times: 1 });
    await row(releases, FILE).click(); // a file's click runs Download
    const choice = wb.page.locator('.quick-input-list .monaco-list-row', {
      hasText: `Download to ${folder}`,
    });
    await choice.waitFor();
    await wb.page.keyboard.press('Enter');
    const progress = wb.page.locator('.notifications-toasts .notification-list-item', {
      hasText: /Downloading FY2026 \(October 2025\)/,
    });
    await progress.filter({ hasText: /MB of \d+ MB \(\d+%\) · [\d.]+ MB\/s/ }).waitFor();
    await wb.screenshot('releases-2-progress');
    const done = await wb.waitForNotification(new RegExp(`Downloaded ${FILE} \\(\\d+ MB\\) to `));
    assert.match(await done.innerText(), new RegExp(S.icd10pcs.fy2026));
    await wb.screenshot('releases-3-done');
    const saved = path.join(folder, S.icd10pcs.product, S.icd10pcs.orderFiles, S.icd10pcs.fy2026, FILE);
    assert.strictEqual(sha256(saved), sha256(SOURCE));
  });

  it('lists the download in the Downloads view', async () => {
    const sidebar = await wb.openView('Clinical Coder');
    const downloads = sidebar.locator('.pane', {
      has: wb.page.locator('.pane-header', { hasText: 'Downloads' }),
    });
    await row(downloads, FILE).waitFor();
    assert.match(await row(downloads, FILE).innerText(), /ICD-10-PCS Order Files · FY2026/);
    await wb.screenshot('releases-4-downloads-view');
  });
});
