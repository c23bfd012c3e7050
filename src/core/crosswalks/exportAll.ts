/**
 * Reading every page of a crosswalk version's mappings (at most 10 per page, document 003) for an
 * export, with bounded concurrency, a shared pause on rate limits, and checks that the pages add up.
 *
 * Decisions:
 * - **Consistency.** Page 1 fixes `total` and `page_size`. Every later page must be the page asked
 *   for, report the same `total` and `page_size`, and hold exactly the number of items its position
 *   implies (`page_size`, or the remainder on the last page); no mapping (source system, source
 *   code, target system) may appear twice. Anything else rejects with an {@link ApiError} of kind
 *   `invalidResponse`. Re-fetching one page cannot repair a list that changed under us (a draft edited
 *   during the export shifts every later page), so the honest answer is "export again", not a file
 *   that silently misses or repeats mappings.
 * - **Rate limits.** When `fetchPage` rejects with an `ApiError` of kind `rateLimited`, the whole
 *   pool pauses: no worker starts a request until `retryAfterMs` (or `pauseMs` when the server gave
 *   none) has passed; then the page is fetched again. Requests already in flight are left to finish.
 *   A page limited more than `maxRateLimitRetries` times in a row, or a retry-after longer than
 *   `maxPauseMs`, rejects with that error: the user is better served by a message than a frozen
 *   progress bar.
 * - **Other errors** stop the export: no new requests, in-flight ones are aborted through the signal
 *   passed to `fetchPage`, and the first error is thrown.
 * - **Cancellation** rejects (promptly, even if `fetchPage` ignores its signal) with an `ApiError` of
 *   kind `cancelled`: a partial export is not an export, so there is nothing useful to resolve with.
 *   Pause timers are cleared on cancellation or failure, so nothing keeps Node alive afterwards.
 */

import { ApiError, isApiError } from '../errors';
import type { Page } from '../paging';
import type { Mapping } from './model';

/** Options of {@link fetchAllPages} and {@link fetchAllMappings}. */
export interface FetchAllOptions {
  /** Requests in flight at most (default 4, at least 1). */
  concurrency?: number;
  /** Cancels the export (see the module comment). */
  signal?: AbortSignal;
  /** Called after each page with pages done and the number of pages (page 1 counts). */
  onProgress?: (done: number, totalPages: number) => void;
  /** Pause after a rate limit that names no retry-after, in ms (default 1000). */
  pauseMs?: number;
  /** Longest retry-after honoured, in ms (default 60 000); a longer one rejects. */
  maxPauseMs?: number;
  /** Rate limits in a row on one page before giving up (default 5). */
  maxRateLimitRetries?: number;
  /** Service name for the errors this module makes (default `IMO Crosswalks`). */
  service?: string;
}

/** What {@link fetchAllPages} read. */
export interface FetchAllResult<T> {
  /** Every item, in page order, each once. */
  items: T[];
  /** The server's `total` (equals `items.length`). */
  total: number;
  pageSize: number;
  pages: number;
  /** How many times the pool paused for a rate limit. */
  rateLimitPauses: number;
}

/** What {@link fetchAllMappings} read. */
export interface MappingsExport {
  /** Every mapping, in page order, each once. */
  mappings: Mapping[];
  total: number;
  pageSize: number;
  pages: number;
  rateLimitPauses: number;
}

const now = (): number => performance.now();

/**
 * Reads page 1, then pages 2…N with at most `concurrency` requests in flight, and returns every
 * item in page order. See the module comment for the consistency, rate-limit, error and
 * cancellation rules.
 *
 * @param fetchPage fetches one page (1-based); should honour its signal.
 * @param idOf identity of an item, for the duplicate check.
 */
