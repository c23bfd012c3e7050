/**
 * The words of the Codify panel (issue 7, items 4 and 5): failures turned into `error` messages
 * with Retry and the button that fixes them, and the text Copy and Insert produce. Pure.
 *
 * Nothing here ever quotes the note, the doctor id or the patient id: only lengths, limits,
 * environment names and what the server said about the request.
 */

import type { EnrichedAssessment, HostMessage } from '../../shared/codifyProtocol';
import type { ApiError } from '../errors';

export type ErrorMessage = Extract<HostMessage, { type: 'error' }>;

/** Why a note or a configuration is refused before any request (the API client's reasons). */
export type RefusalReason = 'emptyNote' | 'noteTooLong' | 'missingUrl' | 'missingToken';

/**
 * The message for a refusal before sending. `environment` names the active Codify environment;
 * `length`/`limit` are characters (for `noteTooLong`).
 */
export function refusalMessage(
  reason: RefusalReason,
  o: { environment: string; length?: number; limit?: number },
): ErrorMessage {
  switch (reason) {
    case 'emptyNote':
      return {
        type: 'error',
        kind: 'emptyNote',
        message: 'The note is empty: type or paste it first.',
        retry: false,
      };
    case 'noteTooLong':
      return {
        type: 'error',
        kind: 'noteTooLong',
        message:
          `The note has ${fmt(o.length ?? 0)} characters; the limit is ${fmt(o.limit ?? 0)} ` +
          '(setting clinicalCoder.codify.maxNoteLength). Shorten it or send it in parts.',
        retry: false,
      };
    case 'missingUrl':
      return {
        type: 'error',
        kind: 'missingUrl',
        message: `The Codify ${o.environment} environment has no base URL yet: set it in the settings.`,
        retry: false,
        fix: 'setUrl',
      };
    case 'missingToken':
      return {
        type: 'error',
        kind: 'missingToken',
        message: `No Codify token is stored for ${o.environment}: set it first (each environment has its own).`,
        retry: false,
        fix: 'setToken',
      };
  }
}

/** The message when the active environment named in the settings does not exist. */
export function noEnvironmentMessage(reason: string): ErrorMessage {
  return {
    type: 'error',
    kind: 'missingUrl',
    message: `The Codify environment is not set up: ${reason}.`,
    retry: false,
    fix: 'switchEnvironment',
  };
}

/**
 * The message for a failed request (never for `cancelled`: the caller answers that with a
 * `cancelled` message, or with nothing when the panel was closed). How many attempts were made is
 * read from the API client's message suffix `(N attempts)`, present when it retried (429/5xx,
 * document 002: up to 3 retries).
 */
export function apiErrorMessage(e: ApiError, environment: string): ErrorMessage {
  const attempts = /\((\d+) attempts\)$/.exec(e.message)?.[1];
  const tried = attempts ? ` after ${attempts} attempts` : '';
  const said = e.serverMessage ? ` The server said: "${oneLine(e.serverMessage)}".` : '';
  const requestId = e.traceId ? { requestId: e.traceId } : {};
  const status = e.status !== undefined ? ` (HTTP ${e.status})` : '';
  switch (e.kind) {
    case 'unauthorized':
    case 'forbidden':
      return {
        type: 'error',
        kind: 'unauthorized',
        message: `Codify (${environment}) refused the token${status}. Set the token for ${environment} and try again.${said}`,
        retry: false,
        fix: 'setToken',
        ...requestId,
      };
    case 'badRequest':
      return {
        type: 'error',
        kind: 'badRequest',
        message: e.serverMessage
          ? `Codify refused the request${status}: ${oneLine(e.serverMessage)}`
          : `Codify refused the request${status}: ${e.message}`,
        retry: false,
        ...requestId,
      };
    case 'rateLimited': {
      const wait = e.retryAfterMs
        ? ` Try again in ${Math.ceil(e.retryAfterMs / 1000)} s.`
        : ' Try again shortly.';
      return {
        type: 'error',
        kind: 'rateLimited',
        message: `Codify is limiting requests${status} and refused this one${tried}.${wait}${said}`,
        retry: true,
        ...requestId,
      };
    }
    case 'server':
      return {
        type: 'error',
        kind: 'server',
        message: `Codify (${environment}) failed${status}${tried}. Try again later.${said}`,
        retry: true,
        ...requestId,
      };
    case 'timeout':
      return {
        type: 'error',
        kind: 'timeout',
        message: `Codify (${environment}) did not answer in time. Long notes can take minutes: try again.`,
        retry: true,
        ...requestId,
      };
    case 'network':
      return {
        type: 'error',
        kind: 'network',
        message: `Could not reach Codify (${environment}): ${e.message}`,
        retry: true,
        ...requestId,
      };
    case 'invalidResponse':
      return {
        type: 'error',
        kind: 'invalidResponse',
        message: `Codify's answer was not in the documented shape: ${e.message}`,
        retry: true,
        ...requestId,
      };
    case 'notFound':
      return {
        type: 'error',
        kind: 'other',
        message: `Codify (${environment}) has no ${e.path ?? '/v1/codify'} endpoint${status}: check the base URL of ${environment}.`,
        retry: false,
        fix: 'setUrl',
        ...requestId,
      };
    case 'cancelled':
      return { type: 'error', kind: 'other', message: 'The request was cancelled.', retry: true };
  }
}

/** The message for a failure that is not an ApiError (a bug): what it says, never more. */
export function unexpectedMessage(e: unknown): ErrorMessage {
  return {
    type: 'error',
    kind: 'other',
    message: `Codify failed unexpectedly: ${e instanceof Error ? e.message : String(e)}`,
    retry: true,
  };
}

// ---------------------------------------------------------------------------------------------
// Copy / Insert

/** The assessments named by `codes` (matched on the code as Codify returned it), in result order; all when empty. */
export function selectAssessments(
  all: readonly EnrichedAssessment[],
  codes: readonly string[],
): EnrichedAssessment[] {
  if (codes.length === 0) return [...all];
  const wanted = new Set(codes);
  return all.filter((a) => wanted.has(a.code));
}

/** How codes are written: the code alone, or `code — description`. */
export type CodeText = 'code' | 'codeDescription';

/**
 * One code as a coder writes it: the canonical display when the index reads the code
 * (`e1165` → `E11.65`), Codify's code otherwise; with Codify's description when asked.
 */
export function codeText(a: EnrichedAssessment, as: CodeText): string {
  const code = a.index.display ?? a.code.trim();
  const description = oneLine(a.description);
  return as === 'codeDescription' && description ? `${code} — ${description}` : code;
}

/** Codes as lines (`list`) or comma-separated (`inline`). No trailing newline. */
export function formatCodes(
  assessments: readonly EnrichedAssessment[],
  as: CodeText,
  layout: 'inline' | 'list',
): string {
  return assessments.map((a) => codeText(a, as)).join(layout === 'inline' ? ', ' : '\n');
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}
