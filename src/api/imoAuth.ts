/**
 * IMO OAuth2 client credentials (document 000): `POST {baseUrl}/oauth/token` with a JSON body
 * `{client_id, client_secret, audience, grant_type: "client_credentials"}` answers
 * `{access_token, expires_in, token_type, scope?}`. {@link ImoAuth} turns that into a token
 * provider for {@link createHttpClient}: cached in memory and in an optional persistent cache
 * (SecretStorage in the extension), refreshed `refreshSkewMs` before expiry, and fetched by one
 * request however many callers ask at once.
 */
import * as z from 'zod/mini';
import { ApiError, isApiError } from '../core/errors';
import {
  type GetTokenOptions,
  type HttpAuth,
  type HttpClient,
  type HttpLogger,
  type RetryOptions,
  createHttpClient,
} from './http';

/** The token endpoint, relative to the IMO base URL. */
export const IMO_TOKEN_PATH = '/oauth/token';

/** The audience document 000 prescribes. */
export const IMO_EXPECTED_AUDIENCE = 'https://api.imohealth.com';

/** An IMO app's Consumer Key and Consumer Secret. */
export interface ImoCredentials {
  clientId: string;
  clientSecret: string;
}

/** A token and when it stops being valid. */
export interface CachedToken {
  accessToken: string;
  /** Expiry, epoch ms (issue time + `expires_in`). */
  expiresAt: number;
}

/** Persistent token storage (SecretStorage in the extension). `save(undefined)` forgets the token. */
export interface TokenCache {
  load(): Promise<CachedToken | undefined>;
  save(token: CachedToken | undefined): Promise<void>;
}

export interface ImoAuthOptions {
  /** A client for the IMO host, without auth. When omitted one is built from the fields below. */
  http?: HttpClient;
  /** IMO base URL, read per request (required when `http` is not given). */
  baseUrl?: () => string;
  userAgent?: string;
  /** Per-attempt timeout of the token request, ms (default 30000). */
  timeoutMs?: number;
  logger?: HttpLogger;
  retry?: RetryOptions;
  /** The OAuth audience to request, normally {@link IMO_EXPECTED_AUDIENCE}. */
  audience: () => string;
  /** The stored credentials, or undefined when the user has not signed in. */
  getCredentials(): Promise<ImoCredentials | undefined>;
  tokenCache?: TokenCache;
  /** Clock, epoch ms (default `Date.now`). */
  now?: () => number;
  /** Treat a token as expired this long before its expiry, ms (default 60000). */
  refreshSkewMs?: number;
}

/** Options of {@link ImoAuth.getToken}. */
export interface ImoGetTokenOptions extends Partial<GetTokenOptions> {
  signal?: AbortSignal;
}

const tokenResponseSchema = z.object({
  access_token: z.string().check(z.minLength(1)),
  // seconds; some gateways send it as a string
  expires_in: z.union([
    z.number().check(z.positive()),
    z.pipe(z.string().check(z.regex(/^\d+$/)), z.transform(Number)),
  ]),
  token_type: z.string(),
  scope: z.optional(z.string()),
});

/**
 * Token provider for the IMO APIs. Pass it as `auth` (it is a Bearer {@link HttpAuth}) to the
 * IMO API client (see `createImoApiClient` in `normalize.ts`).
 */
export class ImoAuth implements HttpAuth {
  readonly scheme = 'Bearer' as const;
  private readonly http: HttpClient;
  private readonly now: () => number;
  private readonly skewMs: number;
  private memory: CachedToken | undefined;
  private inFlight: Promise<CachedToken> | undefined;
  /** Bumped by {@link invalidate}; a fetch started before it must not store its result. */
  private generation = 0;

  constructor(private readonly options: ImoAuthOptions) {
    this.now = options.now ?? Date.now;
    this.skewMs = options.refreshSkewMs ?? 60_000;
    if (options.http) {
      this.http = options.http;
    } else {
      if (!options.baseUrl) throw new TypeError('ImoAuth needs either an http client or a baseUrl');
      this.http = createHttpClient({
        service: 'IMO',
        baseUrl: options.baseUrl,
        userAgent: options.userAgent ?? 'clinical-coder',
        timeoutMs: options.timeoutMs,
        logger: options.logger,
        retry: options.retry,
      });
    }
  }

  /**
   * A valid access token: from memory, else from the token cache, else a new one from IMO.
   * Concurrent callers share one token request. With `forceRefresh` (the server rejected a token)
   * the caches are skipped, unless another caller has already replaced the `rejected` token.
   * Rejects with an ApiError: `unauthorized` when not signed in or the credentials are refused,
   * `cancelled` when `signal` aborts (the shared request carries on for the other callers).
   */
  async getToken(o: ImoGetTokenOptions = {}): Promise<string> {
    if (o.signal?.aborted) throw cancelled();
    if (o.forceRefresh) {
      const current = this.memory;
      if (
        current &&
        o.rejected !== undefined &&
        current.accessToken !== o.rejected &&
        this.isFresh(current)
      ) {
        return current.accessToken; // someone already refreshed
      }
      if (!current || o.rejected === undefined || current.accessToken === o.rejected) this.memory = undefined;
      let token = await raceSignal(this.inFlight ?? this.start(true), o.signal);
      if (o.rejected !== undefined && token.accessToken === o.rejected) {
        // we joined a fetch that produced the rejected token (from the cache): get a new one
        token = await raceSignal(this.inFlight ?? this.start(true), o.signal);
      }
      return token.accessToken;
    }
    if (this.memory && this.isFresh(this.memory)) return this.memory.accessToken;
    return (await raceSignal(this.inFlight ?? this.start(false), o.signal)).accessToken;
  }

