import * as assert from 'assert';
import { type ApiError, type ApiErrorKind, isApiError } from '../../../src/core/errors';
import type { HttpClient, HttpLogger, RetryOptions } from '../../../src/api/http';
import { ImoAuth } from '../../../src/api/imoAuth';
import { createImoApiClient } from '../../../src/api/normalize';
import type { Sandbox } from '../../../sandbox/server';

/** A logger that keeps every line, to assert on what would reach the log channel. */
export function recordingLogger(): HttpLogger & { lines: string[] } {
  const lines: string[] = [];
  const push = (m: string): void => {
    lines.push(m);
  };
  return { lines, debug: push, info: push, warn: push, error: push };
}

/** Awaits `p`, asserts it rejected with an ApiError of `kind`, and returns that error. */
export async function expectApiError(p: Promise<unknown>, kind: ApiErrorKind): Promise<ApiError> {
  let result: unknown;
  try {
    result = await p;
  } catch (e) {
    assert.ok(isApiError(e), `expected an ApiError, got ${String(e)}`);
    assert.strictEqual(e.kind, kind, `kind of "${e.message}"`);
    return e;
  }
  assert.fail(`expected an ApiError of kind ${kind}, got ${JSON.stringify(result)}`);
}

/** Milliseconds `p` took to settle, and its outcome. */
export async function timed<T>(p: Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const start = Date.now();
  try {
    const value = await p;
    return { ms: Date.now() - start, value };
  } catch (error) {
    return { ms: Date.now() - start, error };
  }
}

/** Resolves after `ms` (only to prove something did NOT happen in that window, or to abort later). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * An IMO API client against the sandbox: Bearer tokens from ImoAuth with the sandbox's demo
 * credentials, the same retry options for both (short delays keep tests fast).
 */
export function sandboxImoApi(
  sb: Sandbox,
  o: { userAgent: string; logger?: HttpLogger; retry?: RetryOptions },
): HttpClient {
  const retry = o.retry ?? { baseDelayMs: 5 };
  const auth = new ImoAuth({
    baseUrl: () => sb.url,
    userAgent: o.userAgent,
    audience: () => sb.credentials.IMO_AUDIENCE,
    getCredentials: async () => ({
      clientId: sb.credentials.IMO_CLIENT_ID,
      clientSecret: sb.credentials.IMO_CLIENT_SECRET,
    }),
    retry,
  });
  return createImoApiClient({ auth, baseUrl: () => sb.url, userAgent: o.userAgent, logger: o.logger, retry });
}
