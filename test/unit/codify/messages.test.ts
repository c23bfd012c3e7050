/** The panel's words: refusals, API failures as `error` messages, and the text Copy / Insert produce. */
import * as assert from 'assert';
import {
  apiErrorMessage,
  codeText,
  formatCodes,
  noEnvironmentMessage,
  refusalMessage,
  selectAssessments,
  unexpectedMessage,
} from '../../../src/core/codify/messages';
import { ApiError, type ApiErrorInit } from '../../../src/core/errors';
import { hostMessageSchema, type EnrichedAssessment } from '../../../src/shared/codifyProtocol';

const err = (init: Partial<ApiErrorInit> & Pick<ApiErrorInit, 'kind'>) =>
  new ApiError({ message: 'failed', service: 'Codify', method: 'POST', path: '/v1/codify', ...init });

/** Every message must pass the webview's own check. */
const valid = <T>(m: T): T => {
  assert.ok(hostMessageSchema.safeParse(m).success, JSON.stringify(m));
  return m;
};

describe('codify messages: refusals', () => {
  it('empty and over-long notes are refused without a retry', () => {
    assert.deepStrictEqual(valid(refusalMessage('emptyNote', { environment: 'dev' })), {
      type: 'error',
      kind: 'emptyNote',
      message: 'The note is empty: type or paste it first.',
      retry: false,
    });
    const long = valid(
      refusalMessage('noteTooLong', { environment: 'dev', length: 200_000, limit: 100_000 }),
    );
    assert.strictEqual(long.kind, 'noteTooLong');
    assert.match(long.message, /200,000 characters; the limit is 100,000/);
    assert.strictEqual(long.retry, false);
  });

  it('missing URL / token / environment offer the fix', () => {
    assert.strictEqual(valid(refusalMessage('missingUrl', { environment: 'production' })).fix, 'setUrl');
    const token = valid(refusalMessage('missingToken', { environment: 'production' }));
    assert.strictEqual(token.fix, 'setToken');
    assert.match(token.message, /production/);
    assert.strictEqual(
      valid(noEnvironmentMessage('there is no environment named "x"')).fix,
      'switchEnvironment',
    );
  });
});

describe('codify messages: API failures', () => {
  it('401 and 403: unauthorized, with Set Token, no retry', () => {
    for (const [kind, status] of [
      ['unauthorized', 401],
      ['forbidden', 403],
    ] as const) {
      const m = valid(apiErrorMessage(err({ kind, status, traceId: 'req-1' }), 'development'));
      assert.strictEqual(m.kind, 'unauthorized');
      assert.strictEqual(m.fix, 'setToken');
      assert.strictEqual(m.retry, false);
      assert.strictEqual(m.requestId, 'req-1');
      assert.match(m.message, new RegExp(`HTTP ${status}`));
    }
  });

  it("400: the server's message", () => {
    const m = valid(
      apiErrorMessage(
        err({ kind: 'badRequest', status: 400, serverMessage: "unknown model 'x'; available: balanced" }),
        'dev',
      ),
    );
    assert.strictEqual(m.kind, 'badRequest');
    assert.strictEqual(
      m.message,
      "Codify refused the request (HTTP 400): unknown model 'x'; available: balanced",
    );
    assert.strictEqual(m.retry, false);
  });

  it('429 and 5xx after the retries, timeout and network: Retry', () => {
    const limited = valid(
      apiErrorMessage(
        err({ kind: 'rateLimited', status: 429, retryAfterMs: 90_000, message: 'Codify answered 429' }),
        'dev',
      ),
    );
    assert.strictEqual(limited.kind, 'rateLimited');
    assert.strictEqual(
      limited.message,
      'Codify is limiting requests (HTTP 429) and refused this one. Try again in 90 s.',
    );
    assert.strictEqual(limited.retry, true);
    const server = valid(
      apiErrorMessage(
        err({ kind: 'server', status: 503, message: 'Codify answered 503 (4 attempts)' }),
        'dev',
      ),
    );
    assert.deepStrictEqual([server.kind, server.retry], ['server', true]);
    assert.strictEqual(server.message, 'Codify (dev) failed (HTTP 503) after 4 attempts. Try again later.');
    for (const kind of ['timeout', 'network', 'invalidResponse'] as const) {
      const m = valid(apiErrorMessage(err({ kind }), 'dev'));
      assert.deepStrictEqual([m.kind, m.retry], [kind, true]);
    }
  });

  it('404: a wrong base URL', () => {
    const m = valid(apiErrorMessage(err({ kind: 'notFound', status: 404 }), 'dev'));
    assert.deepStrictEqual([m.kind, m.fix], ['other', 'setUrl']);
  });

  it('an unexpected failure says what it was', () => {
    assert.match(valid(unexpectedMessage(new TypeError('boom'))).message, /boom/);
  });
});

describe('codify messages: copy and insert text', () => {
  const a = (code: string, description: string, display?: string): EnrichedAssessment => ({
    code,
    description,
    extra: {},
    index: display ? { status: 'valid', display } : { status: 'notACode' },
  });
  const all = [
    a('e1165', 'Type 2 diabetes mellitus with hyperglycemia', 'E11.65'),
    a('I10', 'Essential (primary)\nhypertension', 'I10'),
    a('hello', ''),
  ];

  it('writes the canonical code, with the description when asked', () => {
    assert.strictEqual(codeText(all[0]!, 'code'), 'E11.65');
    assert.strictEqual(
      codeText(all[0]!, 'codeDescription'),
      'E11.65 — Type 2 diabetes mellitus with hyperglycemia',
    );
    assert.strictEqual(codeText(all[1]!, 'codeDescription'), 'I10 — Essential (primary) hypertension');
    assert.strictEqual(codeText(all[2]!, 'codeDescription'), 'hello');
  });

  it('inline is comma-separated, list one per line', () => {
    assert.strictEqual(formatCodes(all.slice(0, 2), 'code', 'inline'), 'E11.65, I10');
    assert.strictEqual(
      formatCodes(all.slice(0, 2), 'codeDescription', 'list'),
      'E11.65 — Type 2 diabetes mellitus with hyperglycemia\nI10 — Essential (primary) hypertension',
    );
  });

  it('selects by the code as Codify sent it, in result order; none named = all', () => {
    assert.deepStrictEqual(
      selectAssessments(all, ['I10', 'e1165']).map((x) => x.code),
      ['e1165', 'I10'],
    );
    assert.strictEqual(selectAssessments(all, []).length, 3);
    assert.deepStrictEqual(selectAssessments(all, ['Z00']), []);
  });
});
