/**
 * Paging state for the paged IMO listings (document 001: sub-products and versions, v2), where each
 * answer is `{current_page, total, page_size, items}` and `total` is the number of items in the whole
 * list. A tree level owns one {@link Pager}; its "Load more…" node adds the next page and its
 * "Load all" action runs {@link loadAll}.
 *
 * The pager distrusts the server just enough that "Load more" always ends: an empty page, a short
 * page, or a page other than the one asked for ends the list even when `total` says there is more,
 * and the disagreement is reported in {@link Pager.problem} for display.
 */

/** One page of a paged listing, as the server sends it. Pages are numbered from 1. */
export interface Page<T> {
  current_page: number;
  /** Number of items in the whole list (not the number of pages). */
  total: number;
  page_size: number;
  items: readonly T[];
}

/**
 * What {@link Pager.add} did with a page:
 * - `added`: it was the next page and its items (minus duplicates) were appended;
 * - `duplicate`: a page already loaded (e.g. a second click on "Load more") — ignored;
 * - `outOfOrder`: a page after the next one, or not the page that was asked for — ignored;
 * - `complete`: the list had already ended — ignored.
 */
export type AddResult = 'added' | 'duplicate' | 'outOfOrder' | 'complete';

const FIRST_PAGE = 1;

/** The loaded part of one paged list. Pure state; the caller does the fetching. */
export class Pager<T> {
  private list: T[] = [];
  private ids = new Set<string>();
  private pages = 0;
  /** Items received, duplicates included (what the server's `total` counts). */
  private received = 0;
  private reportedTotal: number | undefined;
  private pageSize: number | undefined;
  /** The server ended the list (an empty or short page) or stopped making sense. */
  private ended = false;
  private duplicates = 0;
  private notes: string[] = [];

  /**
   * @param idOf a stable identity for an item (e.g. its `id` or slug); an item whose id was already
   *   seen on an earlier page is left out, so a list that shifts while it is paged shows no twins.
   */
  constructor(private readonly idOf: (item: T) => string) {}

  /** The items loaded so far, in server order, without duplicates. */
  get items(): readonly T[] {
    return this.list;
  }

  /** Number of pages added. */
  get loadedPages(): number {
    return this.pages;
  }

  /** The item count the server last reported; `undefined` before the first page. */
  get total(): number | undefined {
    return this.reportedTotal;
  }

  /**
   * Whether "Load more" should be offered: true before the first page; afterwards false once the
   * items received reach `total`, or a page came back empty or shorter than its `page_size`, or a
   * page was not the one asked for.
   */
  get hasMore(): boolean {
    if (this.ended) return false;
    if (this.reportedTotal === undefined) return true;
    return this.received < this.reportedTotal;
  }

  /** The page number to fetch next (1 for an empty pager). */
  get nextPage(): number {
    return FIRST_PAGE + this.pages;
  }

  /**
   * How many more pages `total` promises (0 when {@link hasMore} is false); `undefined` before the
   * first page, when neither `total` nor the page size is known. A server whose `total` is too large
   * will end the list sooner, with an empty or short page.
   */
  remainingPages(): number | undefined {
    if (!this.hasMore) return 0;
    const last = this.lastPage();
    return last === undefined ? undefined : Math.max(0, last - this.pages);
  }

  /**
   * Adds a page if it is the next one (see {@link AddResult}). Items whose id was already seen are
   * dropped and counted in {@link problem}.
   *
   * @param requested the page number that was asked for. When given and the server answered with a
   *   different page (a server that ignores the `page` parameter), the list is ended with a problem
   *   instead of offering "Load more" forever.
   */
  add(page: Page<T>, requested?: number): AddResult {
    if (requested !== undefined && page.current_page !== requested) {
      if (requested === this.nextPage && !this.ended) {
        this.ended = true;
        this.notes.push(`Asked for page ${requested}, the server sent page ${page.current_page}.`);
      }
      return page.current_page < requested ? 'duplicate' : 'outOfOrder';
    }
    if (page.current_page < this.nextPage) return 'duplicate';
    if (page.current_page > this.nextPage) return 'outOfOrder';
    if (!this.hasMore) return 'complete';

    this.pages += 1;
    this.received += page.items.length;
    if (
      this.reportedTotal !== undefined &&
      page.total !== this.reportedTotal &&
      Number.isFinite(page.total)
    ) {
      this.notes.push(`The total changed from ${this.reportedTotal} to ${page.total} while loading.`);
    }
    if (Number.isFinite(page.total) && page.total >= 0) this.reportedTotal = page.total;
    else this.reportedTotal ??= 0;
    if (Number.isInteger(page.page_size) && page.page_size > 0) this.pageSize = page.page_size;

    for (const item of page.items) {
      const id = this.idOf(item);
      if (this.ids.has(id)) {
        this.duplicates += 1;
        continue;
      }
      this.ids.add(id);
      this.list.push(item);
    }
    if (page.items.length === 0 || (this.pageSize !== undefined && page.items.length < this.pageSize)) {
      this.ended = true;
    }
    return 'added';
  }

