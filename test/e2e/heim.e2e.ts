/**
 * A coder reads a care task's outcome as source documentation: sets the sandbox's Heim test key from
 * the palette, opens the Care (Heim) view (marked TEST MODE), expands an organisation → patient →
 * appointment, clicks a completed blood pressure task and reads its details document (outcome, the
 * recorded readings as a table), then hovers the ICD-10-CM code in the outcome notes.
 * Screenshots: test-results/screenshots/heim-{tree,task-details,task-hover}.png.
 */
import * as assert from 'assert';
import type { Locator } from 'playwright-core';
import { startSandbox, type Sandbox } from '../../sandbox/server';
import { Workbench, sandboxSettings } from './workbench';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The tree label of an appointment window, as the extension writes it (UTC, same day). */
function windowLabel(start: string, end: string): string {
  const [d, t1] = [start.slice(0, 10), start.slice(11, 16)];
  return `${d} ${t1}–${end.slice(11, 16)} UTC`;
}

describe('a coder opens a care task from the Care (Heim) view', () => {
  let sandbox: Sandbox;
  let wb: Workbench;
  let care: Locator;
  let path: { org: string; patient: string; dob: string; window: string; taskId: string; notesCode: string };

  /** A row of the Care view whose label is exactly `label` (and whose description matches `description`). */
  const row = (label: string, description?: string) =>
    care.locator('.monaco-list-row', {
      has: wb.page.locator('.label-name', { hasText: new RegExp(`^${escape(label)}$`) }),
      ...(description ? { hasText: description } : {}),
    });

  before(async () => {
    sandbox = await startSandbox({ quiet: true });
    // a completed blood pressure task (with I10 in its notes) near the top of a small organisation,
    // so every row on the way stays on screen (the tree renders only the rows in view)
    const data = sandbox.heim.data('test');
    const rank = new Map<string, number>(); // patient id → organisation size × 100 + place in its list
    for (const o of data.organisations) {
      const patients = data.patients.filter((p) => p.organisationId === o.id).reverse(); // newest first
      patients.forEach((p, i) => rank.set(p.id, patients.length * 100 + i));
    }
    const patientOf = (t: (typeof data.tasks)[number]) =>
      data.appointments.find((a) => a.id === t.appointmentId)!.patientId;
    const task = data.tasks
      .filter(
        (t) =>
          t.type === 'blood_pressure' && t.status === 'completed' && /\bI10\b/.test(t.outcome?.notes ?? ''),
      )
      .sort((a, b) => rank.get(patientOf(a))! - rank.get(patientOf(b))!)[0];
    assert.ok(task, 'the sandbox has a completed blood pressure task');
    const appointment = data.appointments.find((a) => a.id === task.appointmentId)!;
    const patient = data.patients.find((p) => p.id === appointment.patientId)!;
    path = {
      org: data.organisations.find((o) => o.id === patient.organisationId)!.name,
      patient: `${patient.familyName}, ${patient.givenName}`,
      dob: patient.dateOfBirth,
      window: windowLabel(appointment.windowStart, appointment.windowEnd),
      taskId: task.id,
      notesCode: 'I10',
    };
    wb = await Workbench.open({
      workspace: 'test/fixtures/workspace',
      settings: sandboxSettings(sandbox.url),
    });
    await wb.runCommand('Clinical Coder: Set Heim API Key');
    await wb.fillInputBox(sandbox.heim.credentials.test, { password: true, prompt: /Heim API key/ });
    await wb.waitForNotification('Heim API key saved for local: test mode.');
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && wb) {
      const shot = await wb.screenshot(`heim-failed-${this.currentTest.title.slice(0, 30)}`);
      console.log(`    screenshot: ${shot}; log: ${wb.logFile}`);
    }
  });

  after(async () => {
    await wb?.close();
    await sandbox?.close();
  });

  it('opens the Care (Heim) view in TEST MODE and expands organisation → patient → appointment', async () => {
    const sidebar = await wb.openView('Clinical Coder');
    care = sidebar.locator('.pane', { has: wb.page.locator('.pane-header', { hasText: /^Care \(Heim\)/i }) });
    // room for the Care view: the other views of the container collapsed, it expanded
    for (const [view, expanded] of [
      ['Releases', false],
      ['Downloads', false],
      ['Crosswalks', false],
      ['Care \\(Heim\\)', true],
    ] as const) {
      const header = sidebar.locator('.pane-header', { hasText: new RegExp(`^${view}`, 'i') });
      if (((await header.getAttribute('aria-expanded')) === 'true') !== expanded) await header.click();
    }
    await care.locator('.pane-header', { hasText: 'TEST MODE' }).waitFor();

    await wb.runCommand('Notifications: Clear All Notifications');
    const org = row(path.org);
    await org.click();
    const patient = row(path.patient, `DOB ${path.dob}`);
    await patient.waitFor();
    await patient.click();
    const appointment = row(path.window);
    await appointment.waitFor();
    assert.match(await appointment.innerText(), /completed/);
    await appointment.click();
    const task = row('blood_pressure', 'completed');
    await task.waitFor();
    await wb.page.mouse.move(900, 500); // no hover tooltip in the picture
    await wb.screenshot('heim-tree.png');
  });

  it('clicks the task and reads its details: outcome and the recorded readings', async () => {
    await row('blood_pressure', 'completed').click();
    await wb.page.locator('.tab.active', { hasText: 'task.md' }).waitFor();
    const editor = wb.page.locator('.editor-instance .monaco-editor .view-lines');
    await editor.filter({ hasText: 'Task: blood' }).waitFor();
    const text = (await editor.innerText()).replace(/\u00a0/g, ' ');
    assert.match(text, /## Outcome/);
    assert.match(text, /Summary:\*\* Blood pressure (above|within) target/);
    assert.match(text, /\| Reading \| Code \| Value \| Unit \|/);
    assert.match(text, /\| Systolic blood pressure \| LOINC 8480-6 \| \d+ \| mm\\\[Hg\\\] \|/);
    // the markdown grammar (colours) comes with the extensions the document activates
    await wb.statusBarItem(/Activating Extensions/).waitFor({ state: 'hidden' });
    await wb.page.mouse.move(900, 700);
    await wb.screenshot('heim-task-details.png');
  });

  it('hovers the ICD-10-CM code in the outcome notes', async () => {
    const hover = await wb.hover(path.notesCode, 'Essential (primary) hypertension', 10);
    const text = await hover.innerText();
    assert.match(text, /I10/);
    assert.match(text, /ICD-10-CM/);
    await wb.screenshot('heim-task-hover.png');
    await wb.page.keyboard.press('Escape');
  });
});
