/**
 * The one HTTP client of the extension, and the only module that imports axios (DESIGN.md §1).
 * Every API client (IMO, Codify, Heim…) is built on {@link createHttpClient}; this module owns
 * base URLs, timeouts, the retry policy, auth header injection, response-shape checks, and the
 * mapping of every failure to exactly one {@link ApiError}.
 *
 * Retry policy (documents 000 and 002): 429, 5xx and network failures are retried with
 * exponential back-off and jitter (`baseDelayMs` × 2^(n-1), ±20 %), at most `retries` times, and
 * only for requests marked retry-safe (GET/HEAD by default); a request marked `'rateLimitOnly'` (an
 * edit the server may have applied when it failed otherwise) is retried after a 429 only. `Retry-After` (seconds or HTTP date)
 * is honoured; when it asks for more than `maxRetryAfterMs` we stop and report `rateLimited` with
 * `retryAfterMs`, so the UI can say when to try again. A request sent with `retryRateLimit: false`
 * is never retried after a 429 (a caller pacing a pool of requests handles it). Retries are driven
 * by axios-retry.
 *
 * Logging: one line per attempt (service, method, path without query, status or failure, ms,
 * attempt number). Never headers, bodies or query strings. A failed answer in the error-envelope shape
 * (`{error: {message, traceRequestId, issues}}`, Heim) adds its trace id and the count and paths of its
 * issues, never their messages (they may echo patient data sent in the request).
 *
 * Error bodies: the server's message, trace id and `issues[]` are read from the common shapes (see
 * {@link toApiError}) into the ApiError, for any service.
 */
import axios, { AxiosError, type AxiosRequestConfig, type AxiosResponse } from 'axios';
import axiosRetry from 'axios-retry';
import type { ZodMiniType } from 'zod/mini';
import { ApiError, type ApiErrorKind, type ApiIssue, isApiError, kindForStatus } from '../core/errors';
import { redactText, redactUrl } from '../core/redact';

/** Where request lines go; a `LogOutputChannel`-backed logger in the extension. */
export interface HttpLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Options of a token request made by the client. */
export interface GetTokenOptions {
  /** Do not return a cached token: the server has just rejected the current one. */
  forceRefresh: boolean;
  /**
   * The token the server rejected (with `forceRefresh`). A provider may return a newer token it
   * already holds instead of fetching another, so N concurrent 401s cost one token request.
   */
  rejected?: string;
  signal?: AbortSignal;
}

/** How the client authenticates. */
export interface HttpAuth {
  getToken(o: GetTokenOptions): Promise<string>;
  /** `Bearer` → `Authorization: Bearer <token>`; `raw` → `Authorization: <token>` (Heim API keys). */
  scheme: 'Bearer' | 'raw';
}

export interface RetryOptions {
  /** Retries after the first attempt (default 3). */
  retries?: number;
  /** Delay before the first retry, ms (default 1000); doubles each retry, ±20 % jitter. */
  baseDelayMs?: number;
  /** Longest `Retry-After` we wait for, ms (default 60000); longer fails as `rateLimited`. */
  maxRetryAfterMs?: number;
}

export interface HttpClientOptions {
  /** Label used in messages and logs: "IMO", "Codify", "Heim". */
  service: string;
  /** Base URL (scheme, host, optional path prefix), read on every request so setting changes apply at once. */
  baseUrl: () => string;
  /** Per-attempt timeout, ms (default 30000). Each retry gets the full timeout again. */
  timeoutMs?: number;
  /** Sent as `User-Agent`, e.g. `clinical-coder/0.1.0 (VS Code extension)`. */
  userAgent: string;
  auth?: HttpAuth;
  logger?: HttpLogger;
  retry?: RetryOptions;
}

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type QueryValue =
  string | number | boolean | null | undefined | ReadonlyArray<string | number | boolean>;