  /** Forgets every page (Refresh). */
  reset(): void {
    this.list = [];
    this.ids = new Set();
    this.pages = 0;
    this.received = 0;
    this.reportedTotal = undefined;
    this.pageSize = undefined;
    this.ended = false;
    this.duplicates = 0;
    this.notes = [];
  }

  /**
   * A sentence for display when what the server sent disagrees with itself: fewer or more items than
   * its `total`, repeated items, a `total` that changed, a page other than the one asked for.
   * `undefined` when all is consistent (or not enough is loaded to tell).
   */
  get problem(): string | undefined {
    const out = [...this.notes];
    const total = this.reportedTotal;
    if (total !== undefined) {
      if (this.ended && this.received < total) {
        out.push(`The server reported ${total} items but the list ended after ${this.received}.`);
      } else if (this.received > total) {
        out.push(`The server reported ${total} items but sent ${this.received}.`);
      }
    }
    if (this.duplicates > 0) {
      out.push(`${this.duplicates} repeated item${this.duplicates === 1 ? ' was' : 's were'} left out.`);
    }
    return out.length > 0 ? out.join(' ') : undefined;
  }

  /** The last page number `total` implies, when total and page size are known. */
  private lastPage(): number | undefined {
    if (this.reportedTotal === undefined || this.pageSize === undefined) return undefined;
    return FIRST_PAGE - 1 + Math.ceil(this.reportedTotal / this.pageSize);
  }
}

/** Options of {@link loadAll}. */
export interface LoadAllOptions {
  /** Stops fetching; pages already added stay in the pager. */
  signal?: AbortSignal;
  /** Pages fetched at the same time (default 2, at least 1). */
  concurrency?: number;
}

/** How {@link loadAll} ended (a failure rejects instead). */
export interface LoadAllResult {
  /** Pages added to the pager by this call. */
  pagesAdded: number;
  /** Stopped by the signal before the list was complete. */
  cancelled: boolean;
}

/**
 * Fetches the rest of a paged list into `pager` ("Load all"): the first page alone when nothing is
 * loaded (it tells the total), then the remaining pages with at most `concurrency` requests in
 * flight, added strictly in page order. It stops as soon as the pager says the list has ended (an
 * empty or short page), aborting fetches that are no longer needed through the signal it passes to
 * `fetchPage`.
 *
 * - Cancellation (`signal`): no new fetches; in-flight ones are aborted; resolves with
 *   `cancelled: true`, keeping what was added.
 * - Failure: no new fetches; in-flight fetches are allowed to settle (and added when they follow on
 *   in order), then the first error is thrown. Pages added before stay.
 *
 * It keeps no timers: pacing under a rate limit is the HTTP layer's job (it honours 429 Retry-After).
 *
 * @param fetchPage fetches one page by number; must honour its signal (rejecting is fine).
 */
export async function loadAll<T>(
  pager: Pager<T>,
  fetchPage: (page: number, signal: AbortSignal) => Promise<Page<T>>,
  o: LoadAllOptions = {},
): Promise<LoadAllResult> {
  const limit = Math.max(1, Math.floor(o.concurrency ?? 2));
  const outer = o.signal;
  if (outer?.aborted) return { pagesAdded: 0, cancelled: true };

  const inner = new AbortController();
  const onAbort = (): void => inner.abort(outer?.reason);
  outer?.addEventListener('abort', onAbort, { once: true });

  const ready = new Map<number, Page<T>>();
  const inFlight = new Set<Promise<void>>();
  let pagesAdded = 0;
  let nextToIssue = pager.nextPage;
  let stopped = false; // the list ended (or stopped making sense): nothing more to fetch
  let failure: { error: unknown } | undefined;

  const flush = (): void => {
    for (let n = pager.nextPage; ready.has(n); n = pager.nextPage) {
      const page = ready.get(n) as Page<T>;
      ready.delete(n);
      if (pager.add(page, n) !== 'added') {
        stopped = true;
        break;
      }
      pagesAdded += 1;
    }
    if (!pager.hasMore && !stopped) {
      stopped = true;
      inner.abort(); // pages still in flight are past the end
    }
  };

  const mayIssue = (): boolean => {
    if (stopped || failure || inner.signal.aborted || !pager.hasMore) return false;
    const remaining = pager.remainingPages();
    // Until the total and page size are known, one page at a time.
    if (remaining === undefined) return inFlight.size === 0 && nextToIssue === pager.nextPage;
    return nextToIssue < pager.nextPage + remaining;
  };

  const pump = (): void => {
    while (inFlight.size < limit && mayIssue()) {
      const n = nextToIssue++;
      const p: Promise<void> = Promise.resolve()
        .then(() => fetchPage(n, inner.signal))
        .then(
          (page) => {
            ready.set(n, page);
            flush();
          },
          (error: unknown) => {
            // Failures of fetches we aborted ourselves (list ended, or cancelled) are not failures.
            if (!stopped && !inner.signal.aborted) failure ??= { error };
          },
        )
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
  };

  try {
    pump();
    while (inFlight.size > 0) {
      await Promise.race(inFlight);
      pump();
    }
  } finally {
    outer?.removeEventListener('abort', onAbort);
  }
  if (failure) throw failure.error;
  return { pagesAdded, cancelled: outer?.aborted === true && pager.hasMore };
}
