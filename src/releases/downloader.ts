import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { Settings } from '../constants';
import type { DownloadRecord } from '../core/downloadsManifest';
import { ApiError } from '../core/errors';
import { sanitizeFileName } from '../core/fileNames';
import { formatBytes, formatProgress } from '../core/format';
import type { DownloadClient, Product, ReleaseFile, SubProduct, Version } from '../api/download';
import type * as DownloadModule from '../node/download';
import { exists } from '../node/files';
import { toAbortSignal } from '../platform/cancellation';
import type { Logger } from '../platform/log';
import type { ManifestStore } from './manifestStore';

/** What to download: files of one version. */
export interface DownloadTarget {
  product: Product;
  subProduct: SubProduct;
  version: Version;
  files: ReleaseFile[];
}

/** Choices a caller (or a test) can make instead of being asked. */
export interface DownloadChoices {
  /** Root folder; the files go to `<root>/<product>/<sub-product>/<version>/`. */
  targetDir?: string;
  /** Replace existing files (true), keep them (false), or ask (undefined). */
  overwrite?: boolean;
}

/** The folder used when `clinicalCoder.downloads.folder` is empty. */
export function defaultDownloadsRoot(): string {
  return path.join(os.homedir(), 'Downloads', 'IMO Releases');
}

/**
 * Downloads release files one at a time, each with a presigned URL requested just before it is
 * needed (they expire 5 minutes after issue), with progress (bytes, percent, speed) and
 * cancellation, and records every completed file in the downloads manifest.
 */
export class ReleaseDownloader {
  constructor(
    private readonly deps: {
      client(): DownloadClient;
      manifest: ManifestStore;
      log: Logger;
      userAgent: string;
    },
  ) {}

  /** Asks where to save, unless the caller said; undefined when the coder cancels. */
  async chooseRoot(choices: DownloadChoices): Promise<string | undefined> {
    if (choices.targetDir) return choices.targetDir;
    const configured = vscode.workspace
      .getConfiguration(Settings.section)
      .get<string>(Settings.downloadsFolder, '')
      .trim();
    const root = configured || defaultDownloadsRoot();
    const picked = await vscode.window.showQuickPick(
      [
        { label: `$(desktop-download) Download to ${root}`, root },
        { label: '$(folder-opened) Choose location…', root: undefined },
      ],
      { title: 'Download release files', placeHolder: 'Where should the files go?' },
    );
    if (!picked) return undefined;
    if (picked.root) return picked.root;
    const chosen = await vscode.window.showOpenDialog({
      canSelectFiles: false,
      canSelectFolders: true,
      canSelectMany: false,
      openLabel: 'Download Here',
      defaultUri: vscode.Uri.file(root),
    });
    return chosen?.[0]?.fsPath;
  }

