/**
 * The Codify panel's webview: the note form, the request's progress and errors, and the table of
 * returned codes. It talks only to its host (src/codify) through the typed protocol of
 * src/shared/codifyProtocol.ts; every host message is checked before use. It never sees a token.
 *
 * The host serves `<div id="app">` and this script (CSP: scripts by nonce, no inline handlers, no
 * connections); the DOM is built here. Text from messages is only ever set with `textContent` or
 * as attribute values (the answer comes from a server), never parsed as HTML.
 *
 * Text inputs are native (`<label for>` works for screen readers, Playwright can `fill` them, and
 * spell-check/autofill are off so no browser service sees the note or an identifier); buttons and
 * checkboxes are @vscode-elements components. The results are a native `<table>` (row headers,
 * `tr[data-code]`, dynamic columns); vscode-table is a grid of custom elements without those.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import type { VscodeButton } from '@vscode-elements/elements/dist/vscode-button/vscode-button.js';
import type { VscodeCheckbox } from '@vscode-elements/elements/dist/vscode-checkbox/vscode-checkbox.js';
import {
  DEFAULT_NOTE_LIMIT,
  parseHostMessage,
  type HostMessage,
  type PanelEnvironment,
  type WebviewMessage,
} from '../shared/codifyProtocol';
import { PANEL_CSS } from './styles';
import {
  type ActionMessage,
  type Fix,
  type InsertOptions,
  type PanelState,
  type SubmitMessage,
  FIX_LABEL,
  IDENTIFIER_MAX,
  REQUEST_ID_MAX,
  actionMessage,
  bulkLabel,
  checkNote,
  countText,
  environmentView,
  formAfterInit,
  formatElapsed,
  formatValue,
  indexCells,
  initialState,
  isActionable,
  minuteAnnouncement,
  readDraft,
  reduce,
  statusFor,
  submitMessage,
  titleHeader,
  toDraft,
  truncate,
  waitingText,
} from './view';

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** How long a notice stays on the status line. */
const NOTICE_MS = 8000;
/** Submit stays disabled this long after a click unless the host answers first (double sends). */
const PENDING_MS = 10_000;
/** Longest text in a table cell; the full value is in its tooltip and in the JSON export. */
const CELL_MAX = 300;

const vscode = acquireVsCodeApi();

// ---------------------------------------------------------------------------------------------
// DOM helpers

type Child = Node | string | undefined;

function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { id?: string; class?: string; text?: string; attrs?: Record<string, string> } = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (props.id) e.id = props.id;
  if (props.class) e.className = props.class;
  if (props.text !== undefined) e.textContent = props.text;
  for (const [k, v] of Object.entries(props.attrs ?? {})) e.setAttribute(k, v);
  for (const c of children) if (c !== undefined) e.append(c);
  return e;
}

function button(
  label: string,
  opts: { id?: string; secondary?: boolean; ariaLabel?: string; data?: Record<string, string> } = {},
): VscodeButton {
  const b = document.createElement('vscode-button');
  b.textContent = label;
  if (opts.id) b.id = opts.id;
  if (opts.secondary) b.secondary = true;
  if (opts.ariaLabel) b.setAttribute('aria-label', opts.ariaLabel);
  for (const [k, v] of Object.entries(opts.data ?? {})) b.dataset[k] = v;
  return b;
}

/** vscode-button drops out of the tab order when disabled but says nothing to screen readers. */
function setDisabled(b: VscodeButton, disabled: boolean): void {
  b.disabled = disabled;
  b.setAttribute('aria-disabled', String(disabled));
}

/** A checkbox whose name only screen readers hear (the row or column says what it selects). */
function hiddenLabelCheckbox(label: string, id?: string): VscodeCheckbox {
  const c = document.createElement('vscode-checkbox');
  if (id) c.id = id;
  c.append(h('span', { class: 'sr-only', text: label }));
  return c;
}

function labelled(forId: string, text: string, optional?: string): HTMLLabelElement {
  return h(
    'label',
    { class: 'field-label', attrs: { for: forId } },
    text,
    optional ? h('span', { class: 'optional', text: ` ${optional}` }) : undefined,
  );
}

function textInput(id: string): HTMLInputElement {
  return h('input', {
    id,
    attrs: { type: 'text', autocomplete: 'off', spellcheck: 'false', maxlength: String(IDENTIFIER_MAX) },
  });
}

