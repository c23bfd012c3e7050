import * as assert from 'assert';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { DOWNLOAD_SLUGS as S, HOSTILE_FILE_NAMES, parseByteRange } from '../../../sandbox/services/download';
import { type Sandbox, type SandboxOptions, startSandbox } from '../../../sandbox/server';

const DATA = path.resolve(__dirname, '..', '..', '..', 'sandbox', 'data');
const PRODUCTS = '/download/v1/products';
const subProducts = (p: string): string => `/download/v2/products/${p}/sub-products`;
const versions = (p: string, s: string): string => `${subProducts(p)}/${s}/versions`;
const files = (p: string, s: string, v: string): string =>
  `/download/v1/products/${p}/sub-products/${s}/versions/${v}/files`;
const MONTHLY = versions(S.imoCore.product, S.imoCore.monthly);
const CVX_FILES = files(S.cvx.product, S.cvx.vaccines, S.cvx.nov2020);
const CM_FILES = files(S.icd10cm.product, S.icd10cm.codeDescriptions, S.icd10cm.fy2026);

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** Set when the body did not end cleanly (connection cut, or fewer bytes than announced). */
  error?: string;
  text: string;
}

/** One request with Node's http client, keeping whatever arrived even when the body is cut. */
function raw(
  url: string,
  o: {
    method?: string;
    headers?: Record<string, string>;
    onResponse?: (res: http.IncomingMessage) => void;
  } = {},
): Promise<Raw> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let status = 0;
    let headers: http.IncomingHttpHeaders = {};
    const done = (error?: string): void => {
      const body = Buffer.concat(chunks);
      resolve({ status, headers, body, error, text: body.toString('utf8') });
    };
    const req = http.request(url, { method: o.method ?? 'GET', headers: o.headers, agent: false }, (res) => {
      status = res.statusCode ?? 0;
      headers = res.headers;
      o.onResponse?.(res);
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => done());
      res.on('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
    });
    req.on('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
    req.end();
  });
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const xmlCode = (r: Raw): string | undefined => /<Code>([^<]*)<\/Code>/.exec(r.text)?.[1];

