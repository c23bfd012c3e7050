import * as assert from 'assert';
import { createHash } from 'crypto';
import { promises as fs } from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { DownloadClient } from '../../../src/api/download';
import { ImoAuth } from '../../../src/api/imoAuth';
import { createImoApiClient } from '../../../src/api/normalize';
import { sanitizeFileName } from '../../../src/core/fileNames';
import {
  type DownloadFileOptions,
  type DownloadLink,
  type DownloadProgress,
  type DownloadResult,
  downloadFile,
} from '../../../src/node/download';
import { DOWNLOAD_SLUGS, HOSTILE_FILE_NAMES } from '../../../sandbox/services/download';
import { type Sandbox, startSandbox } from '../../../sandbox/server';
import { expectApiError } from '../api/support';

const UA = 'clinical-coder/0.1.0 (VS Code extension)';
const DATA = path.resolve(__dirname, '../../../sandbox/data');
const CM = DOWNLOAD_SLUGS.icd10cm;
/** 6.4 MB: large enough to be cut mid-body, small enough to be quick. */
const CODES = 'icd10cm-codes-2026.txt';
const ADDENDA = 'icd10cm-codes-addenda-2026.txt';

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

describe('node/download (against the sandbox over HTTP)', function () {
  this.timeout(30_000);
  let sb: Sandbox;
  /** Added to the sandbox clock: lets a test expire presigned URLs without waiting 5 minutes. */
  let skewMs = 0;
  let client: DownloadClient;
  let dir: string;
  let source: { bytes: Buffer; sha256: string };

  before(async () => {
    sb = await startSandbox({ now: () => Date.now() + skewMs });
    const auth = new ImoAuth({
      baseUrl: () => sb.url,
      userAgent: UA,
      audience: () => sb.credentials.IMO_AUDIENCE,
      getCredentials: async () => ({
        clientId: sb.credentials.IMO_CLIENT_ID,
        clientSecret: sb.credentials.IMO_CLIENT_SECRET,
      }),
      retry: { baseDelayMs: 10 },
    });
    client = new DownloadClient(
      createImoApiClient({ auth, baseUrl: () => sb.url, userAgent: UA, retry: { baseDelayMs: 10 } }),
    );
    const bytes = await fs.readFile(path.join(DATA, 'icd10cm', CODES));
    source = { bytes, sha256: sha256(bytes) };
  });
  after(async () => sb.close());
  beforeEach(async () => {
    sb.reset();
    skewMs = 0;
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cc-download-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** A just-in-time `getUrl` for one file of the ICD-10-CM FY2026 version, counting its calls. */
  function linkTo(
    fileName: string,
    tweak: (l: DownloadLink) => DownloadLink = (l) => l,
  ): DownloadFileOptions['getUrl'] & { calls: number } {
    const getUrl = Object.assign(
      async (signal: AbortSignal): Promise<DownloadLink> => {
        getUrl.calls += 1;
        const files = await client.listFiles(CM.product, CM.codeDescriptions, CM.fy2026, signal);
        const f = files.find((x) => x.file_name === fileName);
        assert.ok(f, `${fileName} is listed`);
        return tweak({ url: f.download_url, expectedSize: f.file_size });
      },
      { calls: 0 },
    );
    return getUrl;
  }

  const options = (o: Partial<DownloadFileOptions> = {}): DownloadFileOptions => ({
    targetDir: dir,
    fileName: CODES,
    getUrl: linkTo(CODES),
    userAgent: UA,
    retryDelayMs: 10,
    ...o,
  });

  /** Asserts the folder holds exactly `names` (so no `.part` and no stray file is left). */
  async function assertFolder(names: string[]): Promise<void> {
    assert.deepStrictEqual((await fs.readdir(dir)).sort(), [...names].sort());
  }

  async function assertDownloaded(r: DownloadResult, bytes = source.bytes): Promise<void> {
    assert.strictEqual(r.path, path.join(dir, path.basename(r.path)));
    const onDisk = await fs.readFile(r.path);
    assert.strictEqual(onDisk.length, bytes.length);
    assert.strictEqual(sha256(onDisk), sha256(bytes), 'the file on disk is byte-identical to the source');
    assert.strictEqual(r.sha256, sha256(bytes));
    assert.strictEqual(r.size, bytes.length);
  }

  const s3Requests = (): Array<{ method: string; status: number }> =>
    sb.requests.filter((r) => r.path.startsWith('/s3/')).map((r) => ({ method: r.method, status: r.status }));

  describe('the happy path', () => {
    it('streams a real code file to disk under its final name, with a matching sha256', async () => {
      const progress: DownloadProgress[] = [];
      const started = Date.now();
      const r = await downloadFile(options({ onProgress: (p) => progress.push(p) }));
      const ms = Date.now() - started;
      await assertDownloaded(r);
      await assertFolder([CODES]);
      assert.deepStrictEqual(
        { resumed: r.resumed, restarted: r.restarted, urlRequests: r.urlRequests, method: r.method },
        { resumed: 0, restarted: 0, urlRequests: 1, method: 'GET' },
      );
      // progress: ends at the full size, never goes backwards here, throttled to about 10/s
      const last = progress[progress.length - 1];
      assert.deepStrictEqual(
        { received: last.received, total: last.total },
        { received: r.size, total: r.size },
      );
      for (let i = 1; i < progress.length; i++) assert.ok(progress[i].received >= progress[i - 1].received);
      assert.ok(progress.length <= Math.ceil(ms / 100) + 2, `${progress.length} reports in ${ms} ms`);
      assert.deepStrictEqual(s3Requests(), [{ method: 'GET', status: 200 }]);
    });

    it('creates a missing target folder', async () => {
      const nested = path.join(dir, 'icd-10-cm', 'fy2026');
      const r = await downloadFile(
        options({ targetDir: nested, fileName: ADDENDA, getUrl: linkTo(ADDENDA) }),
      );
      assert.strictEqual(r.path, path.join(nested, ADDENDA));
      assert.strictEqual(r.sha256, sha256(await fs.readFile(path.join(DATA, 'icd10cm', ADDENDA))));
    });

    it('never puts the presigned query string in its log lines', async () => {
      const lines: string[] = [];
      sb.download.addFault({ type: 'cut', file: CODES, times: 1 });
      await downloadFile(options({ logger: { debug: (m) => lines.push(m), warn: (m) => lines.push(m) } }));
      assert.ok(lines.length >= 2);
      for (const line of lines) {
        assert.ok(!/X-Amz-(Signature|Credential|Date)/.test(line), line);
        assert.ok(!line.includes('response-content-disposition'), line);
      }
    });
  });

  describe('interrupted transfers', () => {
    it('connection cut at 50%: resumes with Range and If-Range from the byte it had', async () => {
      sb.download.addFault({ type: 'cut', file: CODES, afterFraction: 0.5, times: 1 });
      const r = await downloadFile(options());
      await assertDownloaded(r);
      await assertFolder([CODES]);
      assert.strictEqual(r.resumed, 1);
      assert.strictEqual(r.restarted, 0);
      assert.strictEqual(r.urlRequests, 1, 'the link was still valid: no new URL');
      const st = await sb.download.settled();
      assert.strictEqual(st.downloadsCut, 1);
      const half = Math.floor(source.bytes.length / 2);
      assert.strictEqual(st.rangesRequested.length, 1);
      const range = st.rangesRequested[0];
      assert.strictEqual(range.range, `bytes=${half}-`);
      assert.match(range.ifRange ?? '', /^"[0-9a-f]{32}"$/, 'If-Range carries the ETag');
      assert.strictEqual(range.status, 206);
      assert.deepStrictEqual(s3Requests(), [
        { method: 'GET', status: 200 },
        { method: 'GET', status: 206 },
      ]);
    });

    it('connection cut when the server does not support ranges: restarts from zero', async () => {
      sb.download.configure({ ranges: false });
      sb.download.addFault({ type: 'cut', file: CODES, afterFraction: 0.5, times: 1 });
      const progress: number[] = [];
      const r = await downloadFile(options({ onProgress: (p) => progress.push(p.received) }));
      await assertDownloaded(r);
      await assertFolder([CODES]);
      assert.deepStrictEqual({ resumed: r.resumed, restarted: r.restarted }, { resumed: 0, restarted: 1 });
      assert.deepStrictEqual(sb.download.state().rangesRequested, [], 'no Range sent without Accept-Ranges');
      assert.deepStrictEqual(s3Requests(), [
        { method: 'GET', status: 200 },
        { method: 'GET', status: 200 },
      ]);
    });

    it('several cuts in a row are each resumed', async () => {
      sb.download.addFault({ type: 'cut', file: CODES, afterBytes: 1_000_000, times: 3 });
      const r = await downloadFile(options());
      await assertDownloaded(r);
      assert.strictEqual(r.resumed, 3);
    });

    it('idle socket (no byte for timeoutMs): times out and resumes', async () => {
      // 2 bytes/s sends one byte every 500 ms: far slower than the 300 ms idle timeout
      sb.download.addFault({ type: 'throttle', file: ADDENDA, bytesPerSecond: 2, times: 1 });
      const r = await downloadFile(options({ fileName: ADDENDA, getUrl: linkTo(ADDENDA), timeoutMs: 300 }));
      assert.strictEqual(r.sha256, sha256(await fs.readFile(path.join(DATA, 'icd10cm', ADDENDA))));
      assert.strictEqual(r.resumed + r.restarted, 1);
    });

    it('an idle timeout that persists fails as timeout', async () => {
      sb.download.addFault({ type: 'throttle', file: ADDENDA, bytesPerSecond: 2 });
      const e = await expectApiError(
        downloadFile(options({ fileName: ADDENDA, getUrl: linkTo(ADDENDA), timeoutMs: 200, maxResumes: 1 })),
        'timeout',
      );
      assert.match(e.message, /no data for/);
      await assertFolder([]);
    });

    it('gives up after maxResumes broken transfers without progress, leaving nothing behind', async () => {
      sb.download.addFault({ type: 'cut', file: CODES, afterBytes: 0 });
      const e = await expectApiError(downloadFile(options({ maxResumes: 2 })), 'network');
      assert.match(e.message, /interrupted/);
      assert.strictEqual((await sb.download.settled()).downloadsCut, 3);
      await assertFolder([]);
    });
  });

  describe('expired and refused links', () => {
    it('link expires mid-download: a new URL is requested and the download completes', async () => {
      sb.download.addFault({ type: 'cut', file: CODES, afterFraction: 0.5, times: 1 });
      let jumped = false;
      const r = await downloadFile(
        options({
          onProgress: () => {
            // the first bytes have arrived; the 5-minute lifetime runs out before the resume
            if (!jumped) skewMs += 301_000;
            jumped = true;
          },
        }),
      );
      await assertDownloaded(r);
      await assertFolder([CODES]);
      assert.strictEqual(r.urlRequests, 2);
      assert.strictEqual(r.resumed, 1);
      const st = await sb.download.settled();
      assert.strictEqual(st.rejected.expired, 1);
      assert.strictEqual(st.rangesRequested.at(-1)?.status, 206, 'resumed on the new URL');
      assert.deepStrictEqual(s3Requests(), [
        { method: 'GET', status: 200 },
        { method: 'GET', status: 403 },
        { method: 'GET', status: 206 },
      ]);
    });

    it('a short URL lifetime with a slow transfer: the resume after a cut gets a fresh link', async () => {
      sb.download.configure({ urlTtlSeconds: 1 });
      sb.download.addFault({ type: 'throttle', file: ADDENDA, bytesPerSecond: 40_000, times: 1 });
      sb.download.addFault({ type: 'cut', file: ADDENDA, afterBytes: 45_000, times: 1 });
      const r = await downloadFile(options({ fileName: ADDENDA, getUrl: linkTo(ADDENDA) }));
      assert.strictEqual(r.sha256, sha256(await fs.readFile(path.join(DATA, 'icd10cm', ADDENDA))));
      assert.strictEqual(r.urlRequests, 2);
      assert.strictEqual(sb.download.state().rejected.expired, 1);
    });

    it('an expired link at the start is replaced just in time', async () => {
      sb.download.addFault({ type: 'expire', file: CODES, times: 1 });
      const r = await downloadFile(options());
      await assertDownloaded(r);
      assert.strictEqual(r.urlRequests, 2);
      assert.strictEqual(r.resumed, 0);
    });

    it('a link that keeps being refused fails as forbidden after 3 URL requests, nothing written', async () => {
      sb.download.addFault({ type: 'expire', file: CODES });
      const getUrl = linkTo(CODES);
      const e = await expectApiError(downloadFile(options({ getUrl })), 'forbidden');
      assert.strictEqual(getUrl.calls, 3);
      assert.match(e.message, /refused 3 times in a row/);
      assert.match(e.message, /Request has expired/);
      assert.ok(
        !/X-Amz|\?/.test(e.message + (e.path ?? '')),
        `no query string in "${e.message}" / ${e.path}`,
      );
      await assertFolder([]);
    });

    it('a tampered signature (403 SignatureDoesNotMatch) is treated like a refused link', async () => {
      const getUrl = linkTo(CODES, (l) => ({
        ...l,
        url: l.url.replace(/X-Amz-Signature=[0-9a-f]{4}/, 'X-Amz-Signature=0000'),
      }));
      const e = await expectApiError(downloadFile(options({ getUrl })), 'forbidden');
      assert.match(e.message, /SignatureDoesNotMatch/);
      assert.strictEqual(sb.download.state().rejected.signature, 3);
      await assertFolder([]);
    });

    it('falls back to the documented PUT when the server refuses GET, and keeps using it', async () => {
      sb.download.configure({ presignedMethods: ['PUT'] });
      sb.download.addFault({ type: 'cut', file: CODES, times: 1 });
      const r = await downloadFile(options());
      await assertDownloaded(r);
      assert.strictEqual(r.method, 'PUT');
      assert.strictEqual(r.urlRequests, 1);
      assert.deepStrictEqual(s3Requests(), [
        { method: 'GET', status: 405 },
        { method: 'PUT', status: 200 },
        { method: 'PUT', status: 206 },
      ]);
    });
  });

  describe('servers that lie and corrupt data', () => {
    /** A link without the listing's size (document 001 has no `file_size`): only the server's headers count. */
    const noSize = (l: DownloadLink): DownloadLink => ({ url: l.url });

    it('Content-Length larger than the body: a clear failure, no file under the final name', async () => {
      sb.download.addFault({ type: 'lieLength', file: CODES, extraBytes: 1024 });
      const size = source.bytes.length;
      const e = await expectApiError(
        downloadFile(options({ getUrl: linkTo(CODES, noSize) })),
        'invalidResponse',
      );
      assert.match(e.message, new RegExp(`received ${size} bytes, expected ${size + 1024} bytes`));
      // it tried to resume the missing bytes once; the server said the object ends where the body did
      assert.strictEqual(sb.download.state().rejected.range, 1);
      await assertFolder([]);
    });

    it('Content-Length larger than the body, without range support: fails too (same short end twice)', async () => {
      sb.download.configure({ ranges: false });
      sb.download.addFault({ type: 'lieLength', file: CODES, extraBytes: 10 });
      const size = source.bytes.length;
      const e = await expectApiError(
        downloadFile(options({ getUrl: linkTo(CODES, noSize) })),
        'invalidResponse',
      );
      assert.match(e.message, new RegExp(`received ${size} bytes, expected ${size + 10} bytes`));
      assert.strictEqual((await sb.download.settled()).lengthLies, 2);
      await assertFolder([]);
    });

    it('without ranges, a body that ends at the same byte twice fails at once (retrying cannot help)', async () => {
      sb.download.configure({ ranges: false });
      sb.download.addFault({ type: 'cut', file: CODES, afterBytes: 3_000_000 });
      const e = await expectApiError(downloadFile(options()), 'invalidResponse');
      assert.match(e.message, new RegExp(`received 3000000 bytes, expected ${source.bytes.length} bytes`));
      assert.match(e.message, /same byte twice/);
      assert.strictEqual((await sb.download.settled()).downloadsCut, 2);
      await assertFolder([]);
    });

    it('Content-Length that disagrees with the listed size fails before the body is written', async () => {
      sb.download.addFault({ type: 'lieLength', file: CODES, extraBytes: 1024 });
      const size = source.bytes.length;
      const e = await expectApiError(downloadFile(options()), 'invalidResponse');
      assert.match(e.message, new RegExp(`announced ${size + 1024} bytes, expected ${size} bytes`));
      await assertFolder([]);
    });

    it('5xx on the file is retried with back-off', async () => {
      sb.faults.add({ type: 'status', path: '/s3/', prefix: true, status: 503, times: 2 });
      const r = await downloadFile(options());
      await assertDownloaded(r);
      assert.deepStrictEqual(
        s3Requests().map((x) => x.status),
        [503, 503, 200],
      );
    });

    it('5xx that persists fails as server after maxResumes retries', async () => {
      sb.faults.add({ type: 'status', path: '/s3/', prefix: true, status: 500 });
      const e = await expectApiError(downloadFile(options({ maxResumes: 2 })), 'server');
      assert.strictEqual(e.status, 500);
      assert.strictEqual(s3Requests().length, 3);
      await assertFolder([]);
    });

    it('a sha256 that does not match fails after the transfer, leaving nothing', async () => {
      const wrong = 'f'.repeat(64);
      const e = await expectApiError(
        downloadFile(options({ getUrl: linkTo(CODES, (l) => ({ ...l, sha256: wrong })) })),
        'invalidResponse',
      );
      assert.match(e.message, /sha256/);
      assert.match(e.message, new RegExp(wrong));
      await assertFolder([]);
    });

    it('accepts the right sha256 given as hex or base64', async () => {
      const b64 = Buffer.from(source.sha256, 'hex').toString('base64');
      for (const given of [source.sha256, b64]) {
        const r = await downloadFile(
          options({ overwrite: true, getUrl: linkTo(CODES, (l) => ({ ...l, sha256: given })) }),
        );
        await assertDownloaded(r);
      }
    });

    it('a size that disagrees with the listing fails before writing the body', async () => {
      const e = await expectApiError(
        downloadFile(options({ getUrl: linkTo(CODES, (l) => ({ ...l, expectedSize: 42 })) })),
        'invalidResponse',
      );
      assert.match(e.message, new RegExp(`${source.bytes.length} bytes, expected 42 bytes`));
      await assertFolder([]);
    });
  });

  describe('cancellation', () => {
    it('mid-stream: cancelled, .part removed, no final file', async () => {
      sb.download.addFault({ type: 'throttle', file: CODES, bytesPerSecond: 2_000_000, times: 1 });
      const ac = new AbortController();
      let sawPart = false;
      const run = downloadFile(
        options({
          signal: ac.signal,
          onProgress: (p) => {
            if (p.received > 0 && !ac.signal.aborted) {
              sawPart = true;
              ac.abort();
            }
          },
        }),
      );
      const e = await expectApiError(run, 'cancelled');
      assert.ok(sawPart);
      assert.match(e.message, /cancelled/);
      await assertFolder([]);
    });

    it('before it starts: nothing is requested', async () => {
      const ac = new AbortController();
      ac.abort();
      const getUrl = linkTo(CODES);
      await expectApiError(downloadFile(options({ signal: ac.signal, getUrl })), 'cancelled');
      assert.strictEqual(getUrl.calls, 0);
      await assertFolder([]);
    });

    it('while waiting to retry after a 5xx', async () => {
      sb.faults.add({ type: 'status', path: '/s3/', prefix: true, status: 503 });
      const ac = new AbortController();
      const run = downloadFile(options({ signal: ac.signal, retryDelayMs: 60_000 }));
      while (s3Requests().length === 0 || s3Requests()[0].status === 0) {
        await new Promise((r) => setImmediate(r));
      }
      ac.abort();
      await expectApiError(run, 'cancelled');
      await assertFolder([]);
    });
  });

  describe('the target on disk', () => {
    it('an existing file and overwrite false: a clear error, the file untouched, nothing requested', async () => {
      const existing = path.join(dir, CODES);
      await fs.writeFile(existing, 'my own notes');
      const getUrl = linkTo(CODES);
      for (const overwrite of [false, undefined]) {
        const e = await expectApiError(downloadFile(options({ getUrl, overwrite })), 'badRequest');
        assert.match(e.message, /already exists/);
      }
      assert.strictEqual(getUrl.calls, 0);
      assert.strictEqual(await fs.readFile(existing, 'utf8'), 'my own notes');
      await assertFolder([CODES]);
    });

    it('an overwrite callback that declines is a cancellation; one that accepts replaces the file', async () => {
      const existing = path.join(dir, CODES);
      await fs.writeFile(existing, 'old');
      const asked: string[] = [];
      await expectApiError(
        downloadFile(options({ overwrite: async (p) => (asked.push(p), false) })),
        'cancelled',
      );
      assert.strictEqual(await fs.readFile(existing, 'utf8'), 'old');
      const r = await downloadFile(options({ overwrite: async (p) => (asked.push(p), true) }));
      await assertDownloaded(r);
      assert.deepStrictEqual(asked, [existing, existing]);
      await assertFolder([CODES]);
    });

    it('overwrite true keeps the old file until the new one is complete', async () => {
      const existing = path.join(dir, CODES);
      await fs.writeFile(existing, 'old');
      sb.download.addFault({ type: 'lieLength', file: CODES, times: 1 });
      await expectApiError(downloadFile(options({ overwrite: true })), 'invalidResponse');
      assert.strictEqual(await fs.readFile(existing, 'utf8'), 'old', 'a failed download leaves the old file');
      await assertFolder([CODES]);
      const r = await downloadFile(options({ overwrite: true }));
      await assertDownloaded(r);
    });

    it('a target folder that cannot be created (its parent is a file): a clear error naming it', async () => {
      const blocker = path.join(dir, 'not-a-folder');
      await fs.writeFile(blocker, 'x');
      const target = path.join(blocker, 'downloads');
      const getUrl = linkTo(CODES);
      const e = await expectApiError(downloadFile(options({ targetDir: target, getUrl })), 'badRequest');
      assert.ok(e.message.includes(target), e.message);
      assert.match(e.message, /Choose another download folder/);
      assert.strictEqual(getUrl.calls, 0);
      await assertFolder(['not-a-folder']);
    });

    it('refuses a file name with a separator (callers must sanitise), writing nothing', async () => {
      for (const bad of ['../escape.txt', 'a/b.txt', 'a\\b.txt', '..', '', 'nul\u0000.txt']) {
        await expectApiError(downloadFile(options({ fileName: bad })), 'badRequest');
      }
      await assertFolder([]);
      assert.ok(!(await fs.readdir(path.dirname(dir))).includes('escape.txt'));
    });

    it('a final name taken by a folder is refused even with overwrite', async () => {
      await fs.mkdir(path.join(dir, CODES));
      const e = await expectApiError(downloadFile(options({ overwrite: true })), 'badRequest');
      assert.match(e.message, /is a folder/);
    });

    it('does not follow a symlink planted as the .part file', async () => {
      const victim = path.join(dir, 'victim.txt');
      await fs.writeFile(victim, 'precious');
      await fs.symlink(victim, path.join(dir, `${CODES}.part`));
      const r = await downloadFile(options());
      await assertDownloaded(r);
      assert.strictEqual(await fs.readFile(victim, 'utf8'), 'precious');
      await assertFolder([CODES, 'victim.txt']);
    });
  });

  describe('hostile file names (through sanitizeFileName)', () => {
    it('every hostile file_name lands inside the target folder under a safe name', async () => {
      const F = DOWNLOAD_SLUGS.fixtures;
      const files = await client.listFiles(F.product, F.hostile, F.hostileVersion);
      assert.deepStrictEqual(files.map((f) => f.file_name).sort(), [...HOSTILE_FILE_NAMES].sort());
      const names: string[] = [];
      for (const f of files) {
        const name = sanitizeFileName(f.file_name, `file-${f.id}`);
        const r = await downloadFile({
          targetDir: dir,
          fileName: name,
          retryDelayMs: 10,
          getUrl: async (signal) => {
            const fresh = await client.listFiles(F.product, F.hostile, F.hostileVersion, signal);
            const same = fresh.find((x) => x.id === f.id);
            assert.ok(same);
            return { url: same.download_url, expectedSize: same.file_size };
          },
        });
        assert.strictEqual(path.dirname(r.path), dir);
        assert.match(await fs.readFile(r.path, 'utf8'), /^hostile fixture, file_name=/);
        names.push(name);
      }
      const byRaw = Object.fromEntries(files.map((f, i) => [f.file_name, names[i]]));
      assert.strictEqual(byRaw['../../.bashrc'], 'bashrc');
      assert.strictEqual(byRaw['/etc/passwd'], 'passwd');
      assert.strictEqual(byRaw['..\\..\\Windows\\win.ini'], 'win.ini');
      assert.strictEqual(byRaw['CON'], '_CON');
      assert.strictEqual(byRaw['bell\u0007and\ttab.txt'], 'bellandtab.txt');
      assert.match(byRaw[''], /^file-/);
      await assertFolder(names);
    });
  });

  describe('other S3 behaviours (a small origin server of our own, over real HTTP)', () => {
    /** What the origin serves: a body and how to answer each request. */
    let handler: (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void;
    let origin: http.Server;
    let base: string;
    let hits: Array<{ method: string; url: string; range?: string }>;
    const body = Buffer.from('ICD-10-CM code descriptions\n'.repeat(40_000)); // ~1.1 MB
    const md5 = createHash('md5').update(body).digest('hex');
    const b64sha = createHash('sha256').update(body).digest('base64');

    before(async () => {
      origin = http.createServer((req, res) => {
        hits.push({ method: req.method ?? '', url: req.url ?? '', range: req.headers.range });
        handler(req, res, hits.length);
      });
      await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
    });
    after(async () => {
      origin.closeAllConnections();
      await new Promise((resolve) => origin.close(resolve));
    });
    beforeEach(() => {
      hits = [];
    });

    /** Serves `body` (or a range of it) with these extra headers. */
    const serve =
      (headers: Record<string, string>, o: { honourRange?: boolean } = {}) =>
      (req: http.IncomingMessage, res: http.ServerResponse): void => {
        const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
        if (m && o.honourRange !== false) {
          const start = Number(m[1]);
          res.writeHead(206, {
            ...headers,
            'content-length': String(body.length - start),
            'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
          });
          res.end(body.subarray(start));
          return;
        }
        res.writeHead(200, { ...headers, 'content-length': String(body.length) });
        res.end(body);
      };
    /** Like `serve`, but the first answer is cut after `bytes`. */
    const cutFirst =
      (bytes: number, next: (req: http.IncomingMessage, res: http.ServerResponse) => void) =>
      (req: http.IncomingMessage, res: http.ServerResponse, n: number): void => {
        if (n > 1) return next(req, res);
        res.writeHead(200, {
          'accept-ranges': 'bytes',
          etag: `"${md5}"`,
          'content-length': String(body.length),
        });
        res.write(body.subarray(0, bytes), () => res.socket?.destroy());
      };
    const get = (o: Partial<DownloadFileOptions> = {}): Promise<DownloadResult> =>
      downloadFile({
        targetDir: dir,
        fileName: 'codes.txt',
        getUrl: async () => ({ url: `${base}/s3/bucket/codes.txt?X-Amz-Signature=secret` }),
        retryDelayMs: 10,
        ...o,
      });

    it('checks a plain-md5 ETag when no sha256 is given', async () => {
      handler = serve({ etag: `"${md5}"`, 'accept-ranges': 'bytes' });
      await assertDownloaded(await get(), body);
      handler = serve({ etag: `"${'0'.repeat(32)}"` });
      const e = await expectApiError(get({ overwrite: true }), 'invalidResponse');
      assert.match(e.message, new RegExp(`md5 is ${md5}, but the server's ETag says 0{32}`));
      await assertFolder(['codes.txt']);
      assert.ok((await fs.readFile(path.join(dir, 'codes.txt'))).equals(body), 'the good copy was kept');
    });

    it('checks the md5 across a resume and a restart', async () => {
      handler = cutFirst(300_000, serve({ etag: `"${md5}"`, 'accept-ranges': 'bytes' }));
      const r = await get();
      await assertDownloaded(r, body);
      assert.strictEqual(r.resumed, 1);
      hits = [];
      handler = cutFirst(
        300_000,
        serve({ etag: `"${md5}"`, 'accept-ranges': 'bytes' }, { honourRange: false }),
      );
      const r2 = await get({ overwrite: true });
      await assertDownloaded(r2, body);
      assert.strictEqual(r2.restarted, 1);
    });

    it('a wrong x-amz-checksum-sha256 fails; a right one passes', async () => {
      handler = serve({ 'x-amz-checksum-sha256': Buffer.alloc(32).toString('base64') });
      const e = await expectApiError(get(), 'invalidResponse');
      assert.match(e.message, /x-amz-checksum-sha256 says 0{64}/);
      await assertFolder([]);
      handler = serve({ 'x-amz-checksum-sha256': b64sha, etag: `"${'0'.repeat(32)}"` });
      await assertDownloaded(await get(), body); // the sha256 is checked, the md5 is not needed
    });

    it('does not take the ETag for an md5 on SSE-KMS or multipart objects', async () => {
      handler = serve({ etag: `"${'0'.repeat(32)}"`, 'x-amz-server-side-encryption': 'aws:kms' });
      await assertDownloaded(await get({ overwrite: true }), body);
      handler = serve({ etag: `"${'0'.repeat(32)}-3"` });
      await assertDownloaded(await get({ overwrite: true }), body);
    });

    it('advertises ranges but answers a Range with 200: restarts from zero, same bytes', async () => {
      handler = cutFirst(
        400_000,
        serve({ 'accept-ranges': 'bytes', etag: `"${md5}"` }, { honourRange: false }),
      );
      const r = await get();
      await assertDownloaded(r, body);
      assert.deepStrictEqual({ resumed: r.resumed, restarted: r.restarted }, { resumed: 0, restarted: 1 });
      assert.strictEqual(hits[1].range, 'bytes=400000-');
    });

    it('a 206 that starts at the wrong byte is not mixed in: it restarts without Range', async () => {
      handler = cutFirst(400_000, (req, res) => {
        if (req.headers.range) {
          res.writeHead(206, {
            'content-range': `bytes 0-${body.length - 1}/${body.length}`,
            'content-length': String(body.length),
          });
          res.end(body);
        } else serve({ 'accept-ranges': 'bytes' })(req, res);
      });
      const r = await get();
      await assertDownloaded(r, body);
      assert.strictEqual(r.restarted, 1);
      assert.deepStrictEqual(
        hits.map((h) => h.range ?? null),
        [null, 'bytes=400000-', null],
      );
    });

    it('follows a 307 redirect (S3 regional endpoints), keeping the method', async () => {
      handler = (req, res, n) => {
        if (n === 1) {
          res.writeHead(307, { location: '/s3/elsewhere/codes.txt?X-Amz-Signature=other' }).end();
        } else serve({})(req, res);
      };
      await assertDownloaded(await get(), body);
      assert.deepStrictEqual(
        hits.map((h) => [h.method, h.url.split('?')[0]]),
        [
          ['GET', '/s3/bucket/codes.txt'],
          ['GET', '/s3/elsewhere/codes.txt'],
        ],
      );
    });

    it('honours 429 Retry-After on the file', async () => {
      handler = (req, res, n) => {
        if (n === 1) res.writeHead(429, { 'retry-after': '0' }).end();
        else serve({})(req, res);
      };
      await assertDownloaded(await get(), body);
      assert.strictEqual(hits.length, 2);
    });

    it('a Retry-After longer than allowed fails as rateLimited with the wait', async () => {
      handler = (_req, res) => res.writeHead(503, { 'retry-after': '3600' }).end();
      const e = await expectApiError(get(), 'server');
      assert.strictEqual(e.retryAfterMs, 3_600_000);
      assert.strictEqual(hits.length, 1);
    });

    it('a 404 from the file server is notFound, not retried', async () => {
      handler = (_req, res) =>
        res
          .writeHead(404, { 'content-type': 'application/xml' })
          .end('<Error><Code>NoSuchKey</Code></Error>');
      const e = await expectApiError(get(), 'notFound');
      assert.strictEqual(e.serverMessage, 'NoSuchKey');
      assert.strictEqual(hits.length, 1);
      assert.ok(!JSON.stringify(e).includes('secret'), 'no query string in the error');
    });

    it('refuses a link that is not http(s)', async () => {
      const e = await expectApiError(
        get({ getUrl: async () => ({ url: 'file:///etc/passwd' }) }),
        'invalidResponse',
      );
      assert.match(e.message, /not an http\(s\) URL/);
    });

    it('a getUrl that throws a plain Error becomes an ApiError; its ApiError passes through', async () => {
      const e = await expectApiError(
        get({
          getUrl: async () => {
            throw new Error('codes.txt is no longer listed');
          },
        }),
        'invalidResponse',
      );
      assert.match(e.message, /no longer listed/);
      await assertFolder([]);
    });
  });
});
