/**
 * Reading every page of a crosswalk version's mappings (at most 10 per page, document 003) for an
 * export, with bounded concurrency, pacing under rate limits, and checks that the pages add up.
 *
 * Decisions:
 * - **Consistency.** Page 1 fixes `total` and `page_size`. Every later page must be the page asked
 *   for, report the same `total` and `page_size`, and hold exactly the number of items its position
 *   implies (`page_size`, or the remainder on the last page); no mapping (source system, source
 *   code, target system) may appear twice. Anything else rejects with an {@link ApiError} of kind
 *   `invalidResponse`. Re-fetching one page cannot repair a list that changed under us (a draft edited
 *   during the export shifts every later page), so the honest answer is "export again", not a file
 *   that silently misses or repeats mappings.
 * - **Rate limits.** When `fetchPage` rejects with an `ApiError` of kind `rateLimited` (send the
 *   requests with the HTTP client's own 429 retry off, or this never sees one), that page is asked
 *   again no sooner than its `retryAfterMs` (`pauseMs` when the server gave none): IMO documents
 *   Retry-After as the wait before *that request* may be retried. The other pages go on, paced by a
 *   {@link RequestPacer} shared by the pool:
 *   - a lone 429 among accepted answers changes nothing else: a server may refuse any request now
 *     and then (the sandbox refuses a share at random), and pausing every worker for a whole-second
 *     Retry-After would throw away allowance that a token bucket caps at about one second's worth;
 *   - once the answers show the pool going faster than the server allows (several 429s among the
 *     last second's answers), request starts are spaced so the pool asks a little more
 *     (`pacing.margin`) than the server accepted over the last second, measured again at every
 *     answer: no thundering herd, and no slower than the server allows (a refused request uses none
 *     of its allowance, and the margin takes up what it hands back);
 *   - a 429 when the server has accepted nothing for a second (page 1, or a server refusing
 *     everything) pauses the whole pool for the retry-after: there is no rate to follow.
 *   Requests already in flight are left to finish. A page limited more than `maxRateLimitRetries`
 *   times in a row, or a retry-after longer than `maxPauseMs`, rejects with that error: the user is
 *   better served by a message than a frozen progress bar.
 * - **Other errors** stop the export: no new requests, in-flight ones are aborted through the signal
 *   passed to `fetchPage`, and the first error is thrown.
 * - **Cancellation** rejects (promptly, even if `fetchPage` ignores its signal) with an `ApiError` of
 *   kind `cancelled`: a partial export is not an export, so there is nothing useful to resolve with.
 *   Pause timers are cleared on cancellation or failure, so nothing keeps Node alive afterwards.
 */

import { ApiError, isApiError } from '../errors';
import type { Page } from '../paging';
import type { Mapping } from './model';

/** Requests in flight at most when the extension reads a whole version (the default here). */
export const EXPORT_CONCURRENCY = 4;

/** Options of {@link fetchAllPages} and {@link fetchAllMappings}. */
export interface FetchAllOptions {
  /** Requests in flight at most (default 4, at least 1). */
  concurrency?: number;
  /** Cancels the export (see the module comment). */
  signal?: AbortSignal;
  /** Called after each page with pages done and the number of pages (page 1 counts). */
  onProgress?: (done: number, totalPages: number) => void;
  /** Wait after a rate limit that names no retry-after, in ms (default 1000). */
  pauseMs?: number;
  /** How the pool learns its pace under a rate limit (see {@link RequestPacer}). */
  pacing?: PacerOptions;
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
  /** How many 429s were waited out (each one delayed its page by its retry-after). */
  rateLimitPauses: number;
  /** Spacing of request starts at the end, ms; 0 when the pool never had to pace itself. */
  paceMs: number;
}

/** What {@link fetchAllMappings} read. */
export interface MappingsExport {
  /** Every mapping, in page order, each once. */
  mappings: Mapping[];
  total: number;
  pageSize: number;
  pages: number;
  rateLimitPauses: number;
  paceMs: number;
}

const now = (): number => performance.now();

/** Options of {@link RequestPacer}. */
export interface PacerOptions {
  /** The span over which the server's rate is measured, ms (default 1000: limits are per second). */
  windowMs?: number;
  /**
   * How much faster than the server's measured rate the pool asks, as a fraction (default 0.1). Above
   * zero so that allowance handed back by refused requests is used and a higher limit is found; the
   * price is about that share of requests answered 429 while the pool is at the limit.
   */
  margin?: number;
}

