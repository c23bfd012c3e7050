import * as vscode from 'vscode';
import { Commands } from '../constants';
import {
  toNumberedPage,
  type Appointment,
  type HeimClient,
  type HeimObject,
  type HeimPage,
  type HeimPageQuery,
  type Organisation,
  type Patient,
  type Task,
} from '../api/heim';
import { isApiError } from '../core/errors';
import { matchesFilter } from '../core/format';
import type { Page } from '../core/paging';
import { issueLines } from '../platform/commands';
import {
  a11y,
  ErrorNode,
  md,
  PagedContainer,
  pagedChildren,
  type ContainerNode,
  type PagedLevel,
  type PagedNode,
  type TreeCommands,
  type TreeNode,
} from '../platform/tree';
import { dateTime, outcomeSummary, patientName, plain, readings, windowText, type HeimKind } from './details';

/**
 * Nodes of the Care tree: organisations → patients → appointments → tasks, each level paged with
 * `limit`/`offset` (document 004) through the shared Pager (Load more, Load all, filter on the loaded
 * items). Every node holds the object the server returned. Read-only: nothing here changes Heim data.
 */

/** What nodes need from the tree. */
export interface CareTreeContext {
  client(): HeimClient;
}

export const CARE_COMMANDS: TreeCommands = {
  loadMore: Commands.careLoadMore,
  retry: Commands.careRetry,
};

/** Items per page at every level (the API allows at most 100). */
export const CARE_PAGE_SIZE = 25;

/** One Heim list endpoint (bound to its parent's id). */
export type HeimList<T> = (q: HeimPageQuery, signal?: AbortSignal) => Promise<HeimPage<T>>;

/** Fetches page `page` (from 1) of a Heim list as a numbered page for the Pager. */
export function pageFetcher<T>(
  list: HeimList<T>,
  limit = CARE_PAGE_SIZE,
): (page: number, signal?: AbortSignal) => Promise<Page<T>> {
  return async (page, signal) => toNumberedPage(await list({ limit, offset: (page - 1) * limit }, signal));
}

/** A node whose details document can be opened. */
export interface DetailsNode extends TreeNode {
  readonly kind: HeimKind;
  readonly object: HeimObject;
}

