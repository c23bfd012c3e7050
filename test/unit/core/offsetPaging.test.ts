import * as assert from 'assert';
import {
  type OffsetPage,
  type OffsetQuery,
  isPastEnd,
  numberedFetch,
  offsetOfPage,
  pageCount,
  pageOfOffset,
  remainingItems,
  toNumberedPage,
} from '../../../src/core/offsetPaging';
import { Pager, loadAll } from '../../../src/core/paging';

interface Item {
  id: string;
}

/**
 * A list served by limit/offset, newest first, that may change after each page it serves (as Heim's
 * does when a patient is created or deleted while a coder pages).
 */
class OffsetServer {
  readonly queries: OffsetQuery[] = [];
  constructor(
    public list: string[],
    private readonly afterPage: (served: number, list: string[]) => string[] = (_n, l) => l,
    /** What `totalCount` says (default: the true length). */
    private readonly reportTotal: (list: string[]) => number = (l) => l.length,
    /** Serve from this offset instead of the one asked for (a server that ignores `offset`). */
    private readonly servedOffset: (q: OffsetQuery) => number = (q) => q.offset,
  ) {}

  async fetch(q: OffsetQuery): Promise<OffsetPage<Item>> {
    this.queries.push(q);
    const start = this.servedOffset(q);
    const page: OffsetPage<Item> = {
      items: this.list.slice(start, start + q.limit).map((id) => ({ id })),
      totalCount: this.reportTotal(this.list),
      offset: q.offset,
      limit: q.limit,
    };
    this.list = this.afterPage(this.queries.length, this.list);
    return page;
  }
}

