import * as vscode from 'vscode';
import { CrosswalksClient } from '../api/crosswalks';
import type { ImoConnections } from '../auth/imoConnections';
import type { ConnectionStatus } from '../auth/status';
import type { TreeNode } from '../platform/tree';
import { CrosswalkNode, CrosswalksRoot, type CrosswalkTreeContext, type SourceQuery } from './nodes';

/**
 * The Crosswalks tree of the active IMO environment. Empty while signed out, so the view's welcome
 * content (Sign In) shows; switching environment or signing in starts over.
 */
export class CrosswalksTree implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly subscription: vscode.Disposable;
  private readonly ctx: CrosswalkTreeContext;
  private clientCache: { api: unknown; client: CrosswalksClient } | undefined;
  private signature = '';
  root: CrosswalksRoot;

  constructor(private readonly deps: { imo: ImoConnections; status: ConnectionStatus }) {
    this.ctx = {
      client: () => {
        const { api } = deps.imo.active();
        if (this.clientCache?.api !== api) this.clientCache = { api, client: new CrosswalksClient(api) };
        return this.clientCache.client;
      },
      changed: (node) => this.changed(node),
    };
    this.root = new CrosswalksRoot(this.ctx);
    this.subscription = deps.status.onDidChange((s) => {
      const signature = `${s.imo.environmentName}|${s.imo.environment?.baseUrl}|${s.imo.hasCredential}`;
      if (signature !== this.signature) {
        this.signature = signature;
        this.resetAll();
      }
    });
  }

  get client(): CrosswalksClient {
    return this.ctx.client();
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return node.getTreeItem();
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    if (node) return node.getChildren();
    if (!this.deps.status.snapshot?.imo.hasCredential) return [];
    return this.root.getChildren();
  }

  getParent(node: TreeNode): TreeNode | undefined {
    return node.parent === this.root ? undefined : node.parent;
  }

  /** Redraws a node's children; the root stands for the whole tree. */
  changed(node?: TreeNode): void {
    this.emitter.fire(node === this.root ? undefined : node);
  }

  /** Starts over, optionally with a server-side source-code filter (document 003's list query). */
  resetAll(query: SourceQuery = this.root.query): void {
    const filter = this.root.filter;
    this.root = new CrosswalksRoot(this.ctx, query);
    this.root.filter = filter;
    this.emitter.fire(undefined);
  }

  /**
   * After an edit: the crosswalk's node gets the crosswalk as the server now has it and reloads its
   * versions (the list of crosswalks is not re-read, so the coder's place in the tree is kept).
   * Returns the node, when the crosswalk is loaded in the tree.
   */
  updateCrosswalk(
    crosswalk: { identifier: string } & Partial<CrosswalkNode['crosswalk']>,
  ): CrosswalkNode | undefined {
    const node = this.root.find(crosswalk.identifier);
    if (!node) return undefined;
    node.crosswalk = { ...node.crosswalk, ...crosswalk };
    node.reset();
    this.changed(node);
    return node;
  }

  /** After an archive: the list is read again. */
  removeCrosswalk(): void {
    this.root.reset();
    this.changed(this.root);
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }
}
