/**
 * Codify (document 002): `POST {API_URL}/v1/codify` with `{medical_note, model?}`, a bearer token,
 * the optional `x-doctor` / `x-patient` audit headers (headers only, never in the body: "the request
 * body stays focused on the medical content"), `Content-Type: application/json` and a `User-Agent`
 * naming the application. The answer's `final_code_assessments` carry at least `code` and
 * `description`; everything else the server sends is kept, so a richer answer is never lost.
 *
 * Policies (the document's "basic recommendations"):
 * - Per-attempt timeout 600 s (`timeoutMs`). A timeout is NOT retried: an answer that took ten
 *   minutes will take ten more, and the document lists retries for 5xx and 429 only; the coder gets
 *   a clear message and a Retry button instead of a 40-minute wait.
 * - Up to 3 retries after a 429 or a 5xx, waiting 1 s, 2 s, 4 s (±20 % jitter, as every client of
 *   `http.ts`), or the server's `Retry-After` when it asks for longer. A `Retry-After` beyond
 *   `maxRetryAfterMs` (60 s) is not waited for: the call fails as `rateLimited` with `retryAfterMs`.
 *   Never after another 4xx (the request itself is wrong, repeating it changes nothing).
 * - Connection failures (refused, reset, cut mid-answer) are retried too, like 5xx. The HTTP client
 *   never repeats a POST after a network failure because the server may have applied it; a codify
 *   request has no effect beyond an audit-log line, so repeating it is safe, and document 002's own
 *   examples do the same (urllib3 `Retry(total=3)` counts connection errors; axios-retry's
 *   `isNetworkOrIdempotentRequestError` accepts network errors of any method). DNS and certificate
 *   failures are not retried: they do not go away in seconds.
 * This loop is here rather than in `http.ts` because the HTTP client's retry-safe mode would also
 * repeat timeouts; every attempt is still one `http.ts` request (so it is logged, mapped to an
 * `ApiError` and redacted the usual way), made with `retrySafe: false`.
 *
 * Privacy: the note, the doctor and patient ids and the token never reach a log line or an error
 * message (the HTTP client logs method, path, status and timing only; `core/redact` masks
 * `Authorization`, `x-doctor` and `x-patient` wherever a header map is printed). The answer's
 * evidence (text of the note) is returned to the caller and nowhere else.
 */
import * as z from 'zod/mini';
import { ApiError, isApiError } from '../core/errors';
import { type HttpClient, type HttpLogger, type RetryOptions, createHttpClient } from './http';

export const CODIFY_PATH = '/v1/codify';

/** The service label in logs and errors. */
export const CODIFY_SERVICE = 'Codify';

/** Document 002: "Timeout: 600 seconds (10 minutes) for Codify API". */
export const CODIFY_DEFAULT_TIMEOUT_MS = 600_000;

/** Document 002: "Retries: 3 attempts for 5xx and 429 errors; exponential backoff: 1s, 2s, 4s…". */
export const CODIFY_DEFAULT_RETRY: Readonly<Required<RetryOptions>> = {
  retries: 3,
  baseDelayMs: 1000,
  maxRetryAfterMs: 60_000,
};

/**
 * The longest note the client sends at all, characters (UTF-16 code units, what a text area counts).
 * A sanity ceiling against pasting a whole file: the coder-facing limit is the panel's setting, which
 * checks with {@link checkNote} before calling {@link CodifyClient.codify}.
 */
export const CODIFY_NOTE_MAX = 1_000_000;

export interface CodifyRequest {
  note: string;
  model?: string;
  doctorId?: string;
  patientId?: string;
}

/** One assessment: code and description are guaranteed; every other field is kept as sent. */
export interface CodifyAssessment {
  code: string;
  description: string;
  [field: string]: unknown;
}

export interface CodifyAnswer {
  assessments: CodifyAssessment[];
  /** Top-level fields other than final_code_assessments (request_id, model, …), as sent. */
  fields: Record<string, unknown>;
  /** Request ids from the body (`request_id`, `requestId`, `id`) and the `x-request-id` header, deduplicated. */
  requestIds: string[];
}

export interface CodifyClientOptions {
  /** The active environment's URL ('' = not configured). */
  baseUrl: () => string;
  getToken: () => Promise<string | undefined>;
  /** Names the application, e.g. clinical-coder/0.1.0 (VS Code …). */
  userAgent: string;
  logger?: HttpLogger;
  /** Per-attempt timeout, ms (default 600_000, document 002). */
  timeoutMs?: number;
  /** Default 3 retries on 429/5xx (and connection failures), 1 s, 2 s, 4 s. */
  retry?: RetryOptions;
}

export type CodifyConfigReason = 'missingUrl' | 'missingToken' | 'emptyNote' | 'noteTooLong';

