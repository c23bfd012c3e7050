import * as vscode from 'vscode';
import { Commands } from '../constants';
import { codeKey, displayCode, type CodeIndex } from '../core/codes/codeIndex';
import { slugOfLocalSystem } from '../core/crosswalks/limits';
import { CODE_SYSTEM_LABELS, isCodeSystem } from '../core/codes/systems';
import type { CodeSystem } from '../core/codes/systems';
import { registerCommand, UserError } from '../platform/commands';
import type { Logger } from '../platform/log';
import { selectRelease } from './releaseStatus';
import type { DocumentCodes } from './documentCodes';
import type { CodeIndexService } from './service';

/** What hover links pass to the code commands. */
export interface CodeArgs {
  readonly system: string;
  readonly code: string;
  readonly display?: string;
  readonly title?: string;
}

/** The code under the cursor of the active editor (editor context menu, palette). */
function codeAtCursor(
  codes: DocumentCodes,
  index: CodeIndex,
): { system: CodeSystem; code: string; display: string } {
  const editor = vscode.window.activeTextEditor;
  const match = editor
    ? codes.at(editor.document, index, editor.document.offsetAt(editor.selection.active))
    : undefined;
  const c = match?.candidates[0];
  if (!c) throw new UserError('Put the cursor on a code (or use "Find crosswalks" from a code hover).');
  return { system: c.system, code: c.code, display: displayCode(c.system, codeKey(c.code)) };
}

function checkArgs(args: CodeArgs | undefined): { system: CodeSystem; code: string; display: string } {
  if (!args || typeof args.code !== 'string' || !isCodeSystem(String(args.system)))
    throw new UserError('This command needs a code: use it from a code hover.');
  return { system: args.system as CodeSystem, code: args.code, display: args.display ?? args.code };
}

/** Inserts `text` at every selection of the active editor, or copies it when there is none. */
export async function insertOrCopy(text: string): Promise<'inserted' | 'copied'> {
  const editor = vscode.window.activeTextEditor;
  if (editor) {
    await editor.edit((b) => editor.selections.forEach((s) => b.replace(s, text)));
    return 'inserted';
  }
  await vscode.env.clipboard.writeText(text);
  return 'copied';
}

/** The index report: per-source counts and rejected lines, as an untitled markdown document. */
export function indexReport(service: CodeIndexService, index: CodeIndex): string {
  const load = service.lastLoad;
  const lines = ['# Clinical Coder code index', ''];
  if (load) {
    lines.push(
      `${load.fromCache ? 'Loaded from the cache' : 'Built from the sources'} in ${load.ms.toFixed(0)} ms; ${index.size.toLocaleString('en-US')} codes.`,
      '',
    );
  }
  lines.push('## Releases', '', '| System | Release | Codes | Active | Source |', '|---|---|---:|---|---|');
  for (const system of index.loadedSystems()) {
    const active = index.activeRelease(system)?.id;
    for (const r of index.releases(system)) {
      lines.push(
        `| ${CODE_SYSTEM_LABELS[system]} | ${r.label} | ${r.count.toLocaleString('en-US')} | ${r.id === active ? 'yes' : ''} | ${r.source} |`,
      );
    }
  }
  if (load && load.reports.length) {
    lines.push(
      '',
      '## Sources read',
      '',
      '| File | Release | Entries | Rejected | ms |',
      '|---|---|---:|---:|---:|',
    );
    for (const r of load.reports) {
      lines.push(
        `| ${r.name} | ${r.error ? `**error:** ${r.error}` : (r.release ?? '')} | ${r.counts?.entries ?? ''} | ${r.counts?.rejected ?? ''} | ${r.ms.toFixed(0)} |`,
      );
    }
    const rejected = load.reports.filter((r) => r.rejected && r.rejected.length > 0);
    for (const r of rejected) {
      lines.push('', `### Rejected lines in ${r.name}`, '');
      for (const x of r.rejected!) lines.push(`- line ${x.line}: ${x.reason}`);
    }
  } else if (load?.fromCache) {
    lines.push('', 'Run **Clinical Coder: Rebuild Code Index** to see what each source file contributed.');
  }
  return lines.join('\n') + '\n';
}