describe('sandbox: Download API (document 001)', function () {
  let sb: Sandbox;
  let clock: number;
  let token: string;

  const newToken = async (target: Sandbox = sb): Promise<string> => {
    const res = await fetch(`${target.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_id: target.credentials.IMO_CLIENT_ID,
        client_secret: target.credentials.IMO_CLIENT_SECRET,
        audience: target.credentials.IMO_AUDIENCE,
        grant_type: 'client_credentials',
      }),
    });
    return ((await res.json()) as { access_token: string }).access_token;
  };
  /** GET a Download API path with a bearer token (`null`: none); JSON body. */
  const api = async <T = Record<string, unknown>>(
    p: string,
    target: Sandbox = sb,
    bearer: string | null = token,
  ): Promise<{ status: number; headers: Headers; json: T }> => {
    const res = await fetch(target.url + p, {
      headers: bearer === null ? {} : { authorization: `Bearer ${bearer}` },
    });
    return { status: res.status, headers: res.headers, json: (await res.json()) as T };
  };
  interface FileJson {
    id: string;
    version_id: string;
    file_name: string;
    download_url: string;
    publish_url: null;
    file_size: number;
  }
  const listFiles = async (p: string = CVX_FILES): Promise<FileJson[]> => {
    const r = await api<FileJson[]>(p);
    assert.strictEqual(r.status, 200);
    return r.json;
  };
  const cvxUrl = async (): Promise<string> => (await listFiles())[0].download_url;
  const cvxBytes = fs.readFileSync(path.join(DATA, 'cvx', 'cvx.txt'));

  before(async () => {
    clock = Math.floor(Date.now() / 1000) * 1000; // whole seconds, like X-Amz-Date
    sb = await startSandbox({ now: () => clock });
  });
  after(async () => sb.close());
  beforeEach(async () => {
    sb.reset();
    clock = Math.floor(Date.now() / 1000) * 1000;
    token = await newToken();
  });

  describe('JSON endpoints', () => {
    it('products: the documented fields, and a Release Notes menu option with an https link', async () => {
      const r = await api<Array<Record<string, unknown>>>(PRODUCTS);
      assert.strictEqual(r.status, 200);
      assert.deepStrictEqual(
        r.json.map((p) => p.product_name),
        ['ICD-10-CM', 'ICD-10-PCS', 'HCPCS', 'CVX', 'ICD-9-CM', 'GEMs', 'IMO Core', 'Sandbox Test Fixtures'],
      );
      for (const p of r.json) {
        assert.deepStrictEqual(Object.keys(p), [
          'id',
          'product_name',
          'product_slug',
          'fields',
          'menu_options',
        ]);
        for (const f of p.fields as Array<Record<string, unknown>>) {
          assert.deepStrictEqual(Object.keys(f), [
            'id',
            'product_id',
            'field_type_id',
            'field_name',
            'display_order',
          ]);
          assert.strictEqual(f.product_id, p.id);
        }
        const menu = p.menu_options as Array<Record<string, unknown>>;
        assert.deepStrictEqual(Object.keys(menu[0]), ['id', 'product_id', 'url', 'option']);
        assert.strictEqual(menu[0].option, 'Release Notes');
        if (p.product_slug === S.fixtures.product) assert.strictEqual(menu[0].url, '{0}');
        else assert.match(menu[0].url as string, /^https:\/\/[a-z0-9.]+\.(gov|com)\//);
      }
    });

    it('401 on every endpoint without a valid bearer token', async () => {
      for (const p of [PRODUCTS, subProducts(S.cvx.product), MONTHLY, CVX_FILES]) {
        assert.strictEqual((await api(p, sb, null)).status, 401, p);
        assert.strictEqual((await api(p, sb, 'made-up')).status, 401, p);
      }
    });

    it('sub-products: a page with the documented item fields, paged by page and page_size', async () => {
      const r = await api<{
        current_page: number;
        total: number;
        page_size: number;
        items: Array<Record<string, unknown>>;
      }>(subProducts(S.imoCore.product));
      assert.deepStrictEqual(Object.keys(r.json), ['current_page', 'total', 'page_size', 'items']);
      assert.deepStrictEqual([r.json.current_page, r.json.total, r.json.page_size], [1, 2, 10]);
      assert.deepStrictEqual(Object.keys(r.json.items[0]), [
        'sub_product_name',
        'id',
        'product_id',
        'organization_id',
        'is_public',
        'sub_product_slug',
      ]);
      assert.deepStrictEqual(
        r.json.items.map((s) => s.sub_product_slug),
        [S.imoCore.monthly, S.imoCore.empty],
      );
      const second = await api<{
        current_page: number;
        total: number;
        items: Array<Record<string, unknown>>;
      }>(`${subProducts(S.imoCore.product)}?page=2&page_size=1`);
      assert.deepStrictEqual(
        [second.json.current_page, second.json.total, second.json.items.map((s) => s.sub_product_slug)],
        [2, 2, [S.imoCore.empty]],
      );
    });

    it('versions: 60 generated versions, newest first; page arithmetic for any page size', async () => {
      type VPage = {
        current_page: number;
        total: number;
        page_size: number;
        items: Array<{ version_slug: string; effective_date: string; version_name: string }>;
      };
      for (const [asked, used] of [
        [undefined, 10],
        [7, 7],
        [100, 100],
        [500, 100],
      ] as const) {
        const seen: VPage['items'] = [];
        for (let page = 1; ; page++) {
          const q = asked === undefined ? `?page=${page}` : `?page=${page}&page_size=${asked}`;
          const r = await api<VPage>(MONTHLY + q);
          assert.strictEqual(r.status, 200);
          assert.deepStrictEqual(
            [r.json.current_page, r.json.total, r.json.page_size, r.json.items.length],
            [page, 60, used, Math.max(0, Math.min(used, 60 - (page - 1) * used))],
            `page ${page} of size ${asked}`,
          );
          if (r.json.items.length === 0) break;
          seen.push(...r.json.items);
        }
        assert.strictEqual(seen.length, 60);
        assert.strictEqual(new Set(seen.map((v) => v.version_slug)).size, 60);
        const dates = seen.map((v) => v.effective_date);
        assert.deepStrictEqual(dates, [...dates].sort().reverse());
        assert.deepStrictEqual(
          [seen[0].version_name, seen[0].effective_date, seen[59].version_name, seen[59].effective_date],
          ['2025 October', '2025-10-01', '2020 November', '2020-11-01'],
        );
      }
    });

    it('versions carry every documented field', async () => {
      const r = await api<{ items: Array<Record<string, unknown>> }>(
        versions(S.icd10cm.product, S.icd10cm.codeDescriptions),
      );
      const v = r.json.items[0];
      assert.deepStrictEqual(Object.keys(v), [
        'effective_date',
        'launch_date',
        'id',
        'sub_product_id',
        'version_name',
        'created_at',
        'created_by',
        'updated_at',
        'updated_by',
        'version_slug',
        'version_metadata',
        'version_menu_actions',
      ]);
      assert.deepStrictEqual(
        [v.version_name, v.effective_date, v.version_slug, v.version_metadata, v.version_menu_actions],
        ['FY2026 (October 2025)', '2025-10-01', S.icd10cm.fy2026, [], []],
      );
      assert.match(v.created_at as string, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$/);
    });

    it('a sub-product with zero versions answers an empty page', async () => {
      const r = await api(versions(S.imoCore.product, S.imoCore.empty));
      assert.deepStrictEqual(r.json, { current_page: 1, total: 0, page_size: 10, items: [] });
    });

    it('400 for a page or page_size that is not a positive integer', async () => {
      for (const q of ['page=0', 'page=-1', 'page=two', 'page_size=0', 'page_size=1.5', 'page=']) {
        const r = await api(`${MONTHLY}?${q}`);
        assert.strictEqual(r.status, 400, q);
        assert.strictEqual(r.json.error, 'bad_request');
      }
    });

    it('404 with a JSON error for an unknown product, sub-product or version slug', async () => {
      for (const p of [
        subProducts('nope'),
        versions('nope', S.imoCore.monthly),
        versions(S.imoCore.product, 'nope'),
        files(S.cvx.product, S.cvx.vaccines, 'nope'),
        files(S.cvx.product, S.imoCore.monthly, S.cvx.nov2020),
      ]) {
        const r = await api(p);
        assert.strictEqual(r.status, 404, p);
        assert.match(r.json.message as string, /not found: nope|not found: problem/);
        assert.strictEqual(r.headers.get('x-request-id'), r.json.request_id);
      }
    });

    it('files: the real code-set files, sizes from disk, presigned URLs on the same origin', async () => {
      const list = await listFiles(CM_FILES);
      assert.deepStrictEqual(
        list.map((f) => f.file_name),
        [
          'icd10cm-order-2026.txt',
          'icd10cm-codes-2026.txt',
          'icd10cm-order-addenda-2026.txt',
          'icd10cm-codes-addenda-2026.txt',
        ],
      );
      for (const f of list) {
        assert.deepStrictEqual(Object.keys(f), [
          'id',
          'version_id',
          'file_name',
          'download_url',
          'publish_url',
          'file_size',
        ]);
        assert.strictEqual(f.publish_url, null);
        assert.strictEqual(f.file_size, fs.statSync(path.join(DATA, 'icd10cm', f.file_name)).size);
        const u = new URL(f.download_url);
        assert.strictEqual(u.origin, sb.url);
        assert.strictEqual(
          u.pathname,
          `/s3/imo-releases/${S.icd10cm.product}/00393482300wD/${S.icd10cm.codeDescriptions}/${S.icd10cm.fy2026}/${f.file_name}`,
        );
        assert.strictEqual(u.searchParams.get('X-Amz-Algorithm'), 'AWS4-HMAC-SHA256');
        assert.strictEqual(u.searchParams.get('X-Amz-Expires'), '300');
        assert.strictEqual(
          u.searchParams.get('X-Amz-Date'),
          new Date(clock).toISOString().replace(/[-:]|\.000/g, ''),
        );
        assert.match(u.searchParams.get('X-Amz-Signature') ?? '', /^[0-9a-f]{64}$/);
        assert.strictEqual(
          u.searchParams.get('response-content-disposition'),
          `attachment; filename="${f.file_name}"`,
        );
      }
      assert.strictEqual(sb.download.state().urlsIssued, 4);
    });

    it('pageTotal fault: a page whose total disagrees with its items, once', async () => {
      sb.download.addFault({ type: 'pageTotal', path: MONTHLY, times: 1 });
      sb.download.addFault({ type: 'pageTotal', path: subProducts(S.imoCore.product), total: 0, times: 1 });
      const lie = await api<{ total: number; items: unknown[] }>(MONTHLY);
      assert.deepStrictEqual([lie.json.total, lie.json.items.length], [70, 10]);
      const zero = await api<{ total: number; items: unknown[] }>(subProducts(S.imoCore.product));
      assert.deepStrictEqual([zero.json.total, zero.json.items.length], [0, 2]);
      assert.strictEqual((await api<{ total: number }>(MONTHLY)).json.total, 60);
    });

    it('generic faults apply: 503 and malformed JSON on the files endpoint', async () => {
      sb.faults.add({ type: 'status', path: CVX_FILES, status: 503, times: 1 });
      sb.faults.add({ type: 'malformed', path: CVX_FILES, times: 1 });
      assert.strictEqual((await api(CVX_FILES)).status, 503);
      const bad = await fetch(sb.url + CVX_FILES, { headers: { authorization: `Bearer ${token}` } });
      await assert.rejects(bad.json());
      assert.strictEqual((await api(CVX_FILES)).status, 200);
    });

    it('rate limit: a token bucket on /download/*, 429 + whole-second Retry-After + JSON; /s3/ is not limited', async () => {
      const url = await cvxUrl();
      sb.download.configure({ rateLimitPerSecond: 5 });
      const answers = await Promise.all(Array.from({ length: 8 }, () => api(PRODUCTS)));
      assert.deepStrictEqual(answers.map((a) => a.status).sort(), [200, 200, 200, 200, 200, 429, 429, 429]);
      for (const a of answers.filter((x) => x.status === 429)) {
        assert.strictEqual(a.headers.get('retry-after'), '1');
        assert.match(a.json.message as string, /rate limit/i);
        assert.ok(a.json.request_id);
      }
      assert.strictEqual(sb.download.state().rateLimited, 3);
      assert.strictEqual((await raw(url)).status, 200);
      sb.download.configure({ rateLimitPerSecond: null });
      assert.strictEqual((await api(PRODUCTS)).status, 200);
    });

    it('rate limit: a fractional rate asks for more than one second', async () => {
      sb.download.configure({ rateLimitPerSecond: 0.25, rateLimitBurst: 1 });
      assert.strictEqual((await api(PRODUCTS)).status, 200);
      const r = await api(PRODUCTS);
      assert.strictEqual(r.status, 429);
      assert.strictEqual(r.headers.get('retry-after'), '4');
    });
  });

  describe('presigned URLs', () => {
    it('GET serves the file byte for byte with the S3 headers', async () => {
      const r = await raw(await cvxUrl());
      assert.strictEqual(r.status, 200);
      assert.ok(r.body.equals(cvxBytes));
      assert.strictEqual(r.headers['content-length'], String(cvxBytes.length));
      assert.strictEqual(r.headers.etag, `"${createHash('md5').update(cvxBytes).digest('hex')}"`);
      assert.strictEqual(r.headers['accept-ranges'], 'bytes');
      assert.strictEqual(
        r.headers['x-amz-checksum-sha256'],
        createHash('sha256').update(cvxBytes).digest('base64'),
      );
      assert.strictEqual(r.headers['content-type'], 'text/plain');
      assert.strictEqual(r.headers['last-modified'], new Date('2020-11-16T18:00:00Z').toUTCString());
      assert.strictEqual(r.headers['content-disposition'], 'attachment; filename="cvx.txt"');
      const state = await sb.download.settled();
      assert.deepStrictEqual(
        [state.downloadsStarted, state.downloadsCompleted, state.bytesSent],
        [1, 1, cvxBytes.length],
      );
    });

    it('accepts the documented PUT (no bearer token) and HEAD (headers only)', async () => {
      const url = await cvxUrl();
      const put = await raw(url, { method: 'PUT' });
      assert.strictEqual(put.status, 200);
      assert.ok(put.body.equals(cvxBytes));
      const head = await raw(url, { method: 'HEAD' });
      assert.strictEqual(head.status, 200);
      assert.strictEqual(head.headers['content-length'], String(cvxBytes.length));
      assert.strictEqual(head.body.length, 0);
    });

    it('presignedMethods: the other method gets 405 MethodNotAllowed XML', async () => {
      sb.download.configure({ presignedMethods: ['PUT'] });
      let url = await cvxUrl();
      const get = await raw(url);
      assert.strictEqual(get.status, 405);
      assert.strictEqual(xmlCode(get), 'MethodNotAllowed');
      assert.strictEqual(get.headers['content-type'], 'application/xml');
      assert.strictEqual(get.headers.allow, 'PUT');
      assert.strictEqual((await raw(url, { method: 'HEAD' })).status, 405);
      assert.strictEqual((await raw(url, { method: 'PUT' })).status, 200);
      sb.download.configure({ presignedMethods: ['GET'] });
      url = await cvxUrl();
      assert.strictEqual((await raw(url)).status, 200);
      assert.strictEqual(xmlCode(await raw(url, { method: 'PUT' })), 'MethodNotAllowed');
      assert.strictEqual(sb.download.state().rejected.method, 3);
    });

    it('expire 300 s after issue on the sandbox clock: 403 AccessDenied "Request has expired" as XML', async () => {
      const url = await cvxUrl();
      clock += 299_999;
      assert.strictEqual((await raw(url)).status, 200);
      clock += 1;
      const r = await raw(url);
      assert.strictEqual(r.status, 403);
      assert.strictEqual(r.headers['content-type'], 'application/xml');
      assert.match(r.text, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<Error>/);
      assert.strictEqual(xmlCode(r), 'AccessDenied');
      assert.match(r.text, /<Message>Request has expired<\/Message>/);
      assert.match(r.text, /<RequestId>[0-9A-F]{16}<\/RequestId>/);
      assert.strictEqual(r.headers['x-amz-request-id'], /<RequestId>([^<]*)</.exec(r.text)?.[1]);
      assert.strictEqual(sb.download.state().rejected.expired, 1);
      // a fresh list gives a fresh URL
      assert.strictEqual((await raw(await cvxUrl())).status, 200);
    });

    it('urlTtlSeconds shortens the lifetime of URLs issued after it is set', async () => {
      sb.download.configure({ urlTtlSeconds: 5 });
      const url = await cvxUrl();
      assert.strictEqual(new URL(url).searchParams.get('X-Amz-Expires'), '5');
      clock += 4_999;
      assert.strictEqual((await raw(url)).status, 200);
      clock += 1;
      assert.strictEqual(xmlCode(await raw(url)), 'AccessDenied');
    });

    it('expire fault: 403 expired whatever the clock, `times` times', async () => {
      sb.download.addFault({ type: 'expire', file: 'cvx.txt', times: 1 });
      const url = await cvxUrl();
      assert.strictEqual(xmlCode(await raw(url)), 'AccessDenied');
      assert.strictEqual((await raw(url)).status, 200);
    });

    it('a tampered or missing signature is 403 SignatureDoesNotMatch', async () => {
      const url = new URL(await cvxUrl());
      const sig = url.searchParams.get('X-Amz-Signature') ?? '';
      const variants: Array<(u: URL) => void> = [
        (u) => u.searchParams.set('X-Amz-Signature', (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1)),
        (u) => u.searchParams.delete('X-Amz-Signature'),
        (u) => u.searchParams.set('X-Amz-Expires', '3600'),
        (u) => u.searchParams.set('X-Amz-Date', '20990101T000000Z'),
        (u) => u.searchParams.set('response-content-disposition', 'inline'),
        (u) => (u.pathname = u.pathname.replace('cvx.txt', 'cvx2.txt')),
      ];
      for (const tamper of variants) {
        const u = new URL(url);
        tamper(u);
        const r = await raw(u.toString());
        assert.strictEqual(r.status, 403, u.toString());
        assert.strictEqual(xmlCode(r), 'SignatureDoesNotMatch');
      }
      assert.strictEqual(sb.download.state().rejected.signature, variants.length);
      // the untouched URL still works
      assert.strictEqual((await raw(url.toString())).status, 200);
    });

    it('a URL signed by another sandbox (another secret) is refused', async () => {
      const other = await startSandbox({ now: () => clock });
      try {
        const otherToken = await newToken(other);
        const r = await api<FileJson[]>(CVX_FILES, other, otherToken);
        const forged = r.json[0].download_url.replace(other.url, sb.url);
        assert.strictEqual(xmlCode(await raw(forged)), 'SignatureDoesNotMatch');
      } finally {
        await other.close();
      }
    });

    it('Range bytes=N-, bytes=N-M and bytes=-N answer 206 with Content-Range', async () => {
      const url = await cvxUrl();
      const size = cvxBytes.length;
      for (const [range, start, end] of [
        ['bytes=1000-', 1000, size],
        ['bytes=0-0', 0, 1],
        ['bytes=100-199', 100, 200],
        ['bytes=100-99999999', 100, size],
        ['bytes=-10', size - 10, size],
        ['bytes=-99999999', 0, size],
      ] as const) {
        const r = await raw(url, { headers: { range } });
        assert.strictEqual(r.status, 206, range);
        assert.strictEqual(r.headers['content-range'], `bytes ${start}-${end - 1}/${size}`, range);
        assert.strictEqual(r.headers['content-length'], String(end - start));
        assert.ok(r.body.equals(cvxBytes.subarray(start, end)), range);
        // the checksum header is the whole object's, so a resumed download can check the result
        assert.strictEqual(
          r.headers['x-amz-checksum-sha256'],
          createHash('sha256').update(cvxBytes).digest('base64'),
        );
      }
      assert.deepStrictEqual(
        sb.download.state().rangesRequested.map((x) => [x.range, x.status]),
        [
          ['bytes=1000-', 206],
          ['bytes=0-0', 206],
          ['bytes=100-199', 206],
          ['bytes=100-99999999', 206],
          ['bytes=-10', 206],
          ['bytes=-99999999', 206],
        ],
      );
    });

    it('416 InvalidRange for a range that starts past the end', async () => {
      const url = await cvxUrl();
      for (const range of [`bytes=${cvxBytes.length}-`, 'bytes=99999999-99999999', 'bytes=-0']) {
        const r = await raw(url, { headers: { range } });
        assert.strictEqual(r.status, 416, range);
        assert.strictEqual(r.headers['content-range'], `bytes */${cvxBytes.length}`);
        assert.strictEqual(xmlCode(r), 'InvalidRange');
      }
    });

    it('a malformed or multiple range is ignored: 200 with the whole object', async () => {
      const url = await cvxUrl();
      for (const range of ['bytes=0-1,5-6', 'items=0-5', 'bytes=9-3', 'bytes=-']) {
        const r = await raw(url, { headers: { range } });
        assert.strictEqual(r.status, 200, range);
        assert.ok(r.body.equals(cvxBytes));
      }
    });

    it('If-Range: the current ETag or date gives 206, a stale one 200 with the whole object', async () => {
      const url = await cvxUrl();
      const { headers } = await raw(url, { method: 'HEAD' });
      const etag = headers.etag as string;
      const lastModified = headers['last-modified'] as string;
      const ranged = (ifRange: string): Promise<Raw> =>
        raw(url, { headers: { range: 'bytes=10-', 'if-range': ifRange } });
      assert.strictEqual((await ranged(etag)).status, 206);
      assert.strictEqual((await ranged(lastModified)).status, 206);
      for (const stale of [
        '"0123456789abcdef0123456789abcdef"',
        `W/${etag}`,
        'Mon, 01 Jan 2024 00:00:00 GMT',
      ]) {
        const r = await ranged(stale);
        assert.strictEqual(r.status, 200, stale);
        assert.strictEqual(r.headers['content-range'], undefined);
        assert.ok(r.body.equals(cvxBytes));
      }
    });

    it('ranges: false ignores Range (200, whole object, no Accept-Ranges)', async () => {
      sb.download.configure({ ranges: false });
      const r = await raw(await cvxUrl(), { headers: { range: 'bytes=100-' } });
      assert.strictEqual(r.status, 200);
      assert.strictEqual(r.headers['accept-ranges'], undefined);
      assert.strictEqual(r.headers['content-range'], undefined);
      assert.ok(r.body.equals(cvxBytes));
      assert.deepStrictEqual(
        sb.download.state().rangesRequested.map((x) => [x.range, x.status]),
        [['bytes=100-', 200]],
      );
    });

    it('parseByteRange', () => {
      assert.deepStrictEqual(parseByteRange('bytes=0-', 10), { start: 0, end: 10 });
      assert.deepStrictEqual(parseByteRange(' bytes = 2 - 4 ', 10), { start: 2, end: 5 });
      assert.deepStrictEqual(parseByteRange('bytes=-3', 10), { start: 7, end: 10 });
      assert.strictEqual(parseByteRange('bytes=10-', 10), 'unsatisfiable');
      assert.strictEqual(parseByteRange('bytes=0-', 0), 'unsatisfiable');
      assert.strictEqual(parseByteRange('bytes=5-2', 10), undefined);
      assert.strictEqual(parseByteRange('bytes=1-2,4-5', 10), undefined);
    });
  });

  describe('download faults', () => {
    const addendaPath = path.join(DATA, 'icd10cm', 'icd10cm-codes-addenda-2026.txt');
    const addenda = fs.readFileSync(addendaPath);
    const addendaUrl = async (): Promise<string> =>
      (await listFiles(CM_FILES)).find((f) => f.file_name === 'icd10cm-codes-addenda-2026.txt')!.download_url;

    it('cut after N bytes, once: a Range resume then completes the file and its sha256 matches', async () => {
      sb.download.addFault({
        type: 'cut',
        file: 'icd10cm-codes-addenda-2026.txt',
        afterBytes: 10_000,
        times: 1,
      });
      const url = await addendaUrl();
      const first = await raw(url);
      assert.strictEqual(first.status, 200);
      assert.strictEqual(first.headers['content-length'], String(addenda.length));
      assert.ok(first.error, 'the body must not end cleanly');
      assert.strictEqual(first.body.length, 10_000);
      const rest = await raw(url, {
        headers: { range: `bytes=${first.body.length}-`, 'if-range': first.headers.etag! },
      });
      assert.strictEqual(rest.status, 206);
      assert.strictEqual(rest.error, undefined);
      assert.strictEqual(sha256(Buffer.concat([first.body, rest.body])), sha256(addenda));
      const state = await sb.download.settled();
      assert.deepStrictEqual(
        [state.downloadsStarted, state.downloadsCut, state.downloadsCompleted, state.faults],
        [2, 1, 1, 0],
      );
      assert.deepStrictEqual(
        state.transfers.map((t) => [t.status, t.range, t.bytes, t.outcome]),
        [
          [200, null, 10_000, 'cut'],
          [206, 'bytes=10000-', addenda.length - 10_000, 'completed'],
        ],
      );
    });

    it('cut at a fraction of the body (default 50 %), also of a ranged body; 0 bytes cuts after the headers', async () => {
      const url = await addendaUrl();
      sb.download.addFault({ type: 'cut', times: 1 });
      const half = await raw(url);
      assert.strictEqual(half.body.length, Math.floor(addenda.length / 2));
      assert.ok(half.error);
      sb.download.addFault({ type: 'cut', afterFraction: 0.25, times: 1 });
      const quarter = await raw(url, { headers: { range: 'bytes=1000-' } });
      assert.strictEqual(quarter.status, 206);
      assert.strictEqual(quarter.body.length, Math.floor((addenda.length - 1000) * 0.25));
      assert.ok(quarter.body.equals(addenda.subarray(1000, 1000 + quarter.body.length)));
      sb.download.addFault({ type: 'cut', afterBytes: 0, times: 1 });
      const none = await raw(url);
      assert.strictEqual(none.status, 200);
      assert.strictEqual(none.body.length, 0);
      assert.ok(none.error);
      assert.strictEqual((await raw(url)).body.length, addenda.length);
    });

    it('lieLength: Content-Length larger than the bytes sent, then the connection closes normally', async () => {
      sb.download.addFault({ type: 'lieLength', extraBytes: 4096, times: 1 });
      const url = await cvxUrl();
      const r = await raw(url);
      assert.strictEqual(r.status, 200);
      assert.strictEqual(r.headers['content-length'], String(cvxBytes.length + 4096));
      assert.strictEqual(r.headers.connection, 'close');
      assert.ok(r.body.equals(cvxBytes));
      assert.ok(r.error, 'the client must see a premature end');
      const state = await sb.download.settled();
      assert.deepStrictEqual([state.lengthLies, state.downloadsCompleted], [1, 0]);
      assert.strictEqual(state.transfers[0].outcome, 'lied');
      assert.ok((await raw(url)).error === undefined);
    });

    it('throttle: sends at the given bytes per second', async () => {
      const list = await listFiles(files(S.imoCore.product, S.imoCore.monthly, '2025-october-10'));
      const f = list[0];
      assert.ok(f.file_size > 1000 && f.file_size < 3000, String(f.file_size));
      sb.download.addFault({
        type: 'throttle',
        file: f.file_name,
        bytesPerSecond: f.file_size * 1.25,
        times: 1,
      });
      const started = Date.now();
      const r = await raw(f.download_url);
      const ms = Date.now() - started;
      assert.strictEqual(r.body.length, f.file_size);
      assert.ok(ms >= 750 && ms < 3000, `${ms} ms`);
      const quick = Date.now();
      await raw(f.download_url);
      assert.ok(Date.now() - quick < 400, 'the fault applied once');
    });

    it('faults match on file name and method', async () => {
      sb.download.addFault({ type: 'cut', file: 'other.txt', afterBytes: 1 });
      sb.download.addFault({ type: 'cut', method: 'PUT', afterBytes: 1 });
      const url = await cvxUrl();
      assert.strictEqual((await raw(url)).body.length, cvxBytes.length);
      assert.strictEqual((await raw(url, { method: 'PUT' })).body.length, 1);
      assert.strictEqual(sb.download.listFaults().length, 2);
      sb.download.clearFaults();
      assert.strictEqual(sb.download.listFaults().length, 0);
    });

    it('serves a large download with back-pressure (a reader that stops reading stalls the sender)', async function () {
      const big = await startSandbox({ download: { largeFileBytes: 32 * 2 ** 20 } });
      try {
        const bigToken = await newToken(big);
        const info = await big.download.largeFile();
        assert.ok(info);
        const r = await api<FileJson[]>(
          files(S.benchmark.product, S.benchmark.largeFile, S.benchmark.generated),
          big,
          bigToken,
        );
        assert.deepStrictEqual([r.json[0].file_name, r.json[0].file_size], [info.fileName, 32 * 2 ** 20]);
        let paused: http.IncomingMessage | undefined;
        const hash = createHash('sha256');
        let received = 0;
        const done = new Promise<void>((resolve, reject) => {
          http
            .get(r.json[0].download_url, { agent: false }, (res) => {
              paused = res;
              res.pause();
              res.on('data', (d: Buffer) => {
                hash.update(d);
                received += d.length;
              });
              res.on('end', resolve);
              res.on('error', reject);
            })
            .on('error', reject);
        });
        await new Promise((resolve) => setTimeout(resolve, 300));
        const sentWhilePaused = big.download.state();
        assert.ok(
          sentWhilePaused.transfers[0].bytes < 16 * 2 ** 20,
          `sent ${sentWhilePaused.transfers[0].bytes} bytes to a reader that reads nothing`,
        );
        paused!.resume();
        await done;
        assert.strictEqual(received, info.size);
        assert.strictEqual(hash.digest('hex'), info.sha256);
      } finally {
        await big.close();
      }
    });
  });

  describe('hostile file names', () => {
    const HOSTILE = files(S.fixtures.product, S.fixtures.hostile, S.fixtures.hostileVersion);

    it('are listed verbatim, and each URL stays inside its version and downloads', async () => {
      const list = await listFiles(HOSTILE);
      assert.deepStrictEqual(
        list.map((f) => f.file_name),
        [...HOSTILE_FILE_NAMES],
      );
      assert.ok(list.some((f) => f.file_name === '../../.bashrc'));
      assert.ok(list.some((f) => f.file_name === '/etc/passwd'));
      assert.ok(list.some((f) => f.file_name === ''));
      const prefix = `/s3/imo-releases/${S.fixtures.product}/00393482300wD/${S.fixtures.hostile}/${S.fixtures.hostileVersion}/`;
      for (const f of list) {
        const u = new URL(f.download_url);
        assert.ok(u.pathname.startsWith(prefix), u.pathname);
        assert.ok(!u.pathname.slice(prefix.length).includes('/'), u.pathname);
        const r = await raw(f.download_url);
        assert.strictEqual(r.status, 200, JSON.stringify(f.file_name));
        assert.strictEqual(r.text, `hostile fixture, file_name=${JSON.stringify(f.file_name)}\n`);
        const disposition = r.headers['content-disposition'] ?? '';
        assert.ok(![...disposition].some((c) => c < ' '), JSON.stringify(disposition));
      }
    });

    it('the sub-product is not public', async () => {
      const r = await api<{ items: Array<{ is_public: boolean }> }>(subProducts(S.fixtures.product));
      assert.strictEqual(r.json.items[0].is_public, false);
    });
  });

  describe('control', () => {
    it('over HTTP: download faults, options, and state in /__sandbox/state', async () => {
      const post = await fetch(`${sb.url}/__sandbox/download/faults`, {
        method: 'POST',
        body: JSON.stringify([{ type: 'cut', afterFraction: 0.5, times: 1 }, { type: 'expire' }]),
      });
      assert.strictEqual(post.status, 201);
      assert.strictEqual(((await post.json()) as { ids: number[] }).ids.length, 2);
      const list = (await (await fetch(`${sb.url}/__sandbox/download/faults`)).json()) as {
        faults: Array<{ type: string; remaining: number | null }>;
      };
      assert.deepStrictEqual(
        list.faults.map((f) => [f.type, f.remaining]),
        [
          ['cut', 1],
          ['expire', null],
        ],
      );
      const bad = await fetch(`${sb.url}/__sandbox/download/faults`, {
        method: 'POST',
        body: JSON.stringify({ type: 'cut', afterFraction: 2 }),
      });
      assert.strictEqual(bad.status, 400);
      assert.strictEqual(
        (await fetch(`${sb.url}/__sandbox/download/faults`, { method: 'DELETE' })).status,
        204,
      );
      assert.deepStrictEqual(sb.download.listFaults(), []);

      const patch = await fetch(`${sb.url}/__sandbox/download/options`, {
        method: 'PATCH',
        body: JSON.stringify({ urlTtlSeconds: 2, presignedMethods: ['PUT'], ranges: false }),
      });
      assert.strictEqual(patch.status, 200);
      assert.deepStrictEqual(await patch.json(), {
        urlTtlSeconds: 2,
        presignedMethods: ['PUT'],
        ranges: false,
        rateLimitPerSecond: null,
        rateLimitBurst: null,
      });
      const unknown = await fetch(`${sb.url}/__sandbox/download/options`, {
        method: 'PATCH',
        body: JSON.stringify({ nope: 1 }),
      });
      assert.strictEqual(unknown.status, 400);
      assert.strictEqual(sb.download.options.urlTtlSeconds, 2);
      assert.strictEqual((await fetch(`${sb.url}/__sandbox/download/large-file`)).status, 404);

      await cvxUrl();
      const state = (await (await fetch(`${sb.url}/__sandbox/state`)).json()) as {
        download: { urlsIssued: number };
      };
      assert.strictEqual(state.download.urlsIssued, 1);
    });

    it('reset restores the startup options and clears faults and counters', async () => {
      sb.download.configure({ urlTtlSeconds: 1, rateLimitPerSecond: 1 });
      sb.download.addFault({ type: 'expire' });
      await cvxUrl();
      sb.reset();
      assert.deepStrictEqual(sb.download.options, {
        urlTtlSeconds: 300,
        presignedMethods: ['GET', 'PUT'],
        ranges: true,
        rateLimitPerSecond: null,
        rateLimitBurst: null,
      });
      assert.deepStrictEqual(sb.download.listFaults(), []);
      assert.deepStrictEqual(sb.download.state(), {
        urlsIssued: 0,
        downloadsStarted: 0,
        downloadsCompleted: 0,
        downloadsCut: 0,
        downloadsAborted: 0,
        lengthLies: 0,
        bytesSent: 0,
        rangesRequested: [],
        rejected: { expired: 0, signature: 0, method: 0, range: 0 },
        rateLimited: 0,
        transfers: [],
        faults: 0,
      });
    });

    it('startSandbox({download}) options apply from the start', async () => {
      const opts: SandboxOptions = {
        download: { urlTtlSeconds: 60, presignedMethods: ['PUT'], ranges: false },
      };
      const other = await startSandbox(opts);
      try {
        assert.deepStrictEqual(other.download.options.presignedMethods, ['PUT']);
        const r = await api<FileJson[]>(CVX_FILES, other, await newToken(other));
        assert.strictEqual(new URL(r.json[0].download_url).searchParams.get('X-Amz-Expires'), '60');
        assert.strictEqual(await other.download.largeFile(), undefined);
        const products = await api<Array<{ product_slug: string }>>(PRODUCTS, other, await newToken(other));
        assert.ok(!products.json.some((p) => p.product_slug === S.benchmark.product));
      } finally {
        await other.close();
      }
    });
  });

  describe('benchmark file (generated, never committed)', () => {
    it('has a known size and sha256, is deterministic, and serves ranges from anywhere', async () => {
      const bytes = 5 * 2 ** 20 + 12_345;
      const a = await startSandbox({ download: { largeFileBytes: bytes } });
      const b = await startSandbox({ download: { largeFileBytes: bytes } });
      try {
        const infoA = (await a.download.largeFile())!;
        const infoB = (await b.download.largeFile())!;
        assert.strictEqual(infoA.size, bytes);
        assert.strictEqual(infoA.fileName, `benchmark-${bytes}.bin`);
        assert.strictEqual(infoA.sha256, infoB.sha256);
        const overHttp = (await (await fetch(`${a.url}/__sandbox/download/large-file`)).json()) as {
          sha256: string;
        };
        assert.strictEqual(overHttp.sha256, infoA.sha256);
        const list = await api<FileJson[]>(
          files(S.benchmark.product, S.benchmark.largeFile, S.benchmark.generated),
          a,
          await newToken(a),
        );
        const whole = await raw(list.json[0].download_url);
        assert.strictEqual(whole.body.length, bytes);
        assert.strictEqual(sha256(whole.body), infoA.sha256);
        assert.strictEqual(
          whole.headers['x-amz-checksum-sha256'],
          Buffer.from(infoA.sha256, 'hex').toString('base64'),
        );
        assert.strictEqual(whole.headers.etag, `"${infoA.md5}"`);
        assert.strictEqual(whole.headers['content-type'], 'application/octet-stream');
        // blocks never repeat: the first and second MiB differ
        assert.ok(!whole.body.subarray(0, 2 ** 20).equals(whole.body.subarray(2 ** 20, 2 * 2 ** 20)));
        for (const [start, end] of [
          [2 ** 20 - 5, 2 ** 20 + 5],
          [bytes - 100, bytes - 1],
          [3, 3],
        ]) {
          const r = await raw(list.json[0].download_url, { headers: { range: `bytes=${start}-${end}` } });
          assert.strictEqual(r.status, 206);
          assert.ok(r.body.equals(whole.body.subarray(start, end + 1)), `${start}-${end}`);
        }
      } finally {
        await a.close();
        await b.close();
      }
    });
  });
});
