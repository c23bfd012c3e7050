/**
 * The Codify panel's host side (issue 7, items 3–5): one webview panel beside the editor, its ready
 * handshake, and every message of `src/shared/codifyProtocol.ts` checked at runtime. The host makes
 * the request (the token is read from SecretStorage here and never enters the webview), honours
 * Cancel and closing the panel through an AbortSignal, enriches the answer from the local code index,
 * and runs Copy / Insert / Find Crosswalks / Export for the codes.
 *
 * PHI: the note, the doctor id and the patient id live only in the request and in memory while the
 * panel is open; they are never logged, never put in global state, never in an error message. The
 * doctor id is written to the settings only when the coder ticks Remember.
 *
 * VS Code behaviours worth knowing here:
 * - Without `retainContextWhenHidden` (DESIGN.md: avoid it) a hidden webview is torn down and loads
 *   again when shown; messages posted meanwhile are lost. So every `ready` gets `init` again, then
 *   the state it missed (a request in flight, or the last outcome).
 * - When the panel has focus, `window.activeTextEditor` is undefined: Insert goes to the editor the
 *   panel was opened from (remembered by URI), reopened if it was closed.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import { CodifyClient, CodifyConfigError, checkNote } from '../api/codify';
import type { ConnectionStatus } from '../auth/status';
import { Commands, Settings, WebviewPanels } from '../constants';
import type { CodeIndex } from '../core/codes/codeIndex';
import type * as EnrichModule from '../core/codify/enrich';
import type * as CodifyExport from '../core/codify/export';
import {
  apiErrorMessage,
  formatCodes,
  noEnvironmentMessage,
  refusalMessage,
  selectAssessments,
  unexpectedMessage,
} from '../core/codify/messages';
import { slugOfLocalSystem } from '../core/crosswalks/limits';
import { isApiError } from '../core/errors';
import { writeTextAtomic } from '../node/files';
import type { Logger } from '../platform/log';
import type { SecretStore } from '../platform/secrets';
import type { SettingsStore } from '../platform/settings';
import {
  DEFAULT_NOTE_LIMIT,
  parseWebviewMessage,
  type HostMessage,
  type PanelEnvironment,
  type WebviewMessage,
} from '../shared/codifyProtocol';
import { newNonce, panelHtml } from './html';

/** The model sent when neither the coder nor the setting names one (document 002's example). */
export const DEFAULT_MODEL = 'balanced';

export interface CodifyPanelDeps {
  log: Logger;
  settings: SettingsStore;
  secrets: SecretStore;
  status: ConnectionStatus;
  userAgent: string;
  /** The local code index, or undefined when it cannot be loaded (codes are then `notLoaded`). */
  codeIndex(): Promise<CodeIndex | undefined>;
  extensionUri: vscode.Uri;
  /** Record the messages posted to the webview and accept injected ones (integration tests only). */
  testHooks: boolean;
}

/** What a command opens the panel with. */
export interface OpenRequest {
  /** Text to start with (selection or document); omitted keeps the current draft. */
  note?: string;
  /** The editor Insert writes to. */
  editor?: vscode.TextEditor;
}

/** What the tests can see of the panel. */
export interface PanelState {
  readonly open: boolean;
  readonly visible: boolean;
  /** The webview has said `ready` since it was (re)loaded. */
  readonly ready: boolean;
  /** A request is in flight. */
  readonly busy: boolean;
  /** File name of the editor Insert writes to. */
  readonly target?: string;
}

type ResultMessage = Extract<HostMessage, { type: 'result' }>;
type ActionMessage = Extract<WebviewMessage, { type: 'action' }>;

/** The assessments of the last answer, kept while the panel is open for the actions. */
interface LastResult {
  readonly message: ResultMessage;
}

