import * as assert from 'assert';
import { spawn } from 'child_process';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { IMO_AUDIENCE, IMO_DEFAULT_CLIENT_ID } from '../../../sandbox/services/imo';
import { type Sandbox, isLoopbackAddress, startSandbox } from '../../../sandbox/server';

const TOKEN = '/oauth/token';
const SESSION = '/precision/normalize/session';
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface Answer {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

describe('sandbox', () => {
  let sb: Sandbox;
  let clock: number;

  const call = async (
    method: string,
    p: string,
    init: { body?: string; headers?: Record<string, string> } = {},
  ): Promise<Answer> => {
    const res = await fetch(sb.url + p, { method, body: init.body, headers: init.headers });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      json: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    };
  };
  const tokenCall = (body: Record<string, unknown>, contentType = 'application/json'): Promise<Answer> =>
    call('POST', TOKEN, { body: JSON.stringify(body), headers: { 'content-type': contentType } });
  const goodBody = (): Record<string, string> => ({
    client_id: sb.credentials.IMO_CLIENT_ID,
    client_secret: sb.credentials.IMO_CLIENT_SECRET,
    audience: IMO_AUDIENCE,
    grant_type: 'client_credentials',
  });
  const newToken = async (): Promise<string> => (await tokenCall(goodBody())).json.access_token as string;
  const session = (token?: string): Promise<Answer> =>
    call('GET', SESSION, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });

  before(async () => {
    clock = Date.now();
    sb = await startSandbox({ tokenTtlSeconds: 60, now: () => clock });
  });
  after(async () => sb.close());
  beforeEach(() => sb.reset());

  describe('binding', () => {
    it('listens on 127.0.0.1 only', () => {
      assert.match(sb.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.ok(sb.port > 0);
    });

    it('is not reachable on a non-loopback interface', async function () {
      const external = Object.values(os.networkInterfaces())
        .flat()
        .find((i) => i && i.family === 'IPv4' && !i.internal);
      if (!external) this.skip();
      const outcome = await new Promise<string>((resolve) => {
        const socket = net.connect({ host: external.address, port: sb.port });
        socket.once('connect', () => {
          socket.destroy();
          resolve('connected');
        });
        socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      });
      assert.strictEqual(outcome, 'ECONNREFUSED');
    });

    it('recognises loopback peers only', () => {
      for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'])
        assert.ok(isLoopbackAddress(a), a);
      for (const a of ['10.0.0.1', '192.168.1.5', '::ffff:10.0.0.1', 'fe80::1', '', undefined]) {
        assert.ok(!isLoopbackAddress(a), String(a));
      }
    });
  });

  describe('IMO token endpoint (document 000)', () => {
    it('issues an opaque Bearer token with expires_in = tokenTtlSeconds', async () => {
      const r = await tokenCall(goodBody());
      assert.strictEqual(r.status, 200);
      assert.strictEqual(r.json.token_type, 'Bearer');
      assert.strictEqual(r.json.expires_in, 60);
      assert.strictEqual(typeof r.json.scope, 'string');
      assert.match(r.json.access_token as string, /^[A-Za-z0-9_-]{20,}$/);
      assert.notStrictEqual(await newToken(), r.json.access_token);
      assert.strictEqual((sb.state().imo as { tokensIssued: number }).tokensIssued, 2);
    });

    it('415 when the body is not sent as JSON', async () => {
      const form = new URLSearchParams(goodBody()).toString();
      const asForm = await call('POST', TOKEN, {
        body: form,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      assert.strictEqual(asForm.status, 415);
      const badJson = await call('POST', TOKEN, {
        body: '{"client_id": ',
        headers: { 'content-type': 'application/json' },
      });
      assert.strictEqual(badJson.status, 415);
      const jsonAsText = await tokenCall(goodBody(), 'text/plain');
      assert.strictEqual(jsonAsText.status, 415);
      const withCharset = await tokenCall(goodBody(), 'application/json; charset=utf-8');
      assert.strictEqual(withCharset.status, 200);
    });

    it('401 for a wrong client id or secret', async () => {
      assert.strictEqual((await tokenCall({ ...goodBody(), client_id: 'other' })).status, 401);
      const r = await tokenCall({ ...goodBody(), client_secret: 'wrong' });
      assert.strictEqual(r.status, 401);
      assert.strictEqual(r.json.error, 'access_denied');
    });

    it('403 when the audience is missing or not https://api.imohealth.com', async () => {
      const { audience: _drop, ...noAudience } = goodBody();
      assert.strictEqual((await tokenCall(noAudience)).status, 403);
      assert.strictEqual(
        (await tokenCall({ ...goodBody(), audience: 'https://api.imohealth.com/' })).status,
        403,
      );
    });

    it('400 for a missing or wrong grant_type', async () => {
      const { grant_type: _drop, ...noGrant } = goodBody();
      assert.strictEqual((await tokenCall(noGrant)).status, 400);
      const r = await tokenCall({ ...goodBody(), grant_type: 'password' });
      assert.strictEqual(r.status, 400);
      assert.strictEqual(r.json.error, 'unsupported_grant_type');
    });

    it('error bodies carry request_id, repeated in x-request-id', async () => {
      const r = await tokenCall({ ...goodBody(), client_secret: 'wrong' });
      assert.match(r.json.request_id as string, UUID_V4);
      assert.strictEqual(r.headers.get('x-request-id'), r.json.request_id);
    });

    it('takes credentials from the environment when set', async () => {
      const custom = await startSandbox({
        env: { IMO_CLIENT_ID: 'env-id', IMO_CLIENT_SECRET: 'env-secret' },
      });
      try {
        assert.strictEqual(custom.credentials.IMO_CLIENT_ID, 'env-id');
        assert.strictEqual(custom.credentials.IMO_CLIENT_SECRET, 'env-secret');
        assert.strictEqual(custom.credentials.IMO_AUDIENCE, IMO_AUDIENCE);
        const res = await fetch(custom.url + TOKEN, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ...goodBody(), client_id: 'env-id', client_secret: 'env-secret' }),
        });
        assert.strictEqual(res.status, 200);
      } finally {
        await custom.close();
      }
      assert.strictEqual(sb.credentials.IMO_CLIENT_ID, process.env.IMO_CLIENT_ID || IMO_DEFAULT_CLIENT_ID);
    });
  });

  describe('Normalize session', () => {
    it('returns a random uuid v4 for a valid bearer token', async () => {
      const token = await newToken();
      const a = await session(token);
      const b = await session(token);
      assert.strictEqual(a.status, 200);
      assert.match(a.json.session_id as string, UUID_V4);
      assert.notStrictEqual(a.json.session_id, b.json.session_id);
      assert.strictEqual((sb.state().imo as { lastSessionId: string }).lastSessionId, b.json.session_id);
    });

    it('401 with a JSON error without a token, with an unknown token, or with a non-Bearer scheme', async () => {
      const none = await session();
      assert.strictEqual(none.status, 401);
      assert.strictEqual(none.json.error, 'unauthorized');
      assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
      assert.strictEqual(none.headers.get('x-request-id'), none.json.request_id);
      assert.strictEqual((await session('made-up-token')).status, 401);
      const token = await newToken();
      const raw = await call('GET', SESSION, { headers: { authorization: token } });
      assert.strictEqual(raw.status, 401);
    });

    it('401 once the token has expired', async () => {
      const token = await newToken();
      clock += 59_000;
      assert.strictEqual((await session(token)).status, 200);
      clock += 1_000;
      const r = await session(token);
      assert.strictEqual(r.status, 401);
      assert.match(r.json.message as string, /expired/);
    });

    it('401 after revokeTokens (in-process and over HTTP)', async () => {
      let token = await newToken();
      sb.revokeTokens();
      assert.strictEqual((await session(token)).status, 401);
      token = await newToken();
      assert.strictEqual((await call('POST', '/__sandbox/revoke-tokens')).status, 204);
      assert.strictEqual((await session(token)).status, 401);
    });

    it('405 for a wrong method, 404 with a JSON body for an unknown path', async () => {
      const r405 = await call('POST', SESSION, { body: '{}' });
      assert.strictEqual(r405.status, 405);
      assert.strictEqual(r405.headers.get('allow'), 'GET');
      const r404 = await call('GET', '/nope');
      assert.strictEqual(r404.status, 404);
      assert.strictEqual(r404.json.message, 'No route for GET /nope');
    });
  });

  describe('faults', () => {
    it('status: answers the given status for `times` matching requests, then normally', async () => {
      sb.faults.add({
        type: 'status',
        method: 'POST',
        path: TOKEN,
        status: 503,
        times: 2,
        traceRequestId: 'trace-1',
      });
      const first = await tokenCall(goodBody());
      assert.strictEqual(first.status, 503);
      assert.strictEqual(first.json.traceRequestId, 'trace-1');
      assert.strictEqual(first.headers.get('x-request-id'), first.json.request_id);
      assert.strictEqual((await tokenCall(goodBody())).status, 503);
      assert.strictEqual((await tokenCall(goodBody())).status, 200);
      assert.deepStrictEqual(
        sb.requests.map((r) => [r.status, r.fault]),
        [
          [503, 'status'],
          [503, 'status'],
          [200, undefined],
        ],
      );
    });

    it('matches method and exact path, or a prefix', async () => {
      sb.faults.add({ type: 'status', method: 'GET', path: '/v1', status: 500 });
      sb.faults.add({ type: 'status', path: '/download/', prefix: true, status: 502 });
      assert.strictEqual((await call('GET', '/v1')).status, 500);
      assert.strictEqual((await call('GET', '/v1/x')).status, 404);
      assert.strictEqual((await call('DELETE', '/v1')).status, 404);
      assert.strictEqual((await call('GET', '/download/products/1')).status, 502);
      assert.strictEqual((await call('PUT', '/download/x')).status, 502);
    });

    it('rateLimit: 429 with Retry-After in seconds or as an HTTP date', async () => {
      sb.faults.add({ type: 'rateLimit', path: '/a', retryAfterSeconds: 7, times: 1 });
      sb.faults.add({
        type: 'rateLimit',
        path: '/b',
        retryAfterSeconds: 5,
        retryAfterFormat: 'date',
        times: 1,
      });
      const a = await call('GET', '/a');
      assert.strictEqual(a.status, 429);
      assert.strictEqual(a.headers.get('retry-after'), '7');
      const b = await call('GET', '/b');
      const date = b.headers.get('retry-after') ?? '';
      assert.match(date, /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
      assert.ok(Date.parse(date) >= clock + 5000);
      assert.ok(Date.parse(date) < clock + 6000);
    });

    it('delay: answers slowly, then handles the request normally', async () => {
      sb.faults.add({ type: 'delay', path: '/nope', ms: 150, times: 1 });
      const start = Date.now();
      const r = await call('GET', '/nope');
      assert.ok(Date.now() - start >= 140);
      assert.strictEqual(r.status, 404);
    });

    it('cut: sends headers and part of the body, then destroys the socket', async () => {
      sb.faults.add({ type: 'cut', path: '/c', bytes: 5, times: 1 });
      const outcome = await new Promise<{ status?: number; received: string; error?: string }>((resolve) => {
        let received = '';
        let status: number | undefined;
        const req = http.get(sb.url + '/c', (res) => {
          status = res.statusCode;
          res.setEncoding('utf8');
          res.on('data', (d: string) => (received += d));
          res.on('error', (e: NodeJS.ErrnoException) =>
            resolve({ status, received, error: e.code ?? e.message }),
          );
          res.on('end', () => resolve({ status, received }));
        });
        req.on('error', (e: NodeJS.ErrnoException) =>
          resolve({ status, received, error: e.code ?? e.message }),
        );
      });
      assert.strictEqual(outcome.status, 200);
      assert.strictEqual(outcome.received.length, 5);
      assert.ok(outcome.error, 'the body must not end cleanly');
    });

    it('malformed: 200 with a non-JSON body, or JSON of the wrong shape', async () => {
      sb.faults.add({ type: 'malformed', path: '/m1', times: 1 });
      sb.faults.add({ type: 'malformed', path: '/m2', variant: 'wrongShape', times: 1 });
      const r1 = await fetch(sb.url + '/m1');
      assert.strictEqual(r1.status, 200);
      assert.match(r1.headers.get('content-type') ?? '', /application\/json/);
      await assert.rejects(r1.json());
      const r2 = await call('GET', '/m2');
      assert.strictEqual(r2.status, 200);
      assert.strictEqual(r2.json.session_id, undefined);
    });
  });

  describe('control over HTTP', () => {
    it('POST/GET/DELETE /__sandbox/faults', async () => {
      const post = await call('POST', '/__sandbox/faults', {
        body: JSON.stringify([
          { type: 'status', path: '/x', status: 500, times: 1 },
          { type: 'delay', path: '/y', ms: 1 },
        ]),
        headers: { 'content-type': 'application/json' },
      });
      assert.strictEqual(post.status, 201);
      assert.strictEqual((post.json.ids as number[]).length, 2);
      const list = await call('GET', '/__sandbox/faults');
      assert.deepStrictEqual(
        (list.json.faults as Array<{ path: string; remaining: number | null }>).map((f) => [
          f.path,
          f.remaining,
        ]),
        [
          ['/x', 1],
          ['/y', null],
        ],
      );
      assert.strictEqual((await call('GET', '/x')).status, 500);
      assert.strictEqual((await call('DELETE', '/__sandbox/faults')).status, 204);
      assert.deepStrictEqual(sb.faults.list(), []);
    });

    it('rejects an invalid fault spec with 400 and the issues', async () => {
      const r = await call('POST', '/__sandbox/faults', {
        body: JSON.stringify({ type: 'status', path: 'no-slash' }),
      });
      assert.strictEqual(r.status, 400);
      assert.ok(Array.isArray(r.json.issues));
      assert.deepStrictEqual(sb.faults.list(), []);
    });

    it('GET /__sandbox/requests lists method, path and status only, without control calls or queries', async () => {
      await call('GET', `${SESSION}?secret=1`, { headers: { authorization: 'Bearer do-not-log-me' } });
      const r = await call('GET', '/__sandbox/requests');
      const requests = r.json.requests as Array<Record<string, unknown>>;
      assert.strictEqual(requests.length, 1);
      assert.deepStrictEqual(Object.keys(requests[0]).sort(), ['at', 'method', 'path', 'status']);
      assert.deepStrictEqual(
        [requests[0].method, requests[0].path, requests[0].status],
        ['GET', SESSION, 401],
      );
      assert.ok(!JSON.stringify(r.json).includes('do-not-log-me'));
    });

    it('GET /__sandbox/state and POST /__sandbox/reset', async () => {
      const token = await newToken();
      await session(token);
      sb.faults.add({ type: 'delay', path: '/z', ms: 1 });
      const state = (await call('GET', '/__sandbox/state')).json;
      assert.strictEqual(state.faults, 1);
      assert.strictEqual(state.requests, 2);
      const imo = state.imo as Record<string, unknown>;
      assert.strictEqual(imo.tokensIssued, 1);
      assert.strictEqual(imo.activeTokens, 1);
      assert.match(imo.lastSessionId as string, UUID_V4);
      assert.strictEqual((await call('POST', '/__sandbox/reset')).status, 204);
      // each service adds its own section (download…), checked in its own tests
      const { faults, requests, imo: imoAfter } = (await call('GET', '/__sandbox/state')).json;
      assert.deepStrictEqual(
        { faults, requests, imo: imoAfter },
        {
          faults: 0,
          requests: 0,
          imo: { tokensIssued: 0, activeTokens: 0, sessionsCreated: 0, lastSessionId: null },
        },
      );
      assert.strictEqual((await session(token)).status, 401);
    });
  });

  describe('npm run sandbox (main.ts)', () => {
    it('prints the URL and credentials, serves, and exits cleanly on SIGTERM', async function () {
      this.timeout(15000);
      const root = path.resolve(__dirname, '..', '..', '..');
      const child = spawn(
        process.execPath,
        [require.resolve('tsx/cli'), path.join(root, 'sandbox', 'main.ts')],
        {
          cwd: root,
          env: {
            ...process.env,
            SANDBOX_PORT: '0',
            IMO_CLIENT_ID: '',
            IMO_CLIENT_SECRET: '',
            IMO_AUDIENCE: '',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      child.stdout.setEncoding('utf8');
      const lines = await new Promise<string[]>((resolve, reject) => {
        child.stdout.on('data', (d: string) => {
          out += d;
          const ls = out.split('\n');
          if (ls.length > 4) resolve(ls);
        });
        child.once('exit', (code) => reject(new Error(`exited early with ${code}: ${out}`)));
      });
      const m = /^Sandbox listening on (http:\/\/127\.0\.0\.1:(\d+))$/.exec(lines[0]);
      assert.ok(m, lines[0]);
      assert.strictEqual(lines[1], `IMO_CLIENT_ID=${IMO_DEFAULT_CLIENT_ID}`);
      assert.match(lines[2], /^IMO_CLIENT_SECRET=\S+$/);
      assert.strictEqual(lines[3], `IMO_AUDIENCE=${IMO_AUDIENCE}`);
      const res = await fetch(`${m[1]}/__sandbox/state`);
      assert.strictEqual(res.status, 200);
      const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      assert.strictEqual(await exit, 0);
    });
  });
});