const CONFIG_MESSAGES: Record<CodifyConfigReason, string> = {
  missingUrl: 'No Codify URL is set for the active environment',
  missingToken: 'No Codify token is stored for the active environment',
  emptyNote: 'The note is empty',
  noteTooLong: 'The note is too long to send',
};

/** Thrown before any request when the URL or the token is missing, or the note is empty/too long. */
export class CodifyConfigError extends Error {
  readonly reason: CodifyConfigReason;

  constructor(reason: CodifyConfigReason, message: string = CONFIG_MESSAGES[reason]) {
    super(message);
    this.name = 'CodifyConfigError';
    this.reason = reason;
  }
}

/**
 * Whether a note may be sent: `emptyNote` when it has nothing but white space, `noteTooLong` when it
 * has more than `limit` characters (UTF-16 code units: JavaScript's `length`, what a text area's
 * counter shows), else undefined.
 */
export function checkNote(note: string, limit: number): 'emptyNote' | 'noteTooLong' | undefined {
  if (note.trim() === '') return 'emptyNote';
  if (note.length > limit) return 'noteTooLong';
  return undefined;
}

/**
 * The wait before retry number `retry` (1-based), ms: `baseDelayMs × 2^(retry-1)` with ±20 % jitter
 * (`random` in [0, 1); 0.5 = none), or `retryAfterMs` when the server asks for longer.
 */
export function codifyRetryDelayMs(
  retry: number,
  baseDelayMs: number,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  const exponential = baseDelayMs * 2 ** Math.max(0, retry - 1);
  const jittered = exponential * (0.8 + 0.4 * random());
  return retryAfterMs === undefined ? jittered : Math.max(retryAfterMs, jittered);
}

const assessmentSchema = z.looseObject({
  code: z.string().check(z.minLength(1)),
  description: z.string(),
});
const answerSchema = z.looseObject({
  final_code_assessments: z.array(assessmentSchema),
});

/** Transport failures that go away by themselves (codes as Node and axios write them). */
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'EAI_AGAIN',
  'ERR_BAD_RESPONSE', // the connection closed before the whole answer arrived
  'ERR_NETWORK',
]);

/** Header values the HTTP stack accepts and the audit log can read: printable ASCII. */
const HEADER_VALUE = /^[\x20-\x7e]+$/;

/**
 * The Codify API client. {@link codify} rejects with a {@link CodifyConfigError} before sending
 * anything, or with exactly one `ApiError`: `unauthorized` (401), `badRequest` (400/413/415… with the
 * server's message in `serverMessage`), `rateLimited` / `server` (after the retries), `timeout`,
 * `network`, `cancelled` (the signal fired; the connection is closed at once), `invalidResponse`
 * (not JSON, or `final_code_assessments` missing or holding an item without a string `code` or
 * `description`; the message names the field).
 */
export class CodifyClient {
  private readonly http: HttpClient;
  private readonly retries: number;
  private readonly baseDelayMs: number;
  private readonly maxRetryAfterMs: number;

  constructor(private readonly o: CodifyClientOptions) {
    this.retries = Math.max(0, o.retry?.retries ?? CODIFY_DEFAULT_RETRY.retries);
    this.baseDelayMs = Math.max(0, o.retry?.baseDelayMs ?? CODIFY_DEFAULT_RETRY.baseDelayMs);
    this.maxRetryAfterMs = o.retry?.maxRetryAfterMs ?? CODIFY_DEFAULT_RETRY.maxRetryAfterMs;
    this.http = createHttpClient({
      service: CODIFY_SERVICE,
      baseUrl: o.baseUrl,
      userAgent: o.userAgent,
      logger: o.logger,
      timeoutMs: o.timeoutMs ?? CODIFY_DEFAULT_TIMEOUT_MS,
      // the retries are this class's (see the module comment); each attempt is a single request
      retry: { retries: 0, maxRetryAfterMs: this.maxRetryAfterMs },
    });
  }

