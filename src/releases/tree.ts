import * as vscode from 'vscode';
import { DownloadClient } from '../api/download';
import type { ImoConnections } from '../auth/imoConnections';
import type { ConnectionStatus } from '../auth/status';
import { ProductsRoot, type ReleaseNode, type TreeContext } from './nodes';

/**
 * The Releases tree: Products → Sub-products → Versions → Files of the active IMO environment.
 * Empty while signed out, so the view's welcome content (Sign In) shows. Switching environment or
 * signing in starts over from the products.
 */
export class ReleasesTree implements vscode.TreeDataProvider<ReleaseNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<ReleaseNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly subscription: vscode.Disposable;
  private readonly ctx: TreeContext;
  private clientCache: { api: unknown; client: DownloadClient } | undefined;
  private signature = '';
  root: ProductsRoot;

  constructor(
    private readonly deps: {
      imo: ImoConnections;
      status: ConnectionStatus;
      isWatched(product: string, subProduct: string): boolean;
    },
  ) {
    this.ctx = {
      client: () => {
        const { api } = deps.imo.active();
        if (this.clientCache?.api !== api) this.clientCache = { api, client: new DownloadClient(api) };
        return this.clientCache.client;
      },
      changed: (node) => this.changed(node),
      isWatched: (p, s) => deps.isWatched(p, s),
    };
    this.root = new ProductsRoot(this.ctx);
    this.subscription = deps.status.onDidChange((s) => {
      const signature = `${s.imo.environmentName}|${s.imo.environment?.baseUrl}|${s.imo.hasCredential}`;
      if (signature !== this.signature) {
        this.signature = signature;
        this.resetAll();
      }
    });
  }

  get client(): DownloadClient {
    return this.ctx.client();
  }

  getTreeItem(node: ReleaseNode): vscode.TreeItem {
    return node.getTreeItem();
  }

  async getChildren(node?: ReleaseNode): Promise<ReleaseNode[]> {
    if (node) return node.getChildren();
    if (!this.deps.status.snapshot?.imo.hasCredential) return [];
    return this.root.getChildren();
  }

  getParent(node: ReleaseNode): ReleaseNode | undefined {
    return node.parent === this.root ? undefined : node.parent;
  }

  /** Redraws a node's children; the root stands for the whole tree. */
  changed(node?: ReleaseNode): void {
    this.emitter.fire(node === this.root ? undefined : node);
  }

  resetAll(): void {
    this.root = new ProductsRoot(this.ctx);
    this.emitter.fire(undefined);
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }
}