export interface RequestOptions<T> {
  method: HttpMethod;
  /** Path below the base URL, starting with `/`, without a query string (use `query`). */
  path: string;
  /** Query parameters; `undefined`/`null` values are left out. */
  query?: Record<string, QueryValue>;
  /** JSON body (serialised here; `Content-Type: application/json` is set). */
  body?: unknown;
  /** Extra headers (e.g. Codify's `x-doctor` / `x-patient`). Never logged. */
  headers?: Record<string, string>;
  /** Shape the response body must have; a mismatch is an `invalidResponse` error. */
  schema: ZodMiniType<T>;
  signal?: AbortSignal;
  /**
   * Whether repeating the request is harmless, so 429/5xx/network failures may be retried.
   * Default: true for GET/HEAD, false otherwise (a POST that may have been processed is never repeated).
   * `'rateLimitOnly'`: retried after a 429 only (the server says it did not process the request),
   * never after a 5xx, timeout or network failure (it may have been applied): for edits that must not
   * run twice, such as crosswalk changes (each one creates a version).
   */
  retrySafe?: boolean | 'rateLimitOnly';
  /**
   * Whether a 429 may be retried here, waiting out its `Retry-After` (default true, within the
   * `retrySafe` rules). `false`: a 429 is reported at once as `rateLimited` with `retryAfterMs`, for a
   * caller that paces a pool of requests itself (a per-request sleep cannot slow the other requests
   * down); 5xx and network failures are still retried as `retrySafe` says.
   */
  retryRateLimit?: boolean;
  /** Send the Authorization header (default true when the client has `auth`). */
  auth?: boolean;
  /** Per-attempt timeout for this request, ms (overrides the client's). */
  timeoutMs?: number;
  /**
   * Path as it appears in logs and errors when `path` holds identifiers that must not be logged
   * (e.g. `/v1/patients/{id}`). Default: `path`.
   */
  logPath?: string;
}

/** A successful answer with its status and headers (names lower-case). */
export interface HttpResponse<T> {
  data: T;
  status: number;
  headers: Record<string, string>;
}

