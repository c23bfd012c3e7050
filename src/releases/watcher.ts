import * as vscode from 'vscode';
import { Commands, StateKeys } from '../constants';
import type { DownloadClient, Version } from '../api/download';
import type { Logger } from '../platform/log';
import { compareVersionsNewestFirst } from './nodes';

/** A sub-product the coder watches for new releases (kept in globalState: no secrets, no PHI). */
export interface WatchedSubProduct {
  productSlug: string;
  productName: string;
  subProductSlug: string;
  subProductName: string;
  /** Slug of the newest version seen so far. */
  lastSeen?: string;
}

/** A version newer than the last one seen. */
export interface NewRelease {
  watched: WatchedSubProduct;
  version: Version;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Watches sub-products for new versions: the desktop client's answer to IMO's SNS release
 * notifications, which need a public webhook. Checks at most once a day (and on demand).
 */
export class ReleaseWatcher {
  constructor(
    private readonly deps: {
      state: vscode.Memento;
      client(): DownloadClient;
      signedIn(): boolean;
      log: Logger;
      now?: () => number;
    },
  ) {}

  list(): WatchedSubProduct[] {
    return this.deps.state.get<WatchedSubProduct[]>(StateKeys.watchedSubProducts, []);
  }

  isWatched(productSlug: string, subProductSlug: string): boolean {
    return this.list().some((w) => w.productSlug === productSlug && w.subProductSlug === subProductSlug);
  }

  async watch(w: WatchedSubProduct): Promise<void> {
    const rest = this.list().filter(
      (x) => !(x.productSlug === w.productSlug && x.subProductSlug === w.subProductSlug),
    );
    await this.deps.state.update(StateKeys.watchedSubProducts, [...rest, w]);
  }

  async unwatch(productSlug: string, subProductSlug: string): Promise<void> {
    const rest = this.list().filter(
      (x) => !(x.productSlug === productSlug && x.subProductSlug === subProductSlug),
    );
    await this.deps.state.update(StateKeys.watchedSubProducts, rest);
  }

  /** The newest version of a sub-product (first page, sorted: the API lists newest first). */
  async newest(
    productSlug: string,
    subProductSlug: string,
    signal?: AbortSignal,
  ): Promise<Version | undefined> {
    const page = await this.deps.client().listVersions(productSlug, subProductSlug, 1, signal);
    return [...page.items].sort(compareVersionsNewestFirst)[0];
  }

  /**
   * Checks every watched sub-product (unless a check ran in the last day and `force` is false),
   * remembers the newest versions, and returns those newer than the last seen.
   */
  async check(force: boolean, signal?: AbortSignal): Promise<NewRelease[]> {
    const now = (this.deps.now ?? Date.now)();
    const last = this.deps.state.get<number>(StateKeys.lastReleaseCheck, 0);
    if (!this.deps.signedIn() || (!force && now - last < DAY_MS)) return [];
    const found: NewRelease[] = [];
    const updated: WatchedSubProduct[] = [];
    for (const w of this.list()) {
      try {
        const v = await this.newest(w.productSlug, w.subProductSlug, signal);
        if (v && v.version_slug !== w.lastSeen) {
          if (w.lastSeen !== undefined) found.push({ watched: w, version: v });
          updated.push({ ...w, lastSeen: v.version_slug });
        } else updated.push(w);
      } catch (e) {
        this.deps.log.warn(
          `Checking ${w.subProductName} for new releases failed: ${e instanceof Error ? e.message : e}`,
        );
        updated.push(w);
      }
    }
    await this.deps.state.update(StateKeys.watchedSubProducts, updated);
    await this.deps.state.update(StateKeys.lastReleaseCheck, now);
    return found;
  }

  /** Announces new releases with a Download action. */
  announce(found: NewRelease[]): void {
    for (const { watched: w, version: v } of found) {
      const when = v.effective_date ? ` (effective ${v.effective_date})` : '';
      void vscode.window
        .showInformationMessage(
          `New release of ${w.subProductName}: ${v.version_name}${when}`,
          'Download',
          'Stop Watching',
        )
        .then((picked) => {
          if (picked === 'Download') {
            void vscode.commands.executeCommand(Commands.downloadVersion, {
              productSlug: w.productSlug,
              subProductSlug: w.subProductSlug,
              versionSlug: v.version_slug,
            });
          } else if (picked === 'Stop Watching') void this.unwatch(w.productSlug, w.subProductSlug);
        });
    }
  }

  /** First check a minute after start-up, then hourly looks at whether a day has passed. */
  schedule(): vscode.Disposable {
    const run = () =>
      void this.check(false)
        .then((found) => this.announce(found))
        .catch((e) => this.deps.log.warn(`Release check failed: ${e instanceof Error ? e.message : e}`));
    const first = setTimeout(run, 60_000);
    const hourly = setInterval(run, 60 * 60_000);
    return { dispose: () => (clearTimeout(first), clearInterval(hourly)) };
  }
}
