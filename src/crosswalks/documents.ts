import { promises as fs } from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { CrosswalksClient } from '../api/crosswalks';
import { escapeMarkdown } from '../core/codes/hoverText';
import { EXPORT_CONCURRENCY, type MappingsExport } from '../core/crosswalks/exportAll';
import type { Crosswalk, CrosswalkVersion, Mapping } from '../core/crosswalks/model';
import { loadAll, Pager } from '../core/paging';
import { toAbortSignal } from '../platform/cancellation';
import type { Logger } from '../platform/log';
import { fileFormats } from './formats';
import { MAPPING_PAGE_SIZE, mappingKey, systemLabel } from './nodes';

/** Read-only documents of crosswalk versions (tables, compare sides, previews). */
export const CROSSWALK_SCHEME = 'clinical-coder-crosswalk';

export type TableFormat = 'csv' | 'markdown';

interface Streamed {
  text: string;
  done: boolean;
  abort: AbortController;
}

/**
 * The content provider of {@link CROSSWALK_SCHEME}. A version table is streamed: the document opens
 * at once and grows as pages arrive (the text is re-rendered at most every 250 ms); other documents
 * (compare sides, previews, reports) are set whole with {@link setText}.
 */
export class CrosswalkDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  private readonly texts = new Map<string, string>();
  private readonly streams = new Map<string, Streamed>();
  private readonly closeSubscription: vscode.Disposable;

  constructor(private readonly log: Logger) {
    // a table closed while it streams stops reading pages
    this.closeSubscription = vscode.workspace.onDidCloseTextDocument((doc) => {
      const s = this.streams.get(doc.uri.toString());
      if (s && !s.done) s.abort.abort();
    });
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const key = uri.toString();
    return this.streams.get(key)?.text ?? this.texts.get(key) ?? '';
  }

  /** Sets (or replaces) the whole text of a document. */
  setText(uri: vscode.Uri, text: string): void {
    this.texts.set(uri.toString(), text);
    this.emitter.fire(uri);
  }

  /**
   * Opens the table of one version and streams its mappings in. Resolves when every page is in (or
   * the reading stopped: cancelled, closed, failed; a failure is written at the end of the document
   * and rethrown).
   */
  async openTable(
    client: CrosswalksClient,
    crosswalk: Crosswalk,
    version: CrosswalkVersion,
    format: TableFormat,
    signal?: AbortSignal,
  ): Promise<{ uri: vscode.Uri; mappings: number; complete: boolean }> {
    const uri = vscode.Uri.from({
      scheme: CROSSWALK_SCHEME,
      path: `/${crosswalk.identifier}/v${version.version}/${fileSafe(crosswalk.name)}-v${version.version}.${format === 'csv' ? 'csv' : 'md'}`,
    });
    const key = uri.toString();
    this.streams.get(key)?.abort.abort();
    const stream: Streamed = { text: '', done: false, abort: new AbortController() };
    this.streams.set(key, stream);
    const onOuterAbort = (): void => stream.abort.abort();
    signal?.addEventListener('abort', onOuterAbort, { once: true });

    const pager = new Pager<Mapping>(mappingKey);
    const render = (footer?: string): void => {
      stream.text =
        format === 'csv'
          ? fileFormats().toCsv(pager.items)
          : markdownTable(crosswalk, version, pager.items, pager.total, footer);
      this.emitter.fire(uri);
    };
    render('Loading…');
    const doc = await vscode.workspace.openTextDocument(uri);
    if (format === 'csv')
      await vscode.languages.setTextDocumentLanguage(doc, 'csv').then(undefined, () => doc);
    await vscode.window.showTextDocument(doc, { preview: false });

    let timer: NodeJS.Timeout | undefined;
    const schedule = (): void => {
      timer ??= setTimeout(() => {
        timer = undefined;
        render(`Loading… ${pager.items.length} of ${pager.total ?? '?'} mappings`);
      }, 250);
    };
    try {
      await loadAll(
        pager,
        async (page, s) => {
          const p = await client.mappings(
            crosswalk.identifier,
            version.version,
            { pageSize: MAPPING_PAGE_SIZE, pageNumber: page },
            s,
          );
          schedule();
          return p;
        },
        { signal: stream.abort.signal, concurrency: EXPORT_CONCURRENCY },
      );
      const complete = !pager.hasMore;
      render(complete ? undefined : `Stopped after ${pager.items.length} of ${pager.total ?? '?'} mappings.`);
      return { uri, mappings: pager.items.length, complete };
    } catch (e) {
      this.log.warn(
        `crosswalk ${crosswalk.identifier} v${version.version}: table stopped after ${pager.items.length} mappings`,
      );
      render(`Reading stopped: ${e instanceof Error ? e.message : String(e)}`);
      throw e;
    } finally {
      if (timer) clearTimeout(timer);
      stream.done = true;
      signal?.removeEventListener('abort', onOuterAbort);
    }
  }

  dispose(): void {
    for (const s of this.streams.values()) s.abort.abort();
    this.closeSubscription.dispose();
    this.emitter.dispose();
  }
}

