import * as assert from 'assert';
import * as vscode from 'vscode';
import { Commands, EXTENSION_ID } from '../../src/constants';
import { ApiError } from '../../src/core/errors';
import type { ClinicalCoderApi } from '../../src/extension';
import { apiErrorText } from '../../src/platform/commands';

// The Care (Heim) tree and its details documents in the real extension host, against the sandbox
// started by runTest (SANDBOX_URL and the sandbox's demo keys HEIM_TEST_KEY / HEIM_LIVE_KEY in the
// environment). The sandbox's test-mode data: four organisations with 45, 9, 6 and 0 patients.
const SANDBOX_URL = process.env.SANDBOX_URL ?? '';
const TEST_KEY = process.env.HEIM_TEST_KEY ?? '';
const LIVE_KEY = process.env.HEIM_LIVE_KEY ?? '';

const BIG_ORG = 'Northgate Community Health (Sandbox)';
const EMPTY_ORG = 'Meadowbank Onboarding Clinic (Sandbox)';

type Node = {
  id: string;
  parent?: Node;
  getTreeItem(): vscode.TreeItem;
  getChildren(): Promise<Node[]>;
  object?: { id: string };
};
const label = (n: Node) => String(n.getTreeItem().label);
const ctxValue = (n: Node) => n.getTreeItem().contextValue ?? '';
/** A tooltip as read: MarkdownString.appendText writes spaces as `&nbsp;` and escapes syntax. */
const tooltip = (n: Node) => {
  const t = n.getTreeItem().tooltip;
  return (typeof t === 'string' ? t : (t?.value ?? ''))
    .replace(/&nbsp;/g, ' ')
    .replace(/\\([\\`*_{}[\]()#+\-.!|<>~])/g, '$1');
};

interface SandboxTask {
  id: string;
  appointmentId: string;
  type: string;
  status: string;
  outcome: { summary: string; notes: string } | null;
  data: { code: { system: string; code: string; display: string }; value?: number; unit?: string }[];
}
interface SandboxData {
  organisations: { id: string; name: string }[];
  patients: {
    id: string;
    organisationId: string;
    givenName: string;
    familyName: string;
    nhsNumber: string;
  }[];
  appointments: { id: string; patientId: string; status: string }[];
  tasks: SandboxTask[];
}
interface HeimRequest {
  path: string;
  query: Record<string, string>;
  status: number;
}

async function sandbox<T = unknown>(method: string, p: string, body?: unknown): Promise<T> {
  const res = await fetch(`${SANDBOX_URL}${p}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : undefined,
    body: body ? JSON.stringify(body) : undefined,
  });
  assert.ok(res.ok, `${method} ${p}: ${res.status}`);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

describe('Care (Heim) tree and details', function () {
  this.timeout(60_000);
  let api: ClinicalCoderApi;
  let data: SandboxData;
  const config = () => vscode.workspace.getConfiguration('clinicalCoder');
  const tree = () => api.care.tree;
  const children = (n?: Node) =>
    (n ? n.getChildren() : (tree().getChildren() as Promise<Node[]>)) as Promise<Node[]>;
  const child = async (parent: Node | undefined, text: string | RegExp) => {
    const all = await children(parent);
    const found = all.find((c) => (typeof text === 'string' ? label(c) === text : text.test(label(c))));
    assert.ok(
      found,
      `"${String(text)}" under ${parent ? label(parent) : 'the root'}: ${all.map(label).join(', ')}`,
    );
    return found;
  };
  const setKey = async (key: string) => {
    assert.strictEqual(await vscode.commands.executeCommand(Commands.setHeimKey, key), true);
    await api.refresh();
    await vscode.commands.executeCommand(Commands.careRefresh);
  };
  /** The tree path to a task: organisation → patient → appointment → task nodes. */
  const pathTo = async (task: SandboxTask) => {
    const appointment = data.appointments.find((a) => a.id === task.appointmentId)!;
    const patient = data.patients.find((p) => p.id === appointment.patientId)!;
    const org = data.organisations.find((o) => o.id === patient.organisationId)!;
    const orgNode = await child(undefined, org.name);
    await vscode.commands.executeCommand(Commands.careLoadAll, orgNode);
    const patientNode = (await children(orgNode)).find((n) => n.object?.id === patient.id);
    assert.ok(patientNode, 'the patient is listed');
    await vscode.commands.executeCommand(Commands.careLoadAll, patientNode);
    const appointmentNode = (await children(patientNode)).find((n) => n.object?.id === appointment.id);
    assert.ok(appointmentNode, 'the appointment is listed');
    await vscode.commands.executeCommand(Commands.careLoadAll, appointmentNode);
    const taskNode = (await children(appointmentNode)).find((n) => n.object?.id === task.id);
    assert.ok(taskNode, 'the task is listed');
    return { orgNode, patientNode, appointmentNode, taskNode };
  };

  before(async () => {
    assert.ok(SANDBOX_URL, 'runTest passes SANDBOX_URL');
    assert.ok(TEST_KEY.startsWith('test_') && LIVE_KEY.startsWith('live_'), 'runTest passes the Heim keys');
    api = await vscode.extensions.getExtension<ClinicalCoderApi>(EXTENSION_ID)!.activate();
    await config().update(
      'heim.environments',
      { local: { baseUrl: SANDBOX_URL } },
      vscode.ConfigurationTarget.Global,
    );
    await config().update('heim.environment', 'local', vscode.ConfigurationTarget.Global);
    await setKey(TEST_KEY);
    data = await sandbox<SandboxData>('GET', '/__sandbox/heim/data?mode=test');
  });

  afterEach(async () => {
    await sandbox('DELETE', '/__sandbox/faults');
    await sandbox('POST', '/__sandbox/heim/options', { statuses: [], delayMs: 0 });
  });

  after(async () => {
    await config().update('heim.environments', undefined, vscode.ConfigurationTarget.Global);
    await config().update('heim.environment', undefined, vscode.ConfigurationTarget.Global);
    await config().update('heim.detailsFormat', undefined, vscode.ConfigurationTarget.Global);
  });

  it('marks TEST MODE and lists the organisations, an empty one saying so', async () => {
    assert.strictEqual(api.care.view.description, 'TEST MODE');
    assert.strictEqual(api.contextValue('clinicalCoder.heimMode'), 'test');
    const orgs = (await children()).map(label);
    assert.deepStrictEqual(
      [...orgs].sort(),
      data.organisations.map((o) => o.name).sort(),
      'every organisation of the test data',
    );
    const empty = await child(undefined, EMPTY_ORG);
    assert.deepStrictEqual((await children(empty)).map(label), ['No patients']);
  });

  it('pages the 45 patients 25 at a time: Load more, then Load all from the start', async () => {
    await sandbox('DELETE', '/__sandbox/heim/requests');
    const org = await child(undefined, BIG_ORG);
    let nodes = await children(org);
    const patients = () => nodes.filter((n) => ctxValue(n).startsWith('carePatient'));
    assert.strictEqual(patients().length, 25);
    const more = nodes.find((n) => ctxValue(n) === 'loadMore');
    assert.ok(more, 'a Load more… node');
    assert.strictEqual(more.getTreeItem().description, '20 more');
    assert.match(String(org.getTreeItem().description), /45 patients/);

    await vscode.commands.executeCommand(Commands.careLoadMore, org);
    nodes = await children(org);
    assert.strictEqual(patients().length, 45);
    assert.ok(!nodes.some((n) => ctxValue(n) === 'loadMore'), 'nothing more to load');
    // labels "Family, Given" with the date of birth
    const first = patients()[0];
    assert.match(label(first), /^[A-Z][a-z]+, [A-Z][a-z]+$/);
    assert.match(String(first.getTreeItem().description), /^DOB \d{4}-\d{2}-\d{2}$/);
    assert.match(tooltip(first), /NHS number: 999\d{7}/);

    await vscode.commands.executeCommand(Commands.careRefreshNode, org);
    assert.strictEqual((await children(org)).filter((n) => ctxValue(n).startsWith('carePatient')).length, 25);
    await vscode.commands.executeCommand(Commands.careLoadAll, org);
    nodes = await children(org);
    assert.strictEqual(patients().length, 45);
    assert.strictEqual(new Set(patients().map((n) => n.id)).size, 45, 'no patient twice');

    const orgId = data.organisations.find((o) => o.name === BIG_ORG)!.id;
    const { requests } = await sandbox<{ requests: HeimRequest[] }>('GET', '/__sandbox/heim/requests');
    const pages = requests
      .filter((r) => r.path === '/v1/patients' && r.query.organisationId === orgId)
      .map((r) => `${r.query.limit}@${r.query.offset}`);
    assert.deepStrictEqual(pages, ['25@0', '25@25', '25@0', '25@25'], 'limit/offset paging');
  });

  it('Load all stops when cancelled, keeping what was loaded and offering Load more', async () => {
    const org = (await child(undefined, BIG_ORG)) as Node & {
      loadAllPages(signal: AbortSignal): Promise<void>;
    };
    await vscode.commands.executeCommand(Commands.careRefreshNode, org);
    await children(org); // page 1
    await sandbox('POST', '/__sandbox/heim/options', { delayMs: 5000 });
    await sandbox('DELETE', '/__sandbox/heim/requests');
    const abort = new AbortController();
    const loading = org.loadAllPages(abort.signal);
    // cancel once the next page has been asked for (the sandbox holds it for 5 s)
    let asked: HeimRequest | undefined;
    for (let i = 0; i < 100 && !asked; i++) {
      const { requests } = await sandbox<{ requests: HeimRequest[] }>('GET', '/__sandbox/heim/requests');
      asked = requests.find((r) => r.path === '/v1/patients');
    }
    assert.deepStrictEqual(
      asked && [asked.query.limit, asked.query.offset],
      ['25', '25'],
      'page 2 was asked for',
    );
    const started = Date.now();
    abort.abort();
    await loading;
    assert.ok(Date.now() - started < 2000, 'the request in flight was dropped, not waited for');
    const nodes = await children(org);
    assert.strictEqual(nodes.filter((n) => ctxValue(n).startsWith('carePatient')).length, 25);
    assert.ok(!nodes.some((n) => ctxValue(n).startsWith('error')), 'a cancellation is not an error');
    assert.strictEqual(nodes.find((n) => ctxValue(n) === 'loadMore')?.getTreeItem().description, '20 more');
  });

  it('filters patients by name and by NHS number, spaced or not', async () => {
    const org = await child(undefined, BIG_ORG);
    await vscode.commands.executeCommand(Commands.careLoadAll, org);
    const orgId = data.organisations.find((o) => o.name === BIG_ORG)!.id;
    const target = data.patients.filter((p) => p.organisationId === orgId)[7];
    const spaced = `${target.nhsNumber.slice(0, 3)} ${target.nhsNumber.slice(3, 6)} ${target.nhsNumber.slice(6)}`;
    const shown = async () => (await children(org)).filter((n) => ctxValue(n).startsWith('carePatient'));

    await vscode.commands.executeCommand(Commands.careFilter, org, spaced);
    assert.deepStrictEqual(
      (await shown()).map((n) => n.object?.id),
      [target.id],
    );
    assert.match(String(org.getTreeItem().description), /filter: /);
    assert.match(ctxValue(org), /\.filtered$/);

    await vscode.commands.executeCommand(Commands.careFilter, org, target.familyName.toLowerCase());
    const byName = await shown();
    const expected = data.patients.filter(
      (p) => p.organisationId === orgId && p.familyName === target.familyName,
    );
    assert.strictEqual(byName.length, expected.length);
    assert.ok(byName.every((n) => label(n).startsWith(`${target.familyName}, `)));

    await vscode.commands.executeCommand(Commands.careFilter, org, 'Nobody Atall');
    assert.deepStrictEqual((await children(org)).map(label), ['No patients match "Nobody Atall"']);
    await vscode.commands.executeCommand(Commands.careClearFilter, org);
    assert.strictEqual((await shown()).length, 45);
  });

  it('walks a patient to appointments (window and status) and tasks (type and status), filtering tasks', async () => {
    const task = data.tasks.find((t) => t.status === 'completed' && t.type === 'blood_pressure')!;
    assert.ok(task, 'the sandbox has a completed blood pressure task');
    const { appointmentNode, taskNode } = await pathTo(task);
    assert.match(label(appointmentNode), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}–\d{2}:\d{2} UTC$/);
    assert.match(
      String(appointmentNode.getTreeItem().description),
      /^(requested|booked|in_progress|completed|cancelled)$/,
    );
    assert.match(tooltip(appointmentNode), /Practitioner: /);
    assert.match(tooltip(appointmentNode), /Location: /);
    assert.strictEqual(label(taskNode), 'blood_pressure');
    assert.strictEqual(taskNode.getTreeItem().description, 'completed');
    assert.match(tooltip(taskNode), new RegExp(`Outcome: ${task.outcome!.summary}`));
    assert.match(tooltip(taskNode), /Recorded data: \d+ readings/);
    const click = taskNode.getTreeItem().command;
    assert.strictEqual(click?.command, Commands.careOpenDetails, 'a task opens on click');

    await vscode.commands.executeCommand(Commands.careFilter, appointmentNode, 'blood_press');
    const tasks = (await children(appointmentNode)).map(label);
    assert.deepStrictEqual(tasks, ['blood_pressure']);
    await vscode.commands.executeCommand(Commands.careClearFilter, appointmentNode);
  });

  it("opens a task's details on click: outcome, the data table, and hovers and validation on its codes", async () => {
    const task = data.tasks.find((t) => t.status === 'completed' && t.type === 'blood_pressure')!;
    const { taskNode } = await pathTo(task);
    const click = taskNode.getTreeItem().command!;
    const uri = await vscode.commands.executeCommand<string>(click.command, ...(click.arguments ?? []));
    assert.ok(uri, 'Open Details returns the document URI');
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
    assert.ok(doc, 'the details document is open');
    assert.strictEqual(doc.uri.scheme, 'clinical-coder-heim');
    assert.strictEqual(doc.languageId, 'markdown');
    const text = doc.getText();
    assert.match(text, /^# Task: blood_pressure$/m); // an intraword _ needs no escape
    assert.match(text, /^- \*\*Status:\*\* completed$/m);
    assert.ok(text.includes(`**Summary:** ${task.outcome!.summary}`), 'the outcome summary');
    assert.ok(text.includes('Hypertension I10 reviewed'), 'the outcome notes');
    assert.match(text, /^\| Reading \| Code \| Value \| Unit \|$/m);
    const systolic = task.data.find((r) => r.code.code === '8480-6')!;
    assert.ok(
      text.includes(`| Systolic blood pressure | LOINC 8480-6 | ${systolic.value} | mm\\[Hg\\] |`),
      'the systolic reading, code with its system, value and unit',
    );
    assert.match(text, /\| SNOMED \d+ \|/);
    assert.match(text, /^## Metadata$/m);
    assert.match(text, /\| device \| Sandbox BP-200 monitor \|/);
    assert.match(text, /Read from Heim \(test mode\)\. Read-only\./);

    // the code features apply to the details documents
    assert.ok(api.codes.applies(doc), 'hovers and diagnostics apply to the details document');
    await api.codes.service.ready();
    const at = text.indexOf('I10 reviewed');
    const hovers =
      (await vscode.commands.executeCommand<vscode.Hover[]>(
        'vscode.executeHoverProvider',
        doc.uri,
        doc.positionAt(at + 1),
      )) ?? [];
    const markdown = hovers
      .flatMap((h) => h.contents)
      .map((c) => (typeof c === 'string' ? c : c.value))
      .join('\n');
    assert.match(markdown, /Essential \\?\(primary\\?\) hypertension/, markdown);
    await api.codes.diagnostics.refresh(doc);
    // published (possibly empty) only for documents validation applies to; others are cleared
    assert.ok(api.codes.diagnostics.collection.has(doc.uri), 'validation ran on the details document');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('shows the JSON exactly as returned, and appointment and patient details list their children', async () => {
    const task = data.tasks.find((t) => t.status === 'completed' && t.type === 'blood_pressure')!;
    const jsonUri = await vscode.commands.executeCommand<string>(
      Commands.careOpenDetails,
      { kind: 'task', id: task.id },
      'json',
    );
    const jsonDoc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === jsonUri)!;
    assert.strictEqual(jsonDoc.languageId, 'json');
    assert.deepStrictEqual(JSON.parse(jsonDoc.getText()), task);
    assert.ok(jsonDoc.getText().startsWith('{\n  "id"'), 'pretty-printed');

    const appointment = data.appointments.find((a) => a.id === task.appointmentId)!;
    const tasks = data.tasks.filter((t) => t.appointmentId === appointment.id);
    const aUri = await vscode.commands.executeCommand<string>(Commands.careOpenDetails, {
      kind: 'appointment',
      id: appointment.id,
    });
    const aText = vscode.workspace.textDocuments.find((d) => d.uri.toString() === aUri)!.getText();
    assert.match(aText, new RegExp(`^## Tasks \\(${tasks.length}\\)$`, 'm'));
    assert.match(aText, /^- \*\*Location:\*\* /m);
    assert.match(aText, /^- \*\*Practitioner:\*\* /m);
    for (const t of tasks) assert.ok(aText.includes(`| ${t.type} | ${t.status} |`), t.type);

    const patient = data.patients.find((p) => p.id === appointment.patientId)!;
    const appointments = data.appointments.filter((a) => a.patientId === patient.id);
    const pUri = await vscode.commands.executeCommand<string>(Commands.careOpenDetails, {
      kind: 'patient',
      id: patient.id,
    });
    const pText = vscode.workspace.textDocuments.find((d) => d.uri.toString() === pUri)!.getText();
    assert.ok(pText.includes(`# Patient: ${patient.familyName}, ${patient.givenName}`));
    assert.ok(pText.includes(`- **NHS number:** ${patient.nhsNumber}`));
    assert.match(pText, new RegExp(`^## Appointments \\(${appointments.length}\\)$`, 'm'));
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('escapes the markdown a server sends in the details document', async () => {
    const task = data.tasks.find((t) => t.status === 'completed')!;
    const hostile = {
      ...task,
      type: '_x_ray_',
      outcome: {
        summary: '**Urgent** [click](command:workbench.action.terminal.new) <img src=x onerror=alert(1)>',
        notes: '- not a list\n1. not ordered\n# not a heading\n`code` and ![img](http://example.invalid/x)',
      },
      data: [
        {
          code: { system: 'http://loinc.org', code: '8480-6', display: 'Sys | injected | cells' },
          value: 120,
          unit: 'mm',
        },
      ],
      metadata: { 'a|b': '<b>x</b>' },
    };
    // the sandbox answers this one GET with the object above (a 200 with a raw JSON body)
    await sandbox('POST', '/__sandbox/faults', {
      type: 'malformed',
      method: 'GET',
      path: `/v1/tasks/${task.id}`,
      raw: JSON.stringify(hostile),
      times: 1,
    });
    const uri = await vscode.commands.executeCommand<string>(Commands.careOpenDetails, {
      kind: 'task',
      id: task.id,
    });
    const text = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri)!.getText();
    assert.match(text, /^# Task: \\_x_ray\\_$/m); // only the underscores at word edges
    assert.ok(
      text.includes(
        '**Summary:** \\*\\*Urgent\\*\\* \\[click\\](command:workbench.action.terminal.new) \\<img src=x onerror=alert(1)\\>',
      ),
      text,
    );
    assert.doesNotMatch(text, /(^|[^\\])\[click\]/, 'no link');
    for (const line of [
      '\\- not a list',
      '1\\. not ordered',
      '\\# not a heading',
      '\\`code\\` and \\!\\[img\\](http',
    ])
      assert.ok(text.includes(line), line);
    assert.ok(
      text.includes('| Sys \\| injected \\| cells | LOINC 8480-6 | 120 | mm |'),
      'a pipe cannot add cells',
    );
    assert.ok(text.includes('| a\\|b | \\<b\\>x\\</b\\> |'));
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('shows a failure as an error node: the envelope message, each issue with its path, Copy Trace Id, Retry', async () => {
    const org = await child(undefined, BIG_ORG);
    const traceId = 'c2c71152-73e1-45f7-a8f9-840d59336ea2';
    await sandbox('POST', '/__sandbox/faults', {
      type: 'status',
      method: 'GET',
      path: '/v1/patients',
      status: 400,
      times: 1,
      body: {
        error: {
          message: 'The parameter or request body property provided is not valid',
          traceRequestId: traceId,
          issues: [{ code: 'too_big', message: 'Number must be less than or equal to 100', path: ['limit'] }],
        },
      },
    });
    await vscode.commands.executeCommand(Commands.careRefreshNode, org);
    const nodes = await children(org);
    const error = nodes.find((n) => ctxValue(n).startsWith('error'));
    assert.ok(error, nodes.map(label).join(', '));
    assert.strictEqual(
      label(error),
      "Couldn't load patients: The parameter or request body property provided is not valid",
    );
    assert.strictEqual(error.getTreeItem().description, 'limit: Number must be less than or equal to 100');
    assert.match(tooltip(error), /Issue: limit: Number must be less than or equal to 100/);
    assert.match(tooltip(error), new RegExp(`Trace id: ${traceId}`));
    assert.strictEqual(ctxValue(error), 'error.trace');
    assert.strictEqual(await vscode.commands.executeCommand(Commands.careCopyTraceId, error), traceId);
    assert.strictEqual(await vscode.env.clipboard.readText(), traceId);

    const retry = error.getTreeItem().command!;
    assert.strictEqual(retry.command, Commands.careRetry);
    await vscode.commands.executeCommand(retry.command, ...(retry.arguments ?? []));
    assert.strictEqual((await children(org)).filter((n) => ctxValue(n).startsWith('carePatient')).length, 25);
  });

  it("a command's failure message lists each issue with its path", () => {
    const text = apiErrorText(
      new ApiError({
        kind: 'badRequest',
        service: 'Heim',
        status: 400,
        message: 'Heim answered 400 (request rejected) for GET /v1/patients',
        serverMessage: 'The parameter or request body property provided is not valid',
        traceId: 'c2c71152',
        issues: [
          { code: 'too_big', message: 'Number must be less than or equal to 100', path: ['limit'] },
          { code: 'invalid_type', message: 'Required', path: ['organisationId'] },
        ],
      }),
    );
    assert.strictEqual(
      text,
      'Heim answered 400 (request rejected) for GET /v1/patients The server said: "The parameter or request body property provided is not valid". limit: Number must be less than or equal to 100; organisationId: Required.',
    );
  });

  it('a failed request (402) is an error node with the envelope message and its trace id', async () => {
    const org = await child(undefined, EMPTY_ORG);
    await sandbox('POST', '/__sandbox/heim/options', { statuses: [402] });
    await vscode.commands.executeCommand(Commands.careRefreshNode, org);
    const [error] = await children(org);
    assert.strictEqual(
      label(error),
      "Couldn't load patients: The parameters were valid but the request failed",
    );
    assert.strictEqual(ctxValue(error), 'error.trace');
    assert.match(tooltip(error), /Trace id: [0-9a-f-]{36}/);
  });

  it('an unknown key is an error node that leads to Set Heim API Key', async () => {
    await setKey('test_notAKnownSandboxKey123');
    const [error] = await children();
    assert.ok(error, 'an error node');
    assert.match(label(error), /^Couldn't load organisations: Invalid API key provided$/);
    assert.strictEqual(ctxValue(error), 'error.trace.auth');
    assert.strictEqual(error.getTreeItem().command?.command, Commands.setHeimKey);
    await setKey(TEST_KEY);
    assert.ok(
      (await children()).some((n) => label(n) === BIG_ORG),
      'the test key works again',
    );
  });

  it('marks a live key LIVE in the view and the status bar, and shows the live data', async () => {
    await setKey(LIVE_KEY);
    try {
      assert.strictEqual(api.care.view.description, 'LIVE');
      assert.match(api.care.view.message ?? '', /LIVE/);
      assert.match(api.statusBarText(), /Heim: LIVE/);
      const live = await sandbox<SandboxData>('GET', '/__sandbox/heim/data?mode=live');
      assert.deepStrictEqual(
        (await children()).map(label).sort(),
        live.organisations.map((o) => o.name).sort(),
      );
    } finally {
      await setKey(TEST_KEY);
    }
    assert.strictEqual(api.care.view.description, 'TEST MODE');
    assert.doesNotMatch(api.statusBarText(), /LIVE/);
  });
});
