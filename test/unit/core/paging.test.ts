import * as assert from 'assert';
import { type Page, Pager, loadAll } from '../../../src/core/paging';

interface Item {
  id: string;
}

/** Page `n` (1-based) of a list of `count` items `i1…i<count>`, `size` per page, reporting `total`. */
function pageOf(n: number, count: number, size = 10, total = count): Page<Item> {
  const items: Item[] = [];
  for (let i = (n - 1) * size + 1; i <= Math.min(n * size, count); i++) items.push({ id: `i${i}` });
  return { current_page: n, total, page_size: size, items };
}

const newPager = (): Pager<Item> => new Pager<Item>((i) => i.id);

/** A promise with its resolve/reject exposed, to settle fetches in any order. */
function deferred<T>(): { promise: Promise<T>; resolve(v: T): void; reject(e: unknown): void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets queued promise callbacks run. */
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('core/paging', () => {
  describe('Pager', () => {
    it('starts empty, wanting page 1', () => {
      const p = newPager();
      assert.deepStrictEqual(p.items, []);
      assert.strictEqual(p.loadedPages, 0);
      assert.strictEqual(p.total, undefined);
      assert.strictEqual(p.hasMore, true);
      assert.strictEqual(p.nextPage, 1);
      assert.strictEqual(p.remainingPages(), undefined);
      assert.strictEqual(p.problem, undefined);
    });

    it('appends pages in order until the total is reached', () => {
      const p = newPager();
      assert.strictEqual(p.add(pageOf(1, 25)), 'added');
      assert.strictEqual(p.total, 25);
      assert.strictEqual(p.hasMore, true);
      assert.strictEqual(p.nextPage, 2);
      assert.strictEqual(p.remainingPages(), 2);
      p.add(pageOf(2, 25));
      p.add(pageOf(3, 25));
      assert.strictEqual(p.items.length, 25);
      assert.strictEqual(p.items[24].id, 'i25');
      assert.strictEqual(p.loadedPages, 3);
      assert.strictEqual(p.hasMore, false);
      assert.strictEqual(p.remainingPages(), 0);
      assert.strictEqual(p.problem, undefined);
    });

    it('ends when the total is an exact multiple of the page size', () => {
      const p = newPager();
      for (let n = 1; n <= 6; n++) p.add(pageOf(n, 60));
      assert.strictEqual(p.hasMore, false);
      assert.strictEqual(p.items.length, 60);
    });

    it('ignores a duplicate, an out-of-order page, and pages after the end', () => {
      const p = newPager();
      p.add(pageOf(1, 30));
      assert.strictEqual(p.add(pageOf(1, 30)), 'duplicate');
      assert.strictEqual(p.add(pageOf(3, 30)), 'outOfOrder');
      assert.strictEqual(p.items.length, 10);
      p.add(pageOf(2, 30));
      p.add(pageOf(3, 30));
      assert.strictEqual(
        p.add({ current_page: 4, total: 30, page_size: 10, items: [{ id: 'x' }] }),
        'complete',
      );
      assert.strictEqual(p.items.length, 30);
    });

    it('ends on an empty page even when total says there is more (a lying total never loops)', () => {
      const p = newPager();
      for (let n = 1; n <= 3; n++) p.add(pageOf(n, 30, 10, 1000));
      assert.strictEqual(p.hasMore, true);
      assert.strictEqual(p.remainingPages(), 97);
      p.add({ current_page: 4, total: 1000, page_size: 10, items: [] });
      assert.strictEqual(p.hasMore, false);
      assert.strictEqual(p.remainingPages(), 0);
      assert.match(p.problem ?? '', /reported 1000 items but the list ended after 30/);
    });

    it('ends on a page shorter than its page size', () => {
      const p = newPager();
      p.add(pageOf(1, 15, 10, 60));
      p.add(pageOf(2, 15, 10, 60)); // 5 items
      assert.strictEqual(p.hasMore, false);
      assert.strictEqual(p.items.length, 15);
      assert.match(p.problem ?? '', /reported 60 items but the list ended after 15/);
    });

    it('reports more items than the total, and stops at the total', () => {
      const p = newPager();
      p.add(pageOf(1, 10, 10, 5));
      assert.strictEqual(p.hasMore, false);
      assert.strictEqual(p.items.length, 10);
      assert.match(p.problem ?? '', /reported 5 items but sent 10/);
    });

    it('de-duplicates items by id across pages and says so', () => {
      const p = newPager();
      p.add(pageOf(1, 20));
      // the list shifted by one between requests: page 2 repeats i10
      p.add({
        current_page: 2,
        total: 20,
        page_size: 10,
        items: pageOf(2, 20).items.map((_, k) => ({ id: `i${k + 10}` })),
      });
      assert.strictEqual(p.items.length, 19);
      assert.strictEqual(new Set(p.items.map((i) => i.id)).size, 19);
      assert.match(p.problem ?? '', /1 repeated item was left out/);
    });

    it('ends the list when the server answers a page other than the one asked for', () => {
      const p = newPager();
      p.add(pageOf(1, 30), 1);
      // a server that ignores ?page= and always sends page 1
      assert.strictEqual(p.add(pageOf(1, 30), 2), 'duplicate');
      assert.strictEqual(p.hasMore, false);
      assert.match(p.problem ?? '', /Asked for page 2, the server sent page 1/);
    });

    it('notes a total that changes while loading', () => {
      const p = newPager();
      p.add(pageOf(1, 30));
      p.add(pageOf(2, 31, 10, 31));
      assert.strictEqual(p.total, 31);
      assert.match(p.problem ?? '', /total changed from 30 to 31/);
    });

    it('handles an empty list (zero versions)', () => {
      const p = newPager();
      assert.strictEqual(p.add({ current_page: 1, total: 0, page_size: 10, items: [] }), 'added');
      assert.strictEqual(p.hasMore, false);
      assert.deepStrictEqual(p.items, []);
      assert.strictEqual(p.problem, undefined);
    });

    it('reset forgets everything', () => {
      const p = newPager();
      p.add(pageOf(1, 5, 10, 50));
      assert.ok(p.problem);
      p.reset();
      assert.strictEqual(p.loadedPages, 0);
      assert.strictEqual(p.items.length, 0);
      assert.strictEqual(p.hasMore, true);
      assert.strictEqual(p.total, undefined);
      assert.strictEqual(p.problem, undefined);
      assert.strictEqual(p.add(pageOf(1, 5)), 'added');
    });
  });

  describe('loadAll', () => {
    it('loads every page in order into the pager, at most 2 at a time by default', async () => {
      const p = newPager();
      let active = 0;
      let peak = 0;
      const asked: number[] = [];
      const r = await loadAll(p, async (n) => {
        asked.push(n);
        active += 1;
        peak = Math.max(peak, active);
        await tick();
        active -= 1;
        return pageOf(n, 60);
      });
      assert.deepStrictEqual(r, { pagesAdded: 6, cancelled: false });
      assert.deepStrictEqual(asked, [1, 2, 3, 4, 5, 6]);
      assert.strictEqual(peak, 2);
      assert.deepStrictEqual(
        p.items.map((i) => i.id),
        Array.from({ length: 60 }, (_, k) => `i${k + 1}`),
      );
      assert.strictEqual(p.hasMore, false);
    });

    it('fetches the first page alone, then continues from what is loaded', async () => {
      const p = newPager();
      p.add(pageOf(1, 50));
      p.add(pageOf(2, 50));
      const asked: number[] = [];
      await loadAll(
        p,
        async (n) => {
          asked.push(n);
          return pageOf(n, 50);
        },
        { concurrency: 3 },
      );
      assert.deepStrictEqual(asked, [3, 4, 5]);
      assert.strictEqual(p.items.length, 50);
    });

    it('adds pages in page order when they arrive out of order', async () => {
      const p = newPager();
      const pending = new Map<number, ReturnType<typeof deferred<Page<Item>>>>();
      const run = loadAll(
        p,
        (n) => {
          const d = deferred<Page<Item>>();
          pending.set(n, d);
          return d.promise;
        },
        { concurrency: 3 },
      );
      await tick();
      pending.get(1)?.resolve(pageOf(1, 40));
      await tick();
      assert.deepStrictEqual([...pending.keys()], [1, 2, 3, 4]);
      pending.get(4)?.resolve(pageOf(4, 40));
      pending.get(3)?.resolve(pageOf(3, 40));
      await tick();
      assert.strictEqual(p.loadedPages, 1, 'pages 3 and 4 wait for page 2');
      pending.get(2)?.resolve(pageOf(2, 40));
      const r = await run;
      assert.strictEqual(r.pagesAdded, 4);
      assert.deepStrictEqual(
        p.items.map((i) => i.id),
        Array.from({ length: 40 }, (_, k) => `i${k + 1}`),
      );
    });

    it('does nothing when the list is complete', async () => {
      const p = newPager();
      p.add(pageOf(1, 5));
      let calls = 0;
      const r = await loadAll(p, async (n) => {
        calls += 1;
        return pageOf(n, 5);
      });
      assert.deepStrictEqual(r, { pagesAdded: 0, cancelled: false });
      assert.strictEqual(calls, 0);
    });

    it('stops at the first empty page when total lies, and aborts fetches past the end', async () => {
      const p = newPager();
      const asked: number[] = [];
      const aborted: number[] = [];
      const r = await loadAll(
        p,
        (n, signal) => {
          asked.push(n);
          if (n <= 3) return Promise.resolve(pageOf(n, 30, 10, 10_000));
          // pages past the real end: page 4 answers empty at once, later ones hang until aborted
          if (n === 4) return Promise.resolve({ current_page: 4, total: 10_000, page_size: 10, items: [] });
          return new Promise<Page<Item>>((_, reject) => {
            signal.addEventListener('abort', () => {
              aborted.push(n);
              reject(new Error('aborted'));
            });
          });
        },
        { concurrency: 4 },
      );
      assert.deepStrictEqual(r, { pagesAdded: 4, cancelled: false });
      assert.strictEqual(p.items.length, 30);
      assert.strictEqual(p.hasMore, false);
      assert.ok(asked.length <= 8, `asked ${asked.join(',')}`);
      assert.ok(aborted.length >= 1);
      assert.match(p.problem ?? '', /ended after 30/);
    });

    it('stops when the server keeps answering page 1 (ignores the page parameter)', async () => {
      const p = newPager();
      let calls = 0;
      await loadAll(p, async () => {
        calls += 1;
        return pageOf(1, 60);
      });
      assert.ok(calls <= 3, `calls: ${calls}`);
      assert.strictEqual(p.items.length, 10);
      assert.strictEqual(p.hasMore, false);
      assert.match(p.problem ?? '', /Asked for page 2/);
    });

    it('is cancelled by the signal: no new fetches, loaded pages stay', async () => {
      const p = newPager();
      const ac = new AbortController();
      const asked: number[] = [];
      const r = await loadAll(
        p,
        (n, signal) => {
          asked.push(n);
          if (n === 3) ac.abort();
          if (signal.aborted) return Promise.reject(new Error('cancelled'));
          return Promise.resolve(pageOf(n, 100));
        },
        { signal: ac.signal, concurrency: 1 },
      );
      assert.deepStrictEqual(r, { pagesAdded: 2, cancelled: true });
      assert.deepStrictEqual(asked, [1, 2, 3]);
      assert.strictEqual(p.items.length, 20);
      assert.strictEqual(p.hasMore, true);
    });

    it('resolves at once when the signal is already aborted', async () => {
      const ac = new AbortController();
      ac.abort();
      let calls = 0;
      const r = await loadAll(
        newPager(),
        async (n) => {
          calls += 1;
          return pageOf(n, 10);
        },
        { signal: ac.signal },
      );
      assert.deepStrictEqual(r, { pagesAdded: 0, cancelled: true });
      assert.strictEqual(calls, 0);
    });

    it('propagates an error after in-flight pages settle, keeping what was loaded', async () => {
      const p = newPager();
      const pending = new Map<number, ReturnType<typeof deferred<Page<Item>>>>();
      const run = loadAll(
        p,
        (n) => {
          if (n === 1) return Promise.resolve(pageOf(1, 60));
          const d = deferred<Page<Item>>();
          pending.set(n, d);
          return d.promise;
        },
        { concurrency: 2 },
      );
      await tick();
      assert.deepStrictEqual([...pending.keys()], [2, 3]);
      const boom = new Error('HTTP 500');
      pending.get(3)?.reject(boom);
      await tick();
      let settled = false;
      run.then(
        () => (settled = true),
        () => (settled = true),
      );
      await tick();
      assert.strictEqual(settled, false, 'waits for page 2, still in flight');
      assert.deepStrictEqual([...pending.keys()], [2, 3], 'no new fetch after the failure');
      pending.get(2)?.resolve(pageOf(2, 60));
      await assert.rejects(run, (e) => e === boom);
      assert.strictEqual(p.loadedPages, 2, 'page 2 settled in order and was kept');
      assert.strictEqual(p.items.length, 20);
      assert.strictEqual(p.hasMore, true);
    });

    it('a synchronous throw from fetchPage is a failure, not a crash', async () => {
      const p = newPager();
      await assert.rejects(
        loadAll(p, () => {
          throw new Error('sync');
        }),
        /sync/,
      );
      assert.strictEqual(p.loadedPages, 0);
    });
  });
});
