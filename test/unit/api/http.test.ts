import * as assert from 'assert';
import * as http from 'http';
import * as util from 'util';
import type { AddressInfo } from 'net';
import * as z from 'zod/mini';
import {
  type HttpClient,
  type HttpClientOptions,
  createHttpClient,
  parseRetryAfter,
} from '../../../src/api/http';
import { type Sandbox, startSandbox } from '../../../sandbox/server';
import { expectApiError, recordingLogger, sandboxImoApi, timed } from './support';

const UA = 'clinical-coder/0.1.0 (VS Code extension)';
const SESSION = '/precision/normalize/session';
const TOKEN = '/oauth/token';
const sessionSchema = z.object({ session_id: z.string() });
const tokenSchema = z.object({ access_token: z.string(), expires_in: z.number() });

describe('api/http', function () {
  let sb: Sandbox;
  let log: ReturnType<typeof recordingLogger>;

  /** A client without auth, fast back-off. */
  const plain = (o: Partial<HttpClientOptions> = {}): HttpClient =>
    createHttpClient({
      service: 'IMO',
      baseUrl: () => sb.url,
      userAgent: UA,
      logger: log,
      retry: { baseDelayMs: 10 },
      ...o,
    });
  /** An IMO API client with Bearer auth from ImoAuth. */
  const imoApi = (retry = { baseDelayMs: 10 }): HttpClient =>
    sandboxImoApi(sb, { userAgent: UA, logger: log, retry });
  const tokenBody = (): Record<string, string> => ({
    client_id: sb.credentials.IMO_CLIENT_ID,
    client_secret: sb.credentials.IMO_CLIENT_SECRET,
    audience: sb.credentials.IMO_AUDIENCE,
    grant_type: 'client_credentials',
  });

  before(async () => {
    sb = await startSandbox();
  });
  after(async () => sb.close());
  beforeEach(() => {
    sb.reset();
    log = recordingLogger();
  });

  describe('success', () => {
    it('returns the checked body, and status and headers with requestFull', async () => {
      const api = imoApi();
      const r = await api.requestFull({ method: 'GET', path: SESSION, schema: sessionSchema });
      assert.strictEqual(r.status, 200);
      assert.match(r.headers['content-type'], /^application\/json/);
      assert.strictEqual(r.data.session_id, (sb.state().imo as { lastSessionId: string }).lastSessionId);
      const data = await api.request({ method: 'GET', path: SESSION, schema: sessionSchema });
      assert.match(data.session_id, /^[0-9a-f-]{36}$/);
    });

    it('sends a retry-safe POST with a JSON body', async () => {
      const r = await plain().request({
        method: 'POST',
        path: TOKEN,
        body: tokenBody(),
        schema: tokenSchema,
      });
      assert.ok(r.access_token.length > 10);
    });

    it('logs one line per attempt with method, path, status, ms and attempt, and nothing else', async () => {
      sb.faults.add({ type: 'status', method: 'GET', path: SESSION, status: 503, times: 1 });
      await imoApi().request({
        method: 'GET',
        path: SESSION,
        schema: sessionSchema,
        query: { q: 'diabetes-query-value' },
        headers: { 'x-patient': 'pt_456' },
      });
      const lines = log.lines.filter((l) => l.includes(SESSION));
      assert.strictEqual(lines.length, 2, lines.join('\n'));
      assert.match(lines[0], /^IMO GET \/precision\/normalize\/session -> 503 \(\d+ ms, attempt 1\)$/);
      assert.match(lines[1], /^IMO GET \/precision\/normalize\/session -> 200 \(\d+ ms, attempt 2\)$/);
      const all = log.lines.join('\n');
      for (const leak of ['diabetes-query-value', 'pt_456', 'Bearer', sb.credentials.IMO_CLIENT_SECRET]) {
        assert.ok(!all.includes(leak), `log leaked ${leak}`);
      }
    });
  });

  describe('retries', () => {
    it('honours Retry-After in seconds (429 then success)', async function () {
      this.timeout(10_000);
      sb.faults.add({ type: 'rateLimit', path: SESSION, retryAfterSeconds: 1, times: 1 });
      const r = await timed(imoApi().request({ method: 'GET', path: SESSION, schema: sessionSchema }));
      assert.ifError(r.error);
      const calls = sb.requests.filter((x) => x.path === SESSION);
      assert.deepStrictEqual(
        calls.map((c) => c.status),
        [429, 200],
      );
      assert.ok(calls[1].at - calls[0].at >= 1000, `waited only ${calls[1].at - calls[0].at} ms`);
    });

    it('honours Retry-After as an HTTP date', async function () {
      this.timeout(10_000);
      const date = new Date(Math.ceil(Date.now() / 1000) * 1000 + 2000);
      sb.faults.add({ type: 'rateLimit', path: SESSION, retryAfter: date.toUTCString(), times: 1 });
      const r = await timed(imoApi().request({ method: 'GET', path: SESSION, schema: sessionSchema }));
      assert.ifError(r.error);
      const calls = sb.requests.filter((x) => x.path === SESSION);
      assert.deepStrictEqual(
        calls.map((c) => c.status),
        [429, 200],
      );
      assert.ok(calls[1].at >= date.getTime(), `retried ${date.getTime() - calls[1].at} ms before the date`);
    });

    it('does not wait for a Retry-After beyond maxRetryAfterMs: fails as rateLimited with retryAfterMs', async () => {
      sb.faults.add({ type: 'rateLimit', path: '/v1/limited', retryAfterSeconds: 120 });
      const r = await timed(plain().request({ method: 'GET', path: '/v1/limited', schema: z.unknown() }));
      const e = await expectApiError(Promise.reject(r.error), 'rateLimited');
      assert.strictEqual(e.status, 429);
      assert.strictEqual(e.retryAfterMs, 120_000);
      assert.match(
        e.message,
        /^IMO answered 429 \(rate limited\) for GET \/v1\/limited; it asks to wait 120 s$/,
      );
      assert.strictEqual(sb.count('GET', '/v1/limited'), 1);
      assert.ok(r.ms < 1000);
    });

    it('retries a 429 without Retry-After with back-off, and reports rateLimited when retries run out', async () => {
      sb.faults.add({ type: 'rateLimit', path: '/v1/limited', omitRetryAfter: true });
      const e = await expectApiError(
        plain({ retry: { retries: 2, baseDelayMs: 5 } }).request({
          method: 'GET',
          path: '/v1/limited',
          schema: z.unknown(),
        }),
        'rateLimited',
      );
      assert.strictEqual(e.retryAfterMs, undefined);
      assert.strictEqual(sb.count('GET', '/v1/limited'), 3);
    });

    it('with retryRateLimit: false, reports a 429 at once (with retryAfterMs) but still retries a 5xx', async () => {
      sb.faults.add({ type: 'rateLimit', path: '/v1/limited', retryAfterSeconds: 1, times: 1 });
      const r = await timed(
        plain().request({ method: 'GET', path: '/v1/limited', schema: z.unknown(), retryRateLimit: false }),
      );
      const e = await expectApiError(Promise.reject(r.error), 'rateLimited');
      assert.strictEqual(e.status, 429);
      assert.strictEqual(e.retryAfterMs, 1000);
      assert.strictEqual(sb.count('GET', '/v1/limited'), 1);
      assert.ok(r.ms < 900, `did not wait out the Retry-After (${r.ms} ms)`);

      // the fault was used up: the default still waits a 429 out and succeeds
      sb.clearRequests();
      sb.faults.add({ type: 'rateLimit', path: SESSION, retryAfterSeconds: 0, times: 1 });
      await imoApi().request({ method: 'GET', path: SESSION, schema: sessionSchema });
      assert.deepStrictEqual(
        sb.requests.filter((x) => x.path === SESSION).map((x) => x.status),
        [429, 200],
      );

      sb.clearRequests();
      sb.faults.add({ type: 'status', path: '/v1/flaky', status: 503, times: 2 });
      sb.faults.add({ type: 'rateLimit', path: '/v1/flaky', retryAfterSeconds: 0 });
      await expectApiError(
        plain().request({ method: 'GET', path: '/v1/flaky', schema: z.unknown(), retryRateLimit: false }),
        'rateLimited',
      );
      assert.deepStrictEqual(
        sb.requests.map((x) => x.status),
        [503, 503, 429],
      );
    });

    it('stops after 1 + retries attempts on a persistent 5xx and reports server with the status', async () => {
      sb.faults.add({ type: 'status', path: '/v1/flaky', status: 503 });
      const e = await expectApiError(
        plain().request({ method: 'GET', path: '/v1/flaky', schema: z.unknown() }),
        'server',
      );
      assert.strictEqual(e.status, 503);
      assert.strictEqual(e.service, 'IMO');
      assert.strictEqual(e.method, 'GET');
      assert.strictEqual(e.path, '/v1/flaky');
      assert.strictEqual(e.message, 'IMO answered 503 (server error) for GET /v1/flaky');
      assert.strictEqual(sb.count('GET', '/v1/flaky'), 4);
    });

    it('backs off exponentially between 5xx retries', async () => {
      sb.faults.add({ type: 'status', path: '/v1/flaky', status: 502 });
      await expectApiError(
        plain({ retry: { retries: 3, baseDelayMs: 40 } }).request({
          method: 'GET',
          path: '/v1/flaky',
          schema: z.unknown(),
        }),
        'server',
      );
      const at = sb.requests.map((r) => r.at);
      const gaps = at.slice(1).map((t, i) => t - at[i]);
      // 40, 80, 160 ms nominal, ±20 % jitter
      assert.ok(gaps[0] >= 30 && gaps[1] >= 62 && gaps[2] >= 126, `gaps ${gaps.join(', ')}`);
      assert.ok(gaps[2] > gaps[0], `gaps ${gaps.join(', ')}`);
    });

    it('does not retry a 400', async () => {
      const e = await expectApiError(
        plain().request({
          method: 'POST',
          path: TOKEN,
          body: { ...tokenBody(), grant_type: 'password' },
          schema: tokenSchema,
          retrySafe: true,
        }),
        'badRequest',
      );
      assert.strictEqual(e.status, 400);
      assert.strictEqual(sb.count('POST', TOKEN), 1);
      sb.faults.add({ type: 'status', path: '/v1/bad', status: 400 });
      await expectApiError(
        plain().request({ method: 'GET', path: '/v1/bad', schema: z.unknown() }),
        'badRequest',
      );
      assert.strictEqual(sb.count('GET', '/v1/bad'), 1);
    });

    it('does not retry a POST that is not marked retry-safe (503 → exactly one request)', async () => {
      sb.faults.add({ type: 'status', method: 'POST', path: TOKEN, status: 503 });
      const e = await expectApiError(
        plain().request({ method: 'POST', path: TOKEN, body: tokenBody(), schema: tokenSchema }),
        'server',
      );
      assert.strictEqual(e.status, 503);
      assert.strictEqual(sb.count('POST', TOKEN), 1);
    });

    it('retries a POST marked retry-safe', async () => {
      sb.faults.add({ type: 'status', method: 'POST', path: TOKEN, status: 502, times: 2 });
      const r = await plain().request({
        method: 'POST',
        path: TOKEN,
        body: tokenBody(),
        schema: tokenSchema,
        retrySafe: true,
      });
      assert.ok(r.access_token);
      assert.deepStrictEqual(
        sb.requests.map((x) => x.status),
        [502, 502, 200],
      );
    });

    it("retries a POST marked 'rateLimitOnly' after a 429, never after a 5xx or a cut connection", async () => {
      const post = (): Promise<unknown> =>
        plain().request({
          method: 'POST',
          path: TOKEN,
          body: tokenBody(),
          schema: tokenSchema,
          retrySafe: 'rateLimitOnly',
        });
      sb.faults.add({ type: 'rateLimit', method: 'POST', path: TOKEN, retryAfterSeconds: 0, times: 2 });
      await post();
      assert.deepStrictEqual(
        sb.requests.map((x) => x.status),
        [429, 429, 200],
      );

      sb.clearRequests();
      sb.faults.add({ type: 'status', method: 'POST', path: TOKEN, status: 503, times: 1 });
      assert.strictEqual((await expectApiError(post(), 'server')).status, 503);
      assert.strictEqual(sb.count('POST', TOKEN), 1);

      sb.clearRequests();
      sb.faults.add({ type: 'cut', method: 'POST', path: TOKEN, times: 1 });
      await expectApiError(post(), 'network');
      assert.strictEqual(sb.count('POST', TOKEN), 1);

      // a Retry-After beyond maxRetryAfterMs is not waited for, as for any request
      sb.clearRequests();
      sb.faults.add({ type: 'rateLimit', method: 'POST', path: TOKEN, retryAfterSeconds: 3600, times: 1 });
      const e = await expectApiError(post(), 'rateLimited');
      assert.strictEqual(e.retryAfterMs, 3_600_000);
      assert.strictEqual(sb.count('POST', TOKEN), 1);
    });

    it('retries a connection cut mid-body, then reports network', async () => {
      sb.faults.add({ type: 'cut', path: '/v1/cut', bytes: 12 });
      const e = await expectApiError(
        plain().request({ method: 'GET', path: '/v1/cut', schema: z.unknown() }),
        'network',
      );
      assert.strictEqual(e.status, undefined);
      assert.match(e.message, /connection to IMO was lost while receiving GET \/v1\/cut/);
      assert.strictEqual(sb.count('GET', '/v1/cut'), 4);
    });

    it('recovers when a cut connection is followed by a good answer', async () => {
      sb.faults.add({ type: 'cut', path: SESSION, times: 1 });
      const r = await imoApi().request({ method: 'GET', path: SESSION, schema: sessionSchema });
      assert.ok(r.session_id);
      assert.strictEqual(sb.count('GET', SESSION), 2);
    });

    it('does not retry a cut connection on a POST that is not retry-safe', async () => {
      sb.faults.add({ type: 'cut', method: 'POST', path: TOKEN });
      await expectApiError(
        plain().request({ method: 'POST', path: TOKEN, body: tokenBody(), schema: tokenSchema }),
        'network',
      );
      assert.strictEqual(sb.count('POST', TOKEN), 1);
    });

    it('reports a refused connection as network after retrying', async () => {
      const closed = http.createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((r) => closed.close(() => r()));
      const client = plain({
        baseUrl: () => `http://127.0.0.1:${port}`,
        retry: { retries: 2, baseDelayMs: 5 },
      });
      const e = await expectApiError(
        client.request({ method: 'GET', path: '/x', schema: z.unknown() }),
        'network',
      );
      assert.match(e.message, /^Could not reach IMO for GET \/x \(ECONNREFUSED\)$/);
      assert.strictEqual(log.lines.filter((l) => l.includes('ECONNREFUSED')).length, 3);
    });
  });

  describe('timeouts and cancellation', () => {
    it('reports timeout when the server is slower than timeoutMs (retried when safe)', async () => {
      sb.faults.add({ type: 'delay', path: '/v1/slow', ms: 1000 });
      const r = await timed(
        plain({ retry: { retries: 1, baseDelayMs: 5 } }).request({
          method: 'GET',
          path: '/v1/slow',
          schema: z.unknown(),
          timeoutMs: 100,
        }),
      );
      const e = await expectApiError(Promise.reject(r.error), 'timeout');
      assert.strictEqual(e.message, 'IMO did not answer GET /v1/slow within 0.1 s');
      assert.strictEqual(sb.count('GET', '/v1/slow'), 2);
      assert.ok(r.ms < 900, `took ${r.ms} ms`);
    });

    it('does not retry a timed-out POST that is not retry-safe', async () => {
      sb.faults.add({ type: 'delay', method: 'POST', path: TOKEN, ms: 1000 });
      await expectApiError(
        plain({ timeoutMs: 100 }).request({
          method: 'POST',
          path: TOKEN,
          body: tokenBody(),
          schema: tokenSchema,
        }),
        'timeout',
      );
      assert.strictEqual(sb.count('POST', TOKEN), 1);
    });

    it('is cancelled before sending when the signal is already aborted', async () => {
      const ac = new AbortController();
      ac.abort();
      const e = await expectApiError(
        plain().request({ method: 'GET', path: '/v1/x', schema: z.unknown(), signal: ac.signal }),
        'cancelled',
      );
      assert.strictEqual(e.message, 'IMO request GET /v1/x was cancelled');
      assert.strictEqual(sb.requests.length, 0);
    });

    it('is cancelled promptly during a slow request', async () => {
      sb.faults.add({ type: 'delay', path: '/v1/slow', ms: 3000 });
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 50);
      const r = await timed(
        plain().request({ method: 'GET', path: '/v1/slow', schema: z.unknown(), signal: ac.signal }),
      );
      await expectApiError(Promise.reject(r.error), 'cancelled');
      assert.ok(r.ms < 500, `took ${r.ms} ms`);
      assert.strictEqual(sb.count('GET', '/v1/slow'), 1);
    });

    it('is cancelled promptly during a back-off wait, without another attempt', async () => {
      sb.faults.add({ type: 'rateLimit', path: '/v1/limited', retryAfterSeconds: 5 });
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 100);
      const r = await timed(
        plain().request({ method: 'GET', path: '/v1/limited', schema: z.unknown(), signal: ac.signal }),
      );
      await expectApiError(Promise.reject(r.error), 'cancelled');
      assert.ok(r.ms < 600, `took ${r.ms} ms`);
      assert.strictEqual(sb.count('GET', '/v1/limited'), 1);
    });
  });

  describe('error mapping', () => {
    it('maps 404 (unknown path) to notFound with the server message and trace id', async () => {
      const e = await expectApiError(
        plain().request({ method: 'GET', path: '/no/such/path', schema: z.unknown() }),
        'notFound',
      );
      assert.strictEqual(e.status, 404);
      assert.strictEqual(e.serverMessage, 'No route for GET /no/such/path');
      assert.match(e.traceId ?? '', /^[0-9a-f-]{36}$/);
      assert.strictEqual(sb.count('GET', '/no/such/path'), 1);
    });

    it('maps 401 to unauthorized and 403 to forbidden', async () => {
      const e401 = await expectApiError(
        plain().request({ method: 'GET', path: SESSION, schema: sessionSchema }),
        'unauthorized',
      );
      assert.strictEqual(e401.status, 401);
      assert.match(e401.serverMessage ?? '', /Missing bearer token/);
      sb.faults.add({ type: 'status', path: '/v1/private', status: 403 });
      const e403 = await expectApiError(
        plain().request({ method: 'GET', path: '/v1/private', schema: z.unknown() }),
        'forbidden',
      );
      assert.strictEqual(e403.message, 'IMO answered 403 (forbidden) for GET /v1/private');
    });

    it('maps 405 and other 4xx to badRequest', async () => {
      const e = await expectApiError(
        plain().request({ method: 'DELETE', path: SESSION, schema: z.unknown() }),
        'badRequest',
      );
      assert.strictEqual(e.status, 405);
    });

    it('maps a non-JSON 200 body to invalidResponse', async () => {
      sb.faults.add({ type: 'malformed', path: '/v1/data', variant: 'notJson' });
      const e = await expectApiError(
        plain().request({ method: 'GET', path: '/v1/data', schema: z.unknown() }),
        'invalidResponse',
      );
      assert.strictEqual(e.message, 'IMO sent a response that is not JSON for GET /v1/data');
      assert.strictEqual(e.status, 200);
      assert.strictEqual(sb.count('GET', '/v1/data'), 1);
    });

    it('maps a body of the wrong shape to invalidResponse listing paths, not values', async () => {
      sb.faults.add({
        type: 'malformed',
        path: '/v1/data',
        raw: JSON.stringify({ items: [{ code: 42 }], secret: 'x' }),
      });
      const schema = z.object({ session_id: z.string(), items: z.array(z.object({ code: z.string() })) });
      const e = await expectApiError(
        plain().request({ method: 'GET', path: '/v1/data', schema }),
        'invalidResponse',
      );
      assert.strictEqual(
        e.message,
        'IMO sent a response of an unexpected shape for GET /v1/data: session_id (expected string), items[0].code (expected string)',
      );
      assert.ok(!e.message.includes('42'));
    });

    it('takes traceId and serverMessage from a Heim-style error envelope before headers', async () => {
      sb.faults.add({
        type: 'status',
        path: '/v1/tasks',
        status: 400,
        body: {
          error: {
            message: 'The parameter or request body property provided is not valid',
            traceRequestId: 'c2c71152-73e1-45f7-a8f9-840d59336ea2',
            issues: [{ code: 'custom', message: 'Invalid phone number', path: ['phoneNumber'] }],
          },
        },
        headers: { 'x-request-id': 'header-id' },
      });
      const e = await expectApiError(
        plain().request({ method: 'POST', path: '/v1/tasks', body: {}, schema: z.unknown() }),
        'badRequest',
      );
      assert.strictEqual(e.traceId, 'c2c71152-73e1-45f7-a8f9-840d59336ea2');
      assert.strictEqual(e.serverMessage, 'The parameter or request body property provided is not valid');
    });

    it('takes the trace id from headers when the body has none', async () => {
      const cases: Array<[Record<string, string>, string]> = [
        [{ 'x-request-id': 'req-1' }, 'req-1'],
        [{ 'x-request-id': '', 'x-trace-request-id': 'trace-2' }, 'trace-2'],
        [{ 'x-request-id': '', 'request-id': 'rid-3' }, 'rid-3'],
      ];
      for (const [headers, expected] of cases) {
        sb.faults.add({
          type: 'status',
          path: '/v1/t',
          status: 500,
          body: 'Service Unavailable',
          headers,
          times: 1,
        });
        const e = await expectApiError(
          plain({ retry: { retries: 0 } }).request({ method: 'GET', path: '/v1/t', schema: z.unknown() }),
          'server',
        );
        assert.strictEqual(e.traceId, expected);
        assert.strictEqual(e.serverMessage, 'Service Unavailable');
      }
    });

    it('reads serverMessage from the common body shapes', async () => {
      const shapes: Array<[unknown, string]> = [
        [{ message: 'plain message' }, 'plain message'],
        [{ error: { message: 'envelope message' } }, 'envelope message'],
        [{ error: 'invalid_client', error_description: 'OAuth description' }, 'OAuth description'],
        [{ detail: 'problem detail', title: 'Problem' }, 'problem detail'],
        [{ title: 'Only a title' }, 'Only a title'],
        [{ error: 'bare error string' }, 'bare error string'],
      ];
      for (const [body, expected] of shapes) {
        sb.faults.add({ type: 'status', path: '/v1/shape', status: 422, body, times: 1 });
        const e = await expectApiError(
          plain().request({ method: 'GET', path: '/v1/shape', schema: z.unknown() }),
          'badRequest',
        );
        assert.strictEqual(e.serverMessage, expected);
      }
      sb.faults.add({
        type: 'status',
        path: '/v1/shape',
        status: 502,
        body: '<html>bad gateway</html>',
        times: 1,
      });
      const html = await expectApiError(
        plain({ retry: { retries: 0 } }).request({ method: 'GET', path: '/v1/shape', schema: z.unknown() }),
        'server',
      );
      assert.strictEqual(html.serverMessage, undefined);
    });

    it('keeps no header, token, body or note in the error, however deeply it is inspected', async () => {
      const api = imoApi();
      await api.request({ method: 'GET', path: SESSION, schema: sessionSchema }); // obtain a token
      sb.faults.add({ type: 'status', method: 'POST', path: '/v1/codify', status: 500 });
      sb.faults.add({ type: 'cut', method: 'POST', path: '/v1/cut' });
      sb.faults.add({
        type: 'malformed',
        method: 'POST',
        path: '/v1/bad',
        raw: 'Patient pt_456 has diabetes',
      });
      for (const [p, kind] of [
        ['/v1/codify', 'server'],
        ['/v1/cut', 'network'],
        ['/v1/bad', 'invalidResponse'],
      ] as const) {
        const e = await expectApiError(
          api.request({
            method: 'POST',
            path: p,
            body: { medical_note: 'Patient with Type 2 Diabetes' },
            headers: { 'x-doctor': 'dr_123', 'x-patient': 'pt_456' },
            schema: z.unknown(),
          }),
          kind,
        );
        const dump = util.inspect(e, { depth: Infinity, showHidden: true }) + JSON.stringify(e);
        for (const leak of ['Type 2 Diabetes', 'diabetes', 'dr_123', 'pt_456', 'Bearer', 'medical_note']) {
          assert.ok(!dump.includes(leak), `${p}: error leaked ${leak}`);
        }
      }
    });

    it('redacts and truncates serverMessage', async () => {
      sb.faults.add({
        type: 'status',
        path: '/v1/leak',
        status: 400,
        body: { message: `bad header Authorization: Bearer leaked-token-123 ${'x'.repeat(600)}` },
      });
      const e = await expectApiError(
        plain().request({ method: 'GET', path: '/v1/leak', schema: z.unknown() }),
        'badRequest',
      );
      assert.ok(!e.serverMessage?.includes('leaked-token-123'));
      assert.ok((e.serverMessage?.length ?? 0) <= 300);
    });

    it('sends Accept, Content-Type, User-Agent and a raw Authorization; does not follow redirects', async () => {
      const seen: http.IncomingHttpHeaders[] = [];
      const urls: string[] = [];
      const server = http.createServer((req, res) => {
        seen.push(req.headers);
        urls.push(req.url ?? '');
        if (req.url?.startsWith('/redirect')) {
          res.writeHead(302, { location: 'http://example.invalid/steal' }).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        const client = createHttpClient({
          service: 'Heim',
          baseUrl: () => base,
          userAgent: UA,
          auth: { scheme: 'raw', getToken: async () => 'test_rawkey0123456789' },
        });
        await client.request({
          method: 'POST',
          path: '/v1/echo',
          query: { limit: 10, offset: 0, skip: undefined, tag: ['a', 'b'] },
          body: { a: 1 },
          schema: z.object({ ok: z.boolean() }),
        });
        assert.strictEqual(seen[0].accept, 'application/json');
        assert.strictEqual(seen[0]['content-type'], 'application/json');
        assert.strictEqual(seen[0]['user-agent'], UA);
        assert.strictEqual(seen[0].authorization, 'test_rawkey0123456789');
        assert.strictEqual(urls[0], '/v1/echo?limit=10&offset=0&tag=a&tag=b');
        const e = await expectApiError(
          client.request({ method: 'GET', path: '/redirect', schema: z.unknown() }),
          'invalidResponse',
        );
        assert.strictEqual(e.status, 302);
        assert.strictEqual(urls.length, 2);
      } finally {
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
      }
    });

    it('rejects a base URL that is not http(s) and a path with a query string', async () => {
      await expectApiError(
        plain({ baseUrl: () => 'not a url' }).request({ method: 'GET', path: '/x', schema: z.unknown() }),
        'network',
      );
      await assert.rejects(
        plain().request({ method: 'GET', path: '/x?token=abc', schema: z.unknown() }),
        TypeError,
      );
    });
  });

  describe('parseRetryAfter', () => {
    it('reads delta seconds and HTTP dates, and ignores garbage', () => {
      const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
      assert.strictEqual(parseRetryAfter('120', now), 120_000);
      assert.strictEqual(parseRetryAfter('1.5', now), 1500);
      assert.strictEqual(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', now), 30_000);
      assert.strictEqual(parseRetryAfter('Wed, 21 Oct 2015 07:27:00 GMT', now), 0);
      assert.strictEqual(parseRetryAfter('soon', now), undefined);
      assert.strictEqual(parseRetryAfter(undefined, now), undefined);
      assert.strictEqual(parseRetryAfter('', now), undefined);
    });
  });

  it('reports the answer of the last attempt after transient 5xx (here a 404), quickly', async () => {
    sb.faults.add({ type: 'status', path: '/v1/flaky', status: 500, times: 3 });
    const r = await timed(plain().request({ method: 'GET', path: '/v1/flaky', schema: z.unknown() }));
    await expectApiError(Promise.reject(r.error), 'notFound'); // 3 faults, then no route
    assert.ok(r.ms < 500, `took ${r.ms} ms`);
  });
});
