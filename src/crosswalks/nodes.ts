import * as vscode from 'vscode';
import { Commands } from '../constants';
import type { CrosswalksClient } from '../api/crosswalks';
import { slugInfo } from '../core/crosswalks/limits';
import type {
  Crosswalk,
  CrosswalkVersion,
  CustomAttribute,
  Mapping,
  MappingTarget,
} from '../core/crosswalks/model';
import { matchesFilter } from '../core/format';
import {
  a11y,
  md,
  MessageNode,
  PagedContainer,
  pagedChildren,
  type TreeCommands,
  type TreeNode,
} from '../platform/tree';

/**
 * Nodes of the Crosswalks tree: crosswalks (paged, filtered on the server by source code) →
 * versions (paged, newest first) → mappings (paged, at most 10 a page as the API allows) → targets →
 * custom attributes. Crosswalk- and version-level attributes sit in an "Attributes" group.
 */
export type CrosswalkTreeNode = TreeNode;

/** What nodes need from the tree. */
export interface CrosswalkTreeContext {
  client(): CrosswalksClient;
  changed(node?: TreeNode): void;
}

export const CROSSWALK_COMMANDS: TreeCommands = {
  loadMore: Commands.crosswalksLoadMore,
  retry: Commands.crosswalksRetry,
};

/** Crosswalks per page in the tree (the API has no documented maximum for this list). */
const CROSSWALK_PAGE_SIZE = 50;
const VERSION_PAGE_SIZE = 50;
/** The API's maximum for mappings (document 003). */
export const MAPPING_PAGE_SIZE = 10;

/** A slug as coders read it: `ICD-10-CM` for `icd10cm`; unknown slugs as they are. */
export function systemLabel(slug: string): string {
  return slugInfo(slug)?.name ?? slug;
}

const who = (at?: string, by?: string): string | undefined =>
  at ? `${at.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC')}${by ? ` by ${by}` : ''}` : undefined;

const attributeRows = (attrs: readonly CustomAttribute[] | undefined): [string, string][] =>
  (attrs ?? []).map((a) => [`Attribute "${a.key}"`, a.value ?? '']);

/** Server-side filter of the crosswalk list (document 003: `sourceCodeSystem`, `sourceCode`). */
export interface SourceQuery {
  sourceCodeSystem?: string;
  sourceCode?: string;
}

export class CrosswalksRoot extends PagedContainer<Crosswalk, CrosswalkNode> {
  readonly id = 'crosswalks';
  readonly filterHint = 'Filter the loaded crosswalks by name or description';

  constructor(
    private readonly ctx: CrosswalkTreeContext,
    readonly query: SourceQuery = {},
  ) {
    super(
      (page, signal) =>
        ctx.client().list({ ...query, pageSize: CROSSWALK_PAGE_SIZE, pageNumber: page }, signal),
      (c) => c.identifier,
    );
  }

  /** "ICD-10-CM E11.9" when filtered on the server, else undefined. */
  get queryLabel(): string | undefined {
    const { sourceCodeSystem: s, sourceCode: c } = this.query;
    if (!s && !c) return undefined;
    return [s && systemLabel(s), c].filter(Boolean).join(' ');
  }

  getTreeItem(): vscode.TreeItem {
    return new vscode.TreeItem('Crosswalks', vscode.TreeItemCollapsibleState.Expanded);
  }

  async getChildren(): Promise<TreeNode[]> {
    await this.level.ensureFirst();
    const nodes = pagedChildren(
      this,
      this.level,
      (c) => this.nodeFor(c, () => new CrosswalkNode(this.ctx, this, c)),
      (c, f) => matchesFilter(f, [c.name, c.description ?? '', c.identifier]),
      this.queryLabel ? `crosswalks mapping ${this.queryLabel}` : 'crosswalks',
      CROSSWALK_COMMANDS,
    );
    if (this.queryLabel)
      nodes.unshift(new MessageNode(this, 'query', `Source code: ${this.queryLabel}`, 'filter'));
    return nodes;
  }

