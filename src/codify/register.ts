import * as vscode from 'vscode';
import { Commands } from '../constants';
import { registerCommand, UserError, type CommandContext } from '../platform/commands';
import type { HostMessage } from '../shared/codifyProtocol';
import { CodifyPanel, type CodifyPanelDeps, type PanelState } from './panel';

export type CodifyServices = CommandContext & Omit<CodifyPanelDeps, 'log'>;

/**
 * The Codify panel as the integration tests drive it (through the API `activate` returns). Opening
 * and the panel's state always work; the rest needs the extension host to run with
 * CLINICAL_CODER_TEST_HOOKS=1 (the integration tier), since the messages carry the note: other
 * extensions must not be able to read them or post in the webview's name.
 */
export interface CodifyApi {
  /** Opens (or shows) the panel, as "Codify Note" does; `note` replaces the form's note. */
  open(note?: string): void;
  /** Whether the panel is open, visible, ready and busy, and where Insert writes. */
  readonly panel: PanelState;
  /** Closes the panel as the coder closing its tab would (a request in flight is aborted). */
  close(): void;
  /**
   * Hands `raw` to the host's message handler as if the webview had posted it. Returns once it is
   * dispatched; {@link whenIdle} waits for its outcome. Throws when the panel is closed.
   */
  postFromWebview(raw: unknown): void;
  /** Every message the host posted to the webview since activation (the last 500), oldest first. */
  lastSent(): HostMessage[];
  /** The next message of `type` the host posts (rejects after `timeoutMs`, default 30 s). */
  nextSent<T extends HostMessage['type']>(
    type: T,
    timeoutMs?: number,
  ): Promise<Extract<HostMessage, { type: T }>>;
  /** Resolves when every message handled so far (requests and actions included) is done. */
  whenIdle(): Promise<void>;
}

/** The three Codify commands and the panel they open. */
export function registerCodify(context: vscode.ExtensionContext, s: CodifyServices): CodifyApi {
  const host = new CodifyPanel(s);
  const cmd = <A extends unknown[], R>(id: string, title: string, fn: (...a: A) => Promise<R> | R) =>
    registerCommand(s, id, title, fn);

  context.subscriptions.push(
    host,
    // palette: empty, or with the active editor's selection; a string argument is the note (automation)
    cmd(Commands.codifyNote, 'Codify Note', (note?: unknown) => {
      const editor = vscode.window.activeTextEditor;
      const text = typeof note === 'string' ? note : editor ? selectedText(editor) : undefined;
      host.open({ note: text || undefined, editor });
    }),
    cmd(Commands.codifySelection, 'Codify Selection', () => {
      const editor = vscode.window.activeTextEditor;
      const text = editor ? selectedText(editor) : '';
      if (!editor || !text) throw new UserError('Select the text of the note in an editor first.');
      host.open({ note: text, editor });
    }),
    cmd(Commands.codifyDocument, 'Codify This Document', async (uri?: unknown) => {
      const editor = await editorFor(uri);
      if (!editor) throw new UserError('Open the note in an editor first.');
      host.open({ note: editor.document.getText(), editor });
    }),
  );

  return {
    open: (note) => host.open({ note, editor: vscode.window.activeTextEditor }),
    get panel() {
      return host.state;
    },
    close: () => host.close(),
    postFromWebview: (raw) => host.inject(raw),
    lastSent: () => host.sentMessages(),
    nextSent: (type, timeoutMs) => host.nextSent(type, timeoutMs),
    whenIdle: () => host.whenIdle(),
  };
}

/** The text of every non-empty selection, in document order, one after another. */
function selectedText(editor: vscode.TextEditor): string {
  return [...editor.selections]
    .filter((s) => !s.isEmpty)
    .sort((a, b) => a.start.compareTo(b.start))
    .map((s) => editor.document.getText(s))
    .join('\n');
}

/** The editor of the document the context menu was opened on, else the active editor. */
async function editorFor(uri: unknown): Promise<vscode.TextEditor | undefined> {
  if (uri instanceof vscode.Uri) {
    const key = uri.toString();
    const visible = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === key);
    if (visible) return visible;
    return vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), {
      preserveFocus: true,
    });
  }
  return vscode.window.activeTextEditor;
}
