import * as vscode from 'vscode';
import { isApiError } from '../core/errors';
import { loadAll, Pager, type Page } from '../core/paging';

/**
 * The pieces every tree of the extension is built from (DESIGN.md §2): nodes are small classes holding
 * their data, paged levels own a {@link PagedLevel}, and failures and empty levels are nodes (an
 * {@link ErrorNode} offers Retry and the trace id), never popups from `getChildren`.
 */
export interface TreeNode {
  readonly id: string;
  readonly parent?: TreeNode;
  getTreeItem(): vscode.TreeItem;
  getChildren(): Promise<TreeNode[]>;
}

/** A node that can be refreshed on its own and filtered. */
export interface ContainerNode extends TreeNode {
  reset(): void;
  filter?: string;
  readonly filterHint?: string;
}

/** A node with more pages to load. */
export interface PagedNode extends ContainerNode {
  loadMore(): Promise<void>;
  loadAllPages(signal: AbortSignal): Promise<void>;
  readonly busy: boolean;
}

/** The commands a tree's Load more and error nodes run (each tree has its own ids). */
export interface TreeCommands {
  readonly loadMore: string;
  readonly retry: string;
}

/** A tooltip: the title in bold, then `- key: value` rows (empty values left out); values are escaped. */
export const md = (title: string, rows: [string, string | number | boolean | null | undefined][]) => {
  const m = new vscode.MarkdownString();
  m.appendMarkdown('**');
  m.appendText(title);
  m.appendMarkdown('**\n\n');
  for (const [k, v] of rows) {
    if (v === undefined || v === null || v === '') continue;
    m.appendMarkdown(`- ${k}: `);
    m.appendText(String(v));
    m.appendMarkdown('\n');
  }
  return m;
};

/** Sets the screen-reader label of an item to its label and description. */
export const a11y = (item: vscode.TreeItem) => {
  const label = typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
  item.accessibilityInformation = { label: item.description ? `${label}, ${item.description}` : label };
  return item;
};

/** One paged list (sub-products of a product, versions of a sub-product) with its load state. */
export class PagedLevel<T> {
  readonly pager: Pager<T>;
  error: unknown;
  busy = false;
  private first: Promise<void> | undefined;

  constructor(
    private readonly fetch: (page: number, signal?: AbortSignal) => Promise<Page<T>>,
    idOf: (item: T) => string,
    /** Pages fetched at once by Load all (the HTTP layer honours 429 Retry-After). */
    private readonly concurrency = 2,
  ) {
    this.pager = new Pager<T>(idOf);
  }

  /** Loads page 1 once; a failure is kept for the error node. */
  ensureFirst(): Promise<void> {
    this.first ??= this.guard(async () => {
      this.pager.add(await this.fetch(1), 1);
    });
    return this.first;
  }

  loadMore(): Promise<void> {
    if (this.busy || !this.pager.hasMore) return Promise.resolve();
    const page = this.pager.nextPage;
    return this.guard(async () => {
      this.pager.add(await this.fetch(page), page);
    });
  }

  loadAll(signal: AbortSignal): Promise<void> {
    if (this.busy) return Promise.resolve();
    return this.guard(async () => {
      await loadAll(this.pager, (p, s) => this.fetch(p, s), { signal, concurrency: this.concurrency });
    }, true);
  }

  reset(): void {
    this.pager.reset();
    this.error = undefined;
    this.first = undefined;
  }

  private async guard(op: () => Promise<void>, rethrowCancel = false): Promise<void> {
    this.busy = true;
    this.error = undefined;
    try {
      await op();
    } catch (e) {
      if (isApiError(e) && e.kind === 'cancelled') {
        if (rethrowCancel) throw e;
      } else {
        this.error = e;
      }
    } finally {
      this.busy = false;
    }
  }
}

/** Children of a paged container: filtered items, then Load more / Load all, errors and hints. */
export function pagedChildren<T>(
  owner: PagedNode,
  level: PagedLevel<T>,
  make: (item: T) => TreeNode,
  match: (item: T, filter: string) => boolean,
  noun: string,
  commands: TreeCommands,
): TreeNode[] {
  const items = level.pager.items.filter((i) => !owner.filter || match(i, owner.filter));
  const out: TreeNode[] = items.map(make);
  if (level.error) out.push(new ErrorNode(owner, `Couldn't load ${noun}`, level.error, commands.retry));
  if (level.pager.hasMore) {
    const left = level.pager.total !== undefined ? level.pager.total - level.pager.items.length : undefined;
    out.push(new LoadMoreNode(owner, left, commands.loadMore));
  }
  if (level.pager.problem)
    out.push(new MessageNode(owner, `problem:${noun}`, level.pager.problem, 'warning'));
  if (!level.error && items.length === 0 && !level.pager.hasMore) {
    out.push(
      new MessageNode(
        owner,
        'empty',
        owner.filter ? `No ${noun} match "${owner.filter}"` : `No ${noun}`,
        owner.filter ? 'filter' : 'circle-slash',
      ),
    );
  }
  return out;
}

