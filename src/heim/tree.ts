import * as vscode from 'vscode';
import type { HeimClient } from '../api/heim';
import type { ConnectionStatus, StatusSnapshot } from '../auth/status';
import type { SecretStore } from '../platform/secrets';
import type { TreeNode } from '../platform/tree';
import type { HeimConnection } from './connection';
import { CareRoot, type CareTreeContext } from './nodes';

/**
 * The Care tree of the active Heim environment. Empty while no key is stored, so the view's welcome
 * content (Set Heim API Key) shows; a new key, another environment or another base URL starts over.
 */
export class CareTree implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly subscriptions: vscode.Disposable[];
  private readonly ctx: CareTreeContext;
  private signature = '';
  private keyChanged = false;
  root: CareRoot;

  constructor(
    private readonly deps: { connection: HeimConnection; status: ConnectionStatus; secrets: SecretStore },
  ) {
    this.ctx = { client: () => deps.connection.active().client };
    this.root = new CareRoot(this.ctx);
    this.subscriptions = [
      // One reset per change, at the status event that follows it (every secret change refreshes
      // the status). Resetting at the secret event too would redraw the tree twice, the second time
      // while the coder may already be expanding a node of the first.
      deps.status.onDidChange((s) => {
        const signature = signatureOf(s);
        if (signature !== this.signature || this.keyChanged) {
          this.signature = signature;
          this.keyChanged = false;
          this.resetAll();
        }
      }),
      // another key of the same mode: other data, although the status reads the same
      deps.secrets.onDidChange((e) => {
        if (e.service === 'heim') this.keyChanged = true;
      }),
    ];
  }

  get client(): HeimClient {
    return this.ctx.client();
  }

  /** The mode of the stored key ("test" | "live"), when there is one. */
  get mode(): 'test' | 'live' | undefined {
    return this.deps.status.snapshot?.heim.heimMode;
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return node.getTreeItem();
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    if (node) return node.getChildren();
    if (!this.deps.status.snapshot?.heim.hasCredential) return [];
    return this.root.getChildren();
  }

  getParent(node: TreeNode): TreeNode | undefined {
    return node.parent === this.root ? undefined : node.parent;
  }

  /** Redraws a node's children; the root stands for the whole tree. */
  changed(node?: TreeNode): void {
    this.emitter.fire(node === this.root ? undefined : node);
  }

  /** Starts over (the organisations' filter is kept). */
  resetAll(): void {
    const filter = this.root.filter;
    this.root = new CareRoot(this.ctx);
    this.root.filter = filter;
    this.emitter.fire(undefined);
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.emitter.dispose();
  }
}

function signatureOf(s: StatusSnapshot): string {
  const h = s.heim;
  return `${h.environmentName}|${h.environment?.baseUrl}|${h.hasCredential}|${h.heimMode}`;
}