export async function fetchAllPages<T>(
  fetchPage: (pageNumber: number, signal: AbortSignal) => Promise<Page<T>>,
  idOf: (item: T) => string,
  options: FetchAllOptions = {},
): Promise<FetchAllResult<T>> {
  const service = options.service ?? 'IMO Crosswalks';
  const limit = Math.max(1, Math.floor(options.concurrency ?? 4));
  const pauseMs = Math.max(0, options.pauseMs ?? 1000);
  const maxPauseMs = options.maxPauseMs ?? 60_000;
  const maxRetries = Math.max(0, options.maxRateLimitRetries ?? 5);
  const outer = options.signal;
  const cancelled = (): ApiError =>
    new ApiError({ kind: 'cancelled', service, message: 'The export was cancelled.' });
  const inconsistent = (message: string): ApiError =>
    new ApiError({
      kind: 'invalidResponse',
      service,
      message: `${message} The crosswalk may have changed during the export; export it again.`,
    });
  if (outer?.aborted) throw cancelled();

  // Everything stops through `inner`: cancellation, or the first failure.
  const inner = new AbortController();
  let failure: { error: unknown } | undefined;
  let rejectStop: (e: unknown) => void = () => undefined;
  const stopped = new Promise<never>((_, reject) => (rejectStop = reject));
  stopped.catch(() => undefined);
  const stop = (error: unknown): void => {
    if (failure) return;
    failure = { error };
    inner.abort(error);
    rejectStop(error);
  };
  const onAbort = (): void => stop(cancelled());
  outer?.addEventListener('abort', onAbort, { once: true });

  /** The shared gate: no request starts before `resumeAt`. */
  let resumeAt = 0;
  let rateLimitPauses = 0;
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve, reject) => {
      if (inner.signal.aborted) return reject(inner.signal.reason);
      const onStop = (): void => {
        clearTimeout(timer);
        reject(inner.signal.reason);
      };
      const timer = setTimeout(() => {
        inner.signal.removeEventListener('abort', onStop);
        resolve();
      }, ms);
      inner.signal.addEventListener('abort', onStop, { once: true });
    });
  const gate = async (): Promise<void> => {
    for (let wait = resumeAt - now(); wait > 0; wait = resumeAt - now()) await sleep(Math.ceil(wait));
  };

  const fetchWithRetry = async (n: number): Promise<Page<T>> => {
    for (let limited = 0; ;) {
      await gate();
      if (inner.signal.aborted) throw inner.signal.reason;
      try {
        return await fetchPage(n, inner.signal);
      } catch (e) {
        if (inner.signal.aborted || !isApiError(e) || e.kind !== 'rateLimited') throw e;
        const wait = e.retryAfterMs ?? pauseMs;
        if (++limited > maxRetries || wait > maxPauseMs) throw e;
        resumeAt = Math.max(resumeAt, now() + wait);
        rateLimitPauses++;
      }
    }
  };

  const seen = new Map<string, number>();
  const pagesItems: (readonly T[])[] = [];
  let total = 0;
  let pageSize = 0;
  let pages = 1;
  let done = 0;
  const accept = (n: number, page: Page<T>): void => {
    if (!page || !Array.isArray(page.items)) throw inconsistent(`Page ${n} has no item list.`);
    if (page.current_page !== n)
      throw inconsistent(`Asked for page ${n}, the server sent page ${page.current_page}.`);
    if (n === 1) {
      if (!Number.isInteger(page.total) || page.total < 0)
        throw inconsistent(`Page 1 reports a total of ${page.total}.`);
      if (page.total > 0 && (!Number.isInteger(page.page_size) || page.page_size <= 0)) {
        throw inconsistent(`Page 1 reports a page size of ${page.page_size}.`);
      }
      total = page.total;
      pageSize = page.page_size;
      pages = total === 0 ? 1 : Math.ceil(total / pageSize);
    } else {
      if (page.total !== total)
        throw inconsistent(`The total changed from ${total} to ${page.total} (page ${n}).`);
      if (page.page_size !== pageSize) {
        throw inconsistent(`The page size changed from ${pageSize} to ${page.page_size} (page ${n}).`);
      }
    }
    const expected = total === 0 ? 0 : n < pages ? pageSize : total - (pages - 1) * pageSize;
    if (page.items.length !== expected) {
      throw inconsistent(
        `Page ${n} of ${pages} has ${page.items.length} item${page.items.length === 1 ? '' : 's'}; expected ${expected} (total ${total}, ${pageSize} per page).`,
      );
    }
    for (const item of page.items) {
      const id = idOf(item);
      const first = seen.get(id);
      if (first !== undefined) throw inconsistent(`An item appears on page ${first} and again on page ${n}.`);
      seen.set(id, n);
    }
    pagesItems[n - 1] = page.items;
    done++;
    options.onProgress?.(done, pages);
  };

  const run = async (): Promise<void> => {
    accept(1, await fetchWithRetry(1));
    let next = 2;
    const worker = async (): Promise<void> => {
      while (!failure && next <= pages) {
        const n = next++;
        accept(n, await fetchWithRetry(n));
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(limit, pages - 1) }, () =>
        worker().catch((e: unknown) => {
          stop(e);
        }),
      ),
    );
  };

  try {
    await Promise.race([run().catch((e: unknown) => stop(e)), stopped]);
  } catch {
    // `failure` holds the reason.
  } finally {
    outer?.removeEventListener('abort', onAbort);
  }
  if (outer?.aborted) throw cancelled();
  if (failure) throw failure.error;
  return { items: pagesItems.flat() as T[], total, pageSize, pages, rateLimitPauses };
}

/** Identity of a mapping across pages: source system, source code, target system. */
export function mappingId(m: Mapping): string {
  return JSON.stringify([m.sourceCodeSystem, m.sourceCode, m.targetCodeSystem]);
}

/**
 * Every mapping of a crosswalk version, in page order, each once ({@link fetchAllPages} with
 * {@link mappingId} as identity). `fetchPage` is typically the API client's
 * `GET …/versions/{n}/mappings?pageSize=10&pageNumber=…`.
 */
export async function fetchAllMappings(
  fetchPage: (pageNumber: number, signal: AbortSignal) => Promise<Page<Mapping>>,
  options: FetchAllOptions = {},
): Promise<MappingsExport> {
  const r = await fetchAllPages(fetchPage, mappingId, options);
  return {
    mappings: r.items,
    total: r.total,
    pageSize: r.pageSize,
    pages: r.pages,
    rateLimitPauses: r.rateLimitPauses,
  };
}
