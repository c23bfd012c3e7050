import * as vscode from 'vscode';
import { Commands, Settings, Views } from '../constants';
import type { ConnectionStatus } from '../auth/status';
import { registerTreeCommands } from '../platform/treeCommands';
import { registerCommand, UserError, type CommandContext } from '../platform/commands';
import type { SecretStore } from '../platform/secrets';
import type { SettingsStore } from '../platform/settings';
import type { TreeNode } from '../platform/tree';
import { HeimConnection } from './connection';
import type { DetailsFormat, HeimKind } from './details';
import { HEIM_SCHEME, HeimDocuments } from './documents';
import { isDetailsNode } from './nodes';
import { CareTree } from './tree';

export interface HeimServices extends CommandContext {
  settings: SettingsStore;
  secrets: SecretStore;
  status: ConnectionStatus;
  userAgent: string;
}

/** What the Heim feature exposes to the extension's API (tests). */
export interface CareApi {
  tree: CareTree;
  documents: HeimDocuments;
  view: vscode.TreeView<TreeNode>;
}

/** An object named without a tree node (automation, tests): its kind and id. */
export interface DetailsTarget {
  kind: HeimKind;
  id: string;
}

/**
 * The Care (Heim) view and its commands: browse organisations → patients → appointments → tasks,
 * page, filter, retry, copy trace ids, and open an object's details. Read-only on Heim.
 */
export function registerHeim(context: vscode.ExtensionContext, s: HeimServices): CareApi {
  const connection = new HeimConnection(s);
  const tree = new CareTree({ connection, status: s.status, secrets: s.secrets });
  const documents = new HeimDocuments({
    client: () => connection.active().client,
    mode: () => tree.mode,
    log: s.log,
  });
  const view = vscode.window.createTreeView(Views.care, { treeDataProvider: tree, showCollapseAll: true });
  const showMode = (): void => {
    const mode = tree.mode;
    // marked plainly: a live key reaches real patients and real care tasks
    view.description = mode === 'live' ? 'LIVE' : mode === 'test' ? 'TEST MODE' : undefined;
    view.message = mode === 'live' ? 'LIVE mode: real patients and care tasks (read-only view).' : undefined;
  };
  showMode();
  const cmd = <A extends unknown[], R>(id: string, title: string, fn: (...a: A) => Promise<R> | R) =>
    registerCommand(s, id, title, fn);

  context.subscriptions.push(
    tree,
    documents,
    view,
    s.status.onDidChange(showMode),
    vscode.workspace.registerTextDocumentContentProvider(HEIM_SCHEME, documents),

    cmd(Commands.careRefresh, 'Refresh Care', () => tree.resetAll()),
    ...registerTreeCommands(
      s,
      tree,
      {
        refreshNode: Commands.careRefreshNode,
        loadMore: Commands.careLoadMore,
        loadAll: Commands.careLoadAll,
        filter: Commands.careFilter,
        clearFilter: Commands.careClearFilter,
        retry: Commands.careRetry,
        copyTraceId: Commands.careCopyTraceId,
      },
      'organisations',
    ),
    cmd(
      Commands.careOpenDetails,
      'Open Details',
      async (target?: TreeNode | DetailsTarget, format?: DetailsFormat) => {
        const ref = refOf(target);
        if (!ref)
          throw new UserError('Choose an organisation, patient, appointment or task in the Care view first.');
        const chosen = format ?? detailsFormat();
        const doc = await vscode.window.withProgress({ location: { viewId: Views.care } }, () =>
          documents.open({ ...ref, format: chosen }),
        );
        return doc.uri.toString();
      },
    ),
  );
  return { tree, documents, view };
}

function refOf(target: TreeNode | DetailsTarget | undefined): DetailsTarget | undefined {
  if (isDetailsNode(target)) return { kind: target.kind, id: target.object.id };
  if (target && 'kind' in target && typeof target.kind === 'string' && typeof target.id === 'string')
    return { kind: target.kind, id: target.id };
  return undefined;
}

function detailsFormat(): DetailsFormat {
  const v = vscode.workspace.getConfiguration(Settings.section).get<string>(Settings.heimDetailsFormat);
  return v === 'json' ? 'json' : 'markdown';
}
