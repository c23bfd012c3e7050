/**
 * A coder reviews a claims batch: opens claims_batch_2025Q4.csv, hovers a diagnosis code and reads
 * its ICD-10-CM title, then finds the M54.5 header-code warning in the Problems panel.
 * Screenshots: test-results/screenshots/codes-*.png.
 */
import * as assert from 'assert';
import { Workbench } from './workbench';

const FILE = 'claims_batch_2025Q4.csv';

describe('a coder reads code hovers and problems in a claims batch', () => {
  let wb: Workbench;

  before(async () => {
    // no sandbox: the code index is built from the code sets bundled in the .vsix
    wb = await Workbench.open({ workspace: 'test/fixtures/workspace' });
    await wb.openFile(FILE);
  });

  after(async () => {
    await wb?.close();
  });

  it('hovers E11.65 and reads "Type 2 diabetes mellitus with hyperglycemia"', async () => {
    // the first hover loads the code index (built from the bundled data on a fresh profile)
    const hover = await wb.hover('E11.65', 'Type 2 diabetes mellitus with hyperglycemia', 10);
    const text = await hover.innerText();
    assert.match(text, /E11\.65/);
    assert.match(text, /ICD-10-CM/);
    assert.match(text, /Type 2 diabetes mellitus with hyperglycemia/);
    // the escaped markdown reads as plain text, and the command links are there
    assert.doesNotMatch(text, /\\-/);
    assert.match(text, /Copy/);
    await wb.screenshot('codes-hover-claim-csv.png');
    await wb.page.mouse.move(5, 400);
    await wb.page.keyboard.press('Escape');
  });

  it('lists the M54.5 header-code warning in the Problems panel', async () => {
    await wb.runCommand('Focus Problems (Errors, Warnings, Infos)');
    const panel = wb.page.locator('.part.panel');
    const row = panel.locator('.monaco-list-row', { hasText: /M54\.5/ }).first();
    await row.waitFor();
    const text = await row.innerText();
    assert.match(text, /Clinical Coder/);
    assert.match(text, /header-code/);
    assert.ok(
      (await row.locator('.codicon-warning, .codicon-problems-warning-icon, .warning').count()) > 0,
      `a warning icon on: ${text}`,
    );
    await wb.page.mouse.move(640, 720); // off the tab and the rows: no tooltip in the picture
    await wb.screenshot('codes-problems-m54-5.png');
  });
});
