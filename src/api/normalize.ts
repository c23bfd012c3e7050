/**
 * IMO Normalize (document 000's "first call"): `GET /precision/normalize/session` answers
 * `{session_id}`. Also home of {@link createImoApiClient}, the authenticated client every IMO API
 * (Normalize, Download, Crosswalks) is built on.
 */
import * as z from 'zod/mini';
import {
  type GetTokenOptions,
  type HttpClient,
  type HttpLogger,
  type RetryOptions,
  createHttpClient,
} from './http';

export const NORMALIZE_SESSION_PATH = '/precision/normalize/session';

const sessionSchema = z.object({ session_id: z.string().check(z.minLength(1)) });

export interface ImoApiClientOptions {
  /** The token provider, normally an `ImoAuth` of the same environment. */
  auth: { getToken(o: GetTokenOptions): Promise<string> };
  /** IMO base URL, read per request. */
  baseUrl: () => string;
  userAgent: string;
  /** Per-attempt timeout, ms (default 30000). */
  timeoutMs?: number;
  logger?: HttpLogger;
  retry?: RetryOptions;
}

/**
 * The HTTP client for IMO APIs: `Authorization: Bearer <token>` from `auth`, one refresh-and-repeat
 * on 401, and the retry policy of document 000 (429 with Retry-After, exponential back-off).
 */
export function createImoApiClient(o: ImoApiClientOptions): HttpClient {
  return createHttpClient({
    service: 'IMO',
    baseUrl: o.baseUrl,
    userAgent: o.userAgent,
    timeoutMs: o.timeoutMs,
    logger: o.logger,
    retry: o.retry,
    auth: { scheme: 'Bearer', getToken: (t) => o.auth.getToken(t) },
  });
}

/** IMO Normalize API. */
export class NormalizeClient {
  /** @param http a client from {@link createImoApiClient}. */
  constructor(private readonly http: HttpClient) {}

  /**
   * Creates a Normalize session. Also the cheapest authenticated IMO call, so "Test Connection"
   * uses it. Rejects with an ApiError.
   */
  async getSession(signal?: AbortSignal): Promise<{ sessionId: string }> {
    const r = await this.http.request({
      method: 'GET',
      path: NORMALIZE_SESSION_PATH,
      schema: sessionSchema,
      signal,
    });
    return { sessionId: r.session_id };
  }
}