/** Answers in the window before a burst of 429s can show that the pool is over the limit. */
const ENGAGE_MIN_ANSWERS = 16;
/** 429s among the answers (at least this many, and at least this share) that show it. */
const OVER_MIN_REFUSED = 2;
const OVER_MIN_SHARE = 0.15;
/** Answers in the window before the pace is measured again. */
const MEASURE_MIN_ANSWERS = 10;

/** Whether answers show a pool over the limit: enough of them, several 429s, and a real share. */
function isOver(c: { answered: number; accepted: number }, minAnswers: number): boolean {
  const refused = c.answered - c.accepted;
  return c.answered >= minAnswers && refused >= OVER_MIN_REFUSED && refused >= OVER_MIN_SHARE * c.answered;
}

/**
 * Learns how fast a pool of requests may go from the answers it gets. Pure: every time is passed in
 * (ms, one clock), nothing is scheduled here. It starts unpaced. At a 429 it looks at the answers of
 * the last `windowMs`:
 * - nothing accepted → `'pool'`: the whole pool should wait the retry-after (there is no rate to
 *   follow: page 1 refused, or a server refusing everything);
 * - at least 16 answers, of which at least 2 and 15 % were 429s → the pool is over the limit. From
 *   then on request starts are spaced by `span ÷ (accepted × (1 + margin))`, measured at every
 *   answer over the answers since that moment (at most `windowMs` back, at least 10 of them), so the
 *   burst a token bucket allowed at first does not pass for its rate. The pace slows down only on
 *   answers that again show the pool over the limit; otherwise it may only speed up (a lower measured
 *   rate without 429s means the pool itself ran late, not that the server wants less);
 * - otherwise a lone 429: only the refused request waits (`'page'`).
 * After any 429 the next start is held one interval.
 *
 * Limits: a server that refuses 15 % or more of all requests whatever the pace looks like one that
 * is always over its limit, and the pace drifts down; it stops once fewer than 10 answers fit in the
 * window.
 */
export class RequestPacer {
  private readonly windowMs: number;
  private readonly margin: number;
  /** Answers (time, accepted), oldest first: those of the last `windowMs`, and at least 11. */
  private readonly answers: { at: number; ok: boolean }[] = [];
  /** When the pool was found over the limit (measurement starts there); undefined while unpaced. */
  private since: number | undefined;
  private interval = 0;
  private next = 0;

  constructor(o: PacerOptions = {}) {
    this.windowMs = Math.max(1, o.windowMs ?? 1000);
    this.margin = Math.max(0, o.margin ?? 0.1);
  }

  /** Spacing of request starts, ms; 0 while unpaced. */
  get intervalMs(): number {
    return this.interval;
  }

  /** Earliest time the next request may start. */
  get nextStartAt(): number {
    return this.next;
  }

  /**
   * A request starts at `at`. The next slot follows the previous one, so a start that came a little
   * late (timers, a busy event loop) does not push every later slot back; after an idle spell there
   * is no catching up beyond half an interval.
   */
  started(at: number): void {
    this.next = Math.max(this.next, at - this.interval / 2) + this.interval;
  }

  /** A request was answered (not 429) at `at`. */
  accepted(at: number): void {
    this.record(at, true);
    if (this.since !== undefined) this.measure(at, false);
  }

  /**
   * A request was answered 429 at `at`. Returns who waits its retry-after: the refused request only
   * (`'page'`), or the whole pool (`'pool'`, when nothing was accepted within the window).
   */
  refused(at: number): 'page' | 'pool' {
    this.record(at, false);
    const all = this.count(at - this.windowMs);
    if (all.accepted === 0) return 'pool';
    if (this.since === undefined) {
      if (isOver(all, ENGAGE_MIN_ANSWERS)) {
        this.since = at;
        this.interval = this.windowMs / (all.accepted * (1 + this.margin));
      }
    } else {
      this.measure(at, true);
    }
    this.next = Math.max(this.next, at + this.interval);
    return 'page';
  }

