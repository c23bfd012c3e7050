/**
 * Offset paging (`limit`/`offset` in, `totalCount` out: Heim, document 004) on top of the numbered
 * {@link Pager} of `paging.ts`, which a tree level already owns. An offset list is read as numbered
 * pages of a fixed `limit`: page n starts at offset `(n - 1) × limit`, so "Load more", "Load all" and
 * their guarantees are the Pager's own and are not repeated here:
 *
 * - **Offset past `totalCount`** — the server answers `data: []` with the real `totalCount`. As a
 *   numbered page that is an empty page, which ends the list; when fewer items arrived than the
 *   reported total, {@link Pager.problem} says so.
 * - **`totalCount` changing between pages** (an item created or deleted while a coder pages) — the
 *   Pager records "The total changed from A to B while loading." and keeps the newest total.
 *   Offsets shift under such a change: an item created ahead of the loaded part pushes the others
 *   along, so the next page starts with an item already shown (the Pager drops it by id and counts it:
 *   no duplicates); an item deleted ahead pulls them back, so one item slips past unseen (only a
 *   refresh can show it; the total-changed note is the hint).
 * - **Never loops forever** — an empty or short page ends the list whatever the total says, and a page
 *   other than the one asked for ends it with a problem.
 */
import type { Page } from './paging';

/** One page of an offset list: the items, the list's size, and the `offset`/`limit` it was asked with. */
export interface OffsetPage<T> {
  items: readonly T[];
  /** Items in the whole list when this page was served. */
  totalCount: number;
  /** Index of the first item (0-based), as requested. */
  offset: number;
  /** Page size requested (≥ 1). */
  limit: number;
}

/** The `limit`/`offset` of one request. */
export interface OffsetQuery {
  limit: number;
  offset: number;
}

function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`limit must be an integer >= 1, got ${limit}`);
}

function checkOffset(offset: number): void {
  if (!Number.isInteger(offset) || offset < 0)
    throw new RangeError(`offset must be an integer >= 0, got ${offset}`);
}

/** The offset of page `page` (1-based) of `limit` items: `(page - 1) × limit`. */
export function offsetOfPage(page: number, limit: number): number {
  checkLimit(limit);
  if (!Number.isInteger(page) || page < 1) throw new RangeError(`page must be an integer >= 1, got ${page}`);
  return (page - 1) * limit;
}

/** The page (1-based) of `limit` items that holds the item at `offset`: `⌊offset / limit⌋ + 1`. */
export function pageOfOffset(offset: number, limit: number): number {
  checkLimit(limit);
  checkOffset(offset);
  return Math.floor(offset / limit) + 1;
}

/** Pages of `limit` items a list of `totalCount` items fills (0 for an empty list). */
export function pageCount(totalCount: number, limit: number): number {
  checkLimit(limit);
  return Number.isFinite(totalCount) && totalCount > 0 ? Math.ceil(totalCount / limit) : 0;
}

/**
 * Whether a request at `offset` reaches past a list of `totalCount` items (the server then answers
 * an empty page). `offset === totalCount` is past the end too: there is no item there.
 */
export function isPastEnd(offset: number, totalCount: number): boolean {
  checkOffset(offset);
  return offset >= Math.max(0, totalCount);
}

/**
 * Items a full list still holds after the first `loaded` (never negative): what a "Load more" node
 * shows as left. It can be 0 while a page is still worth asking for when the total grew.
 */
export function remainingItems(totalCount: number, loaded: number): number {
  return Math.max(0, totalCount - loaded);
}

/**
 * An offset page as the numbered {@link Page} the {@link Pager} and `loadAll` take:
 * `current_page = ⌊offset / limit⌋ + 1`, `total = totalCount`, `page_size = limit`.
 *
 * @throws RangeError when `offset` is not a multiple of `limit` (it would not be a numbered page:
 *   the caller asked for the wrong offset), or `limit`/`offset` are not valid.
 */
export function toNumberedPage<T>(p: OffsetPage<T>): Page<T> {
  const current = pageOfOffset(p.offset, p.limit);
  if (p.offset % p.limit !== 0)
    throw new RangeError(`offset ${p.offset} does not start a page of ${p.limit} items`);
  return { current_page: current, total: p.totalCount, page_size: p.limit, items: p.items };
}

/**
 * Turns an offset list fetch into the numbered-page fetch a `PagedLevel` / `loadAll` takes: page n is
 * asked as `{limit, offset: (n - 1) × limit}` and answered with {@link toNumberedPage}.
 */
export function numberedFetch<T>(
  limit: number,
  fetch: (q: OffsetQuery, signal?: AbortSignal) => Promise<OffsetPage<T>>,
): (page: number, signal?: AbortSignal) => Promise<Page<T>> {
  checkLimit(limit);
  return async (page, signal) =>
    toNumberedPage(await fetch({ limit, offset: offsetOfPage(page, limit) }, signal));
}
