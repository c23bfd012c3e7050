import * as vscode from 'vscode';
import { Commands } from '../constants';
import type { DownloadRecord } from '../core/downloadsManifest';
import { formatBytes } from '../core/format';
import { exists } from '../node/files';
import type { ManifestStore } from './manifestStore';

/** A downloaded file in the Downloads view. */
export class DownloadedNode {
  constructor(
    readonly record: DownloadRecord,
    readonly present: boolean,
  ) {}

  getTreeItem(): vscode.TreeItem {
    const r = this.record;
    const item = new vscode.TreeItem(r.fileName, vscode.TreeItemCollapsibleState.None);
    item.id = `download:${r.path}`;
    item.description = `${r.subProduct.name} · ${r.version.name}${this.present ? '' : ' · missing on disk'}`;
    item.iconPath = this.present ? vscode.ThemeIcon.File : new vscode.ThemeIcon('warning');
    item.resourceUri = vscode.Uri.file(r.path);
    item.contextValue = this.present ? 'downloaded' : 'downloaded.missing';
    const tip = new vscode.MarkdownString();
    tip.appendMarkdown('**');
    tip.appendText(r.fileName);
    tip.appendMarkdown('**\n\n');
    for (const [k, v] of [
      ['Product', r.product.name],
      ['Sub-product', r.subProduct.name],
      [
        'Version',
        `${r.version.name}${r.version.effectiveDate ? `, effective ${r.version.effectiveDate}` : ''}`,
      ],
      ['Size', `${formatBytes(r.size)} (${r.size} bytes)`],
      ['SHA-256', r.sha256],
      ['Downloaded', r.downloadedAt],
      ['Path', r.path],
    ]) {
      tip.appendMarkdown(`- ${k}: `);
      tip.appendText(v);
      tip.appendMarkdown('\n');
    }
    item.tooltip = tip;
    if (this.present) item.command = { command: Commands.downloadsOpen, title: 'Open', arguments: [this] };
    item.accessibilityInformation = { label: `${r.fileName}, ${item.description}` };
    return item;
  }
}

/** The Downloads view: every file recorded in the manifest, newest first, with open/reveal/delete. */
export class DownloadsView implements vscode.TreeDataProvider<DownloadedNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly manifest: ManifestStore) {
    this.subscription = manifest.onDidChange(() => this.refresh());
  }

  refresh(): void {
    this.emitter.fire(undefined);
  }

  getTreeItem(node: DownloadedNode): vscode.TreeItem {
    return node.getTreeItem();
  }

  async getChildren(node?: DownloadedNode): Promise<DownloadedNode[]> {
    if (node) return [];
    const m = await this.manifest.read();
    const sorted = [...m.downloads].sort((a, b) => b.downloadedAt.localeCompare(a.downloadedAt));
    return Promise.all(sorted.map(async (r) => new DownloadedNode(r, await exists(r.path))));
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }
}
