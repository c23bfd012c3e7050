import * as assert from 'assert';
import { ApiError, isApiError } from '../../../src/core/errors';
import type { Page } from '../../../src/core/paging';
import { RequestPacer, fetchAllMappings } from '../../../src/core/crosswalks/exportAll';
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

/**
 * A page source behind a token bucket of `rate` per second holding `burst`: a request finding it
 * empty is refused with `retryAfterMs` (and takes no token), like the sandbox's limiter.
 */
function limitedSource(total: number, o: { rate: number; burst: number; retryAfterMs: number }) {
  let tokens = o.burst;
  let last = performance.now();
  const calls: { page: number; start: number }[] = [];
  const refused: { page: number; at: number }[] = [];
  const fetchPage = async (n: number, signal: AbortSignal): Promise<Page<Mapping>> => {
    calls.push({ page: n, start: performance.now() });
    await delay(1, signal);
    const t = performance.now();
    tokens = Math.min(o.burst, tokens + ((t - last) / 1000) * o.rate);
    last = t;
    if (tokens < 1) {
      refused.push({ page: n, at: t });
      throw rateLimited(o.retryAfterMs);
    }
    tokens -= 1;
    return pageOf(n, total);
  };
  return { fetchPage, calls, refused };
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

  it('a lone 429 delays only its page, by its retry-after; the other pages go on unpaced', async () => {
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
    assert.deepStrictEqual(
      r.mappings,
      Array.from({ length: 150 }, (_, i) => mapping(i + 1)),
    );
    assert.deepStrictEqual([r.rateLimitPauses, r.paceMs], [1, 0]);
    const page3 = src.calls.filter((c) => c.page === 3);
    assert.strictEqual(page3.length, 2);
    assert.ok(
      page3[1].start >= limitedAt + 200,
      `page 3 asked again ${(page3[1].start - limitedAt).toFixed(1)} ms after its 429`,
    );
    const meanwhile = src.calls.filter((c) => c.start > limitedAt && c.start < limitedAt + 200);
    assert.ok(meanwhile.length >= 8, `other pages went on during the retry-after (${meanwhile.length})`);
  });

  it('pauses ALL workers when a 429 comes with nothing accepted lately (page 1)', async () => {
    let limitedAt = 0;
    const src = fakeSource(60, {
      fail: (n, attempt) => {
        if (n === 1 && attempt === 1) {
          limitedAt = performance.now();
          return rateLimited(150);
        }
        return undefined;
      },
    });
    const r = await fetchAllMappings(src.fetchPage, { concurrency: 4 });
    assert.strictEqual(r.mappings.length, 60);
    assert.strictEqual(src.calls.length, 7);
    for (const c of src.calls.slice(1)) {
      assert.ok(
        c.start >= limitedAt + 150,
        `page ${c.page} started ${(c.start - limitedAt).toFixed(1)} ms after the 429`,
      );
    }
  });

  it('paces the pool under a token-bucket limit: few 429s, close to the rate, each retry after its retry-after', async function () {
    this.timeout(20_000);
    // 200 requests/s, a bucket of 20, every refusal with a retry-after of 100 ms; 1 ms answers.
    const src = limitedSource(1500, { rate: 200, burst: 20, retryAfterMs: 100 });
    const t0 = performance.now();
    const r = await fetchAllMappings(src.fetchPage, { concurrency: 4, pacing: { windowMs: 250 } });
    const seconds = (performance.now() - t0) / 1000;
    assert.deepStrictEqual(
      r.mappings,
      Array.from({ length: 1500 }, (_, i) => mapping(i + 1)),
    );
    const floor = (r.pages - 20) / 200;
    assert.strictEqual(r.rateLimitPauses, src.refused.length);
    // unpaced, 4 workers with 1 ms answers would be refused hundreds of times
    assert.ok(src.refused.length <= 0.3 * r.pages, `${src.refused.length} 429s for ${r.pages} pages`);
    assert.ok(r.paceMs > 0, 'the pool paced itself');
    assert.ok(seconds <= 2 * floor + 0.2, `${seconds.toFixed(2)} s; the limit allows ${floor.toFixed(2)} s`);
    for (const x of src.refused) {
      const again = src.calls.find((c) => c.page === x.page && c.start > x.at);
      assert.ok(again && again.start >= x.at + 100, `page ${x.page} asked again too soon`);
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

  describe('RequestPacer (pure: times are passed in)', () => {
    /**
     * One request at a time against a token bucket of `rate` per second holding `burst`: each starts
     * when the pacer allows, is answered `latency` ms later (429 when the bucket is empty, or on every
     * `refuseEvery`-th request whatever the bucket, taking no token), and the next follows.
     */
    const drive = (
      pacer: RequestPacer,
      o: { rate: number; burst: number; seconds: number; latency?: number; refuseEvery?: number },
    ): { at: number; ok: boolean }[] => {
      const latency = o.latency ?? 2;
      const log: { at: number; ok: boolean }[] = [];
      let t = 0;
      let tokens = o.burst;
      let last = 0;
      for (let n = 1; t < o.seconds * 1000; n++) {
        t = Math.max(t, pacer.nextStartAt);
        pacer.started(t);
        t += latency;
        tokens = Math.min(o.burst, tokens + ((t - last) / 1000) * o.rate);
        last = t;
        const ok = tokens >= 1 && !(o.refuseEvery !== undefined && n % o.refuseEvery === 0);
        if (ok) {
          tokens -= 1;
          pacer.accepted(t);
        } else {
          assert.strictEqual(pacer.refused(t), 'page', `a 429 at ${t} ms paused the pool`);
        }
        log.push({ at: t, ok });
      }
      return log;
    };

    it('stays unpaced through lone 429s; a 429 with nothing accepted in the window pauses the pool', () => {
      const pacer = new RequestPacer();
      assert.strictEqual(pacer.refused(0), 'pool', 'page 1 refused: there is no rate to follow');
      for (let t = 1; t <= 40; t++) {
        pacer.started(t);
        if (t % 20 === 0) assert.strictEqual(pacer.refused(t + 0.5), 'page');
        else pacer.accepted(t + 0.5);
      }
      assert.strictEqual(pacer.intervalMs, 0);
      assert.ok(pacer.nextStartAt <= 41);
      // a second without an accepted answer
      assert.strictEqual(pacer.refused(1100), 'pool');
    });

    it('paces once several 429s show the pool over the limit: accepted per window plus the margin', () => {
      const pacer = new RequestPacer({ windowMs: 1000, margin: 0.1 });
      for (let t = 1; t <= 20; t++) pacer.accepted(t);
      // the bucket is empty: the requests in flight come back refused
      for (let k = 0; k < 3; k++) pacer.refused(25);
      assert.strictEqual(pacer.intervalMs, 0, '3 of 23 is not yet a pattern');
      pacer.refused(25);
      assert.strictEqual(pacer.intervalMs, 1000 / (20 * 1.1));
      assert.strictEqual(pacer.nextStartAt, 25 + pacer.intervalMs);
    });

    it('learns the rate of a token bucket and keeps close to it, with few 429s', () => {
      const cases = [
        { rate: 20, burst: 20 }, // the sandbox: a bucket of one second
        { rate: 20, burst: 20, refuseEvery: 20 }, // …and 5 % refused whatever the pace
        { rate: 200, burst: 200, refuseEvery: 20 },
        { rate: 50, burst: 5 }, // a small bucket: the first estimate is far too low
        { rate: 5, burst: 50 }, // a big one: the first estimate is far too high
      ];
      for (const c of cases) {
        const pacer = new RequestPacer();
        const log = drive(pacer, { ...c, seconds: 20 });
        const late = log.filter((x) => x.at >= 10_000);
        const accepted = late.filter((x) => x.ok).length / 10;
        const share = 1 - late.filter((x) => x.ok).length / late.length;
        const what = `${JSON.stringify(c)}: ${accepted}/s accepted, ${(share * 100).toFixed(1)} % refused`;
        assert.ok(accepted >= 0.95 * c.rate && accepted <= c.rate * 1.02 + 0.2, what);
        assert.ok(share <= 0.2, what);
        assert.ok(pacer.intervalMs >= 1000 / (1.3 * c.rate) && pacer.intervalMs <= 1000 / c.rate, what);
      }
    });

    it('does not slow down when its own starts run late and nothing is refused', () => {
      const pacer = new RequestPacer();
      for (let t = 1; t <= 20; t++) pacer.accepted(t);
      for (let k = 0; k < 4; k++) pacer.refused(25);
      const interval = pacer.intervalMs;
      let t = pacer.nextStartAt;
      for (let k = 0; k < 100; k++) {
        t += interval * 1.5; // every start half an interval late
        pacer.started(t);
        pacer.accepted(t + 2);
      }
      assert.ok(pacer.intervalMs <= interval, `${pacer.intervalMs} ms > ${interval} ms`);
    });

    it('keeps slots on the grid after a late start, without catching up after an idle spell', () => {
      const pacer = new RequestPacer();
      for (let t = 1; t <= 20; t++) pacer.accepted(t);
      for (let k = 0; k < 4; k++) pacer.refused(25);
      const i = pacer.intervalMs;
      const slot = pacer.nextStartAt;
      pacer.started(slot + i / 4);
      assert.strictEqual(pacer.nextStartAt, slot + i);
      pacer.started(slot + 10 * i);
      assert.strictEqual(pacer.nextStartAt, slot + 10.5 * i);
    });
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
