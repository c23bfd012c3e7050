import * as vscode from 'vscode';
import { Commands } from '../constants';
import { isApiError } from '../core/errors';
import { formatBytes, matchesFilter } from '../core/format';
import { loadAll, Pager, type Page } from '../core/paging';
import type { DownloadClient, Product, ReleaseFile, SubProduct, Version } from '../api/download';

/**
 * Nodes of the Releases tree: small classes holding their data (DESIGN.md §2). Paged levels own a
 * {@link PagedLevel}; failures and empty levels are nodes, never popups.
 */
export interface ReleaseNode {
  readonly id: string;
  readonly parent?: ReleaseNode;
  getTreeItem(): vscode.TreeItem;
  getChildren(): Promise<ReleaseNode[]>;
}

/** What nodes need from the tree: the client of the active environment and a way to redraw. */
export interface TreeContext {
  client(): DownloadClient;
  /** Redraws `node`'s children (or the whole tree). */
  changed(node?: ReleaseNode): void;
  isWatched(product: string, subProduct: string): boolean;
}

/** A node that can be refreshed on its own and filtered. */
export interface ContainerNode extends ReleaseNode {
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

const md = (title: string, rows: [string, string | number | boolean | null | undefined][]) => {
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

const a11y = (item: vscode.TreeItem) => {
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
      await loadAll(this.pager, (p, s) => this.fetch(p, s), { signal, concurrency: 2 });
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
function pagedChildren<T>(
  owner: PagedNode,
  level: PagedLevel<T>,
  make: (item: T) => ReleaseNode,
  match: (item: T, filter: string) => boolean,
  noun: string,
): ReleaseNode[] {
  const items = level.pager.items.filter((i) => !owner.filter || match(i, owner.filter));
  const out: ReleaseNode[] = items.map(make);
  if (level.error) out.push(new ErrorNode(owner, `Couldn't load ${noun}`, level.error));
  if (level.pager.hasMore) {
    const left = level.pager.total !== undefined ? level.pager.total - level.pager.items.length : undefined;
    out.push(new LoadMoreNode(owner, left));
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
abstract class PagedContainer<T, C extends ReleaseNode> implements PagedNode {
  abstract readonly id: string;
  abstract readonly filterHint: string;
  abstract getTreeItem(): vscode.TreeItem;
  abstract getChildren(): Promise<ReleaseNode[]>;
  readonly level: PagedLevel<T>;
  filter = '';
  private readonly nodes = new Map<string, C>();

  constructor(
    fetch: (page: number, signal?: AbortSignal) => Promise<Page<T>>,
    private readonly keyOf: (item: T) => string,
  ) {
    this.level = new PagedLevel(fetch, keyOf);
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

export class ProductsRoot implements ContainerNode {
  readonly id = 'products';
  private products: Product[] | undefined;
  private error: unknown;
  private children = new Map<string, ProductNode>();
  filter = '';
  readonly filterHint = 'Filter products by name or slug';

  constructor(private readonly ctx: TreeContext) {}

  getTreeItem(): vscode.TreeItem {
    return new vscode.TreeItem('Products', vscode.TreeItemCollapsibleState.Expanded);
  }

  async getChildren(): Promise<ReleaseNode[]> {
    if (!this.products && !this.error) {
      try {
        this.products = await this.ctx.client().listProducts();
      } catch (e) {
        this.error = e;
      }
    }
    if (this.error) return [new ErrorNode(this, "Couldn't load products", this.error)];
    const list = (this.products ?? []).filter(
      (p) => !this.filter || matchesFilter(this.filter, [p.product_name, p.product_slug]),
    );
    if (list.length === 0)
      return [
        new MessageNode(
          this,
          'empty',
          this.filter ? `No products match "${this.filter}"` : 'No products are available to this account',
          'circle-slash',
        ),
      ];
    return list.map((p) => {
      let node = this.children.get(p.product_slug);
      if (!node || node.product !== p) {
        node = new ProductNode(this.ctx, p);
        this.children.set(p.product_slug, node);
      }
      return node;
    });
  }

  reset(): void {
    this.products = undefined;
    this.error = undefined;
    this.children.clear();
  }
}

export class ProductNode extends PagedContainer<SubProduct, SubProductNode> {
  readonly id: string;
  readonly filterHint = 'Filter sub-products by name or slug';

  constructor(
    private readonly ctx: TreeContext,
    readonly product: Product,
  ) {
    super(
      (page, signal) => ctx.client().listSubProducts(product.product_slug, page, signal),
      (s) => s.sub_product_slug,
    );
    this.id = `product:${product.product_slug}`;
  }

  getTreeItem(): vscode.TreeItem {
    const p = this.product;
    const item = new vscode.TreeItem(p.product_name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon('package');
    const menu = (p.menu_options ?? []).filter((m) => /^https?:\/\//i.test(m.url ?? ''));
    item.description = [
      this.filter && `filter: ${this.filter}`,
      menu.length ? menu.map((m) => m.option).join(', ') : '',
    ]
      .filter(Boolean)
      .join(' · ');
    item.contextValue = `product${this.filter ? '.filtered' : ''}${menu.length ? '.menu' : ''}`;
    item.tooltip = md(p.product_name, [
      ['Slug', p.product_slug],
      ['Id', p.id],
      ['Fields', (p.fields ?? []).map((f) => f.field_name).join(', ')],
      ['Links', menu.map((m) => m.option).join(', ')],
    ]);
    return a11y(item);
  }

  async getChildren(): Promise<ReleaseNode[]> {
    await this.level.ensureFirst();
    return pagedChildren(
      this,
      this.level,
      (s) => this.nodeFor(s, () => new SubProductNode(this.ctx, this, s)),
      (s, f) => matchesFilter(f, [s.sub_product_name, s.sub_product_slug]),
      'sub-products',
    );
  }
}

export class SubProductNode extends PagedContainer<Version, VersionNode> {
  readonly id: string;
  readonly filterHint = 'Filter versions by name, or by date: 2025, 2025-10, >=2024-01-01';

  constructor(
    private readonly ctx: TreeContext,
    readonly parent: ProductNode,
    readonly subProduct: SubProduct,
  ) {
    const p = parent.product.product_slug;
    super(
      (page, signal) => ctx.client().listVersions(p, subProduct.sub_product_slug, page, signal),
      (v) => v.version_slug,
    );
    this.id = `sub:${p}/${subProduct.sub_product_slug}`;
  }

  get product(): Product {
    return this.parent.product;
  }

  getTreeItem(): vscode.TreeItem {
    const s = this.subProduct;
    const item = new vscode.TreeItem(s.sub_product_name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    const watched = this.ctx.isWatched(this.product.product_slug, s.sub_product_slug);
    item.iconPath = new vscode.ThemeIcon(watched ? 'eye' : 'library');
    const total = this.level.pager.total;
    item.description = [
      total !== undefined && `${total} version${total === 1 ? '' : 's'}`,
      watched && 'watched',
      this.filter && `filter: ${this.filter}`,
    ]
      .filter(Boolean)
      .join(' · ');
    item.contextValue = `subProduct${watched ? '.watched' : ''}${this.filter ? '.filtered' : ''}`;
    item.tooltip = md(s.sub_product_name, [
      ['Product', this.product.product_name],
      ['Slug', s.sub_product_slug],
      ['Public', s.is_public],
      ['Organization', s.organization_id],
      ['Id', s.id],
    ]);
    return a11y(item);
  }

  async getChildren(): Promise<ReleaseNode[]> {
    await this.level.ensureFirst();
    const nodes = pagedChildren(
      this,
      this.level,
      (v) => this.nodeFor(v, () => new VersionNode(this.ctx, this, v)),
      (v, f) => matchesFilter(f, [v.version_name, v.version_slug], [v.effective_date, v.launch_date]),
      'versions',
    );
    // newest first, whatever order the pages arrived in
    const versions = nodes.filter((n): n is VersionNode => n instanceof VersionNode);
    versions.sort((a, b) => compareVersionsNewestFirst(a.version, b.version));
    return [...versions, ...nodes.filter((n) => !(n instanceof VersionNode))];
  }
}

/** Newest effective date first, then launch date, then name. */
export function compareVersionsNewestFirst(a: Version, b: Version): number {
  return (
    (b.effective_date ?? '').localeCompare(a.effective_date ?? '') ||
    (b.launch_date ?? '').localeCompare(a.launch_date ?? '') ||
    b.version_name.localeCompare(a.version_name)
  );
}

export class VersionNode implements ContainerNode {
  readonly id: string;
  private files: ReleaseFile[] | undefined;
  private error: unknown;

  constructor(
    private readonly ctx: TreeContext,
    readonly parent: SubProductNode,
    readonly version: Version,
  ) {
    this.id = `version:${parent.product.product_slug}/${parent.subProduct.sub_product_slug}/${version.version_slug}`;
  }

  getTreeItem(): vscode.TreeItem {
    const v = this.version;
    const item = new vscode.TreeItem(v.version_name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon('versions');
    item.description = [
      v.effective_date && `effective ${v.effective_date}`,
      v.launch_date && v.launch_date !== v.effective_date && `launched ${v.launch_date}`,
    ]
      .filter(Boolean)
      .join(' · ');
    item.contextValue = 'version';
    item.tooltip = md(v.version_name, [
      ['Product', this.parent.product.product_name],
      ['Sub-product', this.parent.subProduct.sub_product_name],
      ['Effective', v.effective_date],
      ['Launched', v.launch_date],
      ['Slug', v.version_slug],
      ['Created', v.created_at && `${v.created_at}${v.created_by ? ` by ${v.created_by}` : ''}`],
      ['Updated', v.updated_at && `${v.updated_at}${v.updated_by ? ` by ${v.updated_by}` : ''}`],
    ]);
    return a11y(item);
  }

  /** Files of this version, loaded once (their presigned URLs are NOT used: downloads ask again). */
  async loadFiles(): Promise<ReleaseFile[]> {
    if (!this.files) {
      const p = this.parent;
      this.files = await this.ctx
        .client()
        .listFiles(p.product.product_slug, p.subProduct.sub_product_slug, this.version.version_slug);
    }
    return this.files;
  }

  async getChildren(): Promise<ReleaseNode[]> {
    if (!this.files && !this.error) {
      try {
        await this.loadFiles();
      } catch (e) {
        this.error = e;
      }
    }
    if (this.error) return [new ErrorNode(this, "Couldn't load files", this.error)];
    const files = this.files ?? [];
    if (files.length === 0)
      return [new MessageNode(this, 'empty', 'No files in this version', 'circle-slash')];
    return files.map((f) => new FileNode(this, f));
  }

  reset(): void {
    this.files = undefined;
    this.error = undefined;
  }
}

export class FileNode implements ReleaseNode {
  readonly id: string;
  constructor(
    readonly parent: VersionNode,
    readonly file: ReleaseFile,
  ) {
    this.id = `${parent.id}/file:${file.id}`;
  }

  getTreeItem(): vscode.TreeItem {
    const f = this.file;
    const item = new vscode.TreeItem(f.file_name || '(unnamed file)', vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.iconPath = vscode.ThemeIcon.File;
    item.resourceUri = vscode.Uri.parse(
      `clinical-coder-release:/${encodeURIComponent(f.file_name || 'file')}`,
    );
    item.description = typeof f.file_size === 'number' ? formatBytes(f.file_size) : undefined;
    item.contextValue = 'releaseFile';
    const v = this.parent.version;
    item.tooltip = md(f.file_name || '(unnamed file)', [
      [
        'Size',
        typeof f.file_size === 'number' ? `${formatBytes(f.file_size)} (${f.file_size} bytes)` : undefined,
      ],
      ['Version', `${v.version_name}${v.effective_date ? `, effective ${v.effective_date}` : ''}`],
      ['Sub-product', this.parent.parent.subProduct.sub_product_name],
      ['Product', this.parent.parent.product.product_name],
      ['File id', f.id],
    ]);
    item.command = { command: Commands.downloadFile, title: 'Download', arguments: [this] };
    return a11y(item);
  }

  async getChildren(): Promise<ReleaseNode[]> {
    return [];
  }
}

export class LoadMoreNode implements ReleaseNode {
  readonly id: string;
  constructor(
    readonly parent: PagedNode,
    private readonly remaining: number | undefined,
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
    item.command = { command: Commands.releasesLoadMore, title: 'Load more', arguments: [this.parent] };
    item.tooltip =
      'Load the next page. "Load All" (inline) fetches every page; Filter narrows what is loaded.';
    return a11y(item);
  }
  async getChildren(): Promise<ReleaseNode[]> {
    return [];
  }
}

export class ErrorNode implements ReleaseNode {
  readonly id: string;
  constructor(
    readonly parent: ContainerNode,
    private readonly what: string,
    readonly error: unknown,
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
    item.command = { command: Commands.releasesRetry, title: 'Retry', arguments: [this] };
    item.tooltip = md(this.what, [
      ['Message', message],
      ['Server said', isApiError(this.error) ? this.error.serverMessage : undefined],
      ['Trace id', this.traceId],
      ['', 'Click to retry'],
    ]);
    return a11y(item);
  }
  async getChildren(): Promise<ReleaseNode[]> {
    return [];
  }
}

export class MessageNode implements ReleaseNode {
  readonly id: string;
  constructor(
    readonly parent: ReleaseNode,
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
  async getChildren(): Promise<ReleaseNode[]> {
    return [];
  }
}
