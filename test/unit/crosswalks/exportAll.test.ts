import * as assert from 'assert';
import { ApiError, isApiError } from '../../../src/core/errors';
import type { Page } from '../../../src/core/paging';
import { fetchAllMappings } from '../../../src/core/crosswalks/exportAll';
import type { Mapping } from '../../../src/core/crosswalks/model';

/** Mapping number `i` (1-based) of a fake crosswalk. */
const mapping = (i: number): Mapping => ({
  sourceCode: `S${String(i).padStart(4, '0')}`,
  sourceCodeSystem: 'icd10cm',
  targetCodeSystem: 'icd10pcs',
  targets: [{ targetCode: `T${i}` }],
});

/** Page `n` of `total` mappings, `size` per page. */
function pageOf(n: number, total: number, size = 10): Page<Mapping> {
  const items: Mapping[] = [];
  for (let i = (n - 1) * size + 1; i <= Math.min(n * size, total); i++) items.push(mapping(i));
  return { current_page: n, total, page_size: size, items };
}

/** Resolves after `ms`, or rejects when `signal` aborts (what a real HTTP call does). */
function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

const rateLimited = (retryAfterMs?: number): ApiError =>
  new ApiError({
    kind: 'rateLimited',
    service: 'IMO',
    status: 429,
    message: 'Too many requests',
    retryAfterMs,
  });

interface Call {
  page: number;
  start: number;
  end?: number;
  signal: AbortSignal;
}

/**
 * A fake page source: `pageOf` after `ms(page)`, recording every call and the peak concurrency.
 * `fail(page, attempt)` may return an error to reject with instead.
 */
function fakeSource(
  total: number,
  o: {
    size?: number;
    ms?: (page: number) => number;
    fail?: (page: number, attempt: number) => unknown;
    page?: (n: number) => Page<Mapping>;
  } = {},
) {
  const calls: Call[] = [];
  const attempts = new Map<number, number>();
  let inFlight = 0;
  let peak = 0;
  const fetchPage = async (n: number, signal: AbortSignal): Promise<Page<Mapping>> => {
    const call: Call = { page: n, start: performance.now(), signal };
    calls.push(call);
    const attempt = (attempts.get(n) ?? 0) + 1;
    attempts.set(n, attempt);
    inFlight++;
    peak = Math.max(peak, inFlight);
    try {
      await delay(o.ms?.(n) ?? 5, signal);
      const error = o.fail?.(n, attempt);
      if (error) throw error;
      return o.page ? o.page(n) : pageOf(n, total, o.size ?? 10);
    } finally {
      inFlight--;
      call.end = performance.now();
    }
  };
  return { fetchPage, calls, peak: () => peak, inFlight: () => inFlight };
}

function timeouts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