// ---------------------------------------------------------------------------------------------
// The static skeleton

const isMac = /Mac|iPhone|iPad/.test(navigator.userAgent);

const envName = h('strong');
const envKind = h('span', { class: 'env-kind' });
const envHeading = h('p', { id: 'environment' }, 'Environment: ', envName, ' ', envKind);
const switchEnv = button('Switch environment', { id: 'switch-env', secondary: true });
const devWarning = h(
  'p',
  { id: 'dev-warning', class: 'banner warning', attrs: { hidden: '' } },
  h('span', { class: 'icon', attrs: { 'aria-hidden': 'true' }, text: '⚠ ' }),
  'Development environment: do not send real patient data.',
);
const setupNotice = h('div', { id: 'setup-notice', class: 'banner info', attrs: { hidden: '' } });

const note = h('textarea', {
  id: 'note',
  attrs: {
    rows: '12',
    spellcheck: 'false',
    autocomplete: 'off',
    'aria-describedby': 'count note-problem',
  },
});
const count = h('span', { id: 'count', class: 'count' });
const noteProblem = h('p', { id: 'note-problem', class: 'problem', attrs: { 'aria-live': 'polite' } });
const model = textInput('model');
const doctor = textInput('doctor');
const rememberDoctor = document.createElement('vscode-checkbox');
rememberDoctor.id = 'remember-doctor';
rememberDoctor.label = 'Remember doctor id';
const patient = textInput('patient');
const submitBtn = button('Submit', { id: 'submit' });
submitBtn.setAttribute('aria-describedby', 'note-problem submit-hint');
const cancelBtn = button('Cancel', { id: 'cancel', secondary: true });
const elapsed = h('span', {
  id: 'elapsed',
  // the visible timer is not live (it would be read every second); #status announces each minute
  attrs: { role: 'timer', 'aria-live': 'off', hidden: '' },
});
const submitHint = h('span', { id: 'submit-hint', class: 'hint' });
const status = h('p', { id: 'status', class: 'status', attrs: { role: 'status', 'aria-live': 'polite' } });
const errorBox = h('div', { id: 'error', class: 'banner error', attrs: { role: 'alert' } });

const form = h(
  'form',
  { id: 'codify-form', attrs: { 'aria-label': 'Clinical note for Codify', novalidate: '' } },
  labelled('note', 'Clinical note'),
  note,
  h('div', { class: 'note-meta' }, count, h('span', { text: `${isMac ? '⌘' : 'Ctrl'}+Enter submits` })),
  noteProblem,
  h(
    'div',
    { class: 'fields' },
    h('div', {}, labelled('model', 'Model'), model),
    h('div', {}, labelled('doctor', 'Doctor id', '(optional)'), doctor, rememberDoctor),
    h(
      'div',
      {},
      labelled('patient', 'Patient id', '(optional)'),
      patient,
      h('p', { id: 'patient-hint', class: 'hint', text: 'Sent as an audit header; never stored.' }),
    ),
  ),
  h('div', { class: 'actions' }, submitBtn, cancelBtn, elapsed, submitHint),
);
patient.setAttribute('aria-describedby', 'patient-hint');

const insertAs = h(
  'select',
  { id: 'insert-as' },
  h('option', { attrs: { value: 'code' }, text: 'code' }),
  h('option', { attrs: { value: 'codeDescription' }, text: 'code — description' }),
);
const insertLayout = h(
  'select',
  { id: 'insert-layout' },
  h('option', { attrs: { value: 'inline' }, text: 'at the cursor, comma-separated' }),
  h('option', { attrs: { value: 'list' }, text: 'as a list, one per line' }),
);
const copyAll = button('Copy all', { id: 'copy-all', secondary: true });
const insertAll = button('Insert all', { id: 'insert-all' });
const crosswalksAll = button('Find crosswalks for all', { id: 'crosswalks-all', secondary: true });
const exportCsv = button('Export CSV', { id: 'export-csv', secondary: true });
const exportJson = button('Export JSON', { id: 'export-json', secondary: true });
const insertTarget = h('span', { id: 'insert-target', class: 'hint' });
const summary = h('p', { id: 'results-summary', class: 'summary' });
const requestIds = h('div', { id: 'request-ids', class: 'request-ids' });
const noCodes = h('p', { id: 'no-codes', text: 'Codify returned no codes for this note.' });
const tableWrap = h('div', {
  class: 'table-wrap',
  // scrollable sideways by keyboard when the columns overflow
  attrs: { role: 'region', 'aria-labelledby': 'results-heading', tabindex: '0' },
});
const details = h('details', { id: 'answer-details' });
const results = h(
  'section',
  { id: 'results-section', attrs: { 'aria-labelledby': 'results-heading', hidden: '' } },
  h('h2', { id: 'results-heading', text: 'Codes' }),
  summary,
  requestIds,
  h(
    'div',
    { class: 'toolbar', attrs: { role: 'group', 'aria-label': 'Insert options' } },
    h('span', {}, h('label', { attrs: { for: 'insert-as' }, text: 'Insert as' }), insertAs),
    h('span', {}, h('label', { attrs: { for: 'insert-layout' }, text: 'Place' }), insertLayout),
    insertTarget,
  ),
  h(
    'div',
    { class: 'toolbar buttons', attrs: { role: 'group', 'aria-label': 'Actions on the codes' } },
    copyAll,
    insertAll,
    crosswalksAll,
    exportCsv,
    exportJson,
  ),
  noCodes,
  tableWrap,
  details,
);

