/**
 * A coder codifies a note: sets the sandbox's Codify development token from the palette, opens a
 * plain text file and puts the cursor at the end of its "Visit codes:" line, runs "Codify Note", types
 * the note (and audit ids) into the panel's webview, sees the development warning, submits, waits
 * through the elapsed-time indicator for the results table, clicks E11.9's Insert and finds the code
 * in the editor the panel was opened from.
 * Screenshots: test-results/screenshots/codify-{form,results,inserted}.png.
 */
import * as assert from 'assert';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { FrameLocator, Locator } from 'playwright-core';
import { startSandbox, type Sandbox } from '../../sandbox/server';
import { Workbench, sandboxSettings } from './workbench';

const FILE = 'note-target.txt';
const LINE = 'Visit codes: ';
const NOTE =
  'Follow-up for type 2 diabetes mellitus without complications and essential (primary) hypertension. ' +
  'Patient reports good adherence to metformin and lisinopril, feels well. ' +
  'Plan: continue current medications, HbA1c in three months.';
// test identifiers, not a real doctor or patient
const DOCTOR = 'DR-E2E-0001';
const PATIENT = 'PT-E2E-0001';

describe('a coder codifies a note in the panel and inserts a code into the editor', () => {
  let sandbox: Sandbox;
  let wb: Workbench;
  let workspace: string;
  let panel: FrameLocator;

  /** The first text editor's rendered lines (the webview is not a Monaco editor). */
  const editorLines = (): Locator =>
    wb.page.locator('.part.editor .editor-instance .monaco-editor .view-lines').first();
  /** Scrolls the panel so its status line, the results' toolbar and the table are in view. */
  const scrollToStatus = () =>
    panel
      .locator('#status')
      .evaluate((e: { scrollIntoView(o: { block: 'start' }): void }) => e.scrollIntoView({ block: 'start' }));
  const text = async (l: Locator) => (await l.innerText()).replace(/\u00a0/g, ' ');

  before(async () => {
    sandbox = await startSandbox({ quiet: true });
    // answers after a moment, so the elapsed-time indicator is seen
    sandbox.codify.configure({ delayMs: 1500 });
    // a workspace of its own: the note's target file is edited (and auto-saved)
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-e2e-codify-'));
    fs.writeFileSync(path.join(workspace, FILE), `Follow-up visit, 2026-11-22\n${LINE}`);
    wb = await Workbench.open({
      workspace,
      // explicit (VS Code for the Web's default): the inserted code also reaches the file on disk
      settings: { ...sandboxSettings(sandbox.url), 'files.autoSave': 'afterDelay' },
      // room for the editor and the panel beside it, with the table's columns readable
      viewport: { width: 1920, height: 1080 },
    });
    await wb.runCommand('Clinical Coder: Set Codify Token');
    await wb.fillInputBox(sandbox.codify.credentials.development, {
      password: true,
      prompt: /Bearer token for the Codify local environment/,
    });
    await wb.waitForNotification('Codify token saved for local.');
    await wb.runCommand('Notifications: Clear All Notifications');
    await wb.runCommand('View: Close Primary Side Bar');
    await wb.page.locator('.part.sidebar').waitFor({ state: 'hidden' });
    // the codes the sandbox finds in the note: exactly the two the coder expects
    assert.deepStrictEqual(
      (await sandbox.codify.match(NOTE)).map((a) => a.code),
      ['E11.9', 'I10'],
    );
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && wb) {
      const shot = await wb.screenshot(`codify-failed-${this.currentTest.title.slice(0, 30)}`);
      console.log(`    screenshot: ${shot}; log: ${wb.logFile}`);
    }
  });

  after(async () => {
    await wb?.close();
    await sandbox?.close();
    if (workspace) fs.rmSync(workspace, { recursive: true, force: true });
  });

  it('opens the panel beside the editor and types the note under the development warning', async () => {
    await wb.openFile(FILE);
    await editorLines().filter({ hasText: 'Visit codes:' }).waitFor();
    await wb.page.keyboard.press('Control+End'); // the cursor after "Visit codes: "
    await wb.runCommand('Clinical Coder: Codify Note');

    // the webview: outer iframe.webview (host page) > inner #active-frame (the panel's HTML)
    await wb.page.locator('.tab.active', { hasText: 'Codify' }).waitFor();
    panel = wb.page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
    const environment = panel.locator('#environment');
    await environment.filter({ hasText: 'local' }).waitFor();
    assert.match(await environment.innerText(), /Environment: local development/);
    const warning = panel.locator('#dev-warning');
    await warning.waitFor({ state: 'visible' });
    assert.match(await warning.innerText(), /do not send real patient data/);
    assert.strictEqual(await panel.locator('#setup-notice').isVisible(), false, 'URL and token are set');
    assert.strictEqual(await panel.locator('#model').inputValue(), 'balanced');

    const note = panel.locator('#note');
    await note.click();
    await note.pressSequentially(NOTE);
    assert.strictEqual(await note.inputValue(), NOTE);
    assert.strictEqual(await panel.locator('#count').innerText(), `${NOTE.length} / 100,000 characters`);
    await panel.locator('#doctor').fill(DOCTOR);
    await panel.locator('#patient').fill(PATIENT);
    // the panel opened beside the editor: the note's file is still shown in the first group
    assert.match(await text(editorLines()), /Visit codes:/);
    await wb.page.mouse.move(5, 700); // no hover tooltip in the picture
    await wb.screenshot('codify-form.png');
  });

  it('submits, waits with the elapsed time showing and sees E11.9 and I10 in the results table', async () => {
    const submit = panel.locator('#submit');
    assert.strictEqual(await submit.getAttribute('aria-disabled'), 'false');
    await submit.click();
    const elapsed = panel.locator('#elapsed');
    await elapsed.filter({ hasText: /Waiting for Codify… \d+:\d\d/ }).waitFor({ state: 'visible' });
    assert.strictEqual(await submit.getAttribute('aria-disabled'), 'true', 'Submit is off while waiting');
    assert.strictEqual(await panel.locator('#cancel').getAttribute('aria-disabled'), 'false');

    const row = panel.locator('#results tr[data-code="E11.9"]');
    await row.waitFor({ timeout: 60_000 });
    await elapsed.waitFor({ state: 'hidden' });
    assert.match(await text(row), /Type 2 diabetes mellitus without complications/);
    assert.match(await text(row), /ICD-10-CM/);
    assert.match(await text(row), /Billable/);
    const i10 = panel.locator('#results tr[data-code="I10"]');
    assert.match(await text(i10), /Essential \(primary\) hypertension/);
    assert.match(await panel.locator('#results-summary').innerText(), /^2 codes · answered in \d+:\d\d$/);
    assert.strictEqual(await panel.locator('#error').innerText(), '');
    // the note stays in the form
    assert.strictEqual(await panel.locator('#note').inputValue(), NOTE);

    // what reached the sandbox: the note intact, the model, the audit ids as headers
    const requests = sandbox.codify.requests();
    assert.strictEqual(requests.length, 1);
    const r = requests[0]!;
    assert.strictEqual(r.environment, 'development');
    assert.strictEqual(r.status, 200);
    assert.strictEqual(r.authorization, true);
    assert.strictEqual(r.noteLength, NOTE.length);
    assert.strictEqual(r.noteSha256, createHash('sha256').update(NOTE, 'utf8').digest('hex'));
    assert.strictEqual(r.model, 'balanced');
    assert.strictEqual(r.doctor, DOCTOR);
    assert.strictEqual(r.patient, PATIENT);
    assert.deepStrictEqual([...r.bodyFields].sort(), ['medical_note', 'model']);

    await scrollToStatus();
    await wb.page.mouse.move(5, 700);
    await wb.screenshot('codify-results.png');
  });

  it('inserts E11.9 from its row into the editor the panel was opened from', async () => {
    const row = panel.locator('#results tr[data-code="E11.9"]');
    await row.locator('[data-action="insert"]').click();
    await panel
      .locator('#status')
      .filter({ hasText: /Inserted E11\.9 into note-target\.txt\./ })
      .waitFor();
    const lines = editorLines();
    await lines.filter({ hasText: 'E11.9' }).waitFor();
    const inEditor = await text(lines);
    assert.match(inEditor, /Follow-up visit, 2026-11-22/);
    assert.match(inEditor, /^Visit codes: E11\.9$/m, `the code at the cursor: ${inEditor}`);
    assert.doesNotMatch(inEditor, /I10/, 'only the row that was clicked');
    // auto-saved: the code is in the file too
    const file = path.join(workspace, FILE);
    for (let i = 0; i < 50 && !fs.readFileSync(file, 'utf8').includes('E11.9'); i++)
      await new Promise((resolve) => setTimeout(resolve, 200));
    assert.strictEqual(fs.readFileSync(file, 'utf8'), `Follow-up visit, 2026-11-22\n${LINE}E11.9`);
    await scrollToStatus();
    await wb.page.mouse.move(5, 700);
    await wb.screenshot('codify-inserted.png');
  });
});
