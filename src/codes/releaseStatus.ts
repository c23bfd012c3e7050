import * as vscode from 'vscode';
import { Commands } from '../constants';
import type { CodeIndex } from '../core/codes/codeIndex';
import { CODE_SYSTEM_LABELS } from '../core/codes/systems';
import type { CodeSystem } from '../core/codes/systems';
import type { CodeIndexService } from './service';

/** Systems shown first in the status bar: the ones coders switch between releases of. */
const PRIMARY: readonly CodeSystem[] = ['icd10cm', 'icd10pcs', 'hcpcs', 'cpt'];

/**
 * The status bar item that names the active code set release (e.g. `ICD-10-CM FY2026`) while a
 * document the code features apply to is in the editor; a click picks another release.
 */
export class ReleaseStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(
    'clinicalCoder.codes.release',
    vscode.StatusBarAlignment.Right,
    90,
  );
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly service: CodeIndexService,
    private readonly applies: (doc: vscode.TextDocument) => boolean,
  ) {
    this.item.name = 'Clinical Coder: Code Set Release';
    this.item.command = Commands.codesSelectRelease;
    this.disposables.push(
      this.item,
      service.onDidChange(() => this.update()),
      service.onDidChangeLoading(() => this.update()),
      vscode.window.onDidChangeActiveTextEditor(() => this.update()),
    );
    this.update();
  }

  get text(): string {
    return this.item.text;
  }

  update(): void {
    const editor = vscode.window.activeTextEditor;
    if (!editor || !this.applies(editor.document)) {
      this.item.hide();
      return;
    }
    const index = this.service.current;
    if (this.service.isLoading && !index) {
      this.item.text = '$(sync~spin) Code index';
      this.item.tooltip = 'Loading the code index…';
    } else if (!index) {
      this.item.text = '$(library) Codes';
      this.item.tooltip = 'The code index loads on first use (hover a code, or run Find Code)';
    } else {
      this.item.text = `$(library) ${summary(index)}`;
      const md = new vscode.MarkdownString('**Active code set releases**\n\n');
      for (const system of index.loadedSystems()) {
        const r = index.activeRelease(system);
        if (r)
          md.appendMarkdown(
            `- ${CODE_SYSTEM_LABELS[system]}: ${r.version} (${r.count.toLocaleString('en-US')} codes)\n`,
          );
      }
      md.appendMarkdown('\nClick to choose another release.');
      this.item.tooltip = md;
    }
    this.item.show();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

function summary(index: CodeIndex): string {
  const loaded = index.loadedSystems();
  const first = PRIMARY.find((s) => loaded.includes(s)) ?? loaded[0];
  if (!first) return 'No code sets';
  const r = index.activeRelease(first)!;
  return r.label;
}

/** Quick picks: a system, then one of its loaded releases (or "newest"). Stored in user settings. */
export async function selectRelease(
  service: CodeIndexService,
  system?: CodeSystem,
): Promise<string | undefined> {
  const index = await service.ready();
  let chosen = system;
  if (!chosen) {
    const items = index.loadedSystems().map((s) => ({
      label: CODE_SYSTEM_LABELS[s],
      description: index.activeRelease(s)?.version,
      detail: `${index.releases(s).length} release(s) loaded`,
      system: s,
    }));
    const pick = await vscode.window.showQuickPick(items, {
      title: 'Code system',
      placeHolder: 'Choose the code system whose active release to change',
    });
    if (!pick) return undefined;
    chosen = pick.system;
  }
  const active = index.activeRelease(chosen);
  const releases = [...index.releases(chosen)].reverse();
  const items: (vscode.QuickPickItem & { id: string | undefined })[] = [
    { label: 'Newest loaded release', description: releases[0]?.version, id: undefined },
    ...releases.map((r) => ({
      label: r.label,
      description: `${r.count.toLocaleString('en-US')} codes${r.validFrom ? ` · ${r.validFrom} to ${r.validTo ?? '…'}` : ''}`,
      detail: r.source === 'bundled' ? 'Bundled with the extension' : r.source,
      picked: r.id === active?.id,
      id: r.id,
    })),
  ];
  const pick = await vscode.window.showQuickPick(items, {
    title: `Active ${CODE_SYSTEM_LABELS[chosen]} release`,
    placeHolder: `Now: ${active?.label ?? 'none'}`,
  });
  if (!pick) return undefined;
  await service.setActiveRelease(chosen, pick.id);
  return pick.id ?? releases[0]?.id;
}