export function registerCodeCommands(
  context: vscode.ExtensionContext,
  deps: { service: CodeIndexService; log: Logger; codes: DocumentCodes },
): void {
  const { service } = deps;
  const cmd = <A extends unknown[], R>(id: string, title: string, fn: (...a: A) => Promise<R> | R) =>
    registerCommand(deps, id, title, fn);
  context.subscriptions.push(
    cmd(Commands.codesCopy, 'Copy Code', async (args?: CodeArgs) => {
      const { display } = checkArgs(args);
      await vscode.env.clipboard.writeText(display);
      void vscode.window.setStatusBarMessage(`Copied ${display}`, 3000);
      return display;
    }),
    cmd(Commands.codesFindCrosswalks, 'Find Crosswalks for Code', async (args?: CodeArgs) => {
      const index = await service.ready();
      const { system, code, display } = args ? checkArgs(args) : codeAtCursor(deps.codes, index);
      const info = index.lookup(system, code);
      const items: (vscode.QuickPickItem & { insert?: string; imo?: boolean })[] = [];
      for (const x of info?.crosswalks ?? []) {
        items.push({ label: x.label, kind: vscode.QuickPickItemKind.Separator });
        if (x.targets.length === 0) items.push({ label: '$(circle-slash) No mapping' });
        for (const t of x.targets) {
          items.push({
            label: t.display,
            description: t.title ?? '(not in the loaded releases)',
            detail: [
              t.approximate ? 'approximate' : 'exact',
              t.combination ? 'combination' : '',
              t.billable === false ? 'header' : '',
            ]
              .filter(Boolean)
              .join(' · '),
            insert: t.display,
          });
        }
      }
      // the organisation's own crosswalks live in IMO: searched through the list endpoint's source filter
      const slug = slugOfLocalSystem(system);
      if (slug) {
        items.push({ label: 'IMO crosswalks', kind: vscode.QuickPickItemKind.Separator });
        items.push({
          label: `$(cloud) Search IMO crosswalks for ${display}`,
          detail: 'Lists the crosswalks of your IMO organisation that map this code (Crosswalks view)',
          imo: true,
        });
      }
      if (items.length === 0) {
        void vscode.window.showInformationMessage(`No crosswalks are loaded for ${display}.`);
        return undefined;
      }
      const pick = await vscode.window.showQuickPick(items, {
        title: `Crosswalks of ${display}`,
        placeHolder: 'Enter inserts the target code (or copies it when no editor is open)',
        matchOnDescription: true,
      });
      if (pick?.imo) {
        return vscode.commands.executeCommand(Commands.crosswalksFindForCode, { slug, code: display });
      }
      if (!pick?.insert) return undefined;
      await insertOrCopy(pick.insert);
      return pick.insert;
    }),
    cmd(Commands.codesSelectRelease, 'Select Active Code Set Release', (system?: string) =>
      selectRelease(service, system !== undefined && isCodeSystem(system) ? system : undefined),
    ),
    cmd(Commands.codesRebuildIndex, 'Rebuild Code Index', async () => {
      const index = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Rebuilding the code index…' },
        () => service.reload(true),
      );
      void vscode.window.showInformationMessage(
        `Code index rebuilt: ${index.size.toLocaleString('en-US')} codes in ${index.releases().length} releases.`,
      );
      return index.size;
    }),
    cmd(Commands.codesShowIndexReport, 'Show Code Index Report', async () => {
      const index = await service.ready();
      const doc = await vscode.workspace.openTextDocument({
        language: 'markdown',
        content: indexReport(service, index),
      });
      await vscode.window.showTextDocument(doc, { preview: true });
    }),
  );
}