  /**
   * Requests a token with `credentials` without reading or writing any cache. Sign In calls it
   * before storing anything, so rejected credentials never get saved.
   */
  async verify(credentials: ImoCredentials, signal?: AbortSignal): Promise<CachedToken> {
    return this.requestToken(credentials, signal);
  }

  /** Forgets the token in memory and in the token cache (Sign Out, environment switch). */
  invalidate(): Promise<void> {
    this.generation += 1;
    this.memory = undefined;
    this.inFlight = undefined;
    return this.saveQuietly(undefined);
  }

  private isFresh(t: CachedToken): boolean {
    return this.now() < t.expiresAt - this.skewMs;
  }

  /** Starts the one shared token fetch. */
  private start(skipCache: boolean): Promise<CachedToken> {
    const generation = this.generation;
    const fetch = async (): Promise<CachedToken> => {
      if (!skipCache && this.options.tokenCache) {
        const cached = await this.options.tokenCache.load().catch(() => undefined); // a broken cache is no cache
        if (cached && this.isFresh(cached)) {
          if (generation === this.generation) this.memory = cached;
          return cached;
        }
      }
      const credentials = await this.options.getCredentials();
      if (!credentials) {
        throw new ApiError({
          kind: 'unauthorized',
          message: 'Not signed in to IMO: sign in with the client ID and client secret of your IMO app',
          service: 'IMO',
        });
      }
      // No caller's signal here: the fetch is shared, and one caller giving up must not fail the others.
      const token = await this.requestToken(credentials, undefined);
      if (generation === this.generation) {
        this.memory = token;
        await this.saveQuietly(token);
      }
      return token;
    };
    const p = fetch();
    this.inFlight = p;
    const clear = (): void => {
      if (this.inFlight === p) this.inFlight = undefined;
    };
    p.then(clear, clear);
    return p;
  }

  private async saveQuietly(token: CachedToken | undefined): Promise<void> {
    try {
      await this.options.tokenCache?.save(token);
    } catch {
      // the token still works from memory; a failing keyring is reported where secrets are managed
      this.options.logger?.warn('IMO: could not update the cached access token');
    }
  }

  private async requestToken(
    credentials: ImoCredentials,
    signal: AbortSignal | undefined,
  ): Promise<CachedToken> {
    const requestedAt = this.now();
    try {
      const r = await this.http.request({
        method: 'POST',
        path: IMO_TOKEN_PATH,
        body: {
          client_id: credentials.clientId,
          client_secret: credentials.clientSecret,
          audience: this.options.audience(),
          grant_type: 'client_credentials',
        },
        schema: tokenResponseSchema,
        signal,
        // Asking for a token twice changes nothing on the server, so 429/5xx/network failures may
        // be retried even though this is a POST.
        retrySafe: true,
        // The token endpoint takes no token: a 401 here is about the credentials and must never
        // trigger the refresh-and-repeat path.
        auth: false,
      });
      // expiry counted from before the request: never later than the server's own clock says
      return { accessToken: r.access_token, expiresAt: requestedAt + r.expires_in * 1000 };
    } catch (e) {
      throw explainTokenError(e);
    }
  }
}

/** Document 000's meanings of the token endpoint's errors, in words a coder can act on. */
function explainTokenError(e: unknown): unknown {
  if (!isApiError(e) || e.status === undefined) return e;
  let message: string | undefined;
  if (e.status === 415) {
    message =
      'IMO rejected the token request because it was not sent as JSON (415). This is a bug in Clinical Coder: please report it';
  } else if (e.status === 401) {
    message =
      'IMO did not accept the client ID or client secret: check both were copied exactly from the IMO developer portal';
  } else if (e.status === 403) {
    message = `IMO refused the audience: the audience setting is wrong or missing (expected ${IMO_EXPECTED_AUDIENCE})`;
  }
  if (message === undefined) return e;
  return new ApiError({
    kind: e.kind,
    message,
    service: e.service,
    method: e.method,
    path: e.path,
    status: e.status,
    serverMessage: e.serverMessage,
    traceId: e.traceId,
    retryAfterMs: e.retryAfterMs,
    cause: e,
  });
}

function cancelled(): ApiError {
  return new ApiError({
    kind: 'cancelled',
    message: 'The IMO token request was cancelled',
    service: 'IMO',
    method: 'POST',
    path: IMO_TOKEN_PATH,
  });
}

/** Resolves like `p`, or rejects with `cancelled` as soon as `signal` aborts. */
function raceSignal<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(cancelled());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(cancelled());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