export class CodifyPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private ready = false;
  private target: { uri: vscode.Uri; viewColumn?: vscode.ViewColumn; name: string } | undefined;
  /** The note for the next `init` (then forgotten). */
  private pendingNote: string | undefined;
  private request: { controller: AbortController; startedAt: number } | undefined;
  private last: LastResult | undefined;
  /** The last result / error / cancelled message, sent again when the webview reloads. */
  private lastOutcome: HostMessage | undefined;
  private readonly pending = new Set<Promise<unknown>>();
  private readonly sent: HostMessage[] = [];
  private readonly posted = new vscode.EventEmitter<HostMessage>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly deps: CodifyPanelDeps) {
    this.subscriptions.push(
      this.posted,
      deps.status.onDidChange(() => {
        if (this.panel && this.ready)
          void this.environment().then((environment) => this.post({ type: 'environment', environment }));
      }),
    );
  }

  get state(): PanelState {
    return {
      open: this.panel !== undefined,
      visible: this.panel?.visible ?? false,
      ready: this.ready,
      busy: this.request !== undefined,
      ...(this.target ? { target: this.target.name } : {}),
    };
  }

  /** Opens the panel beside the editor, or shows it again; a given note replaces the form's. */
  open(o: OpenRequest = {}): void {
    if (o.editor) {
      const doc = o.editor.document;
      this.target = { uri: doc.uri, viewColumn: o.editor.viewColumn, name: fileName(doc) };
    }
    if (!this.panel) {
      this.panel = this.create();
      this.ready = false;
      this.pendingNote = o.note;
      return;
    }
    this.panel.reveal(undefined, false);
    if (o.note !== undefined) {
      if (this.ready) this.track(this.sendInit(o.note));
      else this.pendingNote = o.note;
    } else if (o.editor && this.ready) {
      // a new target: tell the webview where Insert will go
      this.track(this.sendInit(undefined));
    }
  }

  /** Closes the panel (as the coder closing its tab): a request in flight is aborted silently. */
  close(): void {
    this.panel?.dispose();
  }

  dispose(): void {
    this.close();
    for (const s of this.subscriptions) s.dispose();
  }

  // ------------------------------------------------------------------------------------------
  // Test surface (see CodifyApi in register.ts)

  /** Feeds `raw` to the message handler as if the webview had posted it. */
  inject(raw: unknown): void {
    this.checkTestHooks();
    if (!this.panel) throw new Error('The Codify panel is not open');
    this.track(this.handle(raw));
  }

  sentMessages(): HostMessage[] {
    return [...this.sent];
  }

  /** The next message of `type` posted to the webview. */
  nextSent<T extends HostMessage['type']>(
    type: T,
    timeoutMs = 30_000,
  ): Promise<Extract<HostMessage, { type: T }>> {
    this.checkTestHooks();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        sub.dispose();
        reject(new Error(`no "${type}" message was posted within ${timeoutMs} ms`));
      }, timeoutMs);
      const sub = this.posted.event((m) => {
        if (m.type !== type) return;
        clearTimeout(timer);
        sub.dispose();
        resolve(m as Extract<HostMessage, { type: T }>);
      });
    });
  }

  /** The messages carry the note: only the integration tier may see them or post in the webview's name. */
  private checkTestHooks(): void {
    if (!this.deps.testHooks) throw new Error('Codify test hooks are off (CLINICAL_CODER_TEST_HOOKS=1)');
  }

  /** Resolves when every message handled so far (requests included) is done. */
  async whenIdle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  // ------------------------------------------------------------------------------------------
  // The panel

  private create(): vscode.WebviewPanel {
    const dist = vscode.Uri.joinPath(this.deps.extensionUri, 'dist');
    const panel = vscode.window.createWebviewPanel(
      WebviewPanels.codify,
      'Codify',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false },
      { enableScripts: true, localResourceRoots: [dist], enableFindWidget: true },
    );
    panel.iconPath = vscode.Uri.joinPath(this.deps.extensionUri, 'media', 'icon.png');
    panel.webview.html = panelHtml({
      cspSource: panel.webview.cspSource,
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
      nonce: newNonce(),
      title: 'Codify',
    });
    panel.webview.onDidReceiveMessage((raw: unknown) => this.track(this.handle(raw)));
    // hidden → the webview is torn down; it says `ready` again when shown
    panel.onDidChangeViewState(() => {
      if (!panel.visible) this.ready = false;
    });
    panel.onDidDispose(() => {
      this.panel = undefined;
      this.ready = false;
      this.pendingNote = undefined;
      this.last = undefined;
      this.lastOutcome = undefined;
      // no orphaned request: abort it; its handler sees the panel gone and stays silent
      this.request?.controller.abort();
      this.request = undefined;
    });
    return panel;
  }

  private post(message: HostMessage): void {
    const panel = this.panel;
    if (!panel) return;
    if (this.deps.testHooks) {
      this.sent.push(message);
      if (this.sent.length > 500) this.sent.splice(0, this.sent.length - 500);
    }
    this.posted.fire(message);
    void panel.webview.postMessage(message).then(undefined, () => undefined);
  }

  private track(p: Promise<unknown>): void {
    const tracked = p.catch((e: unknown) => this.deps.log.error('Codify panel: a message handler failed', e));
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
  }

  private async environment(): Promise<PanelEnvironment> {
    const snap = this.deps.status.snapshot ?? (await this.deps.status.refresh());
    const c = snap.codify;
    return {
      name: c.environmentName,
      production: c.environment?.production ?? false,
      configured: !!c.environment?.baseUrl,
      hasToken: c.hasCredential,
    };
  }

  private async sendInit(note: string | undefined): Promise<void> {
    const environment = await this.environment();
    const config = vscode.workspace.getConfiguration(Settings.section);
    const doctorId = config.get<string>(Settings.codifyDoctorId)?.trim();
    this.post({
      type: 'init',
      environment,
      noteLimit: noteLimit(),
      defaultModel: config.get<string>(Settings.codifyModel)?.trim() || DEFAULT_MODEL,
      ...(doctorId ? { doctorId } : {}),
      ...(note !== undefined ? { note } : {}),
      ...(this.target ? { target: this.target.name } : {}),
    });
  }

  // ------------------------------------------------------------------------------------------
  // Messages from the webview

  private async handle(raw: unknown): Promise<void> {
    const parsed = parseWebviewMessage(raw);
    if (!parsed.ok) {
      // by type only: the content may be a note
      this.deps.log.warn(
        `Codify panel: dropped a message of type ${parsed.type} (${parsed.reason.slice(0, 120)})`,
      );
      return;
    }
    const m = parsed.message;
    switch (m.type) {
      case 'ready': {
        const note = this.pendingNote;
        this.pendingNote = undefined;
        this.ready = true;
        await this.sendInit(note);
        if (this.request) this.post({ type: 'busy', busy: true, startedAt: this.request.startedAt });
        else if (this.lastOutcome) this.post(this.lastOutcome);
        return;
      }
      case 'submit':
        return this.submit(m);
      case 'cancel':
        this.request?.controller.abort();
        return;
      case 'action':
        return this.guardAction(m.action, () => this.action(m));
      case 'export':
        return this.guardAction('export', () => this.export(m.format));
      case 'copyRequestId':
        await vscode.env.clipboard.writeText(m.requestId);
        this.post({ type: 'notice', message: 'Copied the request id.' });
        return;
      case 'fix':
        this.fix(m.fix);
        return;
    }
  }

  private async guardAction(name: string, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (e) {
      this.deps.log.error(`Codify panel: ${name} failed`, e);
      this.post({ type: 'notice', message: `${name} failed: ${e instanceof Error ? e.message : String(e)}` });
    }
  }

  private fix(fix: 'setToken' | 'setUrl' | 'switchEnvironment'): void {
    // not awaited: each one prompts, and the handler must not wait for the coder
    switch (fix) {
      case 'setToken':
        void vscode.commands.executeCommand(Commands.setCodifyToken);
        return;
      case 'setUrl':
        void vscode.commands.executeCommand(
          'workbench.action.openSettings',
          `${Settings.section}.${Settings.environments('codify')}`,
        );
        return;
      case 'switchEnvironment':
        void vscode.commands.executeCommand(Commands.switchEnvironment, 'codify');
        return;
    }
  }

  // ------------------------------------------------------------------------------------------
  // Submit

  private async submit(m: Extract<WebviewMessage, { type: 'submit' }>): Promise<void> {
    if (this.request) {
      this.post({ type: 'notice', message: 'A request is already running: cancel it first.' });
      return;
    }
    const { log, settings, secrets } = this.deps;
    // the panel this request answers to: a panel opened after this one was closed gets nothing of it
    const panel = this.panel;
    const active = settings.activeEnvironment('codify');
    const envName = active.ok ? active.environment.name : active.name;
    const limit = noteLimit();
    const problem = checkNote(m.note, limit);
    if (problem) {
      this.outcome(panel, refusalMessage(problem, { environment: envName, length: m.note.length, limit }));
      return;
    }
    await this.rememberDoctor(m.rememberDoctor, m.doctorId);
    if (!active.ok) {
      this.outcome(panel, noEnvironmentMessage(active.reason));
      return;
    }
    const environment = active.environment;
    if (!environment.baseUrl) {
      this.outcome(panel, refusalMessage('missingUrl', { environment: envName }));
      return;
    }
    let token: string | undefined;
    try {
      token = await secrets.get('codify', envName, 'token');
    } catch (e) {
      this.outcome(panel, unexpectedMessage(e));
      return;
    }
    if (!token) {
      this.outcome(panel, refusalMessage('missingToken', { environment: envName }));
      return;
    }

    const controller = new AbortController();
    const startedAt = Date.now();
    this.request = { controller, startedAt };
    this.lastOutcome = undefined;
    this.post({ type: 'busy', busy: true, startedAt });
    const client = new CodifyClient({
      baseUrl: () => environment.baseUrl,
      // read again on each attempt, for this environment only (never the one switched to meanwhile)
      getToken: () => secrets.get('codify', envName, 'token'),
      userAgent: this.deps.userAgent,
      logger: log,
    });
    const line = (outcome: string) =>
      `Codify request (${envName}): ${m.note.length} characters, ${outcome} in ${Date.now() - startedAt} ms`;
    try {
      const answer = await client.codify(
        {
          note: m.note,
          model: m.model?.trim() || undefined,
          doctorId: m.doctorId?.trim() || undefined,
          patientId: m.patientId?.trim() || undefined,
        },
        controller.signal,
      );
      const index = await this.deps.codeIndex().catch((e: unknown) => {
        log.warn(`Codify: the code index is not available (${e instanceof Error ? e.message : String(e)})`);
        return undefined;
      });
      if (controller.signal.aborted) throw cancelledAfterAnswer();
      const enriched = enrich().enrichAssessments(answer, index);
      const message: ResultMessage = {
        type: 'result',
        ...enriched,
        requestIds: [...answer.requestIds],
        elapsedMs: Date.now() - startedAt,
      };
      log.info(line(`OK, ${message.assessments.length} codes`));
      if (this.panel === panel) this.last = { message };
      this.outcome(panel, message);
    } catch (e) {
      const panelClosed = this.panel !== panel;
      if (controller.signal.aborted || (isApiError(e) && e.kind === 'cancelled')) {
        log.info(line(panelClosed ? 'cancelled (panel closed)' : 'cancelled'));
        this.outcome(panel, { type: 'cancelled' });
      } else if (e instanceof CodifyConfigError) {
        log.warn(line(`refused (${e.reason})`));
        this.outcome(panel, refusalMessage(e.reason, { environment: envName, length: m.note.length, limit }));
      } else if (isApiError(e)) {
        log.warn(line(`failed: ${e.kind}${e.status !== undefined ? ` ${e.status}` : ''}`));
        this.outcome(panel, apiErrorMessage(e, envName));
      } else {
        log.error(line('failed unexpectedly'), e);
        this.outcome(panel, unexpectedMessage(e));
      }
    } finally {
      if (this.request?.controller === controller) this.request = undefined;
      if (this.panel === panel) this.post({ type: 'busy', busy: false });
    }
  }

  /**
   * Posts a result / error / cancelled message and keeps it for a webview that reloads; nothing when
   * `panel` (the one the request came from) was closed meanwhile: no message, no popup.
   */
  private outcome(panel: vscode.WebviewPanel | undefined, message: HostMessage): void {
    if (!panel || this.panel !== panel) return;
    this.lastOutcome = message;
    this.post(message);
  }

  /**
   * Remember ticked → the doctor id goes to the user settings (application scope: never a
   * workspace's settings, which may be committed); unticked → a remembered id is removed; not
   * said → nothing changes. The patient id is never stored.
   */
  private async rememberDoctor(remember: boolean | undefined, doctorId: string | undefined): Promise<void> {
    if (remember === undefined) return;
    const config = vscode.workspace.getConfiguration(Settings.section);
    const value = remember ? doctorId?.trim() || undefined : undefined;
    if ((config.get<string>(Settings.codifyDoctorId) || undefined) === value) return;
    try {
      await config.update(Settings.codifyDoctorId, value, vscode.ConfigurationTarget.Global);
    } catch (e) {
      this.deps.log.warn(
        `Codify: could not update the remembered doctor id (${e instanceof Error ? e.message : String(e)})`,
      );
    }
  }

  // ------------------------------------------------------------------------------------------
  // Actions

  private async action(m: ActionMessage): Promise<void> {
    if (!this.last) {
      this.post({ type: 'notice', message: 'There are no results yet.' });
      return;
    }
    const selected = selectAssessments(this.last.message.assessments, m.codes);
    if (selected.length === 0) {
      this.post({ type: 'notice', message: 'None of those codes is in the results.' });
      return;
    }
    const n =
      selected.length === 1 ? (selected[0]!.index.display ?? selected[0]!.code) : `${selected.length} codes`;
    switch (m.action) {
      case 'copy': {
        await vscode.env.clipboard.writeText(formatCodes(selected, m.as ?? 'code', 'list'));
        this.post({ type: 'notice', message: `Copied ${n}.` });
        return;
      }
      case 'insert': {
        const layout = m.layout ?? 'inline';
        const text = formatCodes(selected, m.as ?? 'code', layout);
        const editor = await this.targetEditor();
        if (!editor) {
          await vscode.env.clipboard.writeText(text);
          this.post({
            type: 'notice',
            message: `There is no editor to insert into (open the panel from one): copied ${n} instead.`,
          });
          return;
        }
        const at = editor.selection.active;
        const lineBefore = editor.document.lineAt(at.line).text.slice(0, at.character);
        const insert = layout === 'list' ? `${lineBefore.trim() ? '\n' : ''}${text}\n` : text;
        const ok = await editor.edit((b) => b.insert(at, insert));
        this.post({
          type: 'notice',
          message: ok
            ? `Inserted ${n} into ${fileName(editor.document)}.`
            : `Could not insert into ${fileName(editor.document)}.`,
        });
        return;
      }
      case 'findCrosswalks': {
        const first = selected[0]!;
        const index = await this.deps.codeIndex().catch(() => undefined);
        const { reading, hinted } = enrich().readAssessmentCode(first.code, first.extra, index);
        if (reading) {
          const display = first.index.display ?? reading.code;
          // not awaited: the command shows a quick pick
          void vscode.commands.executeCommand(Commands.codesFindCrosswalks, {
            system: reading.system,
            code: reading.code,
            display,
          });
          this.post({ type: 'notice', message: `Finding crosswalks for ${display}…` });
        } else {
          const slug = hinted.map((s) => slugOfLocalSystem(s)).find((s) => s !== undefined);
          void vscode.commands.executeCommand(Commands.crosswalksFindForCode, {
            ...(slug ? { slug } : {}),
            code: first.code.trim(),
          });
          this.post({ type: 'notice', message: `Searching IMO crosswalks for ${first.code.trim()}…` });
        }
        return;
      }
    }
  }

  /** The editor the panel was opened from: visible, else its document shown again (reopened if closed). */
  private async targetEditor(): Promise<vscode.TextEditor | undefined> {
    const target = this.target;
    if (!target) return undefined;
    const key = target.uri.toString();
    const visible = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === key);
    if (visible) return visible;
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
    if (!open && target.uri.scheme === 'untitled') return undefined; // closed untitled text is gone
    const doc = open ?? (await vscode.workspace.openTextDocument(target.uri));
    return vscode.window.showTextDocument(doc, {
      viewColumn: target.viewColumn ?? vscode.ViewColumn.One,
      preserveFocus: true,
      preview: false,
    });
  }

  private async export(format: 'csv' | 'json'): Promise<void> {
    const last = this.last;
    if (!last) {
      this.post({ type: 'notice', message: 'There are no results to export yet.' });
      return;
    }
    const folder =
      this.target?.uri.scheme === 'file'
        ? vscode.Uri.joinPath(this.target.uri, '..')
        : vscode.workspace.workspaceFolders?.[0]?.uri;
    const name = `codify-results.${format}`;
    const uri = await vscode.window.showSaveDialog({
      title: 'Export Codify Results',
      defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined,
      filters: format === 'csv' ? { CSV: ['csv'] } : { JSON: ['json'] },
    });
    if (!uri) return;
    const m = last.message;
    const files = exporter();
    const text =
      format === 'csv'
        ? files.assessmentsToCsv(m.assessments, m.extraFields)
        : files.assessmentsToJson(m.assessments, { requestIds: m.requestIds, answerFields: m.answerFields });
    if (uri.scheme === 'file') await writeTextAtomic(uri.fsPath, text);
    else await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
    this.post({
      type: 'notice',
      message: `Exported ${m.assessments.length} assessments to ${path.posix.basename(uri.path)}.`,
    });
  }
}

/** `clinicalCoder.codify.maxNoteLength`, or the default when it is not a positive integer. */
function noteLimit(): number {
  const v = vscode.workspace.getConfiguration(Settings.section).get<number>(Settings.codifyMaxNoteLength);
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : DEFAULT_NOTE_LIMIT;
}

function fileName(doc: vscode.TextDocument): string {
  return doc.isUntitled ? doc.uri.path : path.posix.basename(doc.uri.path);
}

/** The coder cancelled (or closed the panel) while the index was loading: the answer is dropped. */
function cancelledAfterAnswer(): Error {
  const e = new Error('cancelled');
  e.name = 'AbortError';
  return e;
}

/**
 * The export builders, loaded on first use: a lazy chunk of their own with papaparse (esbuild.js
 * LAZY_CHUNKS). `require` is cached by Node: later calls cost a property read.
 */
function exporter(): typeof CodifyExport {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../core/codify/export') as typeof CodifyExport;
}

/**
 * Result enrichment (the code recognisers and the index lookups it needs), loaded when the first
 * answer arrives: a chunk of its own in the bundle (esbuild.js, lazyChunks).
 */
function enrich(): typeof EnrichModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../core/codify/enrich') as typeof EnrichModule;
}
