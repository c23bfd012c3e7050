import * as vscode from 'vscode';
import { toAbortSignal } from './cancellation';
import { registerCommand, type CommandContext } from './commands';
import { ErrorNode, type ContainerNode, type PagedNode, type TreeNode } from './tree';

/** What the shared tree commands need from a tree provider. */
export interface PagedTree {
  readonly root: ContainerNode;
  /** Redraws `node`'s children (the root stands for the whole tree). */
  changed(node?: TreeNode): void;
}

/** The ids of one tree's node commands (each tree contributes its own). */
export interface TreeCommandIds {
  readonly refreshNode: string;
  readonly loadMore: string;
  readonly loadAll: string;
  readonly filter: string;
  /** Omitted when the tree registers its own (e.g. one that also clears a server-side query). */
  readonly clearFilter?: string;
  readonly retry: string;
  readonly copyTraceId: string;
}

/**
 * Registers the commands every paged tree has (DESIGN.md §2): Refresh a node, Load more, cancellable
 * Load all, Filter / Clear Filter on loaded items, Retry and Copy Trace Id on error nodes. Each goes
 * through the one command error boundary. `rootLabel` names the root level in titles ("products").
 */
export function registerTreeCommands(
  ctx: CommandContext,
  tree: PagedTree,
  ids: TreeCommandIds,
  rootLabel: string,
): vscode.Disposable[] {
  const labelOf = (node: TreeNode): string =>
    node === tree.root ? rootLabel : String(node.getTreeItem().label ?? '');
  const out = [
    registerCommand(ctx, ids.refreshNode, 'Refresh', (node: ContainerNode) => {
      node.reset();
      tree.changed(node);
    }),
    registerCommand(ctx, ids.loadMore, 'Load More', async (node: PagedNode) => {
      if (node.busy) return;
      const loading = node.loadMore();
      tree.changed(node); // shows "Loading…" while the page is on its way
      await loading;
      tree.changed(node);
    }),
    registerCommand(ctx, ids.loadAll, 'Load All', async (node: PagedNode) => {
      if (node.busy) return;
      await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `Loading every page of ${labelOf(node)}…`,
          cancellable: true,
        },
        async (_p, token) => {
          const abort = toAbortSignal(token);
          const loading = node.loadAllPages(abort.signal);
          tree.changed(node);
          try {
            await loading;
          } finally {
            abort.dispose();
            tree.changed(node);
          }
        },
      );
    }),
    registerCommand(ctx, ids.filter, 'Filter', async (node?: ContainerNode, text?: string) => {
      const target = node ?? tree.root;
      const value =
        text ??
        (await vscode.window.showInputBox({
          title: `Filter ${labelOf(target)}`,
          prompt: target.filterHint,
          value: target.filter,
        }));
      if (value === undefined) return;
      target.filter = value.trim();
      tree.changed(target);
    }),
    registerCommand(ctx, ids.retry, 'Retry', (node: ErrorNode) => {
      node.parent.reset();
      tree.changed(node.parent);
    }),
    registerCommand(ctx, ids.copyTraceId, 'Copy Trace Id', async (node: ErrorNode) => {
      if (!(node instanceof ErrorNode) || !node.traceId) return undefined;
      await vscode.env.clipboard.writeText(node.traceId);
      return node.traceId;
    }),
  ];
  if (ids.clearFilter) {
    out.push(
      registerCommand(ctx, ids.clearFilter, 'Clear Filter', (node?: ContainerNode) => {
        const target = node ?? tree.root;
        target.filter = '';
        tree.changed(target);
      }),
    );
  }
  return out;
}