const app = document.getElementById('app') ?? document.body.appendChild(h('div', { id: 'app' }));
app.replaceChildren(
  h('h1', { class: 'sr-only', text: 'Codify a clinical note' }),
  h('header', { class: 'environment' }, envHeading, switchEnv),
  devWarning,
  setupNotice,
  form,
  status,
  errorBox,
  results,
);

const sheet = new CSSStyleSheet();
sheet.replaceSync(PANEL_CSS);
document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];

// ---------------------------------------------------------------------------------------------
// State

let state: PanelState = initialState(DEFAULT_NOTE_LIMIT);
/** The last submit sent, for Retry (in memory only: it holds the patient id). */
let lastSubmit: SubmitMessage | undefined;
/** A submit was sent and the host has not answered yet. */
let pending: ReturnType<typeof setTimeout> | undefined;
/** The empty-note refusal is shown until the coder types. */
let refusedEmpty = false;
/** Row indexes of the result that are selected. */
let selected = new Set<number>();
let timer: ReturnType<typeof setInterval> | undefined;
let announcedMinute = 0;
let noticeTimer: ReturnType<typeof setTimeout> | undefined;

function post(message: WebviewMessage): void {
  vscode.postMessage(message);
}

function formValues() {
  return {
    note: note.value,
    model: model.value,
    doctorId: doctor.value,
    rememberDoctor: rememberDoctor.checked,
    patientId: patient.value,
  };
}

/** Keeps note, model, doctor id and the checkbox for a re-shown panel; never the patient id. */
function saveDraft(): void {
  vscode.setState(toDraft(formValues()));
}

/** A transient line in the polite status region (`''` clears it). */
function setStatus(text: string): void {
  if (noticeTimer !== undefined) clearTimeout(noticeTimer);
  noticeTimer = undefined;
  status.textContent = text;
  if (text) {
    noticeTimer = setTimeout(() => {
      status.textContent = '';
      noticeTimer = undefined;
    }, NOTICE_MS);
  }
}

function insertOptions(): InsertOptions {
  return {
    as: insertAs.value === 'codeDescription' ? 'codeDescription' : 'code',
    layout: insertLayout.value === 'list' ? 'list' : 'inline',
  };
}

// ---------------------------------------------------------------------------------------------
// Rendering

function renderEnvironment(env: PanelEnvironment | undefined): void {
  if (!env) {
    envName.textContent = '…';
    envKind.textContent = '';
    return;
  }
  const view = environmentView(env);
  envName.textContent = env.name;
  envKind.textContent = view.kind;
  devWarning.hidden = view.warning === undefined;
  setupNotice.replaceChildren(
    ...view.notices.map((n) =>
      h(
        'div',
        { class: 'buttons' },
        h('p', { text: n.text }),
        button(n.label, { id: n.fix === 'setUrl' ? 'fix-url' : 'fix-token', data: { fix: n.fix } }),
      ),
    ),
  );
  setupNotice.hidden = view.notices.length === 0;
}

