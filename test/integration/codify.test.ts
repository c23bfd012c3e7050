/**
 * The Codify panel's host in the real extension host, against the sandbox started by runTest
 * (SANDBOX_URL, and the sandbox's Codify demo token as CODIFY_TOKEN in the environment).
 *
 * The webview's side is played by the test through the extension's test handle (`api.codify`,
 * CLINICAL_CODER_TEST_HOOKS=1): `postFromWebview` feeds a message to the host's handler as if the
 * webview had posted it, `nextSent` / `lastSent` show what the host posted back. The real webview
 * (dist/webview.js) may load too and say `ready`; nothing here depends on it.
 *
 * What reached Codify is read back from the sandbox's records (`/__sandbox/codify/requests`:
 * audit headers, model, the note's length, whether the client went away), never from the panel.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { Commands, EXTENSION_ID } from '../../src/constants';
import type { CodifyApi } from '../../src/codify/register';
import type { ClinicalCoderApi } from '../../src/extension';
import type { HostMessage } from '../../src/shared/codifyProtocol';

const SANDBOX_URL = process.env.SANDBOX_URL ?? '';
const CODIFY_TOKEN = process.env.CODIFY_TOKEN ?? '';
const NOTE = 'Patient with type 2 diabetes and hypertension, seen for follow-up.';

const config = () => vscode.workspace.getConfiguration('clinicalCoder');

/** One request as the sandbox recorded it (never the note's text). */
interface CodifyRecord {
  seq: number;
  doctor?: string;
  patient?: string;
  model?: string;
  noteLength: number;
  userAgent?: string;
  contentType?: string;
  bodyFields: string[];
  authorization: boolean;
  status: number;
  aborted: boolean;
  settled: boolean;
}

