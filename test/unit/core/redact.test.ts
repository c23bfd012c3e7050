import * as assert from 'assert';
import { ApiError } from '../../../src/core/errors';
import {
  REDACTED,
  isSensitiveKey,
  redact,
  redactHeaders,
  redactText,
  redactUrl,
} from '../../../src/core/redact';

const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
const HEIM_KEY = 'test_sdfo723rKk1l2jdak72l4jJk.f8pikalsfkjlawejsdkwef8sdlfadsf';

function assertNoLeak(out: string, ...secrets: string[]): void {
  for (const s of secrets) assert.ok(!out.includes(s), `leaked ${JSON.stringify(s)} in ${out}`);
}

describe('core/redact', () => {
  describe('Authorization and bearer tokens', () => {
    it('masks Authorization header values in text, any case, Bearer or raw', () => {
      const out = redactText('authorization: Bearer abc.def-123\nAUTHORIZATION=live_abcdefghijklmnop1\nX: y');
      assertNoLeak(out, 'abc.def-123', 'abcdefghijklmnop1');
      assert.ok(out.includes('X: y'));
      assert.ok(out.includes(`authorization: ${REDACTED}`));
    });
    it('masks Authorization in a JSON string and in a header object', () => {
      assertNoLeak(redactText('{"Authorization":"Bearer s3cr3t-token"}'), 's3cr3t-token');
      const headers = {
        Authorization: 'Bearer s3cr3t',
        authorization: 'raw-key-value',
        Accept: 'application/json',
      };
      const out = redact(headers);
      assertNoLeak(out, 's3cr3t', 'raw-key-value');
      assert.ok(out.includes('application/json'));
      assert.deepStrictEqual(redactHeaders({ AUTHORIZATION: 'k', 'x-trace': 't' }), {
        AUTHORIZATION: REDACTED,
        'x-trace': 't',
      });
    });
    it('masks bearer tokens anywhere in text', () => {
      const out = redactText('retrying with bearer AbC123_-.~+/= after 401');
      assertNoLeak(out, 'AbC123');
      assert.strictEqual(out, `retrying with bearer ${REDACTED} after 401`);
      assertNoLeak(redactText('Bearer abcdefghijklmnopqrstuvwxyz'), 'abcdefghijklmnopqrstuvwxyz');
      assert.strictEqual(
        redactText('Missing bearer token in the header'),
        'Missing bearer token in the header',
      );
    });
  });

  describe('secret fields', () => {
    for (const key of [
      'client_secret',
      'clientSecret',
      'secret',
      'password',
      'token',
      'access_token',
      'accessToken',
      'apiKey',
      'api_key',
      'authorization',
      'Authorization',
    ]) {
      it(`masks an object field named ${key}`, () => {
        const out = redact({ [key]: 'hunter2-value', other: 'visible' });
        assertNoLeak(out, 'hunter2-value');
        assert.ok(out.includes('visible'));
      });
    }
    it('masks secret fields written as pairs in text (JSON, query-style, header-style)', () => {
      const out = redactText(
        'body {"client_id":"abc","client_secret":"p@ss \\"quoted\\"","access_token": "tok123"} client_secret=raw123&x=1 api-key: k999',
      );
      assertNoLeak(out, 'p@ss', 'quoted', 'tok123', 'raw123', 'k999');
      assert.ok(out.includes('"client_id":"abc"'), out);
    });
    it('masks nested fields and keeps harmless ones', () => {
      const out = redact({
        outer: { list: [{ password: 'pw1' }, { refreshToken: 'rt1' }] },
        token_type: 'Bearer',
      });
      assertNoLeak(out, 'pw1', 'rt1');
      assert.ok(out.includes('"token_type":"Bearer"'));
    });
  });

  describe('PHI', () => {
    it('masks medical_note and note text fields', () => {
      const note = 'Patient with Type 2 Diabetes, HbA1c 9.1';
      for (const key of ['medical_note', 'medicalNote', 'note', 'noteText', 'clinicalNote']) {
        assertNoLeak(redact({ [key]: note, model: 'balanced' }), 'Diabetes');
      }
      assertNoLeak(redactText(`{"medical_note":"${note}","model":"balanced"}`), 'Diabetes');
      assert.ok(redactText(`{"medical_note":"${note}","model":"balanced"}`).includes('balanced'));
    });
    it('masks x-doctor / x-patient header values and doctor/patient id fields', () => {
      const out = redact({
        'x-doctor': 'dr_123',
        'X-Patient': 'pt_456',
        doctorId: 'd-9',
        patientId: 'p-9',
        patient_id: 'p-8',
      });
      assertNoLeak(out, 'dr_123', 'pt_456', 'd-9', 'p-9', 'p-8');
      const text = redactText('sent x-doctor: dr_123, x-patient=pt_456 and {"patientId":"p-7"}');
      assertNoLeak(text, 'dr_123', 'pt_456', 'p-7');
    });
    it('does not mask release notes or unrelated keys', () => {
      for (const k of ['releaseNotes', 'code', 'description', 'token_type', 'session_id', 'tokensIssued']) {
        assert.ok(!isSensitiveKey(k), k);
      }
    });
  });

  describe('keys and JWTs', () => {
    it('masks Heim test_/live_ keys but keeps the mode', () => {
      const out = redactText(`using ${HEIM_KEY} and live_9f8e7d6c5b4a3f2e1d`);
      assertNoLeak(out, 'sdfo723', '9f8e7d6c5b4a');
      assert.ok(out.includes(`test_${REDACTED}`) && out.includes(`live_${REDACTED}`));
    });
    it('masks JWT-looking strings', () => {
      const out = redactText(`token was ${JWT}.`);
      assertNoLeak(
        out,
        'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9',
        'SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
      );
      assertNoLeak(redact({ value: JWT }), 'SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c');
    });
  });

  describe('URLs', () => {
    const presigned =
      'https://imo-releases.s3.amazonaws.com/icd10/2025.zip?X-Amz-Algorithm=AWS4&X-Amz-Credential=AKIA%2F&X-Amz-Signature=abcdef0123';
    it('replaces the query of a URL, keeping scheme, host and path', () => {
      assert.strictEqual(
        redactUrl(presigned),
        `https://imo-releases.s3.amazonaws.com/icd10/2025.zip?${REDACTED}`,
      );
      assert.strictEqual(redactUrl('/v1/items?limit=10#frag'), `/v1/items?${REDACTED}`);
      assert.strictEqual(redactUrl('https://h.example/p'), 'https://h.example/p');
      assert.strictEqual(redactUrl('https://user:pw@h.example/p'), `https://${REDACTED}@h.example/p`);
    });
    it('redacts URLs inside text and objects', () => {
      const out = redactText(`download failed for ${presigned} (403)`);
      assertNoLeak(out, 'X-Amz-Signature', 'abcdef0123', 'AKIA');
      assert.ok(out.includes('https://imo-releases.s3.amazonaws.com/icd10/2025.zip?<redacted> (403)'));
      assertNoLeak(redact({ url: presigned }), 'abcdef0123');
      assertNoLeak(redact(new URL(presigned)), 'abcdef0123');
    });
  });

  describe('stringifying', () => {
    it('handles cycles, depth, odd values and never throws', () => {
      const a: Record<string, unknown> = {
        name: 'a',
        n: 1n,
        f: () => 1,
        d: new Date(0),
        buf: Buffer.from('abc'),
      };
      a.self = a;
      a.list = [a];
      const out = redact(a);
      assert.ok(out.includes('[Circular]'), out);
      assert.ok(
        out.includes('"n":"1"') && out.includes('[Function]') && out.includes('1970-01-01T00:00:00.000Z'),
      );
      assert.ok(out.includes('[3 bytes]'));
      let deep: Record<string, unknown> = {};
      const root = deep;
      for (let i = 0; i < 50; i++) deep = (deep.next = {}) as Record<string, unknown>;
      assert.ok(redact(root).includes('[Object]'));
      const hostile = {
        get boom(): string {
          throw new Error('x');
        },
      };
      assert.strictEqual(redact(hostile), '[unprintable value]');
      assert.strictEqual(redact(undefined), 'undefined');
      assert.strictEqual(redact(null), 'null');
      assert.strictEqual(redact(42), '42');
    });
    it('prints errors as name and redacted message with their cause, not their config', () => {
      const cause = Object.assign(new Error('socket hang up with Bearer abc123'), { code: 'ECONNRESET' });
      const err = Object.assign(new Error('request failed', { cause }), {
        config: { headers: { Authorization: 'Bearer zzz' } },
      });
      const out = redact(err);
      assert.strictEqual(
        out,
        `Error: request failed (cause: Error: socket hang up with Bearer ${REDACTED} [ECONNRESET])`,
      );
      const api = new ApiError({ kind: 'server', message: 'IMO answered 503', service: 'IMO' });
      assert.strictEqual(redact(api), 'ApiError: IMO answered 503');
      const cyclic = new Error('outer');
      (cyclic as { cause?: unknown }).cause = cyclic;
      assert.ok(redact(cyclic).includes('[Circular]'));
    });
    it('is idempotent', () => {
      const text = `Authorization: Bearer abc ${JWT} ${HEIM_KEY} https://x.example/a?b=c {"client_secret":"s"}`;
      const once = redactText(text);
      assert.strictEqual(redactText(once), once);
    });
  });
});