export function isDetailsNode(n: unknown): n is DetailsNode {
  return (
    n instanceof OrganisationNode ||
    n instanceof PatientNode ||
    n instanceof AppointmentNode ||
    n instanceof TaskNode
  );
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** `status` row values and such: metadata as `key = value` pairs. */
function metadataRows(metadata: Record<string, unknown> | undefined): [string, string][] {
  return Object.entries(metadata ?? {}).map(([k, v]) => [
    `Metadata "${k}"`,
    typeof v === 'object' && v !== null ? JSON.stringify(v) : plain(v),
  ]);
}

/** Children of a paged Care level: {@link pagedChildren}, with Heim's error node. */
function careChildren<T>(
  owner: PagedNode & { readonly level: PagedLevel<T> },
  make: (item: T) => TreeNode,
  match: (item: T, filter: string) => boolean,
  noun: string,
): TreeNode[] {
  return pagedChildren(owner, owner.level, make, match, noun, CARE_COMMANDS).map((n) =>
    n instanceof ErrorNode ? new HeimErrorNode(owner, `Couldn't load ${noun}`, n.error) : n,
  );
}

/** The organisations the key can see (the tree's root; not shown as a node). */
export class CareRoot extends PagedContainer<Organisation, OrganisationNode> {
  readonly id = 'care';
  readonly filterHint = 'Filter the loaded organisations by name or status';

  constructor(private readonly ctx: CareTreeContext) {
    super(
      pageFetcher((q, signal) => ctx.client().organisations(q, signal)),
      (o) => o.id,
    );
  }

  getTreeItem(): vscode.TreeItem {
    return new vscode.TreeItem('Care', vscode.TreeItemCollapsibleState.Expanded);
  }

  async getChildren(): Promise<TreeNode[]> {
    await this.level.ensureFirst();
    return careChildren(
      this,
      (o) => this.nodeFor(o, () => new OrganisationNode(this.ctx, this, o)),
      (o, f) => matchesFilter(f, [o.name, o.status]),
      'organisations',
    );
  }
}

export class OrganisationNode extends PagedContainer<Patient, PatientNode> implements DetailsNode {
  readonly id: string;
  readonly kind = 'organisation';
  readonly filterHint = 'Filter the loaded patients by name or NHS number';

  constructor(
    private readonly ctx: CareTreeContext,
    readonly parent: CareRoot,
    readonly object: Organisation,
  ) {
    super(
      pageFetcher((q, signal) => ctx.client().patients(object.id, q, signal)),
      (p) => p.id,
    );
    this.id = `org:${object.id}`;
  }

  getTreeItem(): vscode.TreeItem {
    const o = this.object;
    const item = new vscode.TreeItem(
      o.name || '(unnamed organisation)',
      vscode.TreeItemCollapsibleState.Collapsed,
    );
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon('organization');
    const total = this.level.pager.total;
    item.description = [
      o.status,
      total !== undefined && count(total, 'patient'),
      this.filter && `filter: ${this.filter}`,
    ]
      .filter(Boolean)
      .join(' · ');
    item.contextValue = `careOrganisation${this.filter ? '.filtered' : ''}`;
    item.tooltip = md(o.name || 'Organisation', [
      ['Status', o.status],
      ['Patients', total],
      ['Created', dateTime(o.createdAt)],
      ['Updated', dateTime(o.updatedAt)],
      ...metadataRows(o.metadata),
    ]);
    return a11y(item);
  }

  async getChildren(): Promise<TreeNode[]> {
    await this.level.ensureFirst();
    return careChildren(
      this,
      (p) => this.nodeFor(p, () => new PatientNode(this.ctx, this, p)),
      (p, f) =>
        matchesFilter(f, [patientName(p), `${p.givenName ?? ''} ${p.familyName ?? ''}`]) ||
        nhsMatches(p.nhsNumber, f),
      'patients',
    );
  }
}

/** NHS numbers are written `943 476 5919` or `9434765919`: compared without spaces. */
function nhsMatches(nhs: string | undefined, filter: string): boolean {
  const f = filter.replace(/[\s-]/g, '');
  return !!nhs && /^\d+$/.test(f) && nhs.replace(/[\s-]/g, '').includes(f);
}

export class PatientNode extends PagedContainer<Appointment, AppointmentNode> implements DetailsNode {
  readonly id: string;
  readonly kind = 'patient';
  readonly filterHint = 'Filter the loaded appointments by status or date (2026-03, >=2026-03-01)';

  constructor(
    private readonly ctx: CareTreeContext,
    readonly parent: OrganisationNode,
    readonly object: Patient,
  ) {
    super(
      pageFetcher((q, signal) => ctx.client().appointments(object.id, q, signal)),
      (a) => a.id,
    );
    this.id = `${parent.id}/patient:${object.id}`;
  }

  getTreeItem(): vscode.TreeItem {
    const p = this.object;
    const item = new vscode.TreeItem(patientName(p), vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon('person');
    item.description = [p.dateOfBirth && `DOB ${p.dateOfBirth}`, this.filter && `filter: ${this.filter}`]
      .filter(Boolean)
      .join(' · ');
    item.contextValue = `carePatient${this.filter ? '.filtered' : ''}`;
    const total = this.level.pager.total;
    item.tooltip = md(patientName(p), [
      ['Date of birth', p.dateOfBirth],
      ['NHS number', p.nhsNumber],
      ['Appointments', total],
      ['Created', dateTime(p.createdAt)],
      ['Updated', dateTime(p.updatedAt)],
      ...metadataRows(p.metadata),
    ]);
    return a11y(item);
  }

  async getChildren(): Promise<TreeNode[]> {
    await this.level.ensureFirst();
    return careChildren(
      this,
      (a) => this.nodeFor(a, () => new AppointmentNode(this.ctx, this, a)),
      (a, f) =>
        matchesFilter(
          f,
          [a.status, windowText(a.windowStart, a.windowEnd)],
          [a.windowStart, a.windowEnd].map((d) => (typeof d === 'string' ? d : undefined)),
        ),
      'appointments',
    );
  }
}

export class AppointmentNode extends PagedContainer<Task, TaskNode> implements DetailsNode {
  readonly id: string;
  readonly kind = 'appointment';
  readonly filterHint = 'Filter the loaded tasks by type or status';

  constructor(
    ctx: CareTreeContext,
    readonly parent: PatientNode,
    readonly object: Appointment,
  ) {
    super(
      pageFetcher((q, signal) => ctx.client().tasks(object.id, q, signal)),
      (t) => t.id,
    );
    this.id = `${parent.id}/appointment:${object.id}`;
  }

  getTreeItem(): vscode.TreeItem {
    const a = this.object;
    const window = windowText(a.windowStart, a.windowEnd) || '(no window)';
    const item = new vscode.TreeItem(window, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon('calendar');
    item.description = [a.status, this.filter && `filter: ${this.filter}`].filter(Boolean).join(' · ');
    item.contextValue = `careAppointment${this.filter ? '.filtered' : ''}`;
    const total = this.level.pager.total;
    item.tooltip = md(`Appointment ${window}`, [
      ['Status', a.status],
      ['Window', window],
      ['Location', plain(a.location ?? a.address)],
      ['Practitioner', plain(a.practitioner ?? a.clinician)],
      ['Tasks', total],
      ['Created', dateTime(a.createdAt)],
      ['Updated', dateTime(a.updatedAt)],
      ...metadataRows(a.metadata),
    ]);
    return a11y(item);
  }

  async getChildren(): Promise<TreeNode[]> {
    await this.level.ensureFirst();
    return careChildren(
      this,
      (t) => this.nodeFor(t, () => new TaskNode(this, t)),
      (t, f) => matchesFilter(f, [t.type, t.status]),
      'tasks',
    );
  }
}

export class TaskNode implements DetailsNode {
  readonly id: string;
  readonly kind = 'task';

  constructor(
    readonly parent: AppointmentNode,
    readonly object: Task,
  ) {
    this.id = `${parent.id}/task:${object.id}`;
  }

  getTreeItem(): vscode.TreeItem {
    const t = this.object;
    const item = new vscode.TreeItem(t.type || 'task', vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    const done = /^(completed|complete|done)$/i.test(t.status ?? '');
    item.iconPath = new vscode.ThemeIcon(done ? 'pass' : 'tasklist');
    item.description = t.status ?? '';
    item.contextValue = 'careTask';
    item.command = { command: Commands.careOpenDetails, title: 'Open Details', arguments: [this] };
    const data = readings(t.data);
    item.tooltip = md(`Task: ${t.type ?? 'task'}`, [
      ['Status', t.status],
      ['Completed', dateTime(t.completedAt)],
      ['Outcome', outcomeSummary(t.outcome)],
      ['Recorded data', data.length ? count(data.length, 'reading') : undefined],
      ['Created', dateTime(t.createdAt)],
      ['Updated', dateTime(t.updatedAt)],
      ...metadataRows(t.metadata),
      ['', 'Click to open the details'],
    ]);
    return a11y(item);
  }

  async getChildren(): Promise<TreeNode[]> {
    return [];
  }
}

/**
 * A failed load, Heim style: the envelope's message as the label, each `issues[]` entry with its path
 * as the description and in the tooltip, and the trace id. Click retries; after a 401/403 the click
 * (and an inline action) sets the Heim API key instead.
 */
export class HeimErrorNode extends ErrorNode {
  constructor(
    parent: ContainerNode,
    private readonly whatFailed: string,
    error: unknown,
  ) {
    super(parent, whatFailed, error, Commands.careRetry);
  }

  get isAuth(): boolean {
    return isApiError(this.error) && (this.error.kind === 'unauthorized' || this.error.kind === 'forbidden');
  }

  getTreeItem(): vscode.TreeItem {
    const e = this.error;
    const api = isApiError(e) ? e : undefined;
    const message = api?.serverMessage ?? (e instanceof Error ? e.message : String(e));
    const issues = api ? issueLines(api) : [];
    const item = new vscode.TreeItem(`${this.whatFailed}: ${message}`, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('list.errorForeground'));
    item.description = issues.join(' · ') || undefined;
    item.contextValue = `error${this.traceId ? '.trace' : ''}${this.isAuth ? '.auth' : ''}`;
    item.command = this.isAuth
      ? { command: Commands.setHeimKey, title: 'Set Heim API Key' }
      : { command: Commands.careRetry, title: 'Retry', arguments: [this] };
    item.tooltip = md(this.whatFailed, [
      ['Heim said', api?.serverMessage],
      ...issues.map((line): [string, string] => ['Issue', line]),
      ['Error', e instanceof Error ? e.message : String(e)],
      ['Trace id', this.traceId],
      ['', this.isAuth ? 'Click to set the Heim API key' : 'Click to retry'],
    ]);
    return a11y(item);
  }
}
