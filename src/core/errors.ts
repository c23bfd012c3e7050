/**
 * The error taxonomy every remote call ends in. `src/api` maps each failure (HTTP status,
 * network, timeout, cancellation, a body of the wrong shape) to exactly one {@link ApiError};
 * the UI turns it into words and actions without looking at transport details.
 */

/** Stable classification of a failed call. Values are part of the extension's public log format. */
export type ApiErrorKind =
  | 'unauthorized'
  | 'forbidden'
  | 'notFound'
  | 'rateLimited'
  | 'server'
  | 'network'
  | 'timeout'
  | 'cancelled'
  | 'invalidResponse'
  | 'badRequest';

/**
 * One problem the server found with a request (the `issues[]` of an error envelope such as Heim's
 * `{error: {message, traceRequestId, issues: [{code, message, path}]}}`). Messages and paths come from
 * the server and may echo what was sent: fine to show to the coder, never logged above debug.
 */
export interface ApiIssue {
  /** Machine-readable kind, e.g. `too_big`, `invalid_type`, `custom`. */
  code?: string;
  /** The server's words (redacted, one line, truncated). */
  message: string;
  /** Where in the request: parameter or field names and array indices, e.g. `["limit"]`. */
  path?: readonly (string | number)[];
}

export interface ApiErrorInit {
  kind: ApiErrorKind;
  /** Human-readable summary, already free of secrets and PHI. */
  message: string;
  /** Which service answered ("IMO", "Codify", "Heim"…). */
  service: string;
  /** HTTP method and path (never the query string) of the failed call. */
  method?: string;
  path?: string;
  /** HTTP status, when the server answered. */
  status?: number;
  /** The message the server put in its body, if any. */
  serverMessage?: string;
  /** The server's `traceRequestId` / `request_id` (body or header), for support. */
  traceId?: string;
  /** How long the server asked us to wait (from `Retry-After`), in milliseconds. */
  retryAfterMs?: number;
  /** The problems the server listed (an error envelope's `issues[]`), in its order. */
  issues?: readonly ApiIssue[];
  cause?: unknown;
}

/** The one error type that leaves `src/api`. */
export class ApiError extends Error {
  readonly kind: ApiErrorKind;
  readonly service: string;
  readonly method?: string;
  readonly path?: string;
  readonly status?: number;
  readonly serverMessage?: string;
  readonly traceId?: string;
  readonly retryAfterMs?: number;
  readonly issues?: readonly ApiIssue[];

  constructor(init: ApiErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'ApiError';
    this.kind = init.kind;
    this.service = init.service;
    this.method = init.method;
    this.path = init.path;
    this.status = init.status;
    this.serverMessage = init.serverMessage;
    this.traceId = init.traceId;
    this.retryAfterMs = init.retryAfterMs;
    this.issues = init.issues;
  }
}

/** Narrowing helper that also works across bundle boundaries (checks the shape, not the prototype). */
export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError || (e instanceof Error && e.name === 'ApiError' && 'kind' in e);
}

/** The kind an HTTP error status maps to. 2xx/3xx are not errors and are not expected here. */
export function kindForStatus(status: number): ApiErrorKind {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'notFound';
  if (status === 429) return 'rateLimited';
  if (status >= 500) return 'server';
  return 'badRequest';
}