/** Count, note problems and the Submit/Cancel buttons: after every keystroke and state change. */
function renderForm(): void {
  const limit = state.noteLimit;
  const length = note.value.length;
  const over = length > limit;
  count.textContent = countText(length, limit);
  count.classList.toggle('over', over);
  const check = checkNote(note.value, limit);
  let problem = '';
  if (!check.ok && (check.reason === 'tooLong' || refusedEmpty)) problem = check.message;
  if (noteProblem.textContent !== problem) noteProblem.textContent = problem;
  note.setAttribute('aria-invalid', String(problem !== ''));

  const busy = state.busySince !== undefined;
  setDisabled(submitBtn, !state.ready || busy || pending !== undefined || over);
  setDisabled(cancelBtn, !busy);
  submitHint.textContent = !state.ready ? 'Connecting to the extension…' : '';
}

function renderBusy(): void {
  const since = state.busySince;
  if (since === undefined) {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
    elapsed.hidden = true;
    return;
  }
  const tick = () => {
    const ms = Date.now() - since;
    elapsed.textContent = waitingText(ms);
    const said = minuteAnnouncement(ms, announcedMinute);
    if (said) {
      announcedMinute = Math.floor(ms / 60_000);
      setStatus(said);
    }
  };
  if (timer !== undefined) clearInterval(timer);
  announcedMinute = Math.floor(Math.max(0, Date.now() - since) / 60_000);
  tick();
  elapsed.hidden = false;
  timer = setInterval(tick, 1000);
}

function renderError(): void {
  const err = state.error;
  if (!err) {
    errorBox.replaceChildren();
    return;
  }
  const actions = h('div', { class: 'buttons' });
  if (err.retry) actions.append(button('Retry', { id: 'retry', data: { action: 'retry' } }));
  if (err.fix)
    actions.append(button(FIX_LABEL[err.fix], { id: 'error-fix', secondary: true, data: { fix: err.fix } }));
  if (err.requestId) {
    actions.append(h('span', {}, 'Request id: ', h('code', { id: 'error-request-id', text: err.requestId })));
    if (err.requestId.length <= REQUEST_ID_MAX)
      actions.append(
        button('Copy', {
          id: 'copy-error-request-id',
          secondary: true,
          ariaLabel: 'Copy request id',
          data: { action: 'copyRequestId', requestId: err.requestId },
        }),
      );
  }
  errorBox.replaceChildren(
    h('p', {}, h('span', { class: 'icon', attrs: { 'aria-hidden': 'true' }, text: '✖ ' }), err.message),
    ...(actions.childElementCount ? [actions] : []),
  );
}