  /**
   * Sends the note and returns the assessments. Checks, in this order and before any request: the
   * URL, the token, the note (empty, or longer than {@link CODIFY_NOTE_MAX}); the coder-facing limit
   * is the caller's ({@link checkNote}). Ids and model are trimmed; blank ones are left out.
   */
  async codify(req: CodifyRequest, signal?: AbortSignal): Promise<CodifyAnswer> {
    if (signal?.aborted) throw cancelled();
    if (this.o.baseUrl().trim() === '') throw new CodifyConfigError('missingUrl');
    const token = (await this.token(signal))?.trim();
    if (!token) throw new CodifyConfigError('missingToken');
    const problem = checkNote(req.note, CODIFY_NOTE_MAX);
    if (problem === 'noteTooLong') {
      throw new CodifyConfigError(
        problem,
        `The note has ${req.note.length} characters; at most ${CODIFY_NOTE_MAX} can be sent`,
      );
    }
    if (problem) throw new CodifyConfigError(problem);

    const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
    for (const [name, label, value] of [
      ['x-doctor', 'doctor id', req.doctorId],
      ['x-patient', 'patient id', req.patientId],
    ] as const) {
      const v = value?.trim();
      if (!v) continue;
      if (!HEADER_VALUE.test(v)) {
        // never echo the value: it identifies a person
        throw new ApiError({
          kind: 'badRequest',
          service: CODIFY_SERVICE,
          method: 'POST',
          path: CODIFY_PATH,
          message: `The ${label} cannot be sent: it travels in an HTTP header, which takes printable ASCII characters only`,
        });
      }
      headers[name] = v;
    }
    const model = req.model?.trim();
    const body = model ? { medical_note: req.note, model } : { medical_note: req.note };

    for (let attempt = 1; ; attempt++) {
      try {
        const r = await this.http.requestFull({
          method: 'POST',
          path: CODIFY_PATH,
          body,
          headers,
          schema: answerSchema,
          signal,
          retrySafe: false,
        });
        return toAnswer(r.data, r.headers);
      } catch (e) {
        if (!isApiError(e)) throw e;
        const wait = this.retryWait(e, attempt);
        if (wait === undefined) throw attempt > 1 ? withAttempts(e, attempt) : e;
        this.o.logger?.info(
          `${CODIFY_SERVICE} POST ${CODIFY_PATH}: ${e.status ?? e.kind}, retrying in ${seconds(wait)} ` +
            `(attempt ${attempt + 1} of ${this.retries + 1})`,
        );
        await sleep(wait, signal);
      }
    }
  }

  private async token(signal: AbortSignal | undefined): Promise<string | undefined> {
    try {
      return await this.o.getToken();
    } catch {
      if (signal?.aborted) throw cancelled();
      // the provider's error may quote what it read: not kept
      throw new ApiError({
        kind: 'unauthorized',
        service: CODIFY_SERVICE,
        method: 'POST',
        path: CODIFY_PATH,
        message: `Could not read the ${CODIFY_SERVICE} token`,
      });
    }
  }

  /** How long to wait before the next attempt, or undefined to give up with `e`. */
  private retryWait(e: ApiError, attempt: number): number | undefined {
    if (attempt > this.retries) return undefined;
    const retryable =
      e.kind === 'server' ||
      e.kind === 'rateLimited' ||
      (e.kind === 'network' && TRANSIENT_NETWORK_CODES.has(causeCode(e) ?? ''));
    if (!retryable) return undefined;
    if (e.retryAfterMs !== undefined && e.retryAfterMs > this.maxRetryAfterMs) return undefined;
    return codifyRetryDelayMs(attempt, this.baseDelayMs, e.retryAfterMs);
  }
}

function toAnswer(data: z.infer<typeof answerSchema>, headers: Record<string, string>): CodifyAnswer {
  const { final_code_assessments: assessments, ...fields } = data;
  const ids: string[] = [];
  for (const v of [fields.request_id, fields.requestId, fields.id, headers['x-request-id']]) {
    const s = typeof v === 'number' && Number.isFinite(v) ? String(v) : typeof v === 'string' ? v.trim() : '';
    // an id is a short token; a long or multi-line value is not one (and not worth showing)
    if (s !== '' && s.length <= 256 && isPrintable(s) && !ids.includes(s)) ids.push(s);
  }
  return { assessments, fields, requestIds: ids };
}

/** No control characters (a request id is shown and copied as one line). */
function isPrintable(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false;
  }
  return true;
}

function causeCode(e: ApiError): string | undefined {
  const code = (e.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** `e` with the number of attempts in its message (the coder sees that retries happened). */
function withAttempts(e: ApiError, attempts: number): ApiError {
  return new ApiError({
    kind: e.kind,
    message: `${e.message} (${attempts} attempts)`,
    service: e.service,
    method: e.method,
    path: e.path,
    status: e.status,
    serverMessage: e.serverMessage,
    traceId: e.traceId,
    retryAfterMs: e.retryAfterMs,
    cause: e.cause,
  });
}

function cancelled(): ApiError {
  return new ApiError({
    kind: 'cancelled',
    message: `${CODIFY_SERVICE} request POST ${CODIFY_PATH} was cancelled`,
    service: CODIFY_SERVICE,
    method: 'POST',
    path: CODIFY_PATH,
  });
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Waits `ms`; rejects with a `cancelled` ApiError as soon as `signal` fires. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelled());
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(cancelled());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