describe('core/crosswalks/exportAll', () => {
  it('returns every mapping once, in page order, even when later pages answer first', async () => {
    // Later pages are faster, so they settle out of order.
    const src = fakeSource(95, { ms: (n) => 40 - n * 3 });
    const progress: [number, number][] = [];
    const r = await fetchAllMappings(src.fetchPage, {
      concurrency: 4,
      onProgress: (d, t) => progress.push([d, t]),
    });
    assert.deepStrictEqual(
      r.mappings,
      Array.from({ length: 95 }, (_, i) => mapping(i + 1)),
    );
    assert.deepStrictEqual([r.total, r.pageSize, r.pages, r.rateLimitPauses], [95, 10, 10, 0]);
    assert.deepStrictEqual(
      src.calls.map((c) => c.page).sort((a, b) => a - b),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
    assert.deepStrictEqual(
      progress,
      Array.from({ length: 10 }, (_, i) => [i + 1, 10]),
    );
    const ends = src.calls.slice(1).map((c) => c.page);
    assert.notDeepStrictEqual(
      [...src.calls.slice(1)].sort((a, b) => (a.end ?? 0) - (b.end ?? 0)).map((c) => c.page),
      ends,
      'pages did finish out of order (otherwise the test proves nothing)',
    );
  });

  it('fetches page 1 alone, then never exceeds the concurrency', async () => {
    const src = fakeSource(200, { ms: () => 10 });
    await fetchAllMappings(src.fetchPage, { concurrency: 3 });
    assert.strictEqual(src.peak(), 3);
    const first = src.calls[0];
    assert.strictEqual(first.page, 1);
    assert.ok(
      src.calls.slice(1).every((c) => c.start >= (first.end ?? Infinity)),
      'page 1 first, alone',
    );

    const one = fakeSource(50, { ms: () => 2 });
    await fetchAllMappings(one.fetchPage, { concurrency: 1 });
    assert.strictEqual(one.peak(), 1);
  });

  it('handles an empty crosswalk and a single page', async () => {
    const empty = await fetchAllMappings(fakeSource(0).fetchPage);
    assert.deepStrictEqual([empty.mappings, empty.pages], [[], 1]);
    const src = fakeSource(7);
    const r = await fetchAllMappings(src.fetchPage);
    assert.strictEqual(r.mappings.length, 7);
    assert.strictEqual(src.calls.length, 1);
  });

  it('pauses ALL workers after a 429 until its retry-after has passed, then re-fetches the page', async () => {
    let limitedAt = 0;
    const src = fakeSource(150, {
      ms: () => 15,
      fail: (n, attempt) => {
        if (n === 3 && attempt === 1) {
          limitedAt = performance.now();
          return rateLimited(200);
        }
        return undefined;
      },
    });
    const r = await fetchAllMappings(src.fetchPage, { concurrency: 4 });
    assert.strictEqual(r.mappings.length, 150);
    assert.strictEqual(r.rateLimitPauses, 1);
    assert.strictEqual(src.calls.filter((c) => c.page === 3).length, 2);
    const after = src.calls.filter((c) => c.start > limitedAt);
    assert.ok(after.length >= 8, `most pages were still to fetch at the 429 (${after.length})`);
    for (const c of after) {
      assert.ok(
        c.start >= limitedAt + 200,
        `page ${c.page} started ${(c.start - limitedAt).toFixed(1)} ms after the 429`,
      );
    }
  });

  it('uses pauseMs when a 429 gives no retry-after', async () => {
    let limitedAt = 0;
    const src = fakeSource(30, {
      fail: (n, attempt) => {
        if (n === 1 && attempt === 1) {
          limitedAt = performance.now();
          return rateLimited(undefined);
        }
        return undefined;
      },
    });
    const r = await fetchAllMappings(src.fetchPage, { pauseMs: 80 });
    assert.strictEqual(r.mappings.length, 30);
    assert.ok(src.calls[1].start >= limitedAt + 80);
  });

  it('gives up on a page limited too often, or a retry-after too long', async () => {
    const always = fakeSource(30, { fail: () => rateLimited(1) });
    await assert.rejects(
      fetchAllMappings(always.fetchPage, { maxRateLimitRetries: 3 }),
      (e: unknown) => isApiError(e) && e.kind === 'rateLimited',
    );
    assert.strictEqual(always.calls.length, 4);

    const long = fakeSource(30, { fail: () => rateLimited(3_600_000) });
    await assert.rejects(
      fetchAllMappings(long.fetchPage),
      (e: unknown) => isApiError(e) && e.retryAfterMs === 3_600_000,
    );
    assert.strictEqual(long.calls.length, 1);
  });

  it('stops on another error: aborts in-flight fetches, starts no new ones, throws that error', async () => {
    const boom = new ApiError({ kind: 'server', service: 'IMO', status: 500, message: 'Internal error' });
    const src = fakeSource(300, { ms: (n) => (n === 4 ? 5 : 40), fail: (n) => (n === 4 ? boom : undefined) });
    await assert.rejects(fetchAllMappings(src.fetchPage, { concurrency: 3 }), (e: unknown) => e === boom);
    const count = src.calls.length;
    assert.ok(count < 10, `stopped early (${count} calls)`);
    assert.ok(
      src.calls.filter((c) => c.page !== 4 && c.page !== 1).every((c) => c.signal.aborted),
      'in-flight fetches aborted',
    );
    await new Promise((r) => setTimeout(r, 60));
    assert.strictEqual(src.calls.length, count, 'no fetch after the failure');
  });

  it('rejects with a cancelled ApiError on abort, starting no new fetches', async () => {
    const ac = new AbortController();
    const src = fakeSource(300, { ms: () => 20 });
    const run = fetchAllMappings(src.fetchPage, {
      concurrency: 2,
      signal: ac.signal,
      onProgress: (done) => {
        if (done === 3) ac.abort();
      },
    });
    await assert.rejects(run, (e: unknown) => isApiError(e) && e.kind === 'cancelled');
    const count = src.calls.length;
    assert.ok(count <= 5, `${count} calls`);
    assert.strictEqual(src.inFlight(), 0, 'in-flight fetches were aborted through their signal');
    await new Promise((r) => setTimeout(r, 60));
    assert.strictEqual(src.calls.length, count, 'no fetch after the abort');
  });

  it('cancels promptly during a rate-limit pause and leaves no timer behind', async () => {
    const ac = new AbortController();
    await new Promise((r) => setImmediate(r)); // mocha arms its own timeout timer after the test starts
    const before = timeouts();
    const src = fakeSource(100, {
      fail: (n, attempt) => {
        if (n === 2 && attempt === 1) {
          setImmediate(() => ac.abort());
          return rateLimited(10_000);
        }
        return undefined;
      },
    });
    const t0 = performance.now();
    await assert.rejects(
      fetchAllMappings(src.fetchPage, { concurrency: 2, signal: ac.signal }),
      (e: unknown) => isApiError(e) && e.kind === 'cancelled',
    );
    assert.ok(performance.now() - t0 < 1000, 'did not wait out the retry-after');
    assert.strictEqual(timeouts(), before, 'no pending timer keeps Node alive');
  });

  it('rejects at once when the signal is already aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    const src = fakeSource(10);
    await assert.rejects(
      fetchAllMappings(src.fetchPage, { signal: ac.signal }),
      (e: unknown) => isApiError(e) && e.kind === 'cancelled',
    );
    assert.strictEqual(src.calls.length, 0);
  });

  describe('inconsistent pages', () => {
    const expectInconsistent = async (page: (n: number) => Page<Mapping>, message: RegExp): Promise<void> => {
      const src = fakeSource(30, { page });
      await assert.rejects(fetchAllMappings(src.fetchPage, { concurrency: 2 }), (e: unknown) => {
        assert.ok(isApiError(e) && e.kind === 'invalidResponse', String(e));
        assert.match(e.message, message);
        assert.match(e.message, /export it again/);
        return true;
      });
    };

    it('reports a page of the wrong size', async () => {
      await expectInconsistent((n) => {
        const p = pageOf(n, 30);
        return n === 2 ? { ...p, items: p.items.slice(0, 9) } : p;
      }, /Page 2 of 3 has 9 items; expected 10 \(total 30, 10 per page\)/);
      await expectInconsistent((n) => {
        const p = pageOf(n, 25);
        return { ...p, total: 30 };
      }, /Page 3 of 3 has 5 items; expected 10/);
    });

    it('reports a total that changes between pages', async () => {
      await expectInconsistent(
        (n) => (n === 3 ? { ...pageOf(n, 30), total: 31 } : pageOf(n, 30)),
        /total changed from 30 to 31 \(page 3\)/,
      );
    });

    it('reports a page other than the one asked for', async () => {
      await expectInconsistent(
        (n) => pageOf(n === 3 ? 2 : n, 30),
        /Asked for page 3, the server sent page 2/,
      );
    });

    it('reports a mapping that appears on two pages', async () => {
      await expectInconsistent((n) => {
        const p = pageOf(n, 30);
        return n === 3 ? { ...p, items: [mapping(1), ...p.items.slice(1)] } : p;
      }, /appears on page 1 and again on page 3/);
    });
  });
});