export interface HttpClient {
  readonly service: string;
  /** Performs the request and returns the checked body. Rejects with exactly one {@link ApiError}. */
  request<T>(o: RequestOptions<T>): Promise<T>;
  /** Like {@link request}, with the status and response headers. */
  requestFull<T>(o: RequestOptions<T>): Promise<HttpResponse<T>>;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RETRIES = 3;
const DEFAULT_BASE_DELAY_MS = 1000;
const DEFAULT_MAX_RETRY_AFTER_MS = 60_000;
const SERVER_MESSAGE_MAX = 300;
/** Issues kept from an error body (the rest are dropped: a screenful is enough to act on). */
const ISSUES_MAX = 20;
/** Segments kept of one issue path. */
const ISSUE_PATH_MAX = 16;

/** Per-request bookkeeping carried on the axios config (copied by axios, not shared). */
interface RequestMeta {
  service: string;
  method: string;
  logPath: string;
  /** Attempts made before this axios call (the 401 repeat continues the count). */
  attemptOffset: number;
  /** Retry after a 429 only (`retrySafe: 'rateLimitOnly'`). */
  rateLimitOnly: boolean;
  /** Never retry a 429 (`retryRateLimit: false`). */
  noRateLimitRetry: boolean;
  started: number;
}

declare module 'axios' {
  interface AxiosRequestConfig {
    clinicalCoder?: RequestMeta;
  }
}

/**
 * Parses a `Retry-After` value: delta-seconds (`"120"`, `"1.5"`) or an HTTP date. Returns the
 * wait in ms (never negative), or undefined when absent or unparseable.
 */
export function parseRetryAfter(
  value: string | undefined | null,
  now: number = Date.now(),
): number | undefined {
  if (value === undefined || value === null) return undefined;
  const v = String(value).trim();
  if (v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Creates a client for one service. See the module comment for the policies it applies. */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const service = options.service;
  const retries = Math.max(0, options.retry?.retries ?? DEFAULT_RETRIES);
  const baseDelayMs = Math.max(0, options.retry?.baseDelayMs ?? DEFAULT_BASE_DELAY_MS);
  const maxRetryAfterMs = options.retry?.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
  const logger = options.logger;

  const instance = axios.create();

  // Registered before axios-retry's interceptors so it sees every attempt, including retries.
  instance.interceptors.request.use((config) => {
    if (config.clinicalCoder) config.clinicalCoder.started = Date.now();
    return config;
  });
  instance.interceptors.response.use(
    (response) => {
      logAttempt(logger, response.config, response.status, undefined);
      return response;
    },
    (error: unknown) => {
      if (error instanceof AxiosError && error.config) logAttempt(logger, error.config, undefined, error);
      return Promise.reject(error);
    },
  );

  axiosRetry(instance, {
    retries,
    // Each attempt gets the whole timeout. axios-retry's default (false) shrinks the timeout of
    // each retry by the time already spent and gives up with the previous error when nothing is left.
    shouldResetTimeout: true,
    retryCondition: (error) => {
      if (isCancelError(error)) return false;
      const rateLimitOnly = error.config?.clinicalCoder?.rateLimitOnly === true;
      if (rateLimitOnly && (isTransportFailure(error) || error.response?.status !== 429)) return false;
      if (isTransportFailure(error)) {
        // timeouts, resets, refused connections, connections cut mid-body. (axios-retry's
        // isNetworkError refuses a response cut mid-body because axios attaches the response.)
        return error.response ? true : isRetryableTransportError(error);
      }
      const status = error.response?.status ?? 0;
      if (status === 429) {
        if (error.config?.clinicalCoder?.noRateLimitRetry === true) return false;
        const wait = parseRetryAfter(headerOf(error.response, 'retry-after'));
        return wait === undefined || wait <= maxRetryAfterMs;
      }
      return status >= 500 && status <= 599;
    },
    retryDelay: (retryCount, error) => {
      const exponential = baseDelayMs * 2 ** Math.max(0, retryCount - 1);
      const jittered = exponential * (0.8 + 0.4 * Math.random());
      const wait = parseRetryAfter(headerOf(error.response, 'retry-after'));
      // Retry-After is the server's minimum: never wait less.
      return wait === undefined ? jittered : Math.max(wait, jittered);
    },
  });

  const send = async <T>(
    o: RequestOptions<T>,
    token: string | undefined,
    attemptOffset: number,
  ): Promise<AxiosResponse<string>> => {
    const method = o.method.toUpperCase();
    const safe = o.retrySafe ?? (method === 'GET' || method === 'HEAD');
    const rateLimitOnly = safe === 'rateLimitOnly';
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': options.userAgent,
      ...(o.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...(o.headers ?? {}),
    };
    if (token !== undefined)
      headers.Authorization = options.auth?.scheme === 'raw' ? token : `Bearer ${token}`;
    const config: AxiosRequestConfig = {
      method,
      url: buildUrl(service, options.baseUrl(), o.path),
      params: cleanQuery(o.query),
      data: o.body === undefined ? undefined : JSON.stringify(o.body),
      headers,
      timeout: o.timeoutMs ?? options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      signal: o.signal,
      // We parse and check bodies ourselves: a non-JSON body must become invalidResponse, not a string.
      responseType: 'text',
      transformResponse: [(d: unknown) => d],
      transformRequest: [(d: unknown) => d],
      validateStatus: (s) => s >= 200 && s < 300,
      // Never follow a redirect: it could carry the Authorization header to another host.
      maxRedirects: 0,
      allowAbsoluteUrls: false,
      // Proxies are the host's business: VS Code applies `http.proxy` by patching Node's http
      // modules; axios' own env-variable proxy logic would bypass or duplicate that.
      proxy: false,
      // a timeout gets its own code (ETIMEDOUT), so it is told apart from other aborted requests
      transitional: { clarifyTimeoutError: true },
      'axios-retry': { retries: safe ? retries : 0 },
      clinicalCoder: {
        service,
        method,
        logPath: logPathOf(o),
        attemptOffset,
        rateLimitOnly,
        noRateLimitRetry: o.retryRateLimit === false,
        started: Date.now(),
      },
    };
    return instance.request<string>(config);
  };

  const requestFull = async <T>(o: RequestOptions<T>): Promise<HttpResponse<T>> => {
    checkPath(o.path);
    const ctx: ErrorContext = {
      service,
      method: o.method.toUpperCase(),
      path: logPathOf(o),
      signal: o.signal,
    };
    if (o.signal?.aborted) throw cancelledError(ctx);
    const auth = options.auth && (o.auth ?? true) ? options.auth : undefined;
    let token = auth ? await fetchToken(auth, { forceRefresh: false, signal: o.signal }, ctx) : undefined;
    let response: AxiosResponse<string>;
    try {
      response = await send(o, token, 0);
    } catch (first) {
      if (!auth || statusOf(first) !== 401 || o.signal?.aborted) throw toApiError(first, ctx);
      // The token was rejected (expired or revoked early): get a fresh one and repeat once.
      // A second 401 means the credentials themselves are no good; it is reported as is.
      token = await fetchToken(auth, { forceRefresh: true, rejected: token, signal: o.signal }, ctx);
      const attempts =
        (first instanceof AxiosError ? (first.config?.['axios-retry']?.retryCount ?? 0) : 0) + 1;
      try {
        response = await send(o, token, attempts);
      } catch (second) {
        throw toApiError(second, ctx);
      }
    }
    return {
      data: checkBody(response, o.schema, ctx),
      status: response.status,
      headers: headersOf(response),
    };
  };

  return {
    service,
    requestFull,
    request: async <T>(o: RequestOptions<T>): Promise<T> => (await requestFull(o)).data,
  };
}

interface ErrorContext {
  service: string;
  method: string;
  path: string;
  signal?: AbortSignal;
}

async function fetchToken(auth: HttpAuth, o: GetTokenOptions, ctx: ErrorContext): Promise<string> {
  try {
    return await auth.getToken(o);
  } catch (e) {
    if (isApiError(e)) throw e;
    if (ctx.signal?.aborted) throw cancelledError(ctx);
    throw new ApiError({
      kind: 'unauthorized',
      message: `Could not get ${ctx.service} credentials for ${ctx.method} ${ctx.path}`,
      service: ctx.service,
      method: ctx.method,
      path: ctx.path,
      cause: safeCause(e),
    });
  }
}

function logPathOf(o: { path: string; logPath?: string }): string {
  return redactUrl(o.logPath ?? o.path);
}

/** A wrong path is a programming error, not an ApiError. */
function checkPath(path: string): void {
  if (!path.startsWith('/') || path.startsWith('//') || /[?#]/.test(path)) {
    throw new TypeError(`request path must start with "/" and have no query: ${redactUrl(path)}`);
  }
}

function buildUrl(service: string, base: string, path: string): string {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    url = new URL('invalid:');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ApiError({
      kind: 'network',
      message: `The ${service} base URL is not set to an http(s) address`,
      service,
    });
  }
  return base.replace(/\/+$/, '') + path;
}

function cleanQuery(query: Record<string, QueryValue> | undefined): URLSearchParams | undefined {
  if (!query) return undefined;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v))
      for (const item of v as ReadonlyArray<string | number | boolean>) params.append(k, String(item));
    else params.append(k, String(v));
  }
  return params;
}