const ids = (n: number, prefix = 'p'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

describe('core/offsetPaging', () => {
  describe('arithmetic', () => {
    it('offsetOfPage: (page - 1) × limit', () => {
      const table: Array<[number, number, number]> = [
        [1, 10, 0],
        [2, 10, 10],
        [5, 10, 40],
        [6, 10, 50],
        [3, 25, 50],
        [1, 1, 0],
        [100, 100, 9900],
      ];
      for (const [page, limit, offset] of table) assert.strictEqual(offsetOfPage(page, limit), offset);
      for (const [page, limit] of [
        [0, 10],
        [-1, 10],
        [1.5, 10],
        [Number.NaN, 10],
        [1, 0],
        [1, -5],
        [1, 2.5],
        [1, Number.POSITIVE_INFINITY],
      ]) {
        assert.throws(() => offsetOfPage(page, limit), RangeError, `${page}, ${limit}`);
      }
    });

    it('pageOfOffset: the page holding the item at offset', () => {
      const table: Array<[number, number, number]> = [
        [0, 10, 1],
        [9, 10, 1],
        [10, 10, 2],
        [44, 10, 5],
        [45, 10, 5],
        [50, 10, 6],
        [7, 1, 8],
      ];
      for (const [offset, limit, page] of table) assert.strictEqual(pageOfOffset(offset, limit), page);
      for (const [offset, limit] of [
        [-1, 10],
        [1.5, 10],
        [0, 0],
      ]) {
        assert.throws(() => pageOfOffset(offset, limit), RangeError);
      }
      // inverse of offsetOfPage
      for (let page = 1; page < 20; page++) assert.strictEqual(pageOfOffset(offsetOfPage(page, 7), 7), page);
    });

    it('pageCount, isPastEnd and remainingItems', () => {
      const counts: Array<[number, number, number]> = [
        [0, 10, 0],
        [1, 10, 1],
        [10, 10, 1],
        [11, 10, 2],
        [45, 10, 5],
        [50, 10, 5],
        [-3, 10, 0],
        [Number.NaN, 10, 0],
      ];
      for (const [total, limit, pages] of counts)
        assert.strictEqual(pageCount(total, limit), pages, `${total}`);
      const past: Array<[number, number, boolean]> = [
        [0, 0, true],
        [0, 1, false],
        [44, 45, false],
        [45, 45, true],
        [46, 45, true],
        [1000, 45, true],
        [0, -1, true],
      ];
      for (const [offset, total, expected] of past) assert.strictEqual(isPastEnd(offset, total), expected);
      assert.throws(() => isPastEnd(-1, 10), RangeError);
      assert.strictEqual(remainingItems(45, 10), 35);
      assert.strictEqual(remainingItems(45, 50), 0);
    });

    it('toNumberedPage maps offset pages to numbered pages and refuses one that starts no page', () => {
      const table: Array<[OffsetPage<Item>, number]> = [
        [{ items: [{ id: 'a' }], totalCount: 45, offset: 0, limit: 10 }, 1],
        [{ items: [], totalCount: 45, offset: 40, limit: 10 }, 5],
        [{ items: [], totalCount: 45, offset: 50, limit: 10 }, 6], // past the end
        [{ items: [], totalCount: 0, offset: 0, limit: 25 }, 1],
      ];
      for (const [p, current] of table) {
        assert.deepStrictEqual(toNumberedPage(p), {
          current_page: current,
          total: p.totalCount,
          page_size: p.limit,
          items: p.items,
        });
      }
      assert.throws(() => toNumberedPage({ items: [], totalCount: 45, offset: 5, limit: 10 }), RangeError);
      assert.throws(() => toNumberedPage({ items: [], totalCount: 45, offset: 0, limit: 0 }), RangeError);
    });

    it('numberedFetch asks page n as {limit, offset: (n - 1) × limit} and passes the signal on', async () => {
      const server = new OffsetServer(ids(25));
      const signals: Array<AbortSignal | undefined> = [];
      const fetch = numberedFetch(10, (q, s) => {
        signals.push(s);
        return server.fetch(q);
      });
      const abort = new AbortController();
      const p3 = await fetch(3, abort.signal);
      assert.deepStrictEqual(server.queries, [{ limit: 10, offset: 20 }]);
      assert.deepStrictEqual(p3.current_page, 3);
      assert.deepStrictEqual(
        p3.items.map((i) => i.id),
        ['p21', 'p22', 'p23', 'p24', 'p25'],
      );
      assert.strictEqual(signals[0], abort.signal);
      assert.throws(() => numberedFetch(0, (q) => server.fetch(q)), RangeError);
      await assert.rejects(fetch(0), RangeError);
    });
  });

  describe('with Pager: offset past totalCount and totalCount changing between pages', () => {
    interface Scenario {
      name: string;
      server: () => OffsetServer;
      limit: number;
      /** Items the pager ends with. */
      items: number;
      /** Requests made ("Load more" until it is no longer offered). */
      requests: number;
      /** What `pager.problem` says (undefined = nothing). */
      problem: RegExp | undefined;
    }
    const scenarios: Scenario[] = [
      {
        name: 'a stable list of 45, pages of 10',
        server: () => new OffsetServer(ids(45)),
        limit: 10,
        items: 45,
        requests: 5,
        problem: undefined,
      },
      {
        name: 'a stable list that fills its last page exactly (40): no request past the end',
        server: () => new OffsetServer(ids(40)),
        limit: 10,
        items: 40,
        requests: 4,
        problem: undefined,
      },
      {
        name: 'an empty list',
        server: () => new OffsetServer([]),
        limit: 10,
        items: 0,
        requests: 1,
        problem: undefined,
      },
      {
        name: 'grows at the front after each page (an item created): repeats are dropped',
        server: () => new OffsetServer(ids(45), (n, l) => [`new${n}`, ...l]),
        limit: 10,
        items: 45,
        requests: 5,
        problem: /total changed from 45 to 46.*repeated items were left out/,
      },
      {
        name: 'grows at the end after page 1 (an old item appears): one more page, nothing repeated',
        server: () => new OffsetServer(ids(40), (n, l) => (n === 1 ? [...l, 'old1'] : l)),
        limit: 10,
        items: 41,
        requests: 5,
        problem: /total changed from 40 to 41/,
      },
      {
        name: 'shrinks at the front after page 1 (the newest deleted): one item slips past, the list ends',
        server: () => new OffsetServer(ids(45), (n, l) => (n === 1 ? l.slice(1) : l)),
        limit: 10,
        items: 44, // p1…p10 loaded (p1, deleted, stays), p11 moved to offset 9 unseen, p12…p45 loaded
        requests: 5,
        problem: /total changed from 45 to 44/,
      },
      {
        name: 'shrinks below the next offset after page 2: offset past totalCount ends the list',
        server: () => new OffsetServer(ids(45), (n, l) => (n === 2 ? l.slice(0, 15) : l)),
        limit: 10,
        items: 20,
        requests: 3,
        problem: /total changed from 45 to 15.*reported 15 items but sent 20/,
      },
      {
        name: 'a total larger than the items served: the short page ends the list',
        server: () => new OffsetServer(ids(45), undefined, () => 60),
        limit: 10,
        items: 45,
        requests: 5,
        problem: /reported 60 items but the list ended after 45/,
      },
      {
        name: 'a server that ignores offset: full pages of repeats end once the total is reached',
        server: () => new OffsetServer(ids(45), undefined, undefined, () => 0),
        limit: 10,
        items: 10,
        requests: 5,
        problem: /40 repeated items were left out/,
      },
      {
        name: 'grows by a whole page at the front after each of 3 pages: pages of repeats, and it still ends',
        server: () => new OffsetServer(ids(30), (n, l) => (n <= 3 ? [...ids(10, `g${n}-`), ...l] : l)),
        limit: 10,
        items: 30, // p1…p10 come back three times; the new items are never reached (a refresh shows them)
        requests: 6,
        problem: /total changed/,
      },
    ];

    for (const s of scenarios) {
      it(`Load more: ${s.name}`, async () => {
        const server = s.server();
        const pager = new Pager<Item>((i) => i.id);
        const fetch = numberedFetch(s.limit, (q) => server.fetch(q));
        let guard = 0;
        while (pager.hasMore) {
          assert.ok(++guard <= 50, 'Load more must end');
          const n = pager.nextPage;
          assert.strictEqual(pager.add(await fetch(n), n), 'added');
        }
        const loaded = pager.items.map((i) => i.id);
        assert.strictEqual(new Set(loaded).size, loaded.length, 'no duplicates');
        assert.strictEqual(loaded.length, s.items);
        assert.strictEqual(server.queries.length, s.requests, JSON.stringify(server.queries));
        assert.deepStrictEqual(
          server.queries.map((q) => q.offset),
          server.queries.map((_, i) => i * s.limit),
          'offsets step by the limit',
        );
        if (s.problem) assert.match(pager.problem ?? '', s.problem);
        else assert.strictEqual(pager.problem, undefined);
      });
    }

    it('Load all (concurrent) over a stable list asks each offset once, in order', async () => {
      const server = new OffsetServer(ids(95));
      const pager = new Pager<Item>((i) => i.id);
      const r = await loadAll(
        pager,
        numberedFetch(10, (q) => server.fetch(q)),
        { concurrency: 4 },
      );
      assert.strictEqual(r.pagesAdded, 10);
      assert.deepStrictEqual(
        pager.items.map((i) => i.id),
        ids(95),
      );
      assert.deepStrictEqual(
        server.queries.map((q) => q.offset).sort((a, b) => a - b),
        [0, 10, 20, 30, 40, 50, 60, 70, 80, 90],
      );
    });

    it('Load all stops when the list shrinks under it, without duplicates', async () => {
      const server = new OffsetServer(ids(45), (n, l) => (n === 1 ? l.slice(0, 12) : l));
      const pager = new Pager<Item>((i) => i.id);
      await loadAll(
        pager,
        numberedFetch(10, (q) => server.fetch(q)),
        { concurrency: 1 },
      );
      assert.strictEqual(pager.hasMore, false);
      assert.deepStrictEqual(
        pager.items.map((i) => i.id),
        ids(12),
      );
      assert.match(pager.problem ?? '', /total changed from 45 to 12/);
    });
  });
});
