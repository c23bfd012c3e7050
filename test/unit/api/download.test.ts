import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { DownloadClient, type Page, type Version } from '../../../src/api/download';
import { DOWNLOAD_SLUGS as S } from '../../../sandbox/services/download';
import { type Sandbox, startSandbox } from '../../../sandbox/server';
import { expectApiError, recordingLogger, sandboxImoApi } from './support';

const UA = 'clinical-coder/0.1.0 (VS Code extension)';
const DATA = path.resolve(__dirname, '..', '..', '..', 'sandbox', 'data');
const PRODUCTS = '/download/v1/products';
const MONTHLY = `/download/v2/products/${S.imoCore.product}/sub-products/${S.imoCore.monthly}/versions`;
const CVX_FILES = `/download/v1/products/${S.cvx.product}/sub-products/${S.cvx.vaccines}/versions/${S.cvx.nov2020}/files`;

describe('api/download', function () {
  let sb: Sandbox;
  let client: DownloadClient;
  let log: ReturnType<typeof recordingLogger>;

  before(async () => {
    sb = await startSandbox();
  });
  after(async () => sb.close());
  beforeEach(() => {
    sb.reset();
    log = recordingLogger();
    client = new DownloadClient(sandboxImoApi(sb, { userAgent: UA, logger: log }));
  });

  /** Makes the next GET of `p` answer 200 with this JSON text. */
  const answerOnce = (p: string, body: unknown): void => {
    sb.faults.add({ type: 'malformed', method: 'GET', path: p, raw: JSON.stringify(body), times: 1 });
  };

  describe('endpoints', () => {
    it('listProducts: products with slugs, fields and the Release Notes menu option', async () => {
      const products = await client.listProducts();
      const cm = products.find((p) => p.product_slug === S.icd10cm.product);
      assert.ok(cm);
      assert.strictEqual(cm.product_name, 'ICD-10-CM');
      assert.deepStrictEqual(
        cm.menu_options?.map((m) => [m.option, m.url]),
        [['Release Notes', 'https://www.cms.gov/medicare/coding-billing/icd-10-codes']],
      );
      assert.strictEqual(cm.fields?.[0].field_name, 'Library');
      assert.ok(products.length >= 6);
    });

    it('listSubProducts: page and page_size are sent, the page comes back as is', async () => {
      const first = await client.listSubProducts(S.imoCore.product, 1);
      assert.deepStrictEqual(
        [first.current_page, first.total, first.page_size, first.items.map((s) => s.sub_product_slug)],
        [1, 2, 10, [S.imoCore.monthly, S.imoCore.empty]],
      );
      const second = await client.listSubProducts(S.imoCore.product, 2, undefined, 1);
      assert.deepStrictEqual(
        [second.current_page, second.page_size, second.items.map((s) => s.sub_product_name)],
        [2, 1, ['Procedure Terminology (coming soon)']],
      );
      assert.strictEqual(second.items[0].is_public, true);
      assert.strictEqual(second.items[0].organization_id, '00393482300wD');
    });

    it('listVersions: newest first, 60 versions over pages of any size', async () => {
      const all: Version[] = [];
      let page: Page<Version>;
      let n = 0;
      do {
        page = await client.listVersions(S.imoCore.product, S.imoCore.monthly, ++n, undefined, 25);
        assert.deepStrictEqual([page.current_page, page.total, page.page_size], [n, 60, 25]);
        all.push(...page.items);
      } while (all.length < page.total);
      assert.strictEqual(n, 3);
      assert.strictEqual(all.length, 60);
      assert.deepStrictEqual(
        [all[0].version_name, all[0].effective_date, all[59].version_name],
        ['2025 October', '2025-10-01', '2020 November'],
      );
      const defaults = await client.listVersions(S.imoCore.product, S.imoCore.monthly, 6);
      assert.deepStrictEqual([defaults.page_size, defaults.items.length], [10, 10]);
      assert.strictEqual(defaults.items[9].version_name, '2020 November');
      const beyond = await client.listVersions(S.imoCore.product, S.imoCore.monthly, 7);
      assert.deepStrictEqual(beyond.items, []);
      const capped = await client.listVersions(S.imoCore.product, S.imoCore.monthly, 1, undefined, 1000);
      assert.deepStrictEqual([capped.page_size, capped.items.length], [100, 60]);
    });

    it('listVersions: a sub-product with zero versions is an empty page', async () => {
      const page = await client.listVersions(S.imoCore.product, S.imoCore.empty, 1);
      assert.deepStrictEqual([page.total, page.items], [0, []]);
    });

    it('listFiles: names, sizes and presigned URLs that download the real file', async () => {
      const files = await client.listFiles(S.cvx.product, S.cvx.vaccines, S.cvx.nov2020);
      assert.strictEqual(files.length, 1);
      const f = files[0];
      const bytes = fs.readFileSync(path.join(DATA, 'cvx', 'cvx.txt'));
      assert.deepStrictEqual([f.file_name, f.file_size, f.publish_url], ['cvx.txt', bytes.length, null]);
      assert.ok(f.download_url.startsWith(`${sb.url}/s3/imo-releases/`));
      const res = await fetch(f.download_url);
      assert.strictEqual(res.status, 200);
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(bytes));
    });

    it('listFiles: hostile file names come back verbatim (sanitising is the engine’s job)', async () => {
      const files = await client.listFiles(S.fixtures.product, S.fixtures.hostile, S.fixtures.hostileVersion);
      const names = files.map((f) => f.file_name);
      for (const hostile of ['../../.bashrc', '/etc/passwd', '']) assert.ok(names.includes(hostile), hostile);
    });
  });

  describe('paths and logs', () => {
    it('URL-encodes slugs, and logs paths with placeholders instead of slugs', async () => {
      await expectApiError(client.listSubProducts('a/b c?d', 1), 'notFound');
      await expectApiError(client.listVersions('x/y', '../z', 1), 'notFound');
      await expectApiError(client.listFiles('p#', 's', 'v?x=1'), 'notFound');
      assert.deepStrictEqual(
        sb.requests.filter((r) => r.path.startsWith('/download/')).map((r) => r.path),
        [
          '/download/v2/products/a%2Fb%20c%3Fd/sub-products',
          '/download/v2/products/x%2Fy/sub-products/..%2Fz/versions',
          '/download/v1/products/p%23/sub-products/s/versions/v%3Fx%3D1/files',
        ],
      );
      await client.listVersions(S.imoCore.product, S.imoCore.monthly, 1);
      const all = log.lines.join('\n');
      assert.match(all, /GET \/download\/v2\/products\/\{product\}\/sub-products -> 404/);
      assert.match(
        all,
        /GET \/download\/v2\/products\/\{product\}\/sub-products\/\{subProduct\}\/versions -> 200/,
      );
      assert.match(
        all,
        /GET \/download\/v1\/products\/\{product\}\/sub-products\/\{subProduct\}\/versions\/\{version\}\/files -> 404/,
      );
      assert.ok(!all.includes(S.imoCore.monthly));
    });

    it('rejects a page number below 1 as a programming error, before any request', async () => {
      await assert.rejects(client.listVersions(S.imoCore.product, S.imoCore.monthly, 0), RangeError);
      await assert.rejects(client.listSubProducts(S.imoCore.product, 1, undefined, 0), RangeError);
      assert.strictEqual(sb.requests.length, 0);
    });
  });

  describe('failures', () => {
    it('404 on an unknown slug: notFound with the server message and trace id', async () => {
      const e = await expectApiError(client.listVersions(S.imoCore.product, 'nope', 1), 'notFound');
      assert.strictEqual(e.status, 404);
      assert.strictEqual(e.serverMessage, 'Sub-product not found: nope');
      assert.match(e.traceId ?? '', /^[0-9a-f-]{36}$/);
      assert.strictEqual(e.path, '/download/v2/products/{product}/sub-products/{subProduct}/versions');
      await expectApiError(client.listSubProducts('nope', 1), 'notFound');
      await expectApiError(client.listFiles(S.cvx.product, S.cvx.vaccines, 'nope'), 'notFound');
    });

    it('5xx on the files endpoint is retried, then succeeds', async () => {
      sb.faults.add({ type: 'status', path: CVX_FILES, status: 503, times: 2 });
      const files = await client.listFiles(S.cvx.product, S.cvx.vaccines, S.cvx.nov2020);
      assert.strictEqual(files[0].file_name, 'cvx.txt');
      assert.deepStrictEqual(
        sb.requests.filter((r) => r.path === CVX_FILES).map((r) => r.status),
        [503, 503, 200],
      );
    });

    it('a persistent 5xx on the files endpoint ends as ApiError server after 1 + 3 attempts', async () => {
      sb.faults.add({ type: 'status', path: CVX_FILES, status: 502, traceRequestId: 'trace-files-1' });
      const e = await expectApiError(
        client.listFiles(S.cvx.product, S.cvx.vaccines, S.cvx.nov2020),
        'server',
      );
      assert.strictEqual(e.status, 502);
      assert.strictEqual(e.traceId, 'trace-files-1');
      assert.strictEqual(sb.count('GET', CVX_FILES), 4);
    });

    it('a 429 storm while paging: waits Retry-After each time and gets every version', async function () {
      this.timeout(20000);
      sb.download.configure({ rateLimitPerSecond: 5 });
      const slugs: string[] = [];
      for (let page = 1; slugs.length < 60; page++) {
        const p = await client.listVersions(S.imoCore.product, S.imoCore.monthly, page, undefined, 4);
        slugs.push(...p.items.map((v) => v.version_slug));
      }
      assert.strictEqual(new Set(slugs).size, 60);
      const pages = sb.requests.filter((r) => r.path === MONTHLY);
      const limited = pages.filter((r) => r.status === 429);
      assert.ok(limited.length >= 1, 'the limiter must have answered 429');
      assert.strictEqual(sb.download.state().rateLimited, limited.length);
      assert.strictEqual(pages.filter((r) => r.status === 200).length, 15);
      // every retry came at least Retry-After (1 s) after its 429
      for (const r of limited) {
        const next = pages[pages.indexOf(r) + 1];
        assert.ok(next.at - r.at >= 990, `${next.at - r.at} ms`);
      }
    });

    it('a body that is not JSON is invalidResponse', async () => {
      sb.faults.add({ type: 'malformed', path: PRODUCTS, times: 1 });
      const e = await expectApiError(client.listProducts(), 'invalidResponse');
      assert.match(e.message, /not JSON/);
    });

    it('JSON of the wrong shape is invalidResponse, naming the field', async () => {
      sb.faults.add({ type: 'malformed', path: MONTHLY, variant: 'wrongShape', times: 1 });
      await expectApiError(client.listVersions(S.imoCore.product, S.imoCore.monthly, 1), 'invalidResponse');
      answerOnce(CVX_FILES, [{ id: 'f1', file_name: 'a.txt' }]);
      const e = await expectApiError(
        client.listFiles(S.cvx.product, S.cvx.vaccines, S.cvx.nov2020),
        'invalidResponse',
      );
      assert.match(e.message, /\[0\]\.download_url/);
      answerOnce(MONTHLY, { current_page: 1, total: '60', page_size: 10, items: [] });
      const t = await expectApiError(
        client.listVersions(S.imoCore.product, S.imoCore.monthly, 1),
        'invalidResponse',
      );
      assert.match(t.message, /total/);
      answerOnce(PRODUCTS, [{ id: 'p', product_name: 'P', product_slug: '' }]);
      await expectApiError(client.listProducts(), 'invalidResponse');
    });

    it('a page whose total disagrees with its items is passed on as sent', async () => {
      sb.download.addFault({ type: 'pageTotal', path: MONTHLY, total: 1000, times: 1 });
      const page = await client.listVersions(S.imoCore.product, S.imoCore.monthly, 1);
      assert.deepStrictEqual([page.total, page.items.length], [1000, 10]);
    });

    it('is cancelled by its AbortSignal', async () => {
      const ac = new AbortController();
      ac.abort();
      await expectApiError(client.listProducts(ac.signal), 'cancelled');
      sb.faults.add({ type: 'delay', path: CVX_FILES, ms: 2000, times: 1 });
      const late = new AbortController();
      const p = client.listFiles(S.cvx.product, S.cvx.vaccines, S.cvx.nov2020, late.signal);
      setTimeout(() => late.abort(), 50);
      await expectApiError(p, 'cancelled');
    });
  });

  describe('schemas', () => {
    it('keep fields they do not know, on every level', async () => {
      answerOnce(PRODUCTS, [
        {
          id: 'p1',
          product_name: 'P',
          product_slug: 'p-1',
          tier: 'gold',
          menu_options: [{ option: 'Release Notes', url: 'https://example.org/n', icon: 'book' }],
          fields: [{ field_name: 'Library', extra: true }],
        },
      ]);
      const [p] = await client.listProducts();
      assert.strictEqual(p.tier, 'gold');
      assert.strictEqual(p.menu_options?.[0].icon, 'book');
      assert.strictEqual(p.fields?.[0].extra, true);

      answerOnce(MONTHLY, {
        current_page: 1,
        total: 1,
        page_size: 10,
        next: '/page/2',
        items: [
          {
            id: 'v1',
            version_name: 'V',
            version_slug: 'v-1',
            effective_date: '2025-10-01',
            version_metadata: [{ key: 'k', value: 'v' }],
            release_type: 'monthly',
          },
        ],
      });
      const page = await client.listVersions(S.imoCore.product, S.imoCore.monthly, 1);
      assert.strictEqual(page.next, '/page/2');
      assert.strictEqual(page.items[0].release_type, 'monthly');
      assert.deepStrictEqual(page.items[0].version_metadata, [{ key: 'k', value: 'v' }]);

      answerOnce(CVX_FILES, [
        { id: 'f1', file_name: 'a.txt', download_url: 'https://x/a', md5: 'abc', publish_url: 'https://p' },
      ]);
      const [f] = await client.listFiles(S.cvx.product, S.cvx.vaccines, S.cvx.nov2020);
      assert.deepStrictEqual(
        [f.md5, f.publish_url, f.file_size, f.version_id],
        ['abc', 'https://p', undefined, undefined],
      );
    });

    it('treat the documented optional fields as optional, and null dates and sizes as missing', async () => {
      answerOnce(PRODUCTS, [{ id: 'p1', product_name: 'P', product_slug: 'p-1' }]);
      const [p] = await client.listProducts();
      assert.deepStrictEqual([p.fields, p.menu_options], [undefined, undefined]);
      answerOnce(MONTHLY, {
        current_page: 1,
        total: 1,
        page_size: 10,
        items: [
          { id: 'v1', version_name: 'V', version_slug: 'v-1', effective_date: null, launch_date: null },
        ],
      });
      const [v] = (await client.listVersions(S.imoCore.product, S.imoCore.monthly, 1)).items;
      assert.deepStrictEqual(
        [v.effective_date, v.launch_date, v.version_metadata, v.version_menu_actions],
        [undefined, undefined, undefined, undefined],
      );
      answerOnce(CVX_FILES, [{ id: 'f1', file_name: '', download_url: 'https://x/a', file_size: null }]);
      const [f] = await client.listFiles(S.cvx.product, S.cvx.vaccines, S.cvx.nov2020);
      assert.deepStrictEqual([f.file_name, f.file_size, f.publish_url], ['', undefined, undefined]);
    });
  });
});
