/**
 * The Codify panel's pure parts: text formatting, the note checks, the draft kept in the webview's
 * state, the messages the controls send, and the panel state reduced from the host's messages.
 *
 * No DOM here (neither globals nor types): the unit tests run it in plain Node, and the root
 * tsconfig (no `dom` lib) type-checks it through them. main.ts does the rendering.
 */
import type {
  EnrichedAssessment,
  HostMessage,
  IndexInfo,
  PanelEnvironment,
  WebviewMessage,
} from '../shared/codifyProtocol';

type Msg<T extends HostMessage['type']> = Extract<HostMessage, { type: T }>;
export type InitMessage = Msg<'init'>;
export type ResultMessage = Msg<'result'>;
export type ErrorMessage = Msg<'error'>;
export type SubmitMessage = Extract<WebviewMessage, { type: 'submit' }>;
export type ActionMessage = Extract<WebviewMessage, { type: 'action' }>;
export type Fix = NonNullable<ErrorMessage['fix']>;

/** The protocol's bounds (codifyProtocol.ts): a longer value would make the host drop the message. */
export const IDENTIFIER_MAX = 200;
export const CODE_MAX = 64;
export const REQUEST_ID_MAX = 500;

const integer = new Intl.NumberFormat('en-US');
const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 6 });

// ---------------------------------------------------------------------------------------------
// The note

/**
 * "1,234 / 100,000 characters". Characters are UTF-16 code units (`string.length`), as the
 * protocol's `maxLength` and the host count them, so the two always agree on "over the limit".
 */
export function countText(length: number, limit: number): string {
  return `${integer.format(length)} / ${integer.format(limit)} characters`;
}

export type NoteCheck = { ok: true } | { ok: false; reason: 'empty' | 'tooLong'; message: string };

/** Whether the note may be sent. Whitespace only counts as empty (the host checks again). */
export function checkNote(note: string, limit: number): NoteCheck {
  if (note.trim() === '')
    return { ok: false, reason: 'empty', message: 'Type or paste a clinical note before submitting.' };
  if (note.length > limit)
    return {
      ok: false,
      reason: 'tooLong',
      // No running number: the text stays the same while the coder trims, so a screen reader
      // announces it once (the count next to it has the number).
      message: `The note is longer than the limit of ${integer.format(limit)} characters: shorten it to submit.`,
    };
  return { ok: true };
}

// ---------------------------------------------------------------------------------------------
// Time

/** `m:ss` below an hour, `h:mm:ss` above; negative durations read as 0:00. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor((Number.isFinite(ms) ? ms : 0) / 1000));
  const s = total % 60;
  const m = Math.floor(total / 60) % 60;
  const h = Math.floor(total / 3600);
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/**
 * The local time the elapsed-time indicator counts from. `startedAt` is the host's clock, which
 * in a remote setup (code-server, SSH) is another machine's: it is trusted unless it lies in this
 * clock's future (skew), then the moment the `busy` message arrived stands in. A panel re-shown
 * mid-request gets the true start from the host, so the indicator does not restart at 0:00.
 */
export function busySince(startedAt: number | undefined, receivedAt: number): number {
  if (startedAt === undefined || !Number.isFinite(startedAt) || startedAt > receivedAt) return receivedAt;
  return startedAt;
}

export function waitingText(elapsedMs: number): string {
  return `Waiting for Codify… ${formatElapsed(elapsedMs)}`;
}

/**
 * What the polite status region says while waiting: nothing most seconds (the visible timer is not
 * a live region, it would talk every second), once per whole minute otherwise.
 */
export function minuteAnnouncement(elapsedMs: number, lastMinute: number): string | undefined {
  const minutes = Math.floor(Math.max(0, elapsedMs) / 60_000);
  if (minutes < 1 || minutes <= lastMinute) return undefined;
  return `Still waiting for Codify: ${minutes} minute${minutes === 1 ? '' : 's'}.`;
}

// ---------------------------------------------------------------------------------------------
// Values from the server

/**
 * A field of the answer as one line of text: strings as they are, numbers grouped
 * (`12,345.5`), booleans and null spelled out, objects and arrays as compact JSON. Missing
 * (`undefined`) is the empty string.
 */
export function formatValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return Number.isFinite(value) ? decimal.format(value) : String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return integer.format(value);
    case 'undefined':
      return '';
    case 'object':
      if (value === null) return 'null';
      try {
        return JSON.stringify(value) ?? '';
      } catch {
        return '(unreadable value)';
      }
    default:
      return '';
  }
}

