import { promises as fs } from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { Commands, Views } from '../constants';
import { loadAll, Pager, type Page } from '../core/paging';
import type { DownloadClient, ReleaseFile, SubProduct, Version } from '../api/download';
import type { ImoConnections } from '../auth/imoConnections';
import type { ConnectionStatus } from '../auth/status';
import { registerTreeCommands } from '../platform/treeCommands';
import { registerCommand, UserError, type CommandContext } from '../platform/commands';
import { ReleaseDownloader, revealFolder, type DownloadChoices, type DownloadTarget } from './downloader';
import { DownloadedNode, DownloadsView } from './downloadsView';
import { ManifestStore } from './manifestStore';
import { FileNode, ProductNode, SubProductNode, VersionNode } from './nodes';
import { ReleasesTree } from './tree';
import { ReleaseWatcher } from './watcher';

export interface ReleasesServices extends CommandContext {
  imo: ImoConnections;
  status: ConnectionStatus;
  userAgent: string;
}

/** Slugs that name a version (and optionally one file) without a tree node: palette, tests, watcher. */
export interface VersionRef {
  productSlug: string;
  subProductSlug: string;
  versionSlug: string;
  /** A file's id or name (downloadFile only). */
  file?: string;
}

/** What the Releases feature exposes to the extension's API (tests). */
export interface ReleasesApi {
  tree: ReleasesTree;
  manifest: ManifestStore;
  watcher: ReleaseWatcher;
}

