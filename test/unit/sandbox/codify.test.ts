import * as assert from 'assert';
import { createHash } from 'crypto';
import { type Sandbox, startSandbox } from '../../../sandbox/server';
import {
  CODIFY_DEFAULT_PRODUCTION_TOKEN,
  CODIFY_DEFAULT_TOKEN,
  CODIFY_NOTE_LIMIT,
  CODIFY_PATH,
  CODIFY_PRODUCTION_PREFIX,
  COMMON_PHRASES,
  UNKNOWN_CODE_ASSESSMENTS,
} from '../../../sandbox/services/codify';

type Json = Record<string, unknown>;
interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: Json;
}
interface Assessment {
  code: string;
  description: string;
  confidence: number;
  evidence: string;
  rationale: string;
  code_system: string;
  [k: string]: unknown;
}

const NOTE =
  'Patient with Type 2 Diabetes and Essential (primary) hypertension. History of urinary tract infection; ' +
  'type 2 diabetes is stable.';

describe('sandbox: Codify (document 002)', function () {
  let sb: Sandbox;

  const post = async (
    body: unknown,
    o: { token?: string | null; headers?: Record<string, string>; path?: string; signal?: AbortSignal } = {},
  ): Promise<Answer> => {
    const token = o.token === undefined ? sb.credentials.CODIFY_TOKEN : o.token;
    const res = await fetch(sb.url + (o.path ?? CODIFY_PATH), {
      method: 'POST',
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: {
        'content-type': 'application/json',
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...(o.headers ?? {}),
      },
      signal: o.signal,
    });
    const text = await res.text();
    let json: Json = {};
    try {
      json = JSON.parse(text) as Json;
    } catch {
      // not JSON: the test looks at `text`
    }
    return { status: res.status, headers: res.headers, text, json };
  };
  const assessments = (a: Answer): Assessment[] => a.json.final_code_assessments as Assessment[];
  const control = async (method: string, p: string, body?: unknown): Promise<Answer> => {
    const res = await fetch(`${sb.url}/__sandbox/codify${p}`, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, json: text ? (JSON.parse(text) as Json) : {} };
  };

  before(async function () {
    this.timeout(30_000);
    sb = await startSandbox();
    await sb.codify.ready(); // builds the phrase index once, so timings below are the requests'
  });
  after(async () => sb.close());
  beforeEach(() => sb.reset());

  describe('credentials and environments', () => {
    it('adds a development and a production token to the demo credentials', () => {
      assert.strictEqual(sb.credentials.CODIFY_TOKEN, CODIFY_DEFAULT_TOKEN);
      assert.strictEqual(sb.credentials.CODIFY_PRODUCTION_TOKEN, CODIFY_DEFAULT_PRODUCTION_TOKEN);
      assert.notStrictEqual(CODIFY_DEFAULT_TOKEN, CODIFY_DEFAULT_PRODUCTION_TOKEN);
      assert.deepStrictEqual(sb.codify.credentials, {
        development: CODIFY_DEFAULT_TOKEN,
        production: CODIFY_DEFAULT_PRODUCTION_TOKEN,
      });
    });

    it('reads the tokens from the environment when set', async () => {
      const other = await startSandbox({
        env: { CODIFY_TOKEN: 'dev-x1', CODIFY_PRODUCTION_TOKEN: 'prod-x2' },
      });
      try {
        assert.strictEqual(other.credentials.CODIFY_TOKEN, 'dev-x1');
        assert.strictEqual(other.credentials.CODIFY_PRODUCTION_TOKEN, 'prod-x2');
        const res = await fetch(other.url + CODIFY_PATH, {
          method: 'POST',
          headers: { authorization: `Bearer ${CODIFY_DEFAULT_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ medical_note: 'fever' }),
        });
        assert.strictEqual(res.status, 401);
      } finally {
        await other.close();
      }
    });

    it('answers 401 {detail, request_id} without a token, with a wrong one, or with the other environment’s', async () => {
      const cases: Array<[string | null, string]> = [
        [null, CODIFY_PATH],
        ['nope', CODIFY_PATH],
        [CODIFY_DEFAULT_PRODUCTION_TOKEN, CODIFY_PATH],
        [CODIFY_DEFAULT_TOKEN, CODIFY_PRODUCTION_PREFIX + CODIFY_PATH],
      ];
      for (const [token, p] of cases) {
        const a = await post({ medical_note: 'fever' }, { token, path: p });
        assert.strictEqual(a.status, 401, `${token} ${p}`);
        assert.strictEqual(typeof a.json.detail, 'string');
        assert.strictEqual(a.json.request_id, a.headers.get('x-request-id'));
        assert.match(a.headers.get('www-authenticate') ?? '', /^Bearer/);
      }
      assert.deepStrictEqual(
        sb.codify.requests().map((r) => [r.environment, r.authorization, r.status]),
        [
          ['development', false, 401],
          ['development', true, 401],
          ['development', true, 401],
          ['production', true, 401],
        ],
      );
    });

    it('serves production under its own prefix with the production token', async () => {
      const a = await post(
        { medical_note: 'sepsis' },
        { token: sb.credentials.CODIFY_PRODUCTION_TOKEN, path: CODIFY_PRODUCTION_PREFIX + CODIFY_PATH },
      );
      assert.strictEqual(a.status, 200);
      assert.deepStrictEqual(
        assessments(a).map((x) => x.code),
        ['A41.9'],
      );
      assert.strictEqual(sb.codify.requests()[0].environment, 'production');
    });
  });

  describe('request checks', () => {
    it('answers 415 when the body is not declared as JSON', async () => {
      const a = await post(JSON.stringify({ medical_note: 'fever' }), {
        headers: { 'content-type': 'text/plain' },
      });
      assert.strictEqual(a.status, 415);
      assert.match(String(a.json.detail), /application\/json/);
    });

    it('answers 400 with a message for bodies it cannot use', async () => {
      const cases: Array<[unknown, RegExp]> = [
        ['{not json', /JSON object/],
        [[1, 2], /JSON object/],
        [{}, /^medical_note is required$/],
        [{ medical_note: '   \n ' }, /^medical_note is required$/],
        [{ medical_note: 42 }, /^medical_note must be a string$/],
        [
          { medical_note: 'fever', model: 'gpt-9' },
          /^unknown model 'gpt-9'; available: balanced, fast, accurate$/,
        ],
        [{ medical_note: 'fever', model: 7 }, /^unknown model 'number'/],
      ];
      for (const [body, message] of cases) {
        const a = await post(body);
        assert.strictEqual(a.status, 400, JSON.stringify(body));
        assert.match(String(a.json.detail), message);
        assert.strictEqual(a.json.request_id, a.headers.get('x-request-id'));
      }
    });

    it(`answers 413 for a note over ${CODIFY_NOTE_LIMIT} characters, and accepts one at the limit`, async () => {
      const over = await post({ medical_note: 'x'.repeat(CODIFY_NOTE_LIMIT + 1) });
      assert.strictEqual(over.status, 413);
      assert.strictEqual(
        over.json.detail,
        `medical_note is too long: ${CODIFY_NOTE_LIMIT + 1} characters; the limit is ${CODIFY_NOTE_LIMIT}`,
      );
      const at = await post({ medical_note: 'x'.repeat(CODIFY_NOTE_LIMIT) });
      assert.strictEqual(at.status, 200);
      assert.deepStrictEqual(at.json.final_code_assessments, []);
    });
  });

  describe('answers', () => {
    it('finds FY2026 titles and common phrases, once per code, in note order, with their evidence', async () => {
      const a = await post({ medical_note: NOTE });
      assert.strictEqual(a.status, 200);
      assert.match(a.headers.get('content-type') ?? '', /^application\/json/);
      assert.strictEqual(a.json.request_id, a.headers.get('x-request-id'));
      assert.strictEqual(a.json.model, 'balanced');
      assert.strictEqual(typeof a.json.processing_time_ms, 'number');
      assert.deepStrictEqual(
        assessments(a).map((x) => [x.code, x.description, x.evidence]),
        [
          ['E11.9', 'Type 2 diabetes mellitus without complications', 'Type 2 Diabetes'],
          ['I10', 'Essential (primary) hypertension', 'Essential (primary) hypertension'],
          ['N39.0', 'Urinary tract infection, site not specified', 'urinary tract infection'],
        ],
      );
      for (const x of assessments(a)) {
        assert.strictEqual(x.code_system, 'ICD-10-CM');
        assert.ok(x.confidence > 0 && x.confidence <= 1);
        assert.ok(x.rationale.length > 0);
      }
      // a title counts more than a phrase
      assert.ok(assessments(a)[1].confidence > assessments(a)[0].confidence);
    });

    it('prefers the longest phrase: a full title beats the common phrase it starts with', async () => {
      const a = await post({
        medical_note: 'Known type 2 diabetes mellitus with hyperglycemia, on insulin.',
      });
      assert.deepStrictEqual(
        assessments(a).map((x) => [x.code, x.evidence]),
        [['E11.65', 'type 2 diabetes mellitus with hyperglycemia']],
      );
    });

    it('matches whole words only, ignoring case and punctuation between words', async () => {
      const none = await post({
        medical_note: 'Hypertensions, copdx, antisepsis and feverish: nothing to code.',
      });
      assert.deepStrictEqual(none.json.final_code_assessments, []);
      const some = await post({ medical_note: 'CKD stage 3; COPD. HIP FRACTURE' });
      assert.deepStrictEqual(
        assessments(some).map((x) => [x.code, x.evidence]),
        [
          ['N18.30', 'CKD stage 3'],
          ['J44.9', 'COPD'],
          ['S72.009A', 'HIP FRACTURE'],
        ],
      );
    });

    it('every common phrase maps to its FY2026 title', async () => {
      const phrases = Object.keys(COMMON_PHRASES);
      const a = await post({ medical_note: phrases.join('. ') });
      const codes = new Set(assessments(a).map((x) => x.code));
      for (const code of new Set(Object.values(COMMON_PHRASES))) assert.ok(codes.has(code), code);
    });

    it('keeps non-ASCII text intact and finds codes next to it', async () => {
      const note = 'Patiënte très fatiguée, 中文 记录 🩺 with sepsis — café';
      const a = await post({ medical_note: note }, { headers: { 'x-doctor': 'dr_123' } });
      assert.deepStrictEqual(
        assessments(a).map((x) => [x.code, x.evidence]),
        [['A41.9', 'sepsis']],
      );
      const [r] = sb.codify.requests();
      assert.strictEqual(r.noteLength, note.length);
      assert.strictEqual(r.noteSha256, createHash('sha256').update(note, 'utf8').digest('hex'));
    });

    it('uses the model asked for', async () => {
      const a = await post({ medical_note: 'fever', model: 'accurate' });
      assert.strictEqual(a.json.model, 'accurate');
      assert.strictEqual(sb.codify.requests()[0].model, 'accurate');
    });

    it('searches a note at the size limit in linear time', async function () {
      this.timeout(20_000);
      // the worst case for a trie walk: every word starts many titles, and long prefixes match
      const unit = 'Displaced fracture of shaft of right femur, initial encounter for ';
      const note = unit.repeat(Math.floor(CODIFY_NOTE_LIMIT / unit.length));
      const started = Date.now();
      const a = await post({ medical_note: note });
      assert.strictEqual(a.status, 200);
      assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
    });
  });

  describe('records', () => {
    it('records audit headers, model, note length, user agent and body fields, never the note', async () => {
      await post(
        { medical_note: NOTE, model: 'fast' },
        { headers: { 'x-doctor': 'dr_123', 'x-patient': 'pt_456', 'user-agent': 'MyHIS/1.0' } },
      );
      await post({ medical_note: 'fever' });
      const [first, second] = sb.codify.requests();
      assert.deepStrictEqual(
        { ...first, noteSha256: undefined },
        {
          seq: 1,
          environment: 'development',
          doctor: 'dr_123',
          patient: 'pt_456',
          model: 'fast',
          noteLength: NOTE.length,
          noteSha256: undefined,
          userAgent: 'MyHIS/1.0',
          contentType: 'application/json',
          bodyFields: ['medical_note', 'model'],
          authorization: true,
          status: 200,
          aborted: false,
          settled: true,
        },
      );
      assert.strictEqual(second.doctor, undefined);
      assert.strictEqual(second.patient, undefined);
      const listed = await control('GET', '/requests');
      assert.strictEqual((listed.json.requests as unknown[]).length, 2);
      assert.ok(!listed.text.includes('Diabetes') && !listed.text.includes('fever'), 'the note leaked');
      assert.ok(!JSON.stringify(sb.state()).includes('Diabetes'));
      assert.deepStrictEqual((sb.state().codify as Json).requests, 2);
    });

    it('clears records over HTTP and on reset', async () => {
      await post({ medical_note: 'fever' });
      assert.strictEqual((await control('DELETE', '/requests')).status, 204);
      assert.deepStrictEqual(sb.codify.requests(), []);
      await post({ medical_note: 'fever' });
      sb.reset();
      assert.deepStrictEqual(sb.codify.requests(), []);
      await post({ medical_note: 'fever' });
      assert.strictEqual(sb.codify.requests()[0].seq, 1);
    });
  });

  describe('switches', () => {
    it('answers a sequence of statuses first (429 with Retry-After), then normally', async () => {
      sb.codify.configure({ statuses: [429, 503], retryAfterSeconds: 2 });
      const a = await post({ medical_note: 'fever' });
      assert.strictEqual(a.status, 429);
      assert.strictEqual(a.headers.get('retry-after'), '2');
      assert.strictEqual(a.json.request_id, a.headers.get('x-request-id'));
      const b = await post({ medical_note: 'fever' });
      assert.strictEqual(b.status, 503);
      assert.strictEqual(b.headers.get('retry-after'), null);
      assert.deepStrictEqual(sb.codify.options.statuses, []);
      const c = await post({ medical_note: 'fever' });
      assert.strictEqual(c.status, 200);
      assert.deepStrictEqual(
        sb.codify.requests().map((r) => r.status),
        [429, 503, 200],
      );
    });

    it('does not use up the sequence on requests it refuses anyway', async () => {
      sb.codify.configure({ statuses: [503] });
      assert.strictEqual((await post({ medical_note: 'fever' }, { token: 'bad' })).status, 401);
      assert.strictEqual((await post({ medical_note: '' })).status, 400);
      assert.strictEqual((await post({ medical_note: 'fever' })).status, 503);
      assert.strictEqual((await post({ medical_note: 'fever' })).status, 200);
    });

    it('answers slowly with delayMs', async () => {
      sb.codify.configure({ delayMs: 150 });
      const started = Date.now();
      const a = await post({ medical_note: 'fever' });
      assert.strictEqual(a.status, 200);
      assert.ok(Date.now() - started >= 140, `answered after ${Date.now() - started} ms`);
    });

    it('stops a slow answer when the client goes away, and records the abort', async () => {
      sb.codify.configure({ delayMs: 60_000 });
      const ac = new AbortController();
      const pending = post({ medical_note: 'fever' }, { signal: ac.signal });
      const received = await sb.codify.received(1);
      assert.strictEqual(received.settled, false);
      assert.strictEqual(sb.codify.state().inFlight, 1);
      ac.abort();
      await assert.rejects(pending, { name: 'AbortError' });
      const settled = await sb.codify.settled(1);
      assert.strictEqual(settled.aborted, true);
      assert.strictEqual(settled.status, 0);
      assert.deepStrictEqual(
        { inFlight: sb.codify.state().inFlight, aborted: sb.codify.state().aborted },
        { inFlight: 0, aborted: 1 },
      );
    });

    it('answers each malformed variant', async () => {
      sb.codify.configure({ answer: 'notJson' });
      const notJson = await post({ medical_note: NOTE });
      assert.strictEqual(notJson.status, 200);
      assert.match(notJson.headers.get('content-type') ?? '', /application\/json/);
      assert.throws(() => JSON.parse(notJson.text) as unknown);

      sb.codify.configure({ answer: 'noAssessments' });
      const none = await post({ medical_note: NOTE });
      assert.strictEqual(none.status, 200);
      assert.ok(!('final_code_assessments' in none.json));
      assert.strictEqual(typeof none.json.request_id, 'string');

      sb.codify.configure({ answer: 'missingCode' });
      const missing = assessments(await post({ medical_note: NOTE }));
      assert.strictEqual(missing.filter((x) => !('code' in x)).length, 1);
      assert.strictEqual(missing.length, 4);
    });

    it('answers a rich answer with fields the client does not know', async () => {
      sb.codify.configure({ answer: 'rich' });
      const a = await post({ medical_note: NOTE });
      assert.strictEqual(a.json.api_version, '2.1-sandbox');
      assert.ok(Array.isArray(a.json.warnings));
      const [first] = assessments(a);
      assert.strictEqual(first.code, 'E11.9');
      assert.deepStrictEqual(first.evidence_spans, [
        { start: NOTE.indexOf('Type 2'), end: NOTE.indexOf(' and') },
      ]);
      assert.deepStrictEqual(first.hcc, { version: 'V28', category: '38' });
    });

    it('answers codes the index does not know, then the matches', async () => {
      sb.codify.configure({ answer: 'unknownCodes' });
      const a = await post({ medical_note: 'sepsis' });
      assert.deepStrictEqual(
        assessments(a).map((x) => x.code),
        [...UNKNOWN_CODE_ASSESSMENTS.map((x) => x.code), 'A41.9'],
      );
    });

    it('is switched over HTTP, validates options, and reset restores the startup options', async () => {
      const bad = await control('POST', '/options', { answer: 'nonsense' });
      assert.strictEqual(bad.status, 400);
      const unknownKey = await control('POST', '/options', { delay: 5 });
      assert.strictEqual(unknownKey.status, 400);
      const ok = await control('POST', '/options', { statuses: [500], answer: 'rich', delayMs: 1 });
      assert.deepStrictEqual(ok.json, { delayMs: 1, statuses: [500], retryAfterSeconds: 1, answer: 'rich' });
      assert.deepStrictEqual((await control('GET', '/options')).json, ok.json);
      assert.strictEqual((await post({ medical_note: 'fever' })).status, 500);
      sb.reset();
      assert.deepStrictEqual(sb.codify.options, {
        delayMs: 0,
        statuses: [],
        retryAfterSeconds: 1,
        answer: 'matched',
      });
    });

    it('takes startup options, and reset returns to them', async () => {
      const other = await startSandbox({ codify: { statuses: [502], answer: 'noAssessments' } });
      try {
        other.codify.configure({ statuses: [], answer: 'matched' });
        other.reset();
        assert.deepStrictEqual(other.codify.options.statuses, [502]);
        assert.strictEqual(other.codify.options.answer, 'noAssessments');
      } finally {
        await other.close();
      }
    });

    it('waits for a record over HTTP (long poll) for tests in another process', async () => {
      sb.codify.configure({ delayMs: 60_000 });
      const ac = new AbortController();
      const pending = post({ medical_note: 'fever' }, { signal: ac.signal }).catch(() => undefined);
      const received = await control('GET', '/requests/1?until=received');
      assert.strictEqual(received.status, 200);
      assert.strictEqual(received.json.settled, false);
      const settledP = control('GET', '/requests/1?until=settled');
      ac.abort();
      await pending;
      const settled = await settledP;
      assert.strictEqual(settled.json.aborted, true);
      const late = await control('GET', '/requests/9?until=received&timeoutMs=20');
      assert.strictEqual(late.status, 408);
      assert.strictEqual((await control('GET', '/requests/x')).status, 400);
    });
  });
});
