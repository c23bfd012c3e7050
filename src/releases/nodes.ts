import * as vscode from 'vscode';
import { Commands } from '../constants';
import { formatBytes, matchesFilter } from '../core/format';
import type { DownloadClient, Product, ReleaseFile, SubProduct, Version } from '../api/download';
import {
  a11y,
  ErrorNode,
  md,
  MessageNode,
  PagedContainer,
  pagedChildren,
  type ContainerNode,
  type TreeCommands,
  type TreeNode,
} from '../platform/tree';

/**
 * Nodes of the Releases tree, built from the shared tree pieces in `platform/tree.ts`.
 */
export type ReleaseNode = TreeNode;

/** The Releases tree's Load more and Retry commands. */
const COMMANDS: TreeCommands = { loadMore: Commands.releasesLoadMore, retry: Commands.releasesRetry };

/** What nodes need from the tree: the client of the active environment and a way to redraw. */
export interface TreeContext {
  client(): DownloadClient;
  /** Redraws `node`'s children (or the whole tree). */
  changed(node?: ReleaseNode): void;
  isWatched(product: string, subProduct: string): boolean;
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
    if (this.error) return [new ErrorNode(this, "Couldn't load products", this.error, COMMANDS.retry)];
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
      COMMANDS,
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
      COMMANDS,
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
    if (this.error) return [new ErrorNode(this, "Couldn't load files", this.error, COMMANDS.retry)];
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