  /** The node of a loaded crosswalk. */
  find(identifier: string): CrosswalkNode | undefined {
    const c = this.level.pager.items.find((x) => x.identifier === identifier);
    return c ? this.nodeFor(c, () => new CrosswalkNode(this.ctx, this, c)) : undefined;
  }
}

export class CrosswalkNode extends PagedContainer<CrosswalkVersion, VersionNode> {
  readonly id: string;
  readonly filterHint = 'Filter versions by number or status';

  constructor(
    private readonly ctx: CrosswalkTreeContext,
    readonly parent: CrosswalksRoot,
    public crosswalk: Crosswalk,
  ) {
    super(
      (page, signal) =>
        ctx
          .client()
          .versions(crosswalk.identifier, { pageSize: VERSION_PAGE_SIZE, pageNumber: page }, signal),
      (v) => String(v.version),
    );
    this.id = `crosswalk:${crosswalk.identifier}`;
  }

  get identifier(): string {
    return this.crosswalk.identifier;
  }

  getTreeItem(): vscode.TreeItem {
    const c = this.crosswalk;
    const item = new vscode.TreeItem(
      c.name || '(unnamed crosswalk)',
      vscode.TreeItemCollapsibleState.Collapsed,
    );
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon('arrow-swap');
    const attrs = c.customAttributes?.length ?? 0;
    item.description = [
      `v${c.version}`,
      attrs > 0 && `${attrs} attribute${attrs === 1 ? '' : 's'}`,
      this.filter && `filter: ${this.filter}`,
    ]
      .filter(Boolean)
      .join(' · ');
    item.contextValue = `crosswalk${this.filter ? '.filtered' : ''}`;
    item.tooltip = md(c.name, [
      ['Description', c.description],
      ['Latest version', c.version],
      ...attributeRows(c.customAttributes),
      ['Created', who(c.createdAt, c.createdBy)],
      ['Updated', who(c.updatedAt, c.updatedBy)],
      ['Identifier', c.identifier],
    ]);
    return a11y(item);
  }

  async getChildren(): Promise<TreeNode[]> {
    await this.level.ensureFirst();
    const nodes = pagedChildren(
      this,
      this.level,
      (v) => this.nodeFor(v, () => new VersionNode(this.ctx, this, v)),
      (v, f) => matchesFilter(f, [`v${v.version}`, String(v.version), v.status ?? '']),
      'versions',
      CROSSWALK_COMMANDS,
    );
    const versions = nodes.filter((n): n is VersionNode => n instanceof VersionNode);
    versions.sort((a, b) => b.version.version - a.version.version);
    const out: TreeNode[] = [];
    if (this.crosswalk.customAttributes?.length)
      out.push(new AttributesNode(this, this.crosswalk.customAttributes, 'crosswalk', true));
    return [...out, ...versions, ...nodes.filter((n) => !(n instanceof VersionNode))];
  }

  /** The version node of `n`, when that version is loaded. */
  versionNode(n: number): VersionNode | undefined {
    const v = this.level.pager.items.find((x) => x.version === n);
    return v ? this.nodeFor(v, () => new VersionNode(this.ctx, this, v)) : undefined;
  }
}

export class VersionNode extends PagedContainer<Mapping, MappingNode> {
  readonly id: string;
  readonly filterHint = 'Filter the loaded mappings by source or target code or display';

  constructor(
    ctx: CrosswalkTreeContext,
    readonly parent: CrosswalkNode,
    readonly version: CrosswalkVersion,
  ) {
    super(
      (page, signal) =>
        ctx
          .client()
          .mappings(
            parent.identifier,
            version.version,
            { pageSize: MAPPING_PAGE_SIZE, pageNumber: page },
            signal,
          ),
      mappingKey,
      // mappings come 10 a page: Load all reads several pages at once (429s are honoured)
      4,
    );
    this.id = `${parent.id}/v${version.version}`;
  }