function headerOf(response: AxiosResponse | undefined, name: string): string | undefined {
  const v: unknown = response?.headers?.[name];
  if (v === undefined || v === null) return undefined;
  return Array.isArray(v) ? v.join(', ') : String(v);
}

function headersOf(response: AxiosResponse): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(response.headers ?? {})) {
    if (v === undefined || v === null) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

function isCancelError(e: unknown): boolean {
  return axios.isCancel(e) || (e instanceof AxiosError && e.code === AxiosError.ERR_CANCELED);
}

function isTimeoutError(e: AxiosError): boolean {
  return e.code === AxiosError.ETIMEDOUT || e.code === AxiosError.ECONNABORTED;
}

/**
 * True when no complete HTTP answer arrived: no response at all, or a response whose body never
 * finished (axios attaches the response to the "stream has been aborted" error, with no data).
 */
function isTransportFailure(e: AxiosError): boolean {
  return !e.response || e.response.data === undefined;
}

/** Connection-level failures worth retrying; certificate and DNS errors are not. */
function isRetryableTransportError(e: AxiosError): boolean {
  return isTimeoutError(e) || axiosRetry.isNetworkError(e);
}

function statusOf(e: unknown): number | undefined {
  return e instanceof AxiosError && !isTransportFailure(e) ? e.response?.status : undefined;
}

function logAttempt(
  logger: HttpLogger | undefined,
  config: AxiosRequestConfig,
  status: number | undefined,
  error: AxiosError | undefined,
): void {
  const meta = config.clinicalCoder;
  if (!logger || !meta) return;
  const ms = Date.now() - meta.started;
  const attempt = meta.attemptOffset + (config['axios-retry']?.retryCount ?? 0) + 1;
  const head = `${meta.service} ${meta.method} ${meta.logPath}`;
  const tail = `(${ms} ms, attempt ${attempt})`;
  if (!error) {
    logger.debug(`${head} -> ${status} ${tail}`);
  } else if (isCancelError(error)) {
    logger.debug(`${head} -> cancelled ${tail}`);
  } else if (isTransportFailure(error)) {
    const what = isTimeoutError(error)
      ? 'timed out'
      : error.response
        ? 'connection lost mid-body'
        : `network error${error.code ? ` ${error.code}` : ''}`;
    logger.warn(`${head} -> ${what} ${tail}`);
  } else {
    logger.warn(`${head} -> ${error.response?.status} ${tail}${envelopeNote(error.response)}`);
  }
}

/**
 * For a failed answer in the error-envelope shape: `; trace <id>; 2 issues at limit, offset`. Paths
 * only (field names and indices; anything else is shown as `…`), never the issue messages.
 */
function envelopeNote(response: AxiosResponse | undefined): string {
  const json = parseJson(typeof response?.data === 'string' ? response.data : undefined);
  const errorObj = asRecord(asRecord(json)?.error);
  if (!errorObj) return '';
  let note = '';
  const trace = nonEmptyString(errorObj.traceRequestId);
  if (trace !== undefined && TRACE_ID.test(trace)) note += `; trace ${trace}`;
  const issues = extractIssues(json);
  if (issues && issues.length > 0) {
    const paths = issues.map((i) => loggablePath(i.path));
    note += `; ${issues.length} issue${issues.length === 1 ? '' : 's'} at ${paths.join(', ')}`;
  }
  return note;
}

/** `["items", 0, "code"]` → `items[0].code`; a segment that is not a plain field name → `…`. */
function loggablePath(path: readonly (string | number)[] | undefined): string {
  if (!path || path.length === 0) return '(request)';
  return path
    .map((seg, i) => {
      if (typeof seg === 'number') return `[${seg}]`;
      const name = /^[A-Za-z_$][\w$-]{0,63}$/.test(seg) ? seg : '…';
      return i === 0 ? name : `.${name}`;
    })
    .join('');
}

const KIND_WORDS: Record<ApiErrorKind, string> = {
  unauthorized: 'not authorized',
  forbidden: 'forbidden',
  notFound: 'not found',
  rateLimited: 'rate limited',
  server: 'server error',
  network: 'network error',
  timeout: 'timeout',
  cancelled: 'cancelled',
  invalidResponse: 'invalid response',
  badRequest: 'request rejected',
};

function cancelledError(ctx: ErrorContext, cause?: unknown): ApiError {
  return new ApiError({
    kind: 'cancelled',
    message: `${ctx.service} request ${ctx.method} ${ctx.path} was cancelled`,
    service: ctx.service,
    method: ctx.method,
    path: ctx.path,
    cause,
  });
}

/**
 * What an ApiError keeps as its `cause`: the transport error's name, code and (redacted) message,
 * never the AxiosError itself, whose config carries the request headers (Authorization, x-patient…)
 * and body for anyone who inspects or serialises the error.
 */
function safeCause(e: unknown): Error | undefined {
  if (!(e instanceof Error)) return undefined;
  const code = (e as { code?: unknown }).code;
  const cause = new Error(redactText(e.message));
  cause.name = e.name;
  return typeof code === 'string' ? Object.assign(cause, { code }) : cause;
}

/** Maps whatever a request threw to one ApiError. */
function toApiError(e: unknown, ctx: ErrorContext): ApiError {
  if (isApiError(e)) return e;
  const cause = safeCause(e);
  const base = { service: ctx.service, method: ctx.method, path: ctx.path };
  const what = `${ctx.method} ${ctx.path}`;
  if (isCancelError(e) || ctx.signal?.aborted) return cancelledError(ctx, cause);
  if (!(e instanceof AxiosError)) {
    return new ApiError({
      ...base,
      kind: 'network',
      message: `Could not reach ${ctx.service} for ${what}`,
      cause,
    });
  }
  if (isTransportFailure(e)) {
    if (isTimeoutError(e)) {
      const seconds =
        typeof e.config?.timeout === 'number' ? ` within ${formatSeconds(e.config.timeout)}` : '';
      return new ApiError({
        ...base,
        kind: 'timeout',
        message: `${ctx.service} did not answer ${what}${seconds}`,
        cause,
      });
    }
    const message = e.response
      ? `The connection to ${ctx.service} was lost while receiving ${what}`
      : `Could not reach ${ctx.service} for ${what}${e.code ? ` (${e.code})` : ''}`;
    return new ApiError({ ...base, kind: 'network', message, cause });
  }

  const response = e.response as AxiosResponse<unknown>;
  const status = response.status;
  const body = typeof response.data === 'string' ? response.data : undefined;
  const json = parseJson(body);
  const serverMessage = extractServerMessage(json, body, headerOf(response, 'content-type'));
  const traceId = extractTraceId(json, response);
  const retryAfterMs = parseRetryAfter(headerOf(response, 'retry-after'));
  const issues = extractIssues(json);
  const detail = { ...base, status, serverMessage, traceId, retryAfterMs, issues, cause };
  if (status >= 300 && status < 400) {
    return new ApiError({
      ...detail,
      kind: 'invalidResponse',
      message: `${ctx.service} answered ${status} (a redirect, not followed) for ${what}`,
    });
  }
  const kind = kindForStatus(status);
  // 402 "Request Failed" (Heim): the parameters were valid but the request failed. Still badRequest
  // (retrying will not help, and the UI offers the same actions), with its own words.
  const words = status === 402 ? 'request failed' : KIND_WORDS[kind];
  let message = `${ctx.service} answered ${status} (${words}) for ${what}`;
  if (kind === 'rateLimited' && retryAfterMs !== undefined) {
    message += `; it asks to wait ${formatSeconds(retryAfterMs)}`;
  }
  return new ApiError({ ...detail, kind, message });
}

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined || text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

function nonEmptyString(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

function clean(text: string): string {
  const oneLine = redactText(text).replace(/\s+/g, ' ').trim();
  return oneLine.length > SERVER_MESSAGE_MAX ? `${oneLine.slice(0, SERVER_MESSAGE_MAX - 1)}…` : oneLine;
}

/**
 * The server's own explanation, from the common body shapes: `{message}`, `{error: {message}}`
 * (Heim), `{error_description}` (OAuth), `{detail}`, `{title}` (problem+json), `{error: "…"}`;
 * or a short plain-text body. Redacted and truncated.
 */
function extractServerMessage(
  json: unknown,
  text: string | undefined,
  contentType: string | undefined,
): string | undefined {
  const obj = asRecord(json);
  if (obj) {
    const errorObj = asRecord(obj.error);
    const found =
      nonEmptyString(obj.message) ??
      nonEmptyString(errorObj?.message) ??
      nonEmptyString(obj.error_description) ??
      nonEmptyString(obj.detail) ??
      nonEmptyString(obj.title) ??
      nonEmptyString(obj.error);
    return found === undefined ? undefined : clean(found);
  }
  if (json === undefined && text !== undefined && text.trim() !== '' && !/html/i.test(contentType ?? '')) {
    if (/^\s*</.test(text)) return undefined; // markup from a gateway: no useful words in it
    return clean(text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '');
  }
  return undefined;
}

/**
 * The `issues[]` of an error body: `{error: {issues}}` (Heim's envelope) or a top-level `{issues}`.
 * Each needs a message (or a code, used as the message); messages and codes are redacted, one line and
 * truncated; paths keep their string and finite-number segments. Undefined when there are none.
 */
function extractIssues(json: unknown): ApiIssue[] | undefined {
  const obj = asRecord(json);
  const errorObj = asRecord(obj?.error);
  const list: unknown = Array.isArray(errorObj?.issues) ? errorObj?.issues : obj?.issues;
  if (!Array.isArray(list)) return undefined;
  const out: ApiIssue[] = [];
  for (const raw of list as unknown[]) {
    if (out.length >= ISSUES_MAX) break;
    const i = asRecord(raw);
    if (!i) continue;
    const code = nonEmptyString(i.code);
    const message = nonEmptyString(i.message) ?? code;
    if (message === undefined) continue;
    const path = Array.isArray(i.path)
      ? (i.path as unknown[])
          .filter((seg): seg is string | number => typeof seg === 'string' || Number.isFinite(seg))
          .slice(0, ISSUE_PATH_MAX)
          .map((seg) => (typeof seg === 'string' ? seg.slice(0, 100) : seg))
      : undefined;
    out.push({
      ...(code !== undefined ? { code: clean(code) } : {}),
      message: clean(message),
      ...(path !== undefined ? { path } : {}),
    });
  }
  return out.length > 0 ? out : undefined;
}

/** What a trace id looks like: a short token (anything else is not worth showing, or safe to echo). */
const TRACE_ID = /^[\w.:/+=-]{1,128}$/;

function extractTraceId(json: unknown, response: AxiosResponse): string | undefined {
  const obj = asRecord(json);
  const errorObj = asRecord(obj?.error);
  const candidates = [
    obj?.traceRequestId,
    errorObj?.traceRequestId,
    obj?.request_id,
    obj?.requestId,
    errorObj?.request_id,
    errorObj?.requestId,
    headerOf(response, 'x-request-id'),
    headerOf(response, 'x-trace-request-id'),
    headerOf(response, 'request-id'),
  ];
  for (const c of candidates) {
    const s = typeof c === 'number' ? String(c) : nonEmptyString(c);
    if (s !== undefined && TRACE_ID.test(s)) return s;
  }
  return undefined;
}

/** Parses the body as JSON and checks it against the schema. */
function checkBody<T>(response: AxiosResponse<string>, schema: ZodMiniType<T>, ctx: ErrorContext): T {
  const base = { service: ctx.service, method: ctx.method, path: ctx.path, status: response.status };
  const what = `${ctx.method} ${ctx.path}`;
  const text = typeof response.data === 'string' ? response.data : '';
  let json: unknown = undefined;
  if (text.trim() !== '') {
    try {
      json = JSON.parse(text) as unknown;
    } catch {
      // no cause: V8's SyntaxError quotes the start of the body, which may hold PHI
      throw new ApiError({
        ...base,
        kind: 'invalidResponse',
        message: `${ctx.service} sent a response that is not JSON for ${what}`,
      });
    }
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const paths = parsed.error.issues.slice(0, 5).map((i) => {
    const p = i.path.map((seg) => (typeof seg === 'number' ? `[${seg}]` : `.${String(seg)}`)).join('');
    const where = p === '' ? '(body)' : p.replace(/^\./, '');
    return 'expected' in i && typeof i.expected === 'string' ? `${where} (expected ${i.expected})` : where;
  });
  const more = parsed.error.issues.length > 5 ? ` and ${parsed.error.issues.length - 5} more` : '';
  throw new ApiError({
    ...base,
    kind: 'invalidResponse',
    message: `${ctx.service} sent a response of an unexpected shape for ${what}: ${paths.join(', ')}${more}`,
  });
}
