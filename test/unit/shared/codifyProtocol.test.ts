/**
 * The Codify panel's message protocol, checked on both sides: what passes, what is dropped, and that
 * a dropped message is reported by its type only (never its content: a note, a patient id).
 */
import * as assert from 'assert';
import { parseHostMessage, parseWebviewMessage } from '../../../src/shared/codifyProtocol';

const NOTE = 'Patient Jane Roe, MRN 12345: type 2 diabetes mellitus without complications.';

describe('codify protocol: messages from the webview', () => {
  it('accepts each documented message', () => {
    const valid: unknown[] = [
      { type: 'ready' },
      { type: 'submit', note: NOTE },
      {
        type: 'submit',
        note: NOTE,
        model: 'balanced',
        doctorId: 'dr_1',
        patientId: 'pt_2',
        rememberDoctor: true,
      },
      { type: 'cancel' },
      { type: 'action', action: 'insert', codes: ['E11.9'], as: 'codeDescription', layout: 'list' },
      { type: 'action', action: 'copy', codes: [] },
      { type: 'export', format: 'csv' },
      { type: 'copyRequestId', requestId: 'req-1' },
      { type: 'fix', fix: 'setToken' },
    ];
    for (const m of valid) {
      const r = parseWebviewMessage(m);
      assert.ok(r.ok, `${JSON.stringify(m)} should pass`);
      assert.deepStrictEqual(r.message, m);
    }
  });

  it('drops unknown types and wrong shapes, naming only the type', () => {
    const cases: [unknown, string][] = [
      [{ type: 'deleteEverything' }, 'deleteEverything'],
      [{ type: 'submit' }, 'submit'], // no note
      [{ type: 'submit', note: 42 }, 'submit'],
      [{ type: 'submit', note: NOTE, patientId: 'x'.repeat(201) }, 'submit'],
      [{ type: 'action', action: 'delete', codes: ['E11.9'] }, 'action'],
      [{ type: 'action', action: 'copy', codes: ['E11.9'], as: 'html' }, 'action'],
      [{ type: 'export', format: 'xlsx' }, 'export'],
      [{ type: 'fix', fix: 'runShell' }, 'fix'],
      [{ note: NOTE }, '(none)'],
      [null, '(none)'],
      ['submit', '(none)'],
      [[{ type: 'ready' }], '(none)'],
    ];
    for (const [raw, type] of cases) {
      const r = parseWebviewMessage(raw);
      assert.strictEqual(r.ok, false, `${JSON.stringify(raw)?.slice(0, 60)} should be dropped`);
      if (!r.ok) {
        assert.strictEqual(r.type, type);
        assert.ok(!r.reason.includes('Jane') && !r.reason.includes('MRN'), 'the reason carries no content');
      }
    }
  });

  it('reports a type that is not a plain identifier as (none), so content cannot reach a log', () => {
    for (const type of [NOTE, '<img src=x onerror=alert(1)>', 'a'.repeat(40), 'pt_456']) {
      const r = parseWebviewMessage({ type, note: NOTE });
      assert.strictEqual(r.ok, false);
      if (!r.ok) assert.strictEqual(r.type, '(none)');
    }
  });
});

describe('codify protocol: messages from the host', () => {
  it('accepts a result with extra fields and index information, and each error kind', () => {
    const result = {
      type: 'result',
      assessments: [
        {
          code: 'E11.9',
          description: 'Type 2 diabetes mellitus without complications',
          extra: { confidence: 0.95, evidence: { start: 10, end: 40 } },
          index: { system: 'ICD-10-CM', display: 'E11.9', billable: true, status: 'valid' },
        },
      ],
      extraFields: ['confidence', 'evidence'],
      requestIds: ['req-1'],
      answerFields: { model: 'balanced' },
      elapsedMs: 1200,
    };
    assert.ok(parseHostMessage(result).ok);
    for (const kind of ['emptyNote', 'noteTooLong', 'missingUrl', 'unauthorized', 'rateLimited', 'timeout']) {
      assert.ok(parseHostMessage({ type: 'error', kind, message: 'm', retry: false }).ok, kind);
    }
  });

  it('drops an unknown error kind, an index status it does not know, and a result without assessments', () => {
    assert.strictEqual(
      parseHostMessage({ type: 'error', kind: 'boom', message: 'm', retry: true }).ok,
      false,
    );
    assert.strictEqual(
      parseHostMessage({
        type: 'result',
        assessments: [{ code: 'X', description: 'y', extra: {}, index: { status: 'maybe' } }],
        extraFields: [],
        requestIds: [],
        answerFields: {},
        elapsedMs: 1,
      }).ok,
      false,
    );
    assert.strictEqual(parseHostMessage({ type: 'result', extraFields: [], requestIds: [] }).ok, false);
  });
});
