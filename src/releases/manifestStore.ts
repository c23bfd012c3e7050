import * as path from 'path';
import * as vscode from 'vscode';
import {
  emptyManifest,
  parseManifest,
  recordDownload,
  removeDownload,
  serializeManifest,
  type DownloadRecord,
  type DownloadsManifest,
} from '../core/downloadsManifest';
import { readTextIfExists, writeTextAtomic } from '../node/files';
import type { Logger } from '../platform/log';

/**
 * The downloads manifest (`downloads.json` in the extension's global storage): every completed
 * download, for the Downloads view and for the code index. Writes are serialised and atomic.
 */
export class ManifestStore implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<DownloadsManifest>();
  readonly onDidChange = this.emitter.event;
  private cached: DownloadsManifest | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  readonly file: string;

  constructor(
    storageDir: string,
    private readonly log: Logger,
  ) {
    this.file = path.join(storageDir, 'downloads.json');
  }

  async read(): Promise<DownloadsManifest> {
    if (this.cached) return this.cached;
    const text = await readTextIfExists(this.file);
    if (text === undefined) return (this.cached = emptyManifest());
    const { manifest, problems } = parseManifest(text);
    if (problems.length) this.log.warn(`Downloads manifest ${this.file}: ${problems.join('; ')}`);
    return (this.cached = manifest);
  }

  record(r: DownloadRecord): Promise<DownloadsManifest> {
    return this.update((m) => recordDownload(m, r));
  }

  remove(filePath: string): Promise<DownloadsManifest> {
    return this.update((m) => removeDownload(m, filePath));
  }

  dispose(): void {
    this.emitter.dispose();
  }

  private update(change: (m: DownloadsManifest) => DownloadsManifest): Promise<DownloadsManifest> {
    const next = this.queue.then(async () => {
      const m = change(await this.read());
      await writeTextAtomic(this.file, serializeManifest(m));
      this.cached = m;
      this.emitter.fire(m);
      return m;
    });
    this.queue = next.catch(() => undefined);
    return next;
  }
}