/** A name usable in a file name: no path separators or reserved characters. */
export function fileSafe(name: string): string {
  return (
    name
      // eslint-disable-next-line no-control-regex -- control characters are what is being removed
      .replace(/[\\/:*?"<>|\u0000-\u001f]+/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 80) || 'crosswalk'
  );
}

/** One version as a markdown table (values escaped; pipes in values cannot break the table). */
export function markdownTable(
  c: Crosswalk,
  v: CrosswalkVersion,
  mappings: readonly Mapping[],
  total: number | undefined,
  footer?: string,
): string {
  const cell = (s: string | undefined): string =>
    escapeMarkdown(s ?? '')
      .replace(/\|/g, '\\|')
      .replace(/\r?\n/g, ' ');
  const out = [
    `# ${cell(c.name)}, version ${v.version}`,
    '',
    [
      v.status && `Status: ${cell(v.status)}`,
      `${total ?? mappings.length} mappings`,
      c.description && cell(c.description),
    ]
      .filter(Boolean)
      .join(' · '),
    '',
  ];
  const attrs = v.customAttributes ?? c.customAttributes ?? [];
  if (attrs.length) {
    out.push('Attributes: ' + attrs.map((a) => `${cell(a.key)} = ${cell(a.value)}`).join('; '), '');
  }
  out.push(
    '| Source system | Source code | Source display | Target system | Target code | Target display | Attributes |',
    '|---|---|---|---|---|---|---|',
  );
  for (const m of mappings) {
    const targets = m.targets.length ? m.targets : [undefined];
    for (const t of targets) {
      out.push(
        `| ${cell(systemLabel(m.sourceCodeSystem))} | ${cell(m.sourceCode)} | ${cell(m.sourceDisplay)} | ${cell(systemLabel(m.targetCodeSystem))} | ${cell(t?.targetCode)} | ${cell(t?.targetDisplay)} | ${cell((t?.customAttributes ?? []).map((a) => `${a.key}=${a.value ?? ''}`).join('; '))} |`,
      );
    }
  }
  if (footer) out.push('', `*${cell(footer)}*`);
  return out.join('\n') + '\n';
}

/**
 * Every mapping of a version, with a cancellable progress notification: bounded concurrency
 * (`EXPORT_CONCURRENCY`), exactly once each. The pages are asked with the HTTP client's own 429
 * retry off: `fetchAllMappings` waits out each 429 and paces the whole pool from them, which a
 * per-request sleep could not (the other workers would keep hitting the limit).
 */
export async function readVersion(
  client: CrosswalksClient,
  crosswalk: Crosswalk,
  version: number,
  title: string,
): Promise<MappingsExport> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    async (progress, token) => {
      const abort = toAbortSignal(token);
      let last = 0;
      try {
        return await fileFormats().fetchAllMappings(
          (page, signal) =>
            client.mappings(
              crosswalk.identifier,
              version,
              { pageSize: MAPPING_PAGE_SIZE, pageNumber: page },
              signal,
              { retryRateLimit: false },
            ),
          {
            signal: abort.signal,
            concurrency: EXPORT_CONCURRENCY,
            onProgress: (done, total) => {
              const pct = (done / Math.max(1, total)) * 100;
              progress.report({ increment: pct - last, message: `page ${done} of ${total}` });
              last = pct;
            },
          },
        );
      } finally {
        abort.dispose();
      }
    },
  );
}

/**
 * Writes `text` to `file` without ever leaving a half file under its name: written to a temporary
 * file beside it, then renamed over it.
 */
export async function writeFileAtomically(file: string, text: string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.part`);
  try {
    await fs.writeFile(tmp, text, 'utf8');
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}