/** At most `max` characters, with an ellipsis when cut (the full text goes in a tooltip). */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

// ---------------------------------------------------------------------------------------------
// The index's view of a code

export interface IndexCells {
  system: string;
  title: string;
  billable: string;
  status: string;
  /** Why the index disagrees with Codify, when it does. */
  flag?: string;
}

const STATUS_TEXT: Record<IndexInfo['status'], string> = {
  valid: 'Valid',
  header: 'Header',
  deleted: 'Deleted',
  unknown: 'Not in the index',
  notLoaded: 'Index not loaded',
  notACode: 'Not a code',
};

export function indexCells(index: IndexInfo): IndexCells {
  let status = STATUS_TEXT[index.status];
  if (index.status === 'deleted' && index.successors?.length)
    status = `Deleted; use ${index.successors.join(', ')}`;
  let billable = '—';
  if (index.status === 'header') billable = 'Header (not billable)';
  else if (index.billable === true) billable = 'Billable';
  else if (index.billable === false) billable = 'Not billable';
  const cells: IndexCells = {
    system: index.system ?? '—',
    title: index.title ?? '—',
    billable,
    status,
  };
  if (index.disagreement) cells.flag = index.disagreement;
  return cells;
}

/** "Title in FY2026" when every looked-up code came from one release, else "Index title". */
export function titleHeader(assessments: readonly EnrichedAssessment[]): string {
  const releases = new Set(assessments.map((a) => a.index.release).filter((r) => r !== undefined));
  return releases.size === 1 ? `Title in ${[...releases][0]}` : 'Index title';
}

// ---------------------------------------------------------------------------------------------
// The environment

export interface EnvironmentView {
  kind: 'production' | 'development';
  /** The banner of a development environment. */
  warning?: string;
  /** What is missing before a request can be made, each with the fix that sets it. */
  notices: { text: string; fix: Fix; label: string }[];
}

export function environmentView(env: PanelEnvironment): EnvironmentView {
  const kind = env.production ? 'production' : 'development';
  const view: EnvironmentView = { kind, notices: [] };
  if (!env.production) view.warning = 'Development environment: do not send real patient data.';
  if (!env.configured)
    view.notices.push({
      text: `No Codify URL is set for the ${env.name} environment.`,
      fix: 'setUrl',
      label: 'Set URL',
    });
  if (!env.hasToken)
    view.notices.push({
      text: `No Codify token is stored for the ${env.name} environment.`,
      fix: 'setToken',
      label: 'Set token',
    });
  return view;
}

export const FIX_LABEL: Record<Fix, string> = {
  setToken: 'Set token',
  setUrl: 'Set URL',
  switchEnvironment: 'Switch environment',
};

// ---------------------------------------------------------------------------------------------
// The draft (webview state)

/**
 * What `setState` keeps so a hidden and re-shown panel gets its form back. Never the patient id
 * (PHI stays only in the form and the one request); nothing here is a credential.
 */
export interface Draft {
  note: string;
  model: string;
  doctorId: string;
  rememberDoctor: boolean;
}

/** The draft in a `getState()` value, or undefined when it holds none (or something else). */
export function readDraft(state: unknown): Draft | undefined {
  if (state === null || typeof state !== 'object') return undefined;
  const s = state as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  if (typeof s.note !== 'string' && typeof s.model !== 'string' && typeof s.doctorId !== 'string')
    return undefined;
  return {
    note: str(s.note),
    model: str(s.model),
    doctorId: str(s.doctorId),
    rememberDoctor: s.rememberDoctor === true,
  };
}

/** The draft of a form: only these four fields, whatever else the caller holds. */
export function toDraft(form: Draft): Draft {
  return {
    note: form.note,
    model: form.model,
    doctorId: form.doctorId,
    rememberDoctor: form.rememberDoctor,
  };
}

/**
 * The form after `init`: a note sent with it replaces the draft's; the draft's model and doctor id
 * (what the coder typed) win over the defaults.
 */
export function formAfterInit(draft: Draft | undefined, init: InitMessage): Draft {
  return {
    note: init.note ?? draft?.note ?? '',
    model: draft ? draft.model : init.defaultModel,
    doctorId: draft ? draft.doctorId : (init.doctorId ?? ''),
    rememberDoctor: draft?.rememberDoctor ?? false,
  };
}

// ---------------------------------------------------------------------------------------------
// Messages to the host

