import * as assert from 'assert';
import {
  DEFAULT_NOTE_LIMIT,
  type EnrichedAssessment,
  type HostMessage,
  type PanelEnvironment,
  webviewMessageSchema,
} from '../../../src/shared/codifyProtocol';
import {
  type InitMessage,
  type PanelState,
  type ResultMessage,
  actionMessage,
  bulkLabel,
  busySince,
  checkNote,
  countText,
  environmentView,
  formAfterInit,
  formatElapsed,
  formatValue,
  indexCells,
  initialState,
  isActionable,
  minuteAnnouncement,
  readDraft,
  reduce,
  statusFor,
  submitMessage,
  titleHeader,
  toDraft,
  truncate,
  waitingText,
} from '../../../src/webview-ui/view';

const DEV: PanelEnvironment = { name: 'Sandbox', production: false, configured: true, hasToken: true };
const PROD: PanelEnvironment = { name: 'Acme', production: true, configured: true, hasToken: true };

function init(over: Partial<InitMessage> = {}): InitMessage {
  return { type: 'init', environment: DEV, noteLimit: 100_000, defaultModel: 'default', ...over };
}

function assessment(code: string, over: Partial<EnrichedAssessment> = {}): EnrichedAssessment {
  return {
    code,
    description: `desc ${code}`,
    extra: {},
    index: {
      status: 'valid',
      system: 'ICD-10-CM',
      title: `title ${code}`,
      release: 'FY2026',
      billable: true,
    },
    ...over,
  };
}

function result(assessments: EnrichedAssessment[]): ResultMessage {
  return { type: 'result', assessments, extraFields: [], requestIds: [], answerFields: {}, elapsedMs: 4200 };
}