  /**
   * The pace from the answers since `since`: those of the last `windowMs`, or the last 10 when the
   * window holds fewer (a slow pace still learns). It may slow down only on answers that again show
   * the pool over the limit; otherwise the server took about everything it was sent, and a lower
   * measured rate means the pool itself ran late (timers, a busy event loop), not a lower limit.
   */
  private measure(at: number, refused: boolean): void {
    const since = this.since ?? -Infinity;
    let answered = 0;
    let accepted = 0;
    let from = Math.max(at - this.windowMs, since);
    for (let i = this.answers.length - 1; i >= 0; i--) {
      const a = this.answers[i];
      const inWindow = a.at > at - this.windowMs;
      if (a.at <= since || (!inWindow && answered >= MEASURE_MIN_ANSWERS)) break;
      answered++;
      if (a.ok) accepted++;
      // beyond the window, the span reaches back to the answer before
      if (!inWindow) from = i > 0 ? Math.max(this.answers[i - 1].at, since) : since;
    }
    if (answered < MEASURE_MIN_ANSWERS || accepted === 0 || !(at > from)) return;
    const interval = (at - from) / (accepted * (1 + this.margin));
    const over = isOver({ answered, accepted }, MEASURE_MIN_ANSWERS);
    this.interval = refused && over ? interval : Math.min(this.interval, interval);
  }

  private record(at: number, ok: boolean): void {
    this.answers.push({ at, ok });
    // keep the last window, and at least one answer more than a measurement needs
    let old = 0;
    while (
      this.answers.length - old > MEASURE_MIN_ANSWERS + 1 &&
      this.answers[old].at <= at - this.windowMs
    ) {
      old++;
    }
    if (old > 0) this.answers.splice(0, old);
  }

  /** Answers after `from`. */
  private count(from: number): { answered: number; accepted: number } {
    let answered = 0;
    let accepted = 0;
    for (let i = this.answers.length - 1; i >= 0 && this.answers[i].at > from; i--) {
      answered++;
      if (this.answers[i].ok) accepted++;
    }
    return { answered, accepted };
  }
}

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
  const limit = Math.max(1, Math.floor(options.concurrency ?? EXPORT_CONCURRENCY));
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

  let rateLimitPauses = 0;
  const pacer = new RequestPacer(options.pacing);
  /** No request starts before this (a 429 with nothing accepted lately). */
  let holdUntil = 0;
  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve, reject) => {
      if (inner.signal.aborted) return reject(inner.signal.reason);
      const onStop = (): void => {
        clearTimeout(timer);
        reject(inner.signal.reason);
      };
      const timer = setTimeout(
        () => {
          inner.signal.removeEventListener('abort', onStop);
          resolve();
        },
        Math.max(1, Math.ceil(ms)),
      );
      inner.signal.addEventListener('abort', onStop, { once: true });
    });

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

  /** Pages answered 429, each with the time it may be asked again and its 429s in a row. */
  const waiting: { page: number; notBefore: number; limited: number }[] = [];
  /** The next page never asked for, and the last page workers may start (1 until page 1 is read). */
  let next = 1;
  let last = 1;

  /**
   * Takes pages until none is left to start: a refused page once its retry-after has passed (first),
   * else the next new page, each when the pacer and the pool-wide hold let it start.
   */
  const worker = async (): Promise<void> => {
    while (!failure) {
      const t = now();
      let due = -1;
      for (let i = 0; i < waiting.length; i++) {
        if (waiting[i].notBefore <= t && (due < 0 || waiting[i].notBefore < waiting[due].notBefore)) due = i;
      }
      if (due < 0 && next > last) {
        if (waiting.length === 0) return;
        await sleep(Math.min(...waiting.map((w) => w.notBefore)) - t);
        continue;
      }
      const gate = Math.max(holdUntil, pacer.nextStartAt);
      if (gate > t) {
        await sleep(gate - t);
        continue;
      }
      const job = due >= 0 ? waiting.splice(due, 1)[0] : { page: next++, notBefore: 0, limited: 0 };
      pacer.started(t);
      let page: Page<T>;
      try {
        page = await fetchPage(job.page, inner.signal);
      } catch (e) {
        if (inner.signal.aborted || !isApiError(e) || e.kind !== 'rateLimited') throw e;
        const wait = e.retryAfterMs ?? pauseMs;
        if (job.limited + 1 > maxRetries || wait > maxPauseMs) throw e;
        rateLimitPauses++;
        const at = now();
        if (pacer.refused(at) === 'pool') holdUntil = Math.max(holdUntil, at + wait);
        waiting.push({ page: job.page, notBefore: at + wait, limited: job.limited + 1 });
        continue;
      }
      pacer.accepted(now());
      accept(job.page, page);
    }
  };

  const run = async (): Promise<void> => {
    await worker(); // page 1, alone: it says how many pages there are
    last = pages;
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
  return {
    items: pagesItems.flat() as T[],
    total,
    pageSize,
    pages,
    rateLimitPauses,
    paceMs: pacer.intervalMs,
  };
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
    paceMs: r.paceMs,
  };
}