export interface FormValues extends Draft {
  patientId: string;
}

/** The `submit` message of a form: blank optional fields are left out, identifiers trimmed. */
export function submitMessage(form: FormValues): SubmitMessage {
  const msg: SubmitMessage = { type: 'submit', note: form.note };
  const model = form.model.trim();
  const doctorId = form.doctorId.trim();
  const patientId = form.patientId.trim();
  if (model) msg.model = model;
  if (doctorId) msg.doctorId = doctorId;
  if (patientId) msg.patientId = patientId;
  if (form.rememberDoctor) msg.rememberDoctor = true;
  return msg;
}

/** Whether a code can be named in an `action` message (the protocol caps codes at 64 characters). */
export function isActionable(code: string): boolean {
  return code.length > 0 && code.length <= CODE_MAX;
}

export interface InsertOptions {
  as: NonNullable<ActionMessage['as']>;
  layout: NonNullable<ActionMessage['layout']>;
}

/**
 * An `action` for some codes (each once, in order), or for all of them when `codes` is empty.
 * Insert carries how to write and place them.
 */
export function actionMessage(
  action: ActionMessage['action'],
  codes: readonly string[],
  insert: InsertOptions,
): ActionMessage {
  const unique = [...new Set(codes.filter(isActionable))];
  const msg: ActionMessage = { type: 'action', action, codes: unique };
  if (action === 'insert') {
    msg.as = insert.as;
    msg.layout = insert.layout;
  }
  return msg;
}

/** The label of a bulk button: "Copy all" or "Copy 2 selected". */
export function bulkLabel(verb: string, selected: number): string {
  return selected > 0 ? `${verb} ${integer.format(selected)} selected` : `${verb} all`;
}

// ---------------------------------------------------------------------------------------------
// The panel state

export interface PanelState {
  /** `init` arrived: the form may be used. */
  ready: boolean;
  environment?: PanelEnvironment;
  noteLimit: number;
  /** Where Insert writes (the editor the panel was opened from), when the host said. */
  target?: string;
  /** Local time (ms) the request in flight started, see `busySince`. */
  busySince?: number;
  error?: ErrorMessage;
  result?: ResultMessage;
}

export function initialState(noteLimit: number): PanelState {
  return { ready: false, noteLimit };
}

/**
 * The state after a host message (`receivedAt`: local ms when it arrived). Results and errors
 * replace each other; the form itself is not part of it (the DOM holds what the coder types).
 */
export function reduce(state: PanelState, msg: HostMessage, receivedAt: number): PanelState {
  switch (msg.type) {
    case 'init': {
      const next: PanelState = {
        ...state,
        ready: true,
        environment: msg.environment,
        noteLimit: msg.noteLimit > 0 ? msg.noteLimit : state.noteLimit,
      };
      if (msg.target !== undefined) next.target = msg.target;
      else delete next.target;
      return next;
    }
    case 'environment':
      return { ...state, environment: msg.environment };
    case 'busy': {
      if (!msg.busy) return withoutBusy(state);
      // a new request: the previous error no longer applies (its results stay until new ones come)
      const { error: _error, ...rest } = state;
      return { ...rest, busySince: busySince(msg.startedAt, receivedAt) };
    }
    case 'result': {
      const { error: _error, ...rest } = withoutBusy(state);
      return { ...rest, result: msg };
    }
    case 'error':
      return { ...withoutBusy(state), error: msg };
    case 'cancelled':
      return withoutBusy(state);
    case 'notice':
      return state;
  }
}

function withoutBusy(state: PanelState): PanelState {
  const { busySince: _b, ...rest } = state;
  return rest;
}

/**
 * What the polite status line says after a host message: a text, `''` to clear it (an error is
 * told by the alert region; a stale "Cancelling…" must not stay beside it), or `undefined` to
 * leave it.
 */
export function statusFor(msg: HostMessage): string | undefined {
  switch (msg.type) {
    case 'busy':
      return msg.busy ? 'Waiting for Codify. Answers can take a few minutes.' : undefined;
    case 'result': {
      const n = msg.assessments.length;
      const codes = n === 0 ? 'no codes' : `${integer.format(n)} code${n === 1 ? '' : 's'}`;
      return `Codify returned ${codes} in ${formatElapsed(msg.elapsedMs)}.`;
    }
    case 'cancelled':
      return 'Request cancelled. The note is still in the form.';
    case 'notice':
      return msg.message;
    case 'error':
      return '';
    default:
      return undefined;
  }
}