/**
 * A node whose children are one paged list: its {@link PagedLevel}, its filter, and the nodes made
 * for its items (kept, so ids and expansion state survive a redraw).
 */
export abstract class PagedContainer<T, C extends TreeNode> implements PagedNode {
  abstract readonly id: string;
  abstract readonly filterHint: string;
  abstract getTreeItem(): vscode.TreeItem;
  abstract getChildren(): Promise<TreeNode[]>;
  readonly level: PagedLevel<T>;
  filter = '';
  private readonly nodes = new Map<string, C>();

  constructor(
    fetch: (page: number, signal?: AbortSignal) => Promise<Page<T>>,
    private readonly keyOf: (item: T) => string,
    concurrency?: number,
  ) {
    this.level = new PagedLevel(fetch, keyOf, concurrency);
  }

  get busy(): boolean {
    return this.level.busy;
  }
  loadMore(): Promise<void> {
    return this.level.loadMore();
  }
  loadAllPages(signal: AbortSignal): Promise<void> {
    return this.level.loadAll(signal);
  }
  reset(): void {
    this.level.reset();
    this.nodes.clear();
  }

  /** The node of `item`, made once. */
  protected nodeFor(item: T, make: (item: T) => C): C {
    const key = this.keyOf(item);
    let node = this.nodes.get(key);
    if (!node) {
      node = make(item);
      this.nodes.set(key, node);
    }
    return node;
  }
}

export class LoadMoreNode implements TreeNode {
  readonly id: string;
  constructor(
    readonly parent: PagedNode,
    private readonly remaining: number | undefined,
    private readonly command: string,
  ) {
    this.id = `${parent.id}/more`;
  }
  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(
      this.parent.busy ? 'Loading…' : 'Load more…',
      vscode.TreeItemCollapsibleState.None,
    );
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon(this.parent.busy ? 'loading~spin' : 'ellipsis');
    item.description =
      this.remaining !== undefined && this.remaining > 0 ? `${this.remaining} more` : undefined;
    item.contextValue = 'loadMore';
    item.command = { command: this.command, title: 'Load more', arguments: [this.parent] };
    item.tooltip =
      'Load the next page. "Load All" (inline) fetches every page; Filter narrows what is loaded.';
    return a11y(item);
  }
  async getChildren(): Promise<TreeNode[]> {
    return [];
  }
}

export class ErrorNode implements TreeNode {
  readonly id: string;
  constructor(
    readonly parent: ContainerNode,
    private readonly what: string,
    readonly error: unknown,
    private readonly retryCommand: string,
  ) {
    this.id = `${parent.id}/error`;
  }
  get traceId(): string | undefined {
    return isApiError(this.error) ? this.error.traceId : undefined;
  }
  getTreeItem(): vscode.TreeItem {
    const message = this.error instanceof Error ? this.error.message : String(this.error);
    const item = new vscode.TreeItem(`${this.what}: ${message}`, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
    item.contextValue = this.traceId ? 'error.trace' : 'error';
    item.command = { command: this.retryCommand, title: 'Retry', arguments: [this] };
    item.tooltip = md(this.what, [
      ['Message', message],
      ['Server said', isApiError(this.error) ? this.error.serverMessage : undefined],
      ['Trace id', this.traceId],
      ['', 'Click to retry'],
    ]);
    return a11y(item);
  }
  async getChildren(): Promise<TreeNode[]> {
    return [];
  }
}

export class MessageNode implements TreeNode {
  readonly id: string;
  constructor(
    readonly parent: TreeNode,
    key: string,
    private readonly text: string,
    private readonly icon: string,
  ) {
    this.id = `${parent.id}/${key}`;
  }
  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.text, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon(this.icon);
    item.contextValue = 'message';
    return a11y(item);
  }
  async getChildren(): Promise<TreeNode[]> {
    return [];
  }
}