/** The Releases tree, downloads, the Downloads view and release watching. */
export function registerReleases(context: vscode.ExtensionContext, s: ReleasesServices): ReleasesApi {
  const manifest = new ManifestStore(context.globalStorageUri.fsPath, s.log);
  // the watcher reads versions through the tree's client; the tree marks watched sub-products
  const watcher: ReleaseWatcher = new ReleaseWatcher({
    state: context.globalState,
    client: () => tree.client,
    signedIn: () => !!s.status.snapshot?.imo.hasCredential,
    log: s.log,
  });
  const tree: ReleasesTree = new ReleasesTree({
    imo: s.imo,
    status: s.status,
    isWatched: (p, sp) => watcher.isWatched(p, sp),
  });
  const client = (): DownloadClient => tree.client;
  const w = watcher;
  const downloader = new ReleaseDownloader({ client, manifest, log: s.log, userAgent: s.userAgent });
  const downloadsView = new DownloadsView(manifest);
  const cmd = <A extends unknown[], R>(id: string, title: string, fn: (...a: A) => Promise<R> | R) =>
    registerCommand(s, id, title, fn);

  context.subscriptions.push(
    tree,
    manifest,
    downloadsView,
    w.schedule(),
    vscode.window.createTreeView(Views.releases, { treeDataProvider: tree, showCollapseAll: true }),
    vscode.window.createTreeView(Views.downloads, { treeDataProvider: downloadsView }),

    cmd(Commands.releasesRefresh, 'Refresh Releases', () => tree.resetAll()),
    ...registerTreeCommands(
      s,
      tree,
      {
        refreshNode: Commands.releasesRefreshNode,
        loadMore: Commands.releasesLoadMore,
        loadAll: Commands.releasesLoadAll,
        filter: Commands.releasesFilter,
        clearFilter: Commands.releasesClearFilter,
        retry: Commands.releasesRetry,
        copyTraceId: Commands.releasesCopyTraceId,
      },
      'products',
    ),
    cmd(Commands.releasesOpenMenuOption, 'Open Product Link', async (node: ProductNode, option?: string) => {
      const links = (node.product.menu_options ?? []).filter((m) => /^https?:\/\//i.test(m.url ?? ''));
      const picked =
        links.find((l) => l.option === option) ??
        (links.length === 1
          ? links[0]
          : await vscode.window
              .showQuickPick(
                links.map((l) => ({ label: l.option, detail: l.url, link: l })),
                { title: node.product.product_name },
              )
              .then((p) => p?.link));
      if (!picked) return undefined;
      await vscode.env.openExternal(vscode.Uri.parse(picked.url));
      return picked.url;
    }),

    cmd(
      Commands.downloadFile,
      'Download File',
      async (arg?: FileNode | VersionRef, choices: DownloadChoices = {}) => {
        const target = arg instanceof FileNode ? targetOfFile(arg) : await resolveTarget(client(), arg, true);
        if (!target) return undefined;
        return downloader.download(target, choices);
      },
    ),
    cmd(
      Commands.downloadVersion,
      'Download All Files',
      async (arg?: VersionNode | VersionRef, choices: DownloadChoices = {}) => {
        const target =
          arg instanceof VersionNode ? await targetOfVersion(arg) : await resolveTarget(client(), arg, false);
        if (!target) return undefined;
        if (target.files.length === 0)
          throw new UserError(`${target.version.version_name} has no files to download.`);
        return downloader.download(target, choices);
      },
    ),

    cmd(Commands.watchSubProduct, 'Watch for New Releases', async (node: SubProductNode) => {
      const newest = await w.newest(node.product.product_slug, node.subProduct.sub_product_slug);
      await w.watch({
        productSlug: node.product.product_slug,
        productName: node.product.product_name,
        subProductSlug: node.subProduct.sub_product_slug,
        subProductName: node.subProduct.sub_product_name,
        lastSeen: newest?.version_slug,
      });
      tree.changed(node.parent);
      void vscode.window.showInformationMessage(
        `Watching ${node.subProduct.sub_product_name}: you will be told when a version newer than ${newest?.version_name ?? 'today'} is published (checked daily).`,
      );
    }),
    cmd(Commands.unwatchSubProduct, 'Stop Watching', async (node: SubProductNode) => {
      await w.unwatch(node.product.product_slug, node.subProduct.sub_product_slug);
      tree.changed(node.parent);
    }),
    cmd(Commands.checkForNewReleases, 'Check for New Releases', async () => {
      if (w.list().length === 0) {
        void vscode.window.showInformationMessage(
          'No sub-product is watched. Use "Watch for New Releases" on one in the Releases view.',
        );
        return [];
      }
      const found = await w.check(true);
      if (found.length === 0)
        void vscode.window.showInformationMessage('No new releases of the watched sub-products.');
      w.announce(found);
      return found.map((f) => ({ subProduct: f.watched.subProductSlug, version: f.version.version_slug }));
    }),

    cmd(Commands.downloadsRefresh, 'Refresh Downloads', () => downloadsView.refresh()),
    cmd(Commands.downloadsOpen, 'Open', (node: DownloadedNode) =>
      vscode.commands.executeCommand('vscode.open', vscode.Uri.file(node.record.path)),
    ),
    cmd(Commands.downloadsReveal, 'Reveal in File Manager', (node: DownloadedNode) =>
      revealFolder(path.dirname(node.record.path)),
    ),
    cmd(Commands.downloadsDelete, 'Delete Download', async (node: DownloadedNode, confirmed?: boolean) => {
      const ok =
        confirmed ??
        (await vscode.window.showWarningMessage(
          `Delete ${node.record.fileName} from disk?`,
          { modal: true, detail: node.record.path },
          'Delete',
        )) === 'Delete';
      if (!ok) return false;
      await fs.rm(node.record.path, { force: true });
      await manifest.remove(node.record.path);
      return true;
    }),
  );
  return { tree, manifest, watcher: w };
}

function targetOfFile(node: FileNode): DownloadTarget {
  const v = node.parent;
  return {
    product: v.parent.product,
    subProduct: v.parent.subProduct,
    version: v.version,
    files: [node.file],
  };
}

async function targetOfVersion(node: VersionNode): Promise<DownloadTarget> {
  return {
    product: node.parent.product,
    subProduct: node.parent.subProduct,
    version: node.version,
    files: await node.loadFiles(),
  };
}

/** Resolves slugs given as arguments, or asks with quick picks (palette), to a download target. */
async function resolveTarget(
  client: DownloadClient,
  ref: VersionRef | undefined,
  oneFile: boolean,
): Promise<DownloadTarget | undefined> {
  const products = await client.listProducts();
  const product = ref
    ? products.find((p) => p.product_slug === ref.productSlug)
    : await pick(products, (p) => ({ label: p.product_name, description: p.product_slug }), 'Product');
  if (!product) return notFound(ref, 'product');
  const subs = await everything<SubProduct>(
    (page, signal) => client.listSubProducts(product.product_slug, page, signal),
    (x) => x.sub_product_slug,
  );
  const subProduct = ref
    ? subs.find((x) => x.sub_product_slug === ref.subProductSlug)
    : await pick(
        subs,
        (x) => ({ label: x.sub_product_name, description: x.sub_product_slug }),
        `${product.product_name}: sub-product`,
      );
  if (!subProduct) return notFound(ref, 'sub-product');
  const versions = await everything<Version>(
    (page, signal) => client.listVersions(product.product_slug, subProduct.sub_product_slug, page, signal),
    (x) => x.version_slug,
  );
  const version = ref
    ? versions.find((x) => x.version_slug === ref.versionSlug)
    : await pick(
        versions,
        (x) => ({
          label: x.version_name,
          description: [x.effective_date && `effective ${x.effective_date}`, x.version_slug]
            .filter(Boolean)
            .join(' · '),
        }),
        `${subProduct.sub_product_name}: version`,
      );
  if (!version) return notFound(ref, 'version');
  const files = await client.listFiles(
    product.product_slug,
    subProduct.sub_product_slug,
    version.version_slug,
  );
  let chosen: ReleaseFile[] = files;
  if (oneFile) {
    const file = ref?.file
      ? files.find((f) => f.id === ref.file || f.file_name === ref.file)
      : await pick(
          files,
          (f) => ({ label: f.file_name || '(unnamed file)', description: f.id }),
          `${version.version_name}: file`,
        );
    if (!file) return notFound(ref, 'file');
    chosen = [file];
  }
  return { product, subProduct, version, files: chosen };
}

async function everything<T>(
  fetch: (page: number, signal?: AbortSignal) => Promise<Page<T>>,
  idOf: (t: T) => string,
): Promise<T[]> {
  const pager = new Pager<T>(idOf);
  await loadAll(pager, fetch, { concurrency: 2 });
  return [...pager.items];
}

async function pick<T>(
  items: T[],
  render: (t: T) => vscode.QuickPickItem,
  title: string,
): Promise<T | undefined> {
  const picked = await vscode.window.showQuickPick(
    items.map((item) => ({ ...render(item), item })),
    { title: `Download: ${title}`, matchOnDescription: true },
  );
  return picked?.item;
}

function notFound(ref: VersionRef | undefined, what: string): undefined {
  if (ref) throw new UserError(`No ${what} matches ${JSON.stringify(ref)} in the active IMO environment.`);
  return undefined;
}
