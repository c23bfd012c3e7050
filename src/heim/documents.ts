import * as vscode from 'vscode';
import { DocumentSchemes } from '../constants';
import type { Appointment, HeimClient, HeimObject, Organisation, Patient, Task } from '../api/heim';
import { isApiError } from '../core/errors';
import { loadAll, Pager } from '../core/paging';
import { issueLines } from '../platform/commands';
import type { Logger } from '../platform/log';
import {
  esc,
  json,
  renderAppointment,
  renderOrganisation,
  renderPatient,
  renderTask,
  type DetailsFormat,
  type HeimKind,
} from './details';
import { pageFetcher, type HeimList } from './nodes';

export const HEIM_SCHEME = DocumentSchemes.heim;

const KINDS: readonly HeimKind[] = ['organisation', 'patient', 'appointment', 'task'];

/** Page size when a details document reads every task of an appointment or appointment of a patient. */
const ALL_PAGE_SIZE = 100;

/** What a details URI names. */
export interface DetailsRef {
  kind: HeimKind;
  id: string;
  format: DetailsFormat;
}

/**
 * Read-only details documents of Heim objects (scheme {@link HEIM_SCHEME}): markdown (`.md`) or the
 * JSON exactly as returned (`.json`). The URI holds the kind and the server's id, never a name (URIs
 * end up in VS Code's editor history). A document opened again after a reload is read again.
 */
export class HeimDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  private readonly texts = new Map<string, string>();
  private readonly closeSubscription: vscode.Disposable;

  constructor(
    private readonly deps: {
      client(): HeimClient;
      mode(): string | undefined;
      log: Logger;
    },
  ) {
    // the text of a closed document (PHI) is not kept
    this.closeSubscription = vscode.workspace.onDidCloseTextDocument((doc) => {
      if (doc.uri.scheme === HEIM_SCHEME) this.texts.delete(doc.uri.toString());
    });
  }

  /** The URI of an object's details: `clinical-coder-heim:/task/<id>/task.md`. */
  static uriOf(ref: DetailsRef): vscode.Uri {
    return vscode.Uri.from({
      scheme: HEIM_SCHEME,
      path: `/${ref.kind}/${encodeURIComponent(ref.id)}/${ref.kind}.${ref.format === 'json' ? 'json' : 'md'}`,
    });
  }

  /** What a URI of this scheme names, or undefined. */
  static refOf(uri: vscode.Uri): DetailsRef | undefined {
    const m = /^\/([a-z]+)\/([^/]+)\/[^/]+\.(md|json)$/.exec(uri.path);
    if (!m || !KINDS.includes(m[1] as HeimKind)) return undefined;
    return {
      kind: m[1] as HeimKind,
      id: decodeURIComponent(m[2]),
      format: m[3] === 'json' ? 'json' : 'markdown',
    };
  }

  provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): string | Promise<string> {
    const cached = this.texts.get(uri.toString());
    if (cached !== undefined) return cached;
    const ref = HeimDocuments.refOf(uri);
    if (!ref) return `Not a Heim details document: ${uri.path}\n`;
    // reopened (e.g. after a reload): read it again
    const abort = new AbortController();
    const sub = token.onCancellationRequested(() => abort.abort());
    return this.read(ref, abort.signal)
      .then(
        (text) => text,
        (e: unknown) => failureText(ref, e),
      )
      .finally(() => sub.dispose());
  }

  /**
   * Reads an object (and for an appointment its tasks, for a patient its appointments, every page),
   * renders it and opens it in a preview editor. Failures reject (the command shows them).
   */
  async open(ref: DetailsRef, signal?: AbortSignal): Promise<vscode.TextDocument> {
    const uri = HeimDocuments.uriOf(ref);
    const text = await this.read(ref, signal);
    this.texts.set(uri.toString(), text);
    this.emitter.fire(uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { preview: true });
    return doc;
  }

  /** The rendered text of an object. */
  async read(ref: DetailsRef, signal?: AbortSignal): Promise<string> {
    const client = this.deps.client();
    const object = await this.fetch(client, ref, signal);
    if (ref.format === 'json') return json(object) + '\n';
    const ctx = { mode: this.deps.mode() };
    switch (ref.kind) {
      case 'organisation':
        return renderOrganisation(object as Organisation, ctx);
      case 'patient': {
        const appointments = await every<Appointment>((q, s) => client.appointments(ref.id, q, s), signal);
        return renderPatient(object as Patient, appointments, ctx);
      }
      case 'appointment': {
        const tasks = await every<Task>((q, s) => client.tasks(ref.id, q, s), signal);
        return renderAppointment(object as Appointment, tasks, ctx);
      }
      case 'task':
        return renderTask(object as Task, ctx);
    }
  }

  private fetch(client: HeimClient, ref: DetailsRef, signal?: AbortSignal): Promise<HeimObject> {
    switch (ref.kind) {
      case 'organisation':
        return client.organisation(ref.id, signal);
      case 'patient':
        return client.patient(ref.id, signal);
      case 'appointment':
        return client.appointment(ref.id, signal);
      case 'task':
        return client.task(ref.id, signal);
    }
  }

  dispose(): void {
    this.closeSubscription.dispose();
    this.emitter.dispose();
  }
}

/** Every item of a Heim list (all pages, two at a time). */
async function every<T extends HeimObject>(list: HeimList<T>, signal?: AbortSignal): Promise<T[]> {
  const pager = new Pager<T>((x) => x.id);
  const fetch = pageFetcher(list, ALL_PAGE_SIZE);
  await loadAll(pager, (page, s) => fetch(page, s), { signal, concurrency: 2 });
  return [...pager.items];
}

/** The text of a document that could not be read again. */
function failureText(ref: DetailsRef, e: unknown): string {
  const api = isApiError(e) ? e : undefined;
  const lines = [
    `# Could not read this ${ref.kind}`,
    '',
    esc(api?.serverMessage ?? (e instanceof Error ? e.message : String(e))),
    ...(api ? issueLines(api).map((l) => `- ${esc(l)}`) : []),
    ...(api?.traceId ? ['', `Trace id: ${esc(api.traceId)}`] : []),
  ];
  return ref.format === 'json'
    ? JSON.stringify({ error: lines.join('\n') }, null, 2) + '\n'
    : lines.join('\n') + '\n';
}
