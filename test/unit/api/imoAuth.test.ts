import * as assert from 'assert';
import * as z from 'zod/mini';
import {
  type CachedToken,
  ImoAuth,
  type ImoAuthOptions,
  type ImoCredentials,
} from '../../../src/api/imoAuth';
import { NormalizeClient, createImoApiClient } from '../../../src/api/normalize';
import { type Sandbox, startSandbox } from '../../../sandbox/server';
import { delay, expectApiError, recordingLogger, timed } from './support';

const UA = 'clinical-coder/0.1.0 (VS Code extension)';
const TOKEN = '/oauth/token';
const SESSION = '/precision/normalize/session';

/** An in-memory token cache that records what it was asked to do. */
function memoryCache(initial?: CachedToken): {
  cache: NonNullable<ImoAuthOptions['tokenCache']>;
  saved: Array<CachedToken | undefined>;
  loads: number;
  current(): CachedToken | undefined;
} {
  let value = initial;
  const state = {
    saved: [] as Array<CachedToken | undefined>,
    loads: 0,
    current: () => value,
    cache: {
      load: async () => {
        state.loads += 1;
        return value;
      },
      save: async (t: CachedToken | undefined) => {
        state.saved.push(t);
        value = t;
      },
    },
  };
  return state;
}

describe('api/imoAuth', function () {
  let sb: Sandbox;
  let creds: ImoCredentials;

  const makeAuth = (o: Partial<ImoAuthOptions> = {}): ImoAuth =>
    new ImoAuth({
      baseUrl: () => sb.url,
      userAgent: UA,
      audience: () => sb.credentials.IMO_AUDIENCE,
      getCredentials: async () => creds,
      retry: { baseDelayMs: 10 },
      ...o,
    });
  const normalizeFor = (auth: ImoAuth): NormalizeClient =>
    new NormalizeClient(
      createImoApiClient({ auth, baseUrl: () => sb.url, userAgent: UA, retry: { baseDelayMs: 10 } }),
    );
  const tokenRequests = (): number => sb.count('POST', TOKEN);

  before(async () => {
    sb = await startSandbox();
  });
  after(async () => sb.close());
  beforeEach(() => {
    sb.reset();
    creds = { clientId: sb.credentials.IMO_CLIENT_ID, clientSecret: sb.credentials.IMO_CLIENT_SECRET };
  });

  describe('caching', () => {
    it('fetches a token once and serves it from memory until it nears expiry', async () => {
      let clock = 1_000_000;
      const auth = makeAuth({ now: () => clock, refreshSkewMs: 60_000 });
      const t1 = await auth.getToken();
      const t2 = await auth.getToken();
      assert.strictEqual(t1, t2);
      assert.strictEqual(tokenRequests(), 1);
      // the sandbox says expires_in 3600: still fresh 1 ms before (expiry - skew)
      clock += 3600_000 - 60_000 - 1;
      assert.strictEqual(await auth.getToken(), t1);
      assert.strictEqual(tokenRequests(), 1);
      clock += 1;
      const t3 = await auth.getToken();
      assert.notStrictEqual(t3, t1);
      assert.strictEqual(tokenRequests(), 2);
    });

    it('refreshes a token the sandbox has expired (short TTL), with one extra token request', async () => {
      let serverClock = Date.now();
      const short = await startSandbox({ tokenTtlSeconds: 30, now: () => serverClock });
      try {
        const auth = new ImoAuth({
          baseUrl: () => short.url,
          userAgent: UA,
          audience: () => short.credentials.IMO_AUDIENCE,
          getCredentials: async () => ({
            clientId: short.credentials.IMO_CLIENT_ID,
            clientSecret: short.credentials.IMO_CLIENT_SECRET,
          }),
          refreshSkewMs: 0,
        });
        const normalize = new NormalizeClient(
          createImoApiClient({ auth, baseUrl: () => short.url, userAgent: UA, retry: { baseDelayMs: 5 } }),
        );
        await normalize.getSession();
        serverClock += 31_000; // the server expires the token; the client still thinks it is fresh
        await normalize.getSession();
        assert.strictEqual(short.count('POST', TOKEN), 2);
        assert.deepStrictEqual(
          short.requests.filter((r) => r.path === SESSION).map((r) => r.status),
          [200, 401, 200],
        );
      } finally {
        await short.close();
      }
    });

    it('uses a fresh token from the token cache without asking IMO', async () => {
      const issued = await makeAuth().verify(creds);
      sb.clearRequests();
      const store = memoryCache(issued);
      const auth = makeAuth({ tokenCache: store.cache });
      assert.strictEqual(await auth.getToken(), issued.accessToken);
      assert.strictEqual(await auth.getToken(), issued.accessToken);
      assert.strictEqual(tokenRequests(), 0);
      assert.strictEqual(store.loads, 1);
      await normalizeFor(auth).getSession();
      assert.strictEqual(tokenRequests(), 0);
    });

    it('ignores a stale cached token, fetches a new one and saves it', async () => {
      const clock = 5_000_000;
      const store = memoryCache({ accessToken: 'old', expiresAt: clock + 30_000 });
      const auth = makeAuth({ tokenCache: store.cache, now: () => clock });
      const token = await auth.getToken();
      assert.notStrictEqual(token, 'old');
      assert.strictEqual(tokenRequests(), 1);
      assert.deepStrictEqual(store.saved, [{ accessToken: token, expiresAt: clock + 3600_000 }]);
    });

    it('repairs a revoked cached token: 401, refresh, repeat', async () => {
      const issued = await makeAuth().verify(creds);
      sb.revokeTokens();
      sb.clearRequests();
      const store = memoryCache(issued);
      const auth = makeAuth({ tokenCache: store.cache });
      const { sessionId } = await normalizeFor(auth).getSession();
      assert.ok(sessionId);
      assert.strictEqual(tokenRequests(), 1);
      assert.notStrictEqual(store.current()?.accessToken, issued.accessToken);
    });

    it('survives a token cache that throws', async () => {
      const log = recordingLogger();
      const auth = makeAuth({
        logger: log,
        tokenCache: {
          load: async () => {
            throw new Error('keyring locked');
          },
          save: async () => {
            throw new Error('keyring locked');
          },
        },
      });
      assert.ok(await auth.getToken());
      assert.ok(log.lines.some((l) => l.includes('could not update the cached access token')));
    });

    it('invalidate() forgets the memory token and clears the cache', async () => {
      const store = memoryCache();
      const auth = makeAuth({ tokenCache: store.cache });
      const t1 = await auth.getToken();
      await auth.invalidate();
      assert.strictEqual(store.current(), undefined);
      assert.strictEqual(store.saved.at(-1), undefined);
      const t2 = await auth.getToken();
      assert.notStrictEqual(t1, t2);
      assert.strictEqual(tokenRequests(), 2);
    });

    it('does not store a token fetched before invalidate()', async () => {
      sb.faults.add({ type: 'delay', method: 'POST', path: TOKEN, ms: 150, times: 1 });
      const store = memoryCache();
      const auth = makeAuth({ tokenCache: store.cache });
      const pending = auth.getToken();
      await delay(20);
      await auth.invalidate();
      await pending; // the caller that asked still gets its token
      assert.strictEqual(store.current(), undefined);
      await auth.getToken();
      assert.strictEqual(tokenRequests(), 2);
    });
  });

  describe('single flight', () => {
    it('makes ONE token request for 20 concurrent callers', async () => {
      const auth = makeAuth({ tokenCache: memoryCache().cache });
      const tokens = await Promise.all(Array.from({ length: 20 }, () => auth.getToken()));
      assert.strictEqual(new Set(tokens).size, 1);
      assert.strictEqual(tokenRequests(), 1);
    });

    it('makes ONE extra token request when 20 concurrent calls hit a revoked token', async () => {
      const auth = makeAuth();
      const normalize = normalizeFor(auth);
      await normalize.getSession();
      sb.revokeTokens();
      // half of the 401s arrive late, after the first refresh has finished: they must reuse its token
      sb.faults.add({ type: 'delay', method: 'GET', path: SESSION, ms: 100, times: 10 });
      const sessions = await Promise.all(Array.from({ length: 20 }, () => normalize.getSession()));
      assert.strictEqual(new Set(sessions.map((s) => s.sessionId)).size, 20);
      assert.strictEqual(tokenRequests(), 2);
    });

    it('a caller that aborts gives up promptly; the shared request still serves the others', async () => {
      sb.faults.add({ type: 'delay', method: 'POST', path: TOKEN, ms: 300, times: 1 });
      const auth = makeAuth();
      const ac = new AbortController();
      const patient = auth.getToken();
      const impatient = timed(auth.getToken({ signal: ac.signal }));
      setTimeout(() => ac.abort(), 30);
      const r = await impatient;
      await expectApiError(Promise.reject(r.error), 'cancelled');
      assert.ok(r.ms < 250, `took ${r.ms} ms`);
      assert.ok(await patient);
      assert.strictEqual(tokenRequests(), 1);
    });
  });

  describe('401 → refresh → repeat once', () => {
    it('after revokeTokens, a call succeeds with exactly one extra token request', async () => {
      const auth = makeAuth();
      const normalize = normalizeFor(auth);
      await normalize.getSession();
      sb.revokeTokens();
      await normalize.getSession();
      assert.strictEqual(tokenRequests(), 2);
      assert.deepStrictEqual(
        sb.requests.filter((r) => r.path === SESSION).map((r) => r.status),
        [200, 401, 200],
      );
    });

    it('a persistent 401 fails as unauthorized after one repeat', async () => {
      sb.faults.add({ type: 'status', method: 'GET', path: SESSION, status: 401 });
      const e = await expectApiError(normalizeFor(makeAuth()).getSession(), 'unauthorized');
      assert.strictEqual(e.status, 401);
      assert.strictEqual(e.message, 'IMO answered 401 (not authorized) for GET /precision/normalize/session');
      assert.strictEqual(sb.count('GET', SESSION), 2);
      assert.strictEqual(tokenRequests(), 2);
    });

    it('a 401 on a POST is repeated too (the server did not process it)', async () => {
      const auth = makeAuth();
      const api = createImoApiClient({
        auth,
        baseUrl: () => sb.url,
        userAgent: UA,
        retry: { baseDelayMs: 5 },
      });
      sb.faults.add({ type: 'status', method: 'POST', path: '/v1/thing', status: 401, times: 1 });
      // after the repeat the sandbox has no such route: 404 proves the request was sent again
      await expectApiError(
        api.request({ method: 'POST', path: '/v1/thing', body: {}, schema: z.unknown() }),
        'notFound',
      );
      assert.strictEqual(sb.count('POST', '/v1/thing'), 2);
    });

    it('a request sent without auth is not repeated on 401', async () => {
      const auth = makeAuth();
      const api = createImoApiClient({ auth, baseUrl: () => sb.url, userAgent: UA });
      await expectApiError(
        api.request({ method: 'GET', path: SESSION, schema: z.unknown(), auth: false }),
        'unauthorized',
      );
      assert.strictEqual(sb.count('GET', SESSION), 1);
      assert.strictEqual(tokenRequests(), 0);
    });

    it('when the refresh itself is refused, the credentials error is what the caller sees', async () => {
      const auth = makeAuth();
      const normalize = normalizeFor(auth);
      await normalize.getSession();
      sb.revokeTokens();
      creds = { ...creds, clientSecret: 'rotated-elsewhere' };
      const e = await expectApiError(normalize.getSession(), 'unauthorized');
      assert.match(e.message, /did not accept the client ID or client secret/);
      assert.strictEqual(tokenRequests(), 2);
    });
  });

  describe('token endpoint errors', () => {
    it('401: says the client ID or secret was not accepted, and never refreshes', async () => {
      const e = await expectApiError(
        makeAuth().verify({ clientId: creds.clientId, clientSecret: 'wrong' }),
        'unauthorized',
      );
      assert.strictEqual(
        e.message,
        'IMO did not accept the client ID or client secret: check both were copied exactly from the IMO developer portal',
      );
      assert.strictEqual(e.status, 401);
      assert.match(e.traceId ?? '', /^[0-9a-f-]{36}$/);
      assert.ok(!e.message.includes('wrong'));
      assert.strictEqual(tokenRequests(), 1);
      creds = { clientId: 'nobody', clientSecret: 'nothing' };
      await expectApiError(makeAuth().getToken(), 'unauthorized');
      assert.strictEqual(tokenRequests(), 2);
    });

    it('403: says the audience is wrong or missing', async () => {
      const e = await expectApiError(
        makeAuth({ audience: () => 'https://example.org' }).getToken(),
        'forbidden',
      );
      assert.strictEqual(
        e.message,
        'IMO refused the audience: the audience setting is wrong or missing (expected https://api.imohealth.com)',
      );
      assert.strictEqual(e.serverMessage, 'Service not enabled within domain');
    });

    it('415: says the request was not sent as JSON, a bug to report', async () => {
      sb.faults.add({ type: 'status', method: 'POST', path: TOKEN, status: 415, times: 1 });
      const e = await expectApiError(makeAuth().getToken(), 'badRequest');
      assert.match(e.message, /not sent as JSON/);
      assert.match(e.message, /bug/);
    });

    it('retries the token request on 5xx (requesting a token twice changes nothing)', async () => {
      sb.faults.add({ type: 'status', method: 'POST', path: TOKEN, status: 503, times: 1 });
      assert.ok(await makeAuth().getToken());
      assert.strictEqual(tokenRequests(), 2);
    });

    it('without stored credentials: unauthorized "Not signed in to IMO…" and no request', async () => {
      const auth = makeAuth({ getCredentials: async () => undefined });
      const e = await expectApiError(auth.getToken(), 'unauthorized');
      assert.match(e.message, /^Not signed in to IMO/);
      assert.strictEqual(tokenRequests(), 0);
      const e2 = await expectApiError(normalizeFor(auth).getSession(), 'unauthorized');
      assert.match(e2.message, /^Not signed in to IMO/);
      assert.strictEqual(sb.count('GET', SESSION), 0);
    });

    it('rejects a token answer of the wrong shape as invalidResponse', async () => {
      sb.faults.add({ type: 'malformed', method: 'POST', path: TOKEN, raw: '{"access_token":""}', times: 1 });
      const e = await expectApiError(makeAuth().getToken(), 'invalidResponse');
      assert.match(e.message, /access_token/);
      assert.match(e.message, /expires_in/);
    });
  });

  describe('verify', () => {
    it('returns a token without reading or writing any cache', async () => {
      const store = memoryCache();
      const auth = makeAuth({ tokenCache: store.cache, now: () => 42_000 });
      const t = await auth.verify(creds);
      assert.strictEqual(t.expiresAt, 42_000 + 3600_000);
      assert.strictEqual(store.loads, 0);
      assert.deepStrictEqual(store.saved, []);
      const t2 = await auth.getToken();
      assert.notStrictEqual(t2, t.accessToken); // verify did not fill the memory cache either
    });

    it('is cancelled by its signal', async () => {
      sb.faults.add({ type: 'delay', method: 'POST', path: TOKEN, ms: 2000, times: 1 });
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 30);
      const r = await timed(makeAuth().verify(creds, ac.signal));
      await expectApiError(Promise.reject(r.error), 'cancelled');
      assert.ok(r.ms < 500);
    });
  });
});
