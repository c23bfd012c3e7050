import * as path from 'path';
import * as vscode from 'vscode';
import { Settings } from '../constants';
import type { CodeIndex } from '../core/codes/codeIndex';
import { isCodeSystem } from '../core/codes/systems';
import { bundledSources, fileSources, loadIndex } from '../node/codeIndexLoader';
import type { IndexSource, LoadedIndex } from '../node/codeIndexLoader';
import type { Logger } from '../platform/log';
import type { ManifestStore } from '../releases/manifestStore';

export interface CodeIndexServiceDeps {
  readonly log: Logger;
  /** Folder of the bundled code sets (`dist/data`). */
  readonly bundledDir: string;
  /** Global storage folder: the index cache lives there. */
  readonly storageDir: string;
  readonly manifest: ManifestStore;
}

/**
 * Owns the code index for the window: loads it lazily on first need (a hover, a diagnostic pass,
 * Find Code), from the persisted cache when the sources are unchanged, and reloads it when the
 * sources change (settings, a new download). Everything that needs codes awaits {@link ready}.
 */
export class CodeIndexService implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<CodeIndex>();
  /** Fires after each (re)load and after the active releases change. */
  readonly onDidChange = this.emitter.event;
  private readonly loadingEmitter = new vscode.EventEmitter<boolean>();
  readonly onDidChangeLoading = this.loadingEmitter.event;
  private loading: Promise<CodeIndex> | undefined;
  private loaded: LoadedIndex | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private reloadTimer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: CodeIndexServiceDeps) {
    this.disposables.push(
      this.emitter,
      this.loadingEmitter,
      vscode.workspace.onDidChangeConfiguration((e) => {
        const affects = (key: string): boolean => e.affectsConfiguration(`${Settings.section}.${key}`);
        if (
          affects(Settings.codesFolders) ||
          affects(Settings.codesUseBundled) ||
          affects(Settings.codesUseDownloads)
        )
          this.scheduleReload();
        else if (affects(Settings.codesActiveReleases) && this.loaded) {
          this.applyActiveReleases(this.loaded.index);
          this.emitter.fire(this.loaded.index);
        }
      }),
      deps.manifest.onDidChange(() => {
        if (this.loaded || this.loading) this.scheduleReload();
      }),
    );
  }

  /** The index if it is loaded, without starting a load. */
  get current(): CodeIndex | undefined {
    return this.loaded?.index;
  }

  /** What the last load read (sources, per-source reports, timing). */
  get lastLoad(): LoadedIndex | undefined {
    return this.loaded;
  }

  get isLoading(): boolean {
    return this.loading !== undefined;
  }

  /** The index, loading it on first call (rejects only when no index could be loaded at all; logged). */
  ready(): Promise<CodeIndex> {
    if (this.loaded && !this.loading) return Promise.resolve(this.loaded.index);
    return this.loading ?? this.load(false);
  }

  /** Reloads from the sources; `rebuild` ignores the cache. */
  reload(rebuild = false): Promise<CodeIndex> {
    return this.load(rebuild);
  }

  private scheduleReload(): void {
    clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => void this.load(false), 500);
  }

  private load(rebuild: boolean): Promise<CodeIndex> {
    const previous = this.loading;
    const run: Promise<CodeIndex> = this.doLoad(rebuild, previous).finally(() => {
      if (this.loading === run) this.loading = undefined;
      this.loadingEmitter.fire(false);
    });
    this.loading = run;
    return run;
  }

  private async doLoad(rebuild: boolean, previous: Promise<CodeIndex> | undefined): Promise<CodeIndex> {
    // a load in progress is superseded by this one
    await previous?.catch(() => undefined);
    this.loadingEmitter.fire(true);
    try {
      const sources = await this.sources();
      const loaded = await loadIndex({
        sources,
        cacheFile: path.join(this.deps.storageDir, 'code-index.json'),
        rebuild,
      });
      for (const r of loaded.reports) {
        if (r.error) this.deps.log.warn(`Code index: ${r.name} could not be read: ${r.error}`);
        else if (r.counts && r.counts.rejected > 0)
          this.deps.log.warn(
            `Code index: ${r.name}: ${r.counts.rejected} lines rejected (see the index report)`,
          );
      }
      this.deps.log.info(
        `Code index ${loaded.fromCache ? 'loaded from cache' : 'built'} in ${loaded.ms.toFixed(0)} ms: ` +
          `${loaded.releases.map((r) => `${r.label} (${r.count})`).join(', ') || 'no releases'}`,
      );
      this.applyActiveReleases(loaded.index);
      this.loaded = loaded;
      this.emitter.fire(loaded.index);
      return loaded.index;
    } catch (e) {
      this.deps.log.error(`Code index could not be loaded: ${e instanceof Error ? e.message : String(e)}`);
      throw e;
    }
  }

  private async sources(): Promise<IndexSource[]> {
    const config = vscode.workspace.getConfiguration(Settings.section);
    const out: IndexSource[] = [];
    if (config.get<boolean>(Settings.codesUseBundled, true))
      out.push(...(await bundledSources(this.deps.bundledDir)));
    if (config.get<boolean>(Settings.codesUseDownloads, true)) {
      const manifest = await this.deps.manifest.read();
      out.push(
        ...(await fileSources(
          manifest.downloads.map((d) => d.path),
          [],
          'download',
        )),
      );
    }
    const folders = config
      .get<string[]>(Settings.codesFolders, [])
      .filter((f) => typeof f === 'string' && f !== '');
    if (folders.length) out.push(...(await fileSources([], folders, 'folder')));
    // a file listed twice (a download inside a listed folder) is read once
    const seen = new Set<string>();
    return out.filter((s) => (seen.has(s.path) ? false : (seen.add(s.path), true)));
  }

  private applyActiveReleases(index: CodeIndex): void {
    const wanted = vscode.workspace
      .getConfiguration(Settings.section)
      .get<Record<string, string>>(Settings.codesActiveReleases, {});
    for (const system of index.loadedSystems()) index.setActive(system, undefined);
    for (const [system, id] of Object.entries(wanted ?? {})) {
      if (!isCodeSystem(system) || typeof id !== 'string') {
        this.deps.log.warn(`clinicalCoder.codes.activeReleases: '${system}' is not a code system`);
      } else if (!index.setActive(system, id)) {
        this.deps.log.warn(
          `clinicalCoder.codes.activeReleases: ${id} is not a loaded release of ${system}; using the newest`,
        );
      }
    }
  }

  /** Stores the active release of a system in the user's settings (undefined = newest). */
  async setActiveRelease(system: string, releaseId: string | undefined): Promise<void> {
    const config = vscode.workspace.getConfiguration(Settings.section);
    const current = { ...(config.get<Record<string, string>>(Settings.codesActiveReleases, {}) ?? {}) };
    if (releaseId === undefined) delete current[system];
    else current[system] = releaseId;
    await config.update(Settings.codesActiveReleases, current, vscode.ConfigurationTarget.Global);
    if (this.loaded) {
      this.applyActiveReleases(this.loaded.index);
      this.emitter.fire(this.loaded.index);
    }
  }

  dispose(): void {
    clearTimeout(this.reloadTimer);
    for (const d of this.disposables) d.dispose();
  }
}
