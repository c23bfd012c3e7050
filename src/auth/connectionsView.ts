import * as vscode from 'vscode';
import type { ServiceId } from '../constants';
import { credentialText } from './statusBar';
import type { ConnectionStatus, ServiceStatus } from './status';

/** A node of the Connections tree: small classes holding their data (DESIGN.md §2). */
interface ConnectionNode {
  getTreeItem(): vscode.TreeItem;
  getChildren(): ConnectionNode[];
}

/** One service: environment, credential state, and its actions as inline buttons. */
class ServiceNode implements ConnectionNode {
  constructor(readonly status: ServiceStatus) {}

  getTreeItem(): vscode.TreeItem {
    const s = this.status;
    const item = new vscode.TreeItem(s.label, vscode.TreeItemCollapsibleState.Expanded);
    item.id = `service:${s.service}`;
    const prod = s.environment?.production || s.heimMode === 'live';
    item.description = `${s.environmentName}${prod ? ' — PRODUCTION' : ''} · ${credentialText(s)}`;
    if (s.service === 'heim' && s.heimMode === 'live')
      item.description = `${s.environmentName} · LIVE mode key`;
    item.iconPath = new vscode.ThemeIcon(
      s.problem ? 'warning' : s.hasCredential ? 'pass-filled' : 'circle-large-outline',
      prod ? new vscode.ThemeColor('list.warningForeground') : undefined,
    );
    item.contextValue = `service.${s.service}.${s.hasCredential ? 'ready' : 'missing'}`;
    item.accessibilityInformation = { label: `${s.label}, ${item.description}` };
    const tip = new vscode.MarkdownString();
    tip.appendMarkdown(`**${s.label}**\n\n`);
    tip.appendText(s.problem ?? `Environment ${s.environmentName}: ${credentialText(s)}`);
    item.tooltip = tip;
    return item;
  }

  getChildren(): ConnectionNode[] {
    const s = this.status;
    const rows: [string, string][] = [];
    if (s.problem) rows.push(['Problem', s.problem]);
    if (s.environment) rows.push(['Base URL', s.environment.baseUrl || '(not set)']);
    if (s.environment?.audience) rows.push(['Audience', s.environment.audience]);
    return rows.map(([k, v]) => new DetailNode(s.service, k, v));
  }
}

class DetailNode implements ConnectionNode {
  constructor(
    private readonly service: ServiceId,
    private readonly key: string,
    private readonly value: string,
  ) {}
  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.key, vscode.TreeItemCollapsibleState.None);
    item.id = `detail:${this.service}:${this.key}`;
    item.description = this.value;
    item.tooltip = this.value;
    item.accessibilityInformation = { label: `${this.key}: ${this.value}` };
    return item;
  }
  getChildren(): ConnectionNode[] {
    return [];
  }
}

/**
 * The Connections view: each service's environment and credential state. While signed out of IMO
 * it is empty so that the view's welcome content (Sign In button) shows.
 */
export class ConnectionsView implements vscode.TreeDataProvider<ConnectionNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ConnectionNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly status: ConnectionStatus) {
    this.subscription = status.onDidChange(() => this.changed.fire(undefined));
  }

  getTreeItem(node: ConnectionNode): vscode.TreeItem {
    return node.getTreeItem();
  }

  getChildren(node?: ConnectionNode): ConnectionNode[] {
    if (node) return node.getChildren();
    const s = this.status.snapshot;
    if (!s || !s.imo.hasCredential) return [];
    return [new ServiceNode(s.imo), new ServiceNode(s.codify), new ServiceNode(s.heim)];
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

/** Inline actions pass the node; commands take the service id from it. */
export function serviceOf(arg: unknown): ServiceId | undefined {
  if (arg instanceof ServiceNode) return arg.status.service;
  return arg === 'imo' || arg === 'codify' || arg === 'heim' ? arg : undefined;
}
