import * as assert from 'assert';
import { createHash } from 'crypto';
import * as util from 'util';
import {
  CODIFY_DEFAULT_RETRY,
  CODIFY_DEFAULT_TIMEOUT_MS,
  CODIFY_NOTE_MAX,
  CODIFY_PATH,
  CodifyClient,
  type CodifyClientOptions,
  CodifyConfigError,
  checkNote,
  codifyRetryDelayMs,
} from '../../../src/api/codify';
import { type Sandbox, startSandbox } from '../../../sandbox/server';
import { CODIFY_PRODUCTION_PREFIX } from '../../../sandbox/services/codify';
import { expectApiError, recordingLogger, timed } from './support';

const UA = 'clinical-coder/0.1.0 (VS Code 1.99.0; test)';
const NOTE = 'Patient with Type 2 Diabetes and essential (primary) hypertension. No sepsis today.';
const DOCTOR = 'dr_123';
const PATIENT = 'pt_456';

describe('api/codify', function () {
  let sb: Sandbox;
  let log: ReturnType<typeof recordingLogger>;
  let tokenCalls: number;

  const client = (o: Partial<CodifyClientOptions> = {}): CodifyClient =>
    new CodifyClient({
      baseUrl: () => sb.url,
      getToken: async () => {
        tokenCalls++;
        return sb.credentials.CODIFY_TOKEN;
      },
      userAgent: UA,
      logger: log,
      retry: { baseDelayMs: 5 },
      ...o,
    });
  /** Everything an error carries, however deeply inspected. */
  const dump = (e: unknown): string =>
    util.inspect(e, { depth: Infinity, showHidden: true }) + JSON.stringify(e);
  const assertNoPhi = (text: string, what: string): void => {
    for (const leak of ['Diabetes', 'hypertension', DOCTOR, PATIENT, sb.credentials.CODIFY_TOKEN, 'Bearer']) {
      assert.ok(!text.includes(leak), `${what} leaked ${leak}`);
    }
  };
  const expectConfigError = async (
    p: Promise<unknown>,
    reason: CodifyConfigError['reason'],
  ): Promise<void> => {
    await assert.rejects(p, (e: unknown) => {
      assert.ok(e instanceof CodifyConfigError, String(e));
      assert.strictEqual(e.reason, reason);
      return true;
    });
  };

  before(async function () {
    this.timeout(30_000);
    sb = await startSandbox();
    await sb.codify.ready();
  });
  after(async () => sb.close());
  beforeEach(() => {
    sb.reset();
    log = recordingLogger();
    tokenCalls = 0;
  });

  describe('the request', () => {
    it('sends the note and model as JSON with the token, content type, user agent and audit headers', async () => {
      const answer = await client().codify({
        note: NOTE,
        model: ' fast ',
        doctorId: DOCTOR,
        patientId: PATIENT,
      });
      assert.deepStrictEqual(
        answer.assessments.map((a) => a.code),
        ['E11.9', 'I10', 'A41.9'],
      );
      const [r] = sb.codify.requests();
      assert.strictEqual(r.authorization, true);
      assert.strictEqual(r.status, 200, 'the sandbox accepted the bearer token');
      assert.strictEqual(r.contentType, 'application/json');
      assert.strictEqual(r.userAgent, UA);
      assert.strictEqual(r.doctor, DOCTOR);
      assert.strictEqual(r.patient, PATIENT);
      assert.strictEqual(r.model, 'fast');
      assert.strictEqual(r.noteLength, NOTE.length);
      // audit ids are headers, never body fields
      assert.deepStrictEqual(r.bodyFields, ['medical_note', 'model']);
      assert.deepStrictEqual(
        sb.requests.map((x) => `${x.method} ${x.path} ${x.status}`),
        [`POST ${CODIFY_PATH} 200`],
      );
    });

    it('leaves out audit headers and model that are not given or blank', async () => {
      await client().codify({ note: NOTE });
      await client().codify({ note: NOTE, model: '  ', doctorId: '', patientId: ' \t' });
      for (const r of sb.codify.requests()) {
        assert.strictEqual(r.doctor, undefined);
        assert.strictEqual(r.patient, undefined);
        assert.strictEqual(r.model, undefined);
        assert.deepStrictEqual(r.bodyFields, ['medical_note']);
      }
    });

    it('sends only the doctor header when only the doctor id is given', async () => {
      await client().codify({ note: NOTE, doctorId: DOCTOR });
      const [r] = sb.codify.requests();
      assert.deepStrictEqual([r.doctor, r.patient], [DOCTOR, undefined]);
    });

    it('round-trips a non-ASCII note byte for byte (é, 中文, emoji)', async () => {
      const note = 'Patiente âgée, fièvre 🤒 et sepsis; 患者有高血压 — résumé ✓';
      const answer = await client().codify({ note });
      const [r] = sb.codify.requests();
      assert.strictEqual(r.noteLength, note.length);
      assert.strictEqual(r.noteSha256, createHash('sha256').update(note, 'utf8').digest('hex'));
      assert.deepStrictEqual(
        answer.assessments.map((a) => [a.code, a.evidence]),
        [['A41.9', 'sepsis']],
      );
    });

    it('talks to the production environment with its own token', async () => {
      const answer = await client({
        baseUrl: () => sb.url + CODIFY_PRODUCTION_PREFIX,
        getToken: async () => sb.credentials.CODIFY_PRODUCTION_TOKEN,
      }).codify({ note: 'sepsis' });
      assert.deepStrictEqual(
        answer.assessments.map((a) => a.code),
        ['A41.9'],
      );
      assert.strictEqual(sb.codify.requests()[0].environment, 'production');
    });
  });

  describe('refused before any request', () => {
    it('checkNote: empty or blank, too long, or fine', () => {
      assert.strictEqual(checkNote('', 10), 'emptyNote');
      assert.strictEqual(checkNote(' \n\t ', 10), 'emptyNote');
      assert.strictEqual(checkNote('x'.repeat(11), 10), 'noteTooLong');
      assert.strictEqual(checkNote('x'.repeat(10), 10), undefined);
      // characters are UTF-16 code units, as a text area counts them
      assert.strictEqual(checkNote('🩺'.repeat(5), 10), undefined);
      assert.strictEqual(checkNote('🩺'.repeat(6), 10), 'noteTooLong');
    });

    it('a 200 KB note is refused by checkNote at the panel’s limit', () => {
      const note = 'Type 2 diabetes. '.repeat(Math.ceil((200 * 1024) / 17));
      assert.ok(note.length >= 200 * 1024);
      assert.strictEqual(checkNote(note, 100_000), 'noteTooLong');
    });

    it('an empty note or one over CODIFY_NOTE_MAX → CodifyConfigError, nothing sent', async () => {
      await expectConfigError(client().codify({ note: '' }), 'emptyNote');
      await expectConfigError(client().codify({ note: '  \n  ' }), 'emptyNote');
      await expectConfigError(client().codify({ note: 'x'.repeat(CODIFY_NOTE_MAX + 1) }), 'noteTooLong');
      assert.strictEqual(sb.requests.length, 0);
    });

    it('a missing URL → missingUrl (the token is not even read), nothing sent', async () => {
      await expectConfigError(client({ baseUrl: () => '' }).codify({ note: NOTE }), 'missingUrl');
      await expectConfigError(client({ baseUrl: () => '   ' }).codify({ note: NOTE }), 'missingUrl');
      assert.strictEqual(tokenCalls, 0);
      assert.strictEqual(sb.requests.length, 0);
    });

    it('a missing token → missingToken, nothing sent', async () => {
      await expectConfigError(
        client({ getToken: async () => undefined }).codify({ note: NOTE }),
        'missingToken',
      );
      await expectConfigError(client({ getToken: async () => ' ' }).codify({ note: NOTE }), 'missingToken');
      assert.strictEqual(sb.requests.length, 0);
    });

    it('a token store that fails → unauthorized ApiError without its message', async () => {
      const e = await expectApiError(
        client({
          getToken: () => Promise.reject(new Error(`keychain said ${sb.credentials.CODIFY_TOKEN}`)),
        }).codify({ note: NOTE }),
        'unauthorized',
      );
      assertNoPhi(dump(e), 'the error');
      assert.strictEqual(sb.requests.length, 0);
    });

    it('an id that cannot travel in a header → badRequest that does not quote it, nothing sent', async () => {
      for (const doctorId of ['Dr Zoë Müller', '医生 12', 'dr\n123']) {
        const e = await expectApiError(client().codify({ note: NOTE, doctorId }), 'badRequest');
        assert.match(e.message, /doctor id/);
        assert.ok(!dump(e).includes(doctorId.trim()));
      }
      await expectApiError(client().codify({ note: NOTE, patientId: 'pt_ø' }), 'badRequest');
      assert.strictEqual(sb.requests.length, 0);
    });

    it('an already aborted signal → cancelled, nothing sent', async () => {
      const ac = new AbortController();
      ac.abort();
      await expectApiError(client().codify({ note: NOTE }, ac.signal), 'cancelled');
      assert.strictEqual(sb.requests.length, 0);
    });
  });

  describe('answers', () => {
    it('keeps every field of a rich answer, and the request ids', async () => {
      sb.codify.configure({ answer: 'rich' });
      const answer = await client().codify({ note: NOTE });
      const raw = await sb.codify.match(NOTE); // what the sandbox found, before enrichment
      assert.strictEqual(answer.assessments.length, raw.length);
      const [first] = answer.assessments;
      assert.strictEqual(first.code, 'E11.9');
      assert.strictEqual(first.description, 'Type 2 diabetes mellitus without complications');
      assert.strictEqual(first.evidence, 'Type 2 Diabetes');
      assert.strictEqual(first.code_system, 'ICD-10-CM');
      assert.deepStrictEqual(first.hcc, { version: 'V28', category: '38' });
      assert.deepStrictEqual(first.evidence_spans, [{ start: 13, end: 28 }]);
      assert.ok(Array.isArray(first.alternatives));
      assert.strictEqual(first.negated, false);
      assert.deepStrictEqual(Object.keys(answer.fields).sort(), [
        'api_version',
        'model',
        'processing_time_ms',
        'request_id',
        'usage',
        'warnings',
      ]);
      assert.strictEqual(answer.fields.api_version, '2.1-sandbox');
      assert.ok(!('final_code_assessments' in answer.fields));
      // the body's request_id and the x-request-id header are the same id: listed once
      assert.deepStrictEqual(answer.requestIds, [answer.fields.request_id]);
    });

    it('collects request_id, requestId, id and x-request-id, without repeats or junk', async () => {
      sb.faults.add({
        type: 'malformed',
        method: 'POST',
        path: CODIFY_PATH,
        times: 1,
        raw: JSON.stringify({
          final_code_assessments: [{ code: 'I10', description: 'Essential (primary) hypertension' }],
          request_id: 'req-1',
          requestId: 'req-2',
          id: 7,
          trace: 'kept',
        }),
      });
      const a = await client().codify({ note: NOTE });
      assert.deepStrictEqual(a.requestIds, ['req-1', 'req-2', '7']);
      assert.strictEqual(a.fields.trace, 'kept');
      sb.faults.add({
        type: 'malformed',
        method: 'POST',
        path: CODIFY_PATH,
        times: 1,
        raw: JSON.stringify({
          final_code_assessments: [],
          request_id: 'a\nb',
          id: 'x'.repeat(300),
          requestId: ' ',
        }),
      });
      assert.deepStrictEqual((await client().codify({ note: NOTE })).requestIds, []);
    });

    it('an empty match is an empty list', async () => {
      const a = await client().codify({ note: 'Routine visit, nothing of note.' });
      assert.deepStrictEqual(a.assessments, []);
      assert.strictEqual(a.fields.model, 'balanced');
    });

    it('keeps codes the index does not know, as sent', async () => {
      sb.codify.configure({ answer: 'unknownCodes' });
      const a = await client().codify({ note: 'sepsis' });
      assert.deepStrictEqual(
        a.assessments.map((x) => x.code),
        ['Z99.999', 'E11.6', 'E78.01', 'E1165', 'I10', 'A41.9'],
      );
      assert.strictEqual(a.assessments[4].description, 'Hypertension (essential)');
    });

    for (const [variant, message] of [
      ['notJson', /not JSON/],
      ['noAssessments', /final_code_assessments \(expected array\)/],
      ['missingCode', /final_code_assessments\[3\]\.code \(expected string\)/],
    ] as const) {
      it(`an answer of the wrong shape (${variant}) → invalidResponse naming what is wrong, not retried`, async () => {
        sb.codify.configure({ answer: variant });
        const e = await expectApiError(
          client().codify({ note: NOTE, doctorId: DOCTOR, patientId: PATIENT }),
          'invalidResponse',
        );
        assert.match(e.message, message);
        assertNoPhi(dump(e), 'the error');
        assert.strictEqual(sb.codify.requests().length, 1);
      });
    }

    it('an assessment whose description is not a string is invalid too', async () => {
      sb.faults.add({
        type: 'malformed',
        method: 'POST',
        path: CODIFY_PATH,
        times: 1,
        raw: JSON.stringify({ final_code_assessments: [{ code: 'I10', description: null }] }),
      });
      const e = await expectApiError(client().codify({ note: NOTE }), 'invalidResponse');
      assert.match(e.message, /final_code_assessments\[0\]\.description/);
    });
  });

  describe('errors and retries', () => {
    it('401 → unauthorized with the server’s message, not retried', async () => {
      const e = await expectApiError(
        client({ getToken: async () => 'wrong-token' }).codify({ note: NOTE }),
        'unauthorized',
      );
      assert.strictEqual(e.status, 401);
      assert.match(e.serverMessage ?? '', /Invalid token/);
      assert.ok(e.traceId);
      assert.strictEqual(sb.codify.requests().length, 1);
    });

    it('400 → badRequest with the server’s message, not retried', async () => {
      const e = await expectApiError(client().codify({ note: NOTE, model: 'gpt-9' }), 'badRequest');
      assert.strictEqual(e.status, 400);
      assert.strictEqual(e.serverMessage, "unknown model 'gpt-9'; available: balanced, fast, accurate");
      assert.strictEqual(sb.codify.requests().length, 1);
    });

    it('413 for a note the server finds too long → badRequest with its message, not retried', async () => {
      const note = 'fever '.repeat(40_000); // 240,000 characters: under CODIFY_NOTE_MAX, over the sandbox's limit
      const e = await expectApiError(client().codify({ note }), 'badRequest');
      assert.strictEqual(e.status, 413);
      assert.match(e.serverMessage ?? '', /^medical_note is too long: 240000 characters/);
      assert.strictEqual(sb.codify.requests().length, 1);
    });

    it('429 then success: waits for Retry-After, then answers', async () => {
      sb.codify.configure({ statuses: [429], retryAfterSeconds: 1 });
      const { ms, value, error } = await timed(
        client().codify({ note: NOTE, doctorId: DOCTOR, patientId: PATIENT }),
      );
      assert.strictEqual(error, undefined);
      assert.deepStrictEqual(
        value?.assessments.map((a) => a.code),
        ['E11.9', 'I10', 'A41.9'],
      );
      assert.ok(ms >= 1000, `retried after ${ms} ms, before Retry-After`);
      const records = sb.codify.requests();
      assert.deepStrictEqual(
        records.map((r) => r.status),
        [429, 200],
      );
      // the retry is the same request: headers and body again
      for (const r of records)
        assert.deepStrictEqual([r.doctor, r.patient, r.noteLength], [DOCTOR, PATIENT, NOTE.length]);
      assert.ok(records[1].noteSha256 === records[0].noteSha256);
    });

    it('three 503s then success: 4 attempts', async () => {
      sb.codify.configure({ statuses: [503, 503, 503] });
      const a = await client().codify({ note: NOTE });
      assert.strictEqual(a.assessments.length, 3);
      assert.deepStrictEqual(
        sb.codify.requests().map((r) => r.status),
        [503, 503, 503, 200],
      );
    });

    it('503 on every attempt: fails as server after 1 + 3 attempts, backing off exponentially', async () => {
      sb.codify.configure({ statuses: [503, 503, 503, 503, 503] });
      const e = await expectApiError(client({ retry: { baseDelayMs: 40 } }).codify({ note: NOTE }), 'server');
      assert.strictEqual(e.status, 503);
      assert.match(e.message, /\(4 attempts\)$/);
      assert.match(e.serverMessage ?? '', /503/);
      assert.strictEqual(sb.codify.requests().length, 4);
      assert.deepStrictEqual(sb.codify.options.statuses, [503], 'a fifth attempt was made');
      const at = sb.requests.map((r) => r.at);
      const gaps = at.slice(1).map((t, i) => t - at[i]);
      // 40, 80, 160 ms, each ±20 %
      gaps.forEach((g, i) => assert.ok(g >= 40 * 2 ** i * 0.8 - 5, `gap ${i + 1} was ${g} ms`));
      assert.ok(gaps[2] > gaps[0], `gaps ${gaps.join(', ')} do not grow`);
      assert.strictEqual(log.lines.filter((l) => /retrying in/.test(l)).length, 3);
    });

    it('never retries other 4xx statuses', async () => {
      for (const status of [400, 403, 404, 409, 422]) {
        sb.reset();
        sb.codify.configure({ statuses: [status] });
        await assert.rejects(client().codify({ note: NOTE }));
        assert.strictEqual(sb.codify.requests().length, 1, String(status));
      }
    });

    it('a Retry-After beyond maxRetryAfterMs is not waited for: rateLimited with retryAfterMs', async () => {
      sb.codify.configure({ statuses: [429], retryAfterSeconds: 120 });
      const { ms, error } = await timed(client().codify({ note: NOTE }));
      assert.ok(ms < 1000);
      const e = await expectApiError(Promise.reject(error), 'rateLimited');
      assert.strictEqual(e.retryAfterMs, 120_000);
      assert.strictEqual(sb.codify.requests().length, 1);
    });

    it('the default schedule is 3 retries, 1 s, 2 s, 4 s (±20 %), Retry-After when longer', () => {
      assert.deepStrictEqual(
        { retries: CODIFY_DEFAULT_RETRY.retries, baseDelayMs: CODIFY_DEFAULT_RETRY.baseDelayMs },
        { retries: 3, baseDelayMs: 1000 },
      );
      assert.strictEqual(CODIFY_DEFAULT_TIMEOUT_MS, 600_000);
      const none = (): number => 0.5;
      assert.deepStrictEqual(
        [1, 2, 3].map((n) => codifyRetryDelayMs(n, CODIFY_DEFAULT_RETRY.baseDelayMs, undefined, none)),
        [1000, 2000, 4000],
      );
      assert.strictEqual(
        codifyRetryDelayMs(1, 1000, undefined, () => 0),
        800,
      );
      const most = codifyRetryDelayMs(3, 1000, undefined, () => 0.999999);
      assert.ok(most > 4799 && most < 4800, String(most));
      assert.strictEqual(codifyRetryDelayMs(1, 1000, 3000, none), 3000);
      assert.strictEqual(codifyRetryDelayMs(2, 1000, 500, none), 2000);
    });

    it('by default the first retry comes about 1 s later', async function () {
      this.timeout(5000);
      sb.codify.configure({ statuses: [503] });
      const { ms, error } = await timed(client({ retry: undefined }).codify({ note: NOTE }));
      assert.strictEqual(error, undefined);
      assert.ok(ms >= 800 && ms < 1600, `took ${ms} ms`);
    });

    it('a connection cut mid-answer is retried (codify has no side effects)', async () => {
      sb.faults.add({ type: 'cut', method: 'POST', path: CODIFY_PATH, times: 1 });
      const a = await client().codify({ note: NOTE });
      assert.strictEqual(a.assessments.length, 3);
      assert.deepStrictEqual(
        sb.requests.map((r) => r.fault ?? r.status),
        ['cut', 200],
      );
    });

    it('a refused connection is retried, then reported as network after 4 attempts', async () => {
      const closed = await startSandbox();
      const url = closed.url;
      await closed.close();
      const e = await expectApiError(client({ baseUrl: () => url }).codify({ note: NOTE }), 'network');
      assert.match(e.message, /ECONNREFUSED.*\(4 attempts\)$/);
      assert.strictEqual(log.lines.filter((l) => /attempt \d/.test(l) && /network error/.test(l)).length, 4);
    });

    it('a host that does not resolve is not retried', async () => {
      const e = await expectApiError(
        client({ baseUrl: () => 'http://codify.invalid' }).codify({ note: NOTE }),
        'network',
      );
      assert.doesNotMatch(e.message, /attempts/);
    });

    it('a slow answer → timeout after timeoutMs, not retried, and the server sees the client go away', async () => {
      sb.codify.configure({ delayMs: 5000 });
      const { ms, error } = await timed(client({ timeoutMs: 150 }).codify({ note: NOTE }));
      const e = await expectApiError(Promise.reject(error), 'timeout');
      assert.ok(ms < 1000, `took ${ms} ms`);
      assert.match(e.message, /did not answer POST \/v1\/codify within 0\.\d s$/);
      const r = await sb.codify.settled(1);
      assert.strictEqual(r.aborted, true);
      assert.strictEqual(sb.codify.requests().length, 1);
      assert.strictEqual(sb.codify.state().inFlight, 0);
    });

    it('Cancel mid-request → cancelled, and the request is aborted on the server (no orphan)', async () => {
      sb.codify.configure({ delayMs: 60_000 });
      const ac = new AbortController();
      const pending = client().codify({ note: NOTE, doctorId: DOCTOR }, ac.signal);
      await sb.codify.received(1);
      assert.strictEqual(sb.codify.state().inFlight, 1);
      ac.abort();
      const e = await expectApiError(pending, 'cancelled');
      assertNoPhi(dump(e), 'the error');
      const r = await sb.codify.settled(1);
      assert.deepStrictEqual([r.aborted, r.status], [true, 0]);
      assert.strictEqual(sb.codify.state().inFlight, 0);
      assert.strictEqual(sb.codify.requests().length, 1, 'a cancelled request is not retried');
    });

    it('Cancel during the back-off → cancelled at once, no further attempt', async () => {
      sb.codify.configure({ statuses: [503, 503] });
      const ac = new AbortController();
      const pending = client({ retry: { baseDelayMs: 60_000 } }).codify({ note: NOTE }, ac.signal);
      await sb.codify.settled(1);
      ac.abort();
      const { ms } = await timed(expectApiError(pending, 'cancelled'));
      assert.ok(ms < 1000);
      assert.strictEqual(sb.codify.requests().length, 1);
    });
  });

  describe('privacy', () => {
    it('never logs the note, the ids or the token, and errors carry none of them', async () => {
      sb.codify.configure({ statuses: [503, 500] });
      await client().codify({ note: NOTE, doctorId: DOCTOR, patientId: PATIENT });
      sb.codify.configure({ statuses: [400] });
      const e1 = await expectApiError(
        client().codify({ note: NOTE, doctorId: DOCTOR, patientId: PATIENT }),
        'badRequest',
      );
      sb.codify.configure({ statuses: [503, 503, 503, 503] });
      const e2 = await expectApiError(
        client().codify({ note: NOTE, doctorId: DOCTOR, patientId: PATIENT }),
        'server',
      );
      const e3 = await expectApiError(
        client({ getToken: async () => 'bad' }).codify({ note: NOTE, doctorId: DOCTOR, patientId: PATIENT }),
        'unauthorized',
      );
      assert.ok(log.lines.length >= 9, log.lines.join('\n'));
      assertNoPhi(log.lines.join('\n'), 'the log');
      for (const e of [e1, e2, e3]) assertNoPhi(dump(e), 'an error');
    });
  });
});