  get crosswalk(): Crosswalk {
    return this.parent.crosswalk;
  }

  /** The latest version: the only one the API lets us edit. */
  get isLatest(): boolean {
    return this.version.version === this.parent.crosswalk.version;
  }

  getTreeItem(): vscode.TreeItem {
    const v = this.version;
    const item = new vscode.TreeItem(`Version ${v.version}`, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    const draft = v.status?.toLowerCase() === 'draft';
    item.iconPath = new vscode.ThemeIcon(draft ? 'edit' : 'versions');
    const total = this.level.pager.total;
    item.description = [
      v.status,
      this.isLatest && 'latest',
      total !== undefined && `${total} mapping${total === 1 ? '' : 's'}`,
      v.updatedAt
        ? `updated ${v.updatedAt.slice(0, 10)}`
        : v.createdAt && `created ${v.createdAt.slice(0, 10)}`,
      this.filter && `filter: ${this.filter}`,
    ]
      .filter(Boolean)
      .join(' · ');
    item.contextValue = `crosswalkVersion.${draft ? 'draft' : 'published'}${this.isLatest ? '.latest' : ''}${this.filter ? '.filtered' : ''}`;
    item.tooltip = md(`${this.crosswalk.name}, version ${v.version}`, [
      ['Status', v.status],
      ['Latest', this.isLatest ? 'yes (edits apply here)' : `no (latest is ${this.crosswalk.version})`],
      ['Name', v.name],
      ['Description', v.description],
      ...attributeRows(v.customAttributes),
      ['Created', who(v.createdAt, v.createdBy)],
      ['Updated', who(v.updatedAt, v.updatedBy)],
      [
        'Edits',
        draft
          ? 'A Draft is edited in IMO Terminology Management; the API refuses edits until it is published.'
          : undefined,
      ],
    ]);
    return a11y(item);
  }

  async getChildren(): Promise<TreeNode[]> {
    // (the row's "N mappings" appears on its next redraw: redrawing it now would also redraw its
    // children while the coder is expanding them)
    await this.level.ensureFirst();
    const out: TreeNode[] = [];
    if (this.version.customAttributes?.length)
      out.push(new AttributesNode(this, this.version.customAttributes, 'version', false));
    return [
      ...out,
      ...pagedChildren(
        this,
        this.level,
        (m) => this.nodeFor(m, () => new MappingNode(this, m)),
        (m, f) =>
          matchesFilter(f, [
            m.sourceCode,
            m.sourceDisplay ?? '',
            ...m.targets.flatMap((t) => [t.targetCode, t.targetDisplay ?? '']),
          ]),
        'mappings',
        CROSSWALK_COMMANDS,
      ),
    ];
  }
}

/** Identity of a mapping within a version: source system and code, target system. */
export function mappingKey(m: Mapping): string {
  return `${m.sourceCodeSystem}|${m.sourceCode}|${m.targetCodeSystem}`;
}

export class MappingNode implements TreeNode {
  readonly id: string;
  constructor(
    readonly parent: VersionNode,
    readonly mapping: Mapping,
  ) {
    this.id = `${parent.id}/m:${mappingKey(mapping)}`;
  }

  getTreeItem(): vscode.TreeItem {
    const m = this.mapping;
    const item = new vscode.TreeItem(m.sourceCode, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon('symbol-key');
    const n = m.targets.length;
    item.description = [
      m.sourceDisplay,
      `→ ${systemLabel(m.targetCodeSystem)}: ${n === 1 ? m.targets[0]!.targetCode : `${n} targets`}`,
    ]
      .filter(Boolean)
      .join(' ');
    item.contextValue = `crosswalkMapping${this.parent.isLatest ? '.latest' : ''}`;
    item.tooltip = md(`${systemLabel(m.sourceCodeSystem)} ${m.sourceCode}`, [
      ['Display', m.sourceDisplay],
      ['Target system', systemLabel(m.targetCodeSystem)],
      ['Targets', m.targets.map((t) => t.targetCode).join(', ')],
    ]);
    return a11y(item);
  }

  async getChildren(): Promise<TreeNode[]> {
    if (this.mapping.targets.length === 0)
      return [new MessageNode(this, 'empty', 'No target codes', 'circle-slash')];
    return this.mapping.targets.map((t) => new TargetNode(this, t));
  }
}

export class TargetNode implements TreeNode {
  readonly id: string;
  constructor(
    readonly parent: MappingNode,
    readonly target: MappingTarget,
  ) {
    this.id = `${parent.id}/t:${target.targetCode}`;
  }

