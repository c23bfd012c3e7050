import * as assert from 'assert';
import { type ApiError, type ApiErrorKind, isApiError } from '../../../src/core/errors';
import type { HttpLogger } from '../../../src/api/http';

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