  /** Downloads `target.files` into a folder per version; returns the records of completed files. */
  async download(target: DownloadTarget, choices: DownloadChoices): Promise<DownloadRecord[]> {
    const root = await this.chooseRoot(choices);
    if (!root) return [];
    const { product, subProduct, version } = target;
    const dir = path.join(
      root,
      sanitizeFileName(product.product_slug, 'product'),
      sanitizeFileName(subProduct.sub_product_slug, 'sub-product'),
      sanitizeFileName(version.version_slug, 'version'),
    );
    const plan: { file: ReleaseFile; name: string; overwrite: boolean }[] = [];
    for (const file of target.files) {
      const name = sanitizeFileName(file.file_name, `file-${file.id}`);
      if (name !== file.file_name)
        this.deps.log.warn(`Release file name "${file.file_name}" saved as "${name}"`);
      let overwrite = false;
      if (await exists(path.join(dir, name))) {
        overwrite = choices.overwrite ?? (await askOverwrite(name, dir));
        if (!overwrite) {
          this.deps.log.info(`Kept the existing ${name}`);
          continue;
        }
      }
      plan.push({ file, name, overwrite });
    }
    if (plan.length === 0) return [];

    const records: DownloadRecord[] = [];
    const totalKnown = plan.every((p) => typeof p.file.file_size === 'number');
    const grandTotal = plan.reduce((n, p) => n + (p.file.file_size ?? 0), 0);
    let done = 0;
    await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Downloading ${version.version_name}`,
        cancellable: true,
      },
      async (progress, token) => {
        const abort = toAbortSignal(token);
        let reported = 0;
        try {
          for (const [i, step] of plan.entries()) {
            const prefix = plan.length > 1 ? `File ${i + 1} of ${plan.length}: ` : '';
            progress.report({ message: `${prefix}${step.name}` });
            // the download engine is a chunk of its own (esbuild.js, lazyChunks): loaded on first use
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const { downloadFile } = require('../node/download') as typeof DownloadModule;
            const result = await downloadFile({
              targetDir: dir,
              fileName: step.name,
              overwrite: step.overwrite,
              signal: abort.signal,
              userAgent: this.deps.userAgent,
              getUrl: async (signal) => {
                // just in time: a fresh presigned URL for this file (they expire after 5 minutes)
                const files = await this.deps
                  .client()
                  .listFiles(product.product_slug, subProduct.sub_product_slug, version.version_slug, signal);
                const fresh = files.find((f) => f.id === step.file.id);
                if (!fresh) {
                  throw new ApiError({
                    kind: 'notFound',
                    service: 'IMO Download',
                    message: `${step.file.file_name} is no longer listed in ${version.version_name}: refresh the version and try again.`,
                  });
                }
                return { url: fresh.download_url, expectedSize: fresh.file_size ?? undefined };
              },
              onProgress: ({ received, total, bytesPerSecond }) => {
                const overall =
                  totalKnown && grandTotal > 0 ? ((done + received) / grandTotal) * 100 : undefined;
                const increment = overall !== undefined ? Math.max(0, overall - reported) : undefined;
                if (overall !== undefined) reported = overall;
                progress.report({
                  message: `${prefix}${step.name} — ${formatProgress(received, total, bytesPerSecond)}`,
                  increment,
                });
              },
            });
            done += result.size;
            const record: DownloadRecord = {
              product: { slug: product.product_slug, name: product.product_name },
              subProduct: { slug: subProduct.sub_product_slug, name: subProduct.sub_product_name },
              version: {
                slug: version.version_slug,
                name: version.version_name,
                effectiveDate: version.effective_date ?? undefined,
              },
              fileName: step.name,
              path: result.path,
              size: result.size,
              sha256: result.sha256,
              downloadedAt: new Date().toISOString(),
              sourceFileId: step.file.id,
            };
            await this.deps.manifest.record(record);
            records.push(record);
            this.deps.log.info(
              `Downloaded ${step.name} (${formatBytes(result.size)}, sha256 ${result.sha256.slice(0, 12)}…, ${result.urlRequests} URL request(s), ${result.resumed} resume(s))`,
            );
          }
        } finally {
          abort.dispose();
        }
      },
    );
    announce(records, dir);
    return records;
  }
}

async function askOverwrite(name: string, dir: string): Promise<boolean> {
  const replace = 'Replace';
  const answer = await vscode.window.showWarningMessage(
    `${name} already exists in ${dir}. Replace it?`,
    { modal: true, detail: 'The existing file is kept until the new one has downloaded completely.' },
    replace,
    'Keep Existing',
  );
  return answer === replace;
}

function announce(records: DownloadRecord[], dir: string): void {
  if (records.length === 0) return;
  const size = formatBytes(records.reduce((n, r) => n + r.size, 0));
  const what = records.length === 1 ? records[0].fileName : `${records.length} files`;
  const actions = records.length === 1 ? ['Open File', 'Open Folder'] : ['Open Folder'];
  void vscode.window
    .showInformationMessage(`Downloaded ${what} (${size}) to ${dir}`, ...actions)
    .then((picked) => {
      if (picked === 'Open File')
        void vscode.commands.executeCommand('vscode.open', vscode.Uri.file(records[0].path));
      if (picked === 'Open Folder') void revealFolder(dir);
    });
}

/** Shows a folder: in the OS file manager on desktop, in a new window where there is none (web). */
export async function revealFolder(dir: string): Promise<void> {
  const uri = vscode.Uri.file(dir);
  if (vscode.env.uiKind === vscode.UIKind.Desktop)
    await vscode.commands.executeCommand('revealFileInOS', uri);
  else await vscode.commands.executeCommand('vscode.openFolder', uri, { forceNewWindow: true });
}