  get version(): VersionNode {
    return this.parent.parent;
  }

  getTreeItem(): vscode.TreeItem {
    const t = this.target;
    const attrs = t.customAttributes ?? [];
    const item = new vscode.TreeItem(
      t.targetCode,
      attrs.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon('target');
    item.description = [
      t.targetDisplay,
      attrs.length > 0 && `${attrs.length} attribute${attrs.length === 1 ? '' : 's'}`,
    ]
      .filter(Boolean)
      .join(' · ');
    item.contextValue = `crosswalkTarget${this.version.isLatest ? '.latest' : ''}${t.identifier ? '.identified' : ''}`;
    const m = this.parent.mapping;
    item.tooltip = md(`${systemLabel(m.targetCodeSystem)} ${t.targetCode}`, [
      ['Display', t.targetDisplay],
      [
        'Mapped from',
        `${systemLabel(m.sourceCodeSystem)} ${m.sourceCode}${m.sourceDisplay ? ` (${m.sourceDisplay})` : ''}`,
      ],
      ...attributeRows(attrs),
      ['Code identifier', t.identifier],
    ]);
    return a11y(item);
  }

  async getChildren(): Promise<TreeNode[]> {
    return (this.target.customAttributes ?? []).map(
      (a) => new AttributeNode(this, a, 'target', this.version.isLatest),
    );
  }
}

/** The crosswalk-level (or a version's) custom attributes, as a group. */
export class AttributesNode implements TreeNode {
  readonly id: string;
  constructor(
    readonly parent: CrosswalkNode | VersionNode,
    private readonly attributes: readonly CustomAttribute[],
    private readonly level: 'crosswalk' | 'version',
    private readonly editable: boolean,
  ) {
    this.id = `${parent.id}/attributes`;
  }

  get crosswalkNode(): CrosswalkNode {
    return this.parent instanceof VersionNode ? this.parent.parent : this.parent;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem('Attributes', vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon('symbol-property');
    item.description = `${this.attributes.length}`;
    item.contextValue = `crosswalkAttributes${this.editable ? '.editable' : ''}`;
    item.tooltip = md(this.level === 'crosswalk' ? 'Crosswalk attributes' : 'Attributes of this version', [
      ...attributeRows(this.attributes),
    ]);
    return a11y(item);
  }

  async getChildren(): Promise<TreeNode[]> {
    return this.attributes.map((a) => new AttributeNode(this, a, 'crosswalk', this.editable));
  }
}

/** One custom attribute: `key` with its value as the description. */
export class AttributeNode implements TreeNode {
  readonly id: string;
  constructor(
    readonly parent: AttributesNode | TargetNode,
    readonly attribute: CustomAttribute,
    readonly level: 'crosswalk' | 'target',
    private readonly editable: boolean,
  ) {
    this.id = `${parent.id}/a:${attribute.key}`;
  }

  getTreeItem(): vscode.TreeItem {
    const a = this.attribute;
    const item = new vscode.TreeItem(a.key, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon('tag');
    item.description = a.value ?? '';
    item.contextValue = `crosswalkAttribute.${this.level}${this.editable ? '.editable' : ''}`;
    item.tooltip = md(a.key, [['Value', a.value ?? '(empty)']]);
    return a11y(item);
  }

  async getChildren(): Promise<TreeNode[]> {
    return [];
  }
}