function renderResults(): void {
  const res = state.result;
  results.hidden = !res;
  selected = new Set();
  if (!res) return;

  const n = res.assessments.length;
  summary.textContent = `${n === 0 ? 'No' : n.toLocaleString('en-US')} code${n === 1 ? '' : 's'} · answered in ${formatElapsed(res.elapsedMs)}`;
  requestIds.replaceChildren(
    ...res.requestIds.map((id) =>
      h(
        'span',
        { class: 'buttons' },
        'Request id: ',
        h('code', { text: id }),
        id.length <= REQUEST_ID_MAX
          ? button('Copy', {
              secondary: true,
              ariaLabel: `Copy request id ${id}`,
              data: { action: 'copyRequestId', requestId: id },
            })
          : undefined,
      ),
    ),
  );
  requestIds.hidden = res.requestIds.length === 0;
  noCodes.hidden = n > 0;
  tableWrap.hidden = n === 0;
  for (const b of [copyAll, insertAll, crosswalksAll, exportCsv, exportJson]) setDisabled(b, n === 0);

  const selectAll = hiddenLabelCheckbox('Select all codes', 'select-all');
  // Actions next to the code (as in VS Code's keybindings editor): in a panel beside the editor
  // the table is wider than the view, and the buttons must not scroll out of sight.
  const col = (t: string) => h('th', { attrs: { scope: 'col' }, text: t });
  const head = h(
    'tr',
    {},
    h('th', { attrs: { scope: 'col' } }, selectAll),
    ...['Code', 'Actions', 'Description', ...res.extraFields, 'System', titleHeader(res.assessments)].map(
      col,
    ),
    ...['Billable', 'Status', 'Index check'].map(col),
  );
  const rows = res.assessments.map((a, i) => {
    const ix = indexCells(a.index);
    const cell = (value: string) => {
      const td = h('td', { text: truncate(value, CELL_MAX) });
      if (value.length > CELL_MAX) td.title = value;
      return td;
    };
    const actionable = isActionable(a.code);
    const select = hiddenLabelCheckbox(`Select ${a.code}`);
    select.dataset.row = String(i);
    select.disabled = !actionable;
    const flag = ix.flag
      ? h(
          'td',
          { class: 'flag' },
          h('span', { class: 'icon', attrs: { 'aria-hidden': 'true' }, text: '⚠ ' }),
          ix.flag,
        )
      : h('td');
    const actions = h('div', { class: 'row-actions' });
    if (actionable)
      actions.append(
        button('Copy', { secondary: true, ariaLabel: `Copy ${a.code}`, data: { action: 'copy' } }),
        button('Insert', { secondary: true, ariaLabel: `Insert ${a.code}`, data: { action: 'insert' } }),
        button('Crosswalks', {
          secondary: true,
          ariaLabel: `Find crosswalks for ${a.code}`,
          data: { action: 'findCrosswalks' },
        }),
      );
    const tr = h(
      'tr',
      { class: ix.flag ? 'flagged' : undefined },
      h('td', {}, select),
      h(
        'th',
        { class: 'code', attrs: { scope: 'row' } },
        a.code,
        // repeats the Index check column's flag where a narrow panel still shows it
        ix.flag
          ? h('span', {
              class: 'icon flag-mark',
              text: ' ⚠',
              attrs: { 'aria-hidden': 'true', title: ix.flag },
            })
          : undefined,
      ),
      h('td', {}, actions),
      cell(a.description),
      ...res.extraFields.map((f) => cell(formatValue(a.extra[f]))),
      cell(ix.system),
      cell(ix.title),
      cell(ix.billable),
      cell(ix.status),
      flag,
    );
    tr.dataset.code = a.code;
    return tr;
  });
  tableWrap.replaceChildren(
    h(
      'table',
      { id: 'results' },
      h('caption', { class: 'sr-only', text: 'Codes returned by Codify' }),
      h('thead', {}, head),
      h('tbody', {}, ...rows),
    ),
  );

  const fields = Object.entries(res.answerFields);
  details.hidden = fields.length === 0;
  details.replaceChildren(
    h('summary', { text: `Other fields of the answer (${fields.length})` }),
    h(
      'dl',
      { class: 'answer-fields' },
      ...fields.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: formatValue(v) })]),
    ),
  );
  renderSelection();
}

function renderSelection(): void {
  const res = state.result;
  if (!res) return;
  const n = selected.size;
  copyAll.textContent = bulkLabel('Copy', n);
  insertAll.textContent = bulkLabel('Insert', n);
  crosswalksAll.textContent = n > 0 ? bulkLabel('Find crosswalks for', n) : 'Find crosswalks for all';
  const all = document.getElementById('select-all') as VscodeCheckbox | null;
  const selectable = res.assessments.filter((a) => isActionable(a.code)).length;
  if (all) {
    all.checked = n > 0 && n === selectable;
    all.indeterminate = n > 0 && n < selectable;
  }
  insertTarget.textContent = state.target ? `Inserts into ${state.target}` : '';
}

// ---------------------------------------------------------------------------------------------
// Host messages

function onHostMessage(raw: unknown): void {
  const parsed = parseHostMessage(raw);
  if (!parsed.ok) {
    // by type only: a message may carry note text or identifiers
    console.warn(`Codify panel: dropped a host message (type ${parsed.type}): ${parsed.reason}`);
    return;
  }
  const msg: HostMessage = parsed.message;
  const prev = state;
  state = reduce(state, msg, Date.now());

  if (msg.type !== 'notice' && msg.type !== 'environment' && pending !== undefined) {
    clearTimeout(pending);
    pending = undefined;
  }
  if (msg.type === 'init') {
    const form = formAfterInit(readDraft(vscode.getState()), msg);
    note.value = form.note;
    model.value = form.model;
    doctor.value = form.doctorId;
    rememberDoctor.checked = form.rememberDoctor;
    saveDraft();
  }
  if (state.environment !== prev.environment) renderEnvironment(state.environment);
  if (state.busySince !== prev.busySince) renderBusy();
  if (state.error !== prev.error) renderError();
  if (state.result !== prev.result) renderResults();
  else if (state.target !== prev.target) renderSelection();
  renderForm();
  const said = statusFor(msg);
  if (said !== undefined) setStatus(said);
}

// ---------------------------------------------------------------------------------------------
// Controls