async function sandbox<T = unknown>(method: string, p: string, body?: unknown): Promise<T> {
  const res = await fetch(`${SANDBOX_URL}${p}`, {
    method,
    headers: body === undefined ? undefined : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.ok(res.ok, `${method} ${p}: ${res.status}`);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

const codifyOptions = (o: Record<string, unknown>) => sandbox('POST', '/__sandbox/codify/options', o);
const records = async () =>
  (await sandbox<{ requests: CodifyRecord[] }>('GET', '/__sandbox/codify/requests')).requests;
/** The sequence number the sandbox gives the next request. */
const nextSeq = async () => Math.max(0, ...(await records()).map((r) => r.seq)) + 1;
/** Waits (long poll, no sleeps) until request `seq` has arrived or is settled. */
const record = (seq: number, until: 'received' | 'settled') =>
  sandbox<CodifyRecord>('GET', `/__sandbox/codify/requests/${seq}?until=${until}&timeoutMs=15000`);

describe('Codify panel in the real extension host', function () {
  this.timeout(60_000);
  let api: ClinicalCoderApi;
  let codify: CodifyApi;
  let tmp: string;
  let noteFile: string;

  /** Messages the host posted since `from` (an index into lastSent()). */
  const since = (from: number): HostMessage[] => codify.lastSent().slice(from);
  const types = (ms: HostMessage[]) => ms.map((m) => m.type);

  /** Posts a submit and resolves with the outcome message (result, error or cancelled). */
  async function submit(
    message: Record<string, unknown>,
  ): Promise<Extract<HostMessage, { type: 'result' | 'error' | 'cancelled' }>> {
    const from = codify.lastSent().length;
    codify.postFromWebview({ type: 'submit', ...message });
    await codify.whenIdle();
    const outcome = since(from).find(
      (m): m is Extract<HostMessage, { type: 'result' | 'error' | 'cancelled' }> =>
        m.type === 'result' || m.type === 'error' || m.type === 'cancelled',
    );
    assert.ok(outcome, `an outcome was posted: ${types(since(from)).join(', ')}`);
    return outcome;
  }

  async function openNoteEditor(): Promise<vscode.TextEditor> {
    const doc = await vscode.workspace.openTextDocument(noteFile);
    const editor = await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One });
    return editor;
  }

  before(async () => {
    assert.ok(SANDBOX_URL, 'runTest passes SANDBOX_URL');
    assert.ok(CODIFY_TOKEN, 'runTest passes the sandbox Codify token (CODIFY_TOKEN)');
    api = await vscode.extensions.getExtension<ClinicalCoderApi>(EXTENSION_ID)!.activate();
    assert.ok(api.testHooks, 'CLINICAL_CODER_TEST_HOOKS=1 is set by runTest');
    codify = api.codify;
    await config().update(
      'codify.environments',
      {
        local: { baseUrl: SANDBOX_URL },
        'local-no-token': { baseUrl: SANDBOX_URL },
        'local-no-url': { baseUrl: '' },
      },
      vscode.ConfigurationTarget.Global,
    );
    await vscode.commands.executeCommand(Commands.switchEnvironment, 'codify', 'local');
    assert.strictEqual(await vscode.commands.executeCommand(Commands.setCodifyToken, CODIFY_TOKEN), true);
    await codifyOptions({ delayMs: 0, statuses: [], answer: 'matched' });
    // the code index is loaded before the first answer is enriched
    await api.codes.service.ready();

    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'codify-it-'));
    noteFile = path.join(tmp, 'note.txt');
    fs.writeFileSync(noteFile, `${NOTE}\nCodes: \n`);
  });

  after(async () => {
    codify.close();
    await codifyOptions({ delayMs: 0, statuses: [], answer: 'matched' });
    await vscode.commands.executeCommand('workbench.action.files.revert').then(undefined, () => undefined);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const key of [
      'codify.environments',
      'codify.environment',
      'codify.maxNoteLength',
      'codify.doctorId',
    ])
      await config().update(key, undefined, vscode.ConfigurationTarget.Global);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('Codify Selection opens one panel beside the editor, with the selection as the note', async () => {
    const editor = await openNoteEditor();
    editor.selection = new vscode.Selection(0, 0, 0, NOTE.length);
    await vscode.commands.executeCommand(Commands.codifySelection);
    assert.strictEqual(codify.panel.open, true);
    assert.strictEqual(codify.panel.target, 'note.txt');

    // the ready handshake (the real webview may have said it already and taken the note: either way
    // one init since the panel opened carries it)
    codify.postFromWebview({ type: 'ready' });
    await codify.whenIdle();
    const inits = codify.lastSent().filter((m) => m.type === 'init');
    const init = inits.find((m) => m.note !== undefined);
    assert.ok(init, 'an init carried the selection');
    assert.strictEqual(init.note, NOTE);
    assert.strictEqual(init.target, 'note.txt');
    assert.strictEqual(init.noteLimit, 100_000);
    assert.strictEqual(init.defaultModel, 'balanced');
    assert.deepStrictEqual(init.environment, {
      name: 'local',
      production: false,
      configured: true,
      hasToken: true,
    });

    // again: the same panel is shown, not a second one. The tab model reaches the extension host
    // after the panel is created, so wait for the tab events rather than reading it at once.
    await vscode.commands.executeCommand(Commands.codifyNote);
    const codifyTabs = (): vscode.Tab[] =>
      vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .filter(
          (t) =>
            t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('clinicalCoder.codify'),
        );
    await tabsSettle(() => codifyTabs().length >= 1);
    assert.strictEqual(codifyTabs().length, 1);
  });

  it('submits the note with the audit headers and answers with enriched assessments', async () => {
    const seq = await nextSeq();
    const from = codify.lastSent().length;
    const outcome = await submit({ note: NOTE, model: 'balanced', doctorId: 'dr_123', patientId: 'pt_456' });
    assert.strictEqual(outcome.type, 'result', JSON.stringify(outcome));
    assert.deepStrictEqual(
      outcome.assessments.map((a) => [a.code, a.index.status, a.index.system, a.index.disagreement]),
      [
        ['E11.9', 'valid', 'ICD-10-CM', undefined],
        ['I10', 'valid', 'ICD-10-CM', undefined],
      ],
    );
    assert.strictEqual(outcome.assessments[0]!.index.title, 'Type 2 diabetes mellitus without complications');
    assert.strictEqual(outcome.assessments[0]!.index.release, 'ICD-10-CM FY2026');
    assert.ok(outcome.extraFields.includes('confidence') && outcome.extraFields.includes('code_system'));
    assert.strictEqual(outcome.assessments[1]!.extra.evidence, 'hypertension');
    assert.ok(outcome.requestIds.length >= 1, 'the request id is shown');
    assert.strictEqual(outcome.answerFields.model, 'balanced');
    // busy, then the result, then not busy
    const posted = since(from);
    const busyOn = posted.findIndex((m) => m.type === 'busy' && m.busy);
    const result = posted.findIndex((m) => m.type === 'result');
    const busyOff = posted.findIndex((m) => m.type === 'busy' && !m.busy);
    assert.ok(busyOn >= 0 && busyOn < result && result < busyOff, types(posted).join(', '));

    const r = await record(seq, 'settled');
    assert.deepStrictEqual(
      [r.status, r.doctor, r.patient, r.model, r.noteLength, r.authorization],
      [200, 'dr_123', 'pt_456', 'balanced', NOTE.length, true],
    );
    assert.deepStrictEqual(
      r.bodyFields,
      ['medical_note', 'model'],
      'ids travel in headers, never in the body',
    );
    assert.match(r.userAgent ?? '', /^clinical-coder\//);
    assert.match(r.contentType ?? '', /^application\/json/);
    assert.strictEqual(config().get('codify.doctorId'), '', 'the doctor id is not remembered unless asked');
  });

  it('flags the codes the index disagrees with', async () => {
    await codifyOptions({ answer: 'unknownCodes' });
    try {
      const outcome = await submit({ note: NOTE });
      assert.strictEqual(outcome.type, 'result');
      const byCode = new Map(outcome.assessments.map((a) => [a.code, a.index]));
      assert.strictEqual(byCode.get('Z99.999')?.status, 'unknown');
      assert.match(byCode.get('Z99.999')?.disagreement ?? '', /not in ICD-10-CM FY2026/);
      assert.strictEqual(byCode.get('E11.6')?.status, 'header');
      assert.deepStrictEqual(byCode.get('E78.01')?.successors, ['E78.010', 'E78.011', 'E78.019']);
      assert.strictEqual(byCode.get('E1165')?.display, 'E11.65');
      assert.strictEqual(byCode.get('E1165')?.disagreement, undefined);
    } finally {
      await codifyOptions({ answer: 'matched' });
    }
  });

  it('remembers the doctor id only when asked, and never the patient id', async () => {
    const outcome = await submit({
      note: NOTE,
      doctorId: 'dr_789',
      patientId: 'pt_999',
      rememberDoctor: true,
    });
    assert.strictEqual(outcome.type, 'result');
    assert.strictEqual(config().get('codify.doctorId'), 'dr_789');
    assert.ok(!JSON.stringify(config().get('codify')).includes('pt_999'));
    await config().update('codify.doctorId', undefined, vscode.ConfigurationTarget.Global);
  });

  it('refuses an empty or over-long note without any request', async () => {
    const before = (await records()).length;
    const empty = await submit({ note: '  \n ' });
    assert.deepStrictEqual([empty.type, empty.type === 'error' && empty.kind], ['error', 'emptyNote']);
    const long = await submit({ note: 'x'.repeat(200 * 1024) });
    assert.deepStrictEqual([long.type, long.type === 'error' && long.kind], ['error', 'noteTooLong']);
    await config().update('codify.maxNoteLength', 10, vscode.ConfigurationTarget.Global);
    try {
      const short = await submit({ note: 'eleven char' });
      assert.strictEqual(short.type === 'error' && short.kind, 'noteTooLong');
    } finally {
      await config().update('codify.maxNoteLength', undefined, vscode.ConfigurationTarget.Global);
    }
    assert.strictEqual((await records()).length, before, 'nothing reached Codify');
  });

  it('a wrong token: 401 → unauthorized, with Set Token; the environment message follows the token', async () => {
    if (!codify.panel.ready) {
      codify.postFromWebview({ type: 'ready' });
      await codify.whenIdle();
    }
    const changed = codify.nextSent('environment');
    assert.strictEqual(await vscode.commands.executeCommand(Commands.setCodifyToken, 'wrong-token'), true);
    assert.strictEqual((await changed).environment.hasToken, true);
    try {
      const outcome = await submit({ note: NOTE });
      assert.strictEqual(outcome.type, 'error');
      assert.strictEqual(outcome.type === 'error' && outcome.kind, 'unauthorized');
      assert.strictEqual(outcome.type === 'error' && outcome.fix, 'setToken');
      assert.ok(outcome.type === 'error' && !outcome.message.includes('wrong-token'), 'never the token');
    } finally {
      await vscode.commands.executeCommand(Commands.setCodifyToken, CODIFY_TOKEN);
    }
  });

  it('no token or no URL: refused with the fix, before any request', async () => {
    const before = (await records()).length;
    try {
      await vscode.commands.executeCommand(Commands.switchEnvironment, 'codify', 'local-no-token');
      const noToken = await submit({ note: NOTE });
      assert.deepStrictEqual(noToken.type === 'error' && [noToken.kind, noToken.fix], [
        'missingToken',
        'setToken',
      ]);
      await vscode.commands.executeCommand(Commands.switchEnvironment, 'codify', 'local-no-url');
      const noUrl = await submit({ note: NOTE });
      assert.deepStrictEqual(noUrl.type === 'error' && [noUrl.kind, noUrl.fix], ['missingUrl', 'setUrl']);
    } finally {
      await vscode.commands.executeCommand(Commands.switchEnvironment, 'codify', 'local');
    }
    assert.strictEqual((await records()).length, before);
  });

  it('a 400 shows the server message; 503 three times then success is retried', async () => {
    const bad = await submit({ note: NOTE, model: 'no-such-model' });
    assert.strictEqual(bad.type === 'error' && bad.kind, 'badRequest');
    assert.match(bad.type === 'error' ? bad.message : '', /unknown model 'no-such-model'/);

    await codifyOptions({ statuses: [503, 503, 503] });
    const retried = await submit({ note: NOTE });
    assert.strictEqual(retried.type, 'result', 'the fourth attempt succeeds (3 retries, 1 s, 2 s, 4 s)');
  });

  it('Cancel mid-request aborts it: cancelled, and the sandbox saw the client go away', async () => {
    await codifyOptions({ delayMs: 20_000 });
    try {
      const seq = await nextSeq();
      const from = codify.lastSent().length;
      const busy = codify.nextSent('busy');
      codify.postFromWebview({ type: 'submit', note: NOTE });
      assert.strictEqual((await busy).busy, true);
      await record(seq, 'received');
      assert.strictEqual(codify.panel.busy, true);
      const cancelled = codify.nextSent('cancelled');
      codify.postFromWebview({ type: 'cancel' });
      await cancelled;
      await codify.whenIdle();
      const r = await record(seq, 'settled');
      assert.deepStrictEqual([r.aborted, r.status], [true, 0]);
      assert.ok(!types(since(from)).includes('error'), 'no error for a cancel');
      assert.strictEqual(codify.panel.busy, false);
    } finally {
      await codifyOptions({ delayMs: 0 });
    }
  });

  it('closing the panel mid-request aborts the request and posts nothing', async () => {
    await codifyOptions({ delayMs: 20_000 });
    try {
      const seq = await nextSeq();
      codify.postFromWebview({ type: 'submit', note: NOTE });
      await record(seq, 'received');
      const from = codify.lastSent().length;
      codify.close();
      const r = await record(seq, 'settled');
      assert.strictEqual(r.aborted, true, 'no orphaned request');
      await codify.whenIdle();
      assert.deepStrictEqual(since(from), [], 'nothing is posted to a closed panel');
      assert.deepStrictEqual([codify.panel.open, codify.panel.busy], [false, false]);
    } finally {
      await codifyOptions({ delayMs: 0 });
    }
  });

  it('drops messages of an unknown type or shape, without any request', async () => {
    await openNoteEditor();
    await vscode.commands.executeCommand(Commands.codifyNote);
    await codify.whenIdle();
    const before = (await records()).length;
    const from = codify.lastSent().length;
    for (const raw of [
      { type: 'evaluate', code: 'process.exit()' },
      { type: 'submit', note: 42 },
      { type: 'action', action: 'delete', codes: [] },
      'submit',
      null,
    ]) {
      codify.postFromWebview(raw);
    }
    await codify.whenIdle();
    // nothing answers them (the real webview may say `ready` meanwhile: its init is not an answer)
    assert.deepStrictEqual(
      types(since(from)).filter((t) => t !== 'init' && t !== 'environment'),
      [],
    );
    assert.strictEqual((await records()).length, before);
  });

  it('Insert puts the codes in the editor the panel was opened from, reopening it when closed', async () => {
    const editor = await openNoteEditor();
    const doc = editor.document;
    const end = doc.lineAt(1).range.end;
    editor.selection = new vscode.Selection(end, end);
    await vscode.commands.executeCommand(Commands.codifyNote, NOTE);
    const outcome = await submit({ note: NOTE });
    assert.strictEqual(outcome.type, 'result');

    const notice = codify.nextSent('notice');
    codify.postFromWebview({ type: 'action', action: 'insert', codes: [], as: 'code', layout: 'inline' });
    assert.match((await notice).message, /^Inserted 2 codes into note\.txt/);
    assert.strictEqual(doc.lineAt(1).text, 'Codes: E11.9, I10');

    // closed: the document is opened again and the codes go in as a list
    await doc.save();
    const tab = vscode.window.tabGroups.all
      .flatMap((g) => g.tabs)
      .find((t) => t.input instanceof vscode.TabInputText && t.input.uri.fsPath === doc.uri.fsPath);
    assert.ok(tab);
    await vscode.window.tabGroups.close(tab);
    const again = codify.nextSent('notice');
    codify.postFromWebview({
      type: 'action',
      action: 'insert',
      codes: ['I10'],
      as: 'codeDescription',
      layout: 'list',
    });
    assert.match((await again).message, /^Inserted I10 into note\.txt/);
    const reopened = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === doc.uri.fsPath);
    assert.ok(reopened);
    assert.ok(reopened.getText().includes('I10 — Essential (primary) hypertension\n'), reopened.getText());
    await reopened.save();
  });

  it('Copy puts the codes on the clipboard, one per line', async () => {
    await vscode.env.clipboard.writeText('');
    const notice = codify.nextSent('notice');
    codify.postFromWebview({ type: 'action', action: 'copy', codes: [], as: 'code' });
    await notice;
    assert.strictEqual(await vscode.env.clipboard.readText(), 'E11.9\nI10');
  });
});

/** Resolves once `done()` holds, re-checked on every tab change (fails after 10 s). */
function tabsSettle(done: () => boolean): Promise<void> {
  if (done()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error('the panel tab did not appear within 10 s'));
    }, 10_000);
    const sub = vscode.window.tabGroups.onDidChangeTabs(() => {
      if (!done()) return;
      clearTimeout(timer);
      sub.dispose();
      resolve();
    });
  });
}