describe('webview-ui/view', () => {
  describe('the note', () => {
    it('counts characters with grouping and the limit', () => {
      assert.strictEqual(countText(1234, 100_000), '1,234 / 100,000 characters');
      assert.strictEqual(countText(0, DEFAULT_NOTE_LIMIT), '0 / 100,000 characters');
    });

    it('refuses an empty or blank note', () => {
      for (const n of ['', '   \n\t ']) {
        const c = checkNote(n, 10);
        assert.ok(!c.ok && c.reason === 'empty', JSON.stringify(n));
      }
    });

    it('allows exactly the limit and refuses one more, by UTF-16 length like the protocol', () => {
      assert.deepStrictEqual(checkNote('a'.repeat(10), 10), { ok: true });
      const over = checkNote('a'.repeat(11), 10);
      assert.ok(!over.ok && over.reason === 'tooLong');
      // 5 astral characters are 10 code units: at the limit of 10, over a limit of 9
      const emoji = '😀'.repeat(5);
      assert.deepStrictEqual(checkNote(emoji, 10), { ok: true });
      assert.strictEqual(checkNote(emoji, 9).ok, false);
    });

    it('says "too long" without a number that changes on every keystroke', () => {
      const a = checkNote('a'.repeat(12), 10);
      const b = checkNote('a'.repeat(50), 10);
      assert.ok(!a.ok && !b.ok);
      assert.strictEqual(a.message, b.message);
      assert.match(a.message, /limit of 10 characters/);
    });

    it('accepts non-ASCII text', () => {
      assert.deepStrictEqual(checkNote('Patient é diabète, 糖尿病', 100), { ok: true });
    });
  });

  describe('time', () => {
    it('formats elapsed time as m:ss and h:mm:ss', () => {
      assert.strictEqual(formatElapsed(0), '0:00');
      assert.strictEqual(formatElapsed(999), '0:00');
      assert.strictEqual(formatElapsed(83_000), '1:23');
      assert.strictEqual(formatElapsed(600_000), '10:00');
      assert.strictEqual(formatElapsed(3_723_000), '1:02:03');
      assert.strictEqual(formatElapsed(-5000), '0:00');
      assert.strictEqual(formatElapsed(Number.NaN), '0:00');
      assert.strictEqual(waitingText(83_000), 'Waiting for Codify… 1:23');
    });

    it("counts from the host's start unless that lies in this clock's future", () => {
      assert.strictEqual(busySince(1000, 5000), 1000);
      assert.strictEqual(busySince(9000, 5000), 5000);
      assert.strictEqual(busySince(undefined, 5000), 5000);
      assert.strictEqual(busySince(Number.NaN, 5000), 5000);
    });

    it('announces once per whole minute', () => {
      assert.strictEqual(minuteAnnouncement(59_999, 0), undefined);
      assert.strictEqual(minuteAnnouncement(60_000, 0), 'Still waiting for Codify: 1 minute.');
      assert.strictEqual(minuteAnnouncement(61_000, 1), undefined);
      assert.strictEqual(minuteAnnouncement(125_000, 1), 'Still waiting for Codify: 2 minutes.');
    });
  });

  describe('values from the server', () => {
    it('renders every kind of value as one line of text', () => {
      assert.strictEqual(formatValue('<b>x</b>'), '<b>x</b>');
      assert.strictEqual(formatValue(12345.5), '12,345.5');
      assert.strictEqual(formatValue(0.923456789), '0.923457');
      assert.strictEqual(formatValue(Number.POSITIVE_INFINITY), 'Infinity');
      assert.strictEqual(formatValue(true), 'true');
      assert.strictEqual(formatValue(null), 'null');
      assert.strictEqual(formatValue(undefined), '');
      assert.strictEqual(formatValue({ a: [1, 'b'], c: null }), '{"a":[1,"b"],"c":null}');
      assert.strictEqual(formatValue([]), '[]');
    });

    it('does not throw on values JSON cannot write', () => {
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      assert.strictEqual(formatValue(cyclic), '(unreadable value)');
      assert.strictEqual(formatValue(10n), '10');
    });

    it('truncates long text with an ellipsis', () => {
      assert.strictEqual(truncate('abcdef', 10), 'abcdef');
      assert.strictEqual(truncate('abcdef', 4), 'abc…');
      assert.strictEqual(truncate('abcdef', 4).length, 4);
    });
  });

  describe("the index's view", () => {
    it('shows a valid billable code', () => {
      assert.deepStrictEqual(indexCells(assessment('E11.9').index), {
        system: 'ICD-10-CM',
        title: 'title E11.9',
        billable: 'Billable',
        status: 'Valid',
      });
    });

    it('names the successors of a deleted code', () => {
      const c = indexCells({ status: 'deleted', successors: ['E11.65', 'E11.69'], disagreement: 'deleted' });
      assert.strictEqual(c.status, 'Deleted; use E11.65, E11.69');
      assert.strictEqual(c.flag, 'deleted');
      assert.strictEqual(indexCells({ status: 'deleted', successors: [] }).status, 'Deleted');
    });

    it('shows headers, unknown codes and a missing index plainly', () => {
      assert.strictEqual(indexCells({ status: 'header', billable: false }).billable, 'Header (not billable)');
      assert.strictEqual(indexCells({ status: 'valid', billable: false }).billable, 'Not billable');
      const unknown = indexCells({ status: 'unknown' });
      assert.deepStrictEqual(unknown, { system: '—', title: '—', billable: '—', status: 'Not in the index' });
      assert.strictEqual(indexCells({ status: 'notLoaded' }).status, 'Index not loaded');
      assert.strictEqual(indexCells({ status: 'notACode' }).status, 'Not a code');
    });

    it('flags a disagreement only when there is one', () => {
      assert.strictEqual(indexCells({ status: 'valid' }).flag, undefined);
      assert.strictEqual(
        indexCells({ status: 'valid', disagreement: 'title differs' }).flag,
        'title differs',
      );
    });

    it('names the release in the title header when there is one', () => {
      assert.strictEqual(titleHeader([assessment('A00.0'), assessment('E11.9')]), 'Title in FY2026');
      const other = assessment('B00', { index: { status: 'valid', release: 'FY2025' } });
      assert.strictEqual(titleHeader([assessment('A00.0'), other]), 'Index title');
      assert.strictEqual(titleHeader([assessment('A00.0', { index: { status: 'unknown' } })]), 'Index title');
    });
  });

  describe('the environment', () => {
    it('warns in development only', () => {
      const dev = environmentView(DEV);
      assert.strictEqual(dev.kind, 'development');
      assert.match(dev.warning ?? '', /do not send real patient data/);
      const prod = environmentView(PROD);
      assert.strictEqual(prod.kind, 'production');
      assert.strictEqual(prod.warning, undefined);
      assert.deepStrictEqual(prod.notices, []);
    });

    it('offers to set what is missing', () => {
      const v = environmentView({ ...PROD, configured: false, hasToken: false });
      assert.deepStrictEqual(
        v.notices.map((n) => n.fix),
        ['setUrl', 'setToken'],
      );
      assert.deepStrictEqual(
        environmentView({ ...PROD, hasToken: false }).notices.map((n) => n.label),
        ['Set token'],
      );
    });
  });

  describe('the draft', () => {
    it('keeps note, model, doctor id and the checkbox, never the patient id', () => {
      const form = { note: 'n', model: 'm', doctorId: 'd', rememberDoctor: true, patientId: 'P-123' };
      const d = toDraft(form);
      assert.deepStrictEqual(d, { note: 'n', model: 'm', doctorId: 'd', rememberDoctor: true });
      assert.ok(!JSON.stringify(d).includes('P-123'));
    });

    it('reads only a draft out of the webview state', () => {
      assert.strictEqual(readDraft(undefined), undefined);
      assert.strictEqual(readDraft('text'), undefined);
      assert.strictEqual(readDraft({ other: 1 }), undefined);
      assert.deepStrictEqual(readDraft({ note: 'n', model: 3, patientId: 'P' }), {
        note: 'n',
        model: '',
        doctorId: '',
        rememberDoctor: false,
      });
    });

    it("lets init's note replace the draft's, and the draft's model and doctor win over defaults", () => {
      const draft = { note: 'draft', model: 'mine', doctorId: 'D1', rememberDoctor: true };
      assert.deepStrictEqual(formAfterInit(draft, init({ note: 'selection', doctorId: 'D0' })), {
        note: 'selection',
        model: 'mine',
        doctorId: 'D1',
        rememberDoctor: true,
      });
      assert.strictEqual(formAfterInit(draft, init()).note, 'draft');
      assert.deepStrictEqual(formAfterInit(undefined, init({ doctorId: 'D0' })), {
        note: '',
        model: 'default',
        doctorId: 'D0',
        rememberDoctor: false,
      });
    });
  });

  describe('messages to the host', () => {
    it('builds a submit the protocol accepts, leaving blank fields out', () => {
      const msg = submitMessage({
        note: '  note  ',
        model: ' ',
        doctorId: ' D1 ',
        patientId: '',
        rememberDoctor: false,
      });
      assert.deepStrictEqual(msg, { type: 'submit', note: '  note  ', doctorId: 'D1' });
      assert.ok(webviewMessageSchema.safeParse(msg).success);
      const full = submitMessage({
        note: 'n',
        model: 'm',
        doctorId: 'd',
        patientId: 'p',
        rememberDoctor: true,
      });
      assert.deepStrictEqual(full, {
        type: 'submit',
        note: 'n',
        model: 'm',
        doctorId: 'd',
        patientId: 'p',
        rememberDoctor: true,
      });
      assert.ok(webviewMessageSchema.safeParse(full).success);
    });

    it('builds actions the protocol accepts: unique codes, insert options only for insert', () => {
      const opts = { as: 'codeDescription', layout: 'list' } as const;
      const insert = actionMessage('insert', ['E11.9', 'I10', 'E11.9'], opts);
      assert.deepStrictEqual(insert, {
        type: 'action',
        action: 'insert',
        codes: ['E11.9', 'I10'],
        as: 'codeDescription',
        layout: 'list',
      });
      assert.ok(webviewMessageSchema.safeParse(insert).success);
      const all = actionMessage('copy', [], opts);
      assert.deepStrictEqual(all, { type: 'action', action: 'copy', codes: [] });
      assert.ok(webviewMessageSchema.safeParse(all).success);
    });

    it('leaves out codes the protocol would reject', () => {
      const long = 'X'.repeat(65);
      assert.strictEqual(isActionable(long), false);
      assert.strictEqual(isActionable(''), false);
      assert.strictEqual(isActionable('X'.repeat(64)), true);
      const msg = actionMessage('copy', ['A00', long], { as: 'code', layout: 'inline' });
      assert.deepStrictEqual(msg.codes, ['A00']);
      assert.ok(webviewMessageSchema.safeParse(msg).success);
    });

    it('labels bulk buttons by the selection', () => {
      assert.strictEqual(bulkLabel('Copy', 0), 'Copy all');
      assert.strictEqual(bulkLabel('Insert', 2), 'Insert 2 selected');
      assert.strictEqual(bulkLabel('Insert', 1200), 'Insert 1,200 selected');
    });
  });

  describe('the panel state', () => {
    const run = (msgs: HostMessage[], start: PanelState = initialState(DEFAULT_NOTE_LIMIT)) =>
      msgs.reduce((s, m) => reduce(s, m, 50_000), start);

    it('is not ready until init, which brings the environment, limit and target', () => {
      const s0 = initialState(DEFAULT_NOTE_LIMIT);
      assert.strictEqual(s0.ready, false);
      const s = run([init({ noteLimit: 500, target: 'notes.txt' })]);
      assert.strictEqual(s.ready, true);
      assert.strictEqual(s.noteLimit, 500);
      assert.strictEqual(s.target, 'notes.txt');
      assert.deepStrictEqual(s.environment, DEV);
      assert.strictEqual(run([init({ noteLimit: 0 })]).noteLimit, DEFAULT_NOTE_LIMIT);
      assert.strictEqual(run([init({ target: 'a' }), init()]).target, undefined);
    });

    it('follows environment changes', () => {
      const s = run([init(), { type: 'environment', environment: PROD }]);
      assert.deepStrictEqual(s.environment, PROD);
    });

    it('is busy from busy:true until the result, an error or a cancel', () => {
      const busy: HostMessage = { type: 'busy', busy: true, startedAt: 40_000 };
      assert.strictEqual(run([init(), busy]).busySince, 40_000);
      assert.strictEqual(run([init(), busy, result([])]).busySince, undefined);
      assert.strictEqual(run([init(), busy, { type: 'cancelled' }]).busySince, undefined);
      assert.strictEqual(run([init(), busy, { type: 'busy', busy: false }]).busySince, undefined);
      const err: HostMessage = { type: 'error', kind: 'timeout', message: 'Timed out', retry: true };
      const s = run([init(), busy, err]);
      assert.strictEqual(s.busySince, undefined);
      assert.strictEqual(s.error, err);
    });

    it('keeps results through a new request and an error, and replaces the error with a result', () => {
      const r = result([assessment('E11.9')]);
      const err: HostMessage = { type: 'error', kind: 'network', message: 'Offline', retry: true };
      const afterError = run([init(), r, { type: 'busy', busy: true }, err]);
      assert.strictEqual(afterError.result, r);
      assert.strictEqual(afterError.error, err);
      const again = run([{ type: 'busy', busy: true }], afterError);
      assert.strictEqual(again.error, undefined, 'a new request clears the old error');
      const r2 = result([]);
      const done = run([err, r2], afterError);
      assert.strictEqual(done.error, undefined);
      assert.strictEqual(done.result, r2);
    });

    it('does not change for a notice', () => {
      const s = run([init()]);
      assert.strictEqual(reduce(s, { type: 'notice', message: 'Copied' }, 1), s);
    });
  });

  describe('the status line', () => {
    it('says what happened', () => {
      assert.match(statusFor({ type: 'busy', busy: true }) ?? '', /Waiting for Codify/);
      assert.strictEqual(statusFor({ type: 'busy', busy: false }), undefined);
      assert.strictEqual(
        statusFor(result([assessment('A00'), assessment('B00')])),
        'Codify returned 2 codes in 0:04.',
      );
      assert.strictEqual(statusFor(result([assessment('A00')])), 'Codify returned 1 code in 0:04.');
      assert.strictEqual(statusFor(result([])), 'Codify returned no codes in 0:04.');
      assert.match(statusFor({ type: 'cancelled' }) ?? '', /still in the form/);
      assert.strictEqual(statusFor({ type: 'notice', message: 'Copied 2 codes' }), 'Copied 2 codes');
      assert.strictEqual(statusFor({ type: 'error', kind: 'other', message: 'x', retry: false }), '');
      assert.strictEqual(statusFor({ type: 'environment', environment: DEV }), undefined);
    });
  });
});