function submit(): void {
  if (submitBtn.disabled) return;
  const check = checkNote(note.value, state.noteLimit);
  if (!check.ok) {
    refusedEmpty = check.reason === 'empty';
    renderForm();
    note.focus();
    return;
  }
  send(submitMessage(formValues()));
}

function send(msg: SubmitMessage): void {
  lastSubmit = msg;
  const { error: _error, ...rest } = state;
  state = rest;
  renderError();
  pending = setTimeout(() => {
    pending = undefined;
    renderForm();
  }, PENDING_MS);
  renderForm();
  post(msg);
}

function selectedCodes(): string[] {
  const res = state.result;
  if (!res) return [];
  return [...selected].sort((a, b) => a - b).flatMap((i) => res.assessments[i]?.code ?? []);
}

function act(action: ActionMessage['action'], codes: string[]): void {
  post(actionMessage(action, codes, insertOptions()));
}

form.addEventListener('submit', (e) => e.preventDefault()); // no implicit submission, no navigation
form.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey) {
    e.preventDefault();
    submit();
  }
});
note.addEventListener('input', () => {
  refusedEmpty = false;
  renderForm();
  saveDraft();
});
for (const field of [model, doctor]) field.addEventListener('input', saveDraft);
rememberDoctor.addEventListener('change', saveDraft);
submitBtn.addEventListener('click', submit);
cancelBtn.addEventListener('click', () => {
  if (cancelBtn.disabled) return;
  setStatus('Cancelling…');
  post({ type: 'cancel' });
});

// Buttons made from messages (fixes, retry, request ids, rows) are handled here by their data-*.
app.addEventListener('click', (e) => {
  const target = e.target instanceof Element ? e.target : null;
  const b = target?.closest<VscodeButton>('vscode-button');
  if (!b || b.disabled) return;
  const { fix, action, requestId } = b.dataset;
  if (fix && Object.hasOwn(FIX_LABEL, fix)) post({ type: 'fix', fix: fix as Fix });
  else if (action === 'retry') {
    // the request that failed, as it was sent (the form may have been edited since)
    if (!submitBtn.disabled) send(lastSubmit ?? submitMessage(formValues()));
  } else if (action === 'copyRequestId' && requestId) post({ type: 'copyRequestId', requestId });
  else if (action === 'copy' || action === 'insert' || action === 'findCrosswalks') {
    const code = b.closest('tr')?.dataset.code;
    if (code !== undefined) act(action, [code]);
  }
});
switchEnv.addEventListener('click', () => post({ type: 'fix', fix: 'switchEnvironment' }));
copyAll.addEventListener('click', () => !copyAll.disabled && act('copy', selectedCodes()));
insertAll.addEventListener('click', () => !insertAll.disabled && act('insert', selectedCodes()));
crosswalksAll.addEventListener(
  'click',
  () => !crosswalksAll.disabled && act('findCrosswalks', selectedCodes()),
);
exportCsv.addEventListener('click', () => !exportCsv.disabled && post({ type: 'export', format: 'csv' }));
exportJson.addEventListener('click', () => !exportJson.disabled && post({ type: 'export', format: 'json' }));

tableWrap.addEventListener('change', (e) => {
  const box = e.target instanceof Element ? e.target.closest<VscodeCheckbox>('vscode-checkbox') : null;
  const res = state.result;
  if (!box || !res) return;
  if (box.id === 'select-all') {
    selected = box.checked
      ? new Set(res.assessments.flatMap((a, i) => (isActionable(a.code) ? [i] : [])))
      : new Set();
    for (const c of tableWrap.querySelectorAll<VscodeCheckbox>('vscode-checkbox[data-row]'))
      c.checked = selected.has(Number(c.dataset.row));
  } else if (box.dataset.row !== undefined) {
    const i = Number(box.dataset.row);
    if (box.checked) selected.add(i);
    else selected.delete(i);
  }
  renderSelection();
});

// ---------------------------------------------------------------------------------------------
// Start: the draft first (a re-shown panel), then the handshake.

const draft = readDraft(vscode.getState());
if (draft) {
  note.value = draft.note;
  model.value = draft.model;
  doctor.value = draft.doctorId;
  rememberDoctor.checked = draft.rememberDoctor;
}
renderEnvironment(undefined);
renderForm();
window.addEventListener('message', (e: MessageEvent) => onHostMessage(e.data));
post({ type: 'ready' });
