import * as assert from 'assert';
import { type Sandbox, startSandbox } from '../../../sandbox/server';
import {
  HEIM_DEFAULT_LIVE_KEY,
  HEIM_DEFAULT_TEST_KEY,
  HEIM_INVALID_MESSAGE,
  HEIM_LAYOUT,
  HEIM_PATHS,
  type HeimDataset,
  type HeimMode,
  bmiCode,
  isValidNhsNumber,
  nhsCheckDigit,
} from '../../../sandbox/services/heim';

type Json = Record<string, unknown>;
interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: Json;
}
interface Envelope {
  error: {
    message: string;
    traceRequestId: string;
    issues?: Array<{ code: string; message: string; path: unknown[] }>;
  };
}
interface List {
  object: string;
  url: string;
  data: Array<Json & { id: string; createdAt: string }>;
  traceRequestId: string;
  totalCount: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** An ICD-10-CM code written in free text (E11.9, I10, L89.152, Z23…). */
const ICD10CM_IN_TEXT = /\b[A-Z]\d{2}(\.[0-9A-Z]{1,4})?\b/;

describe('sandbox: Heim (document 004)', function () {
  let sb: Sandbox;

  const get = async (
    path: string,
    key: string | null | undefined = sb.credentials.HEIM_TEST_KEY,
  ): Promise<Answer> => {
    const res = await fetch(sb.url + path, {
      headers: key === null || key === undefined ? {} : { authorization: key },
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
  const list = async (path: string, key?: string): Promise<List> => {
    const a = await get(path, key);
    assert.strictEqual(a.status, 200, a.text);
    return a.json as unknown as List;
  };
  const envelope = (a: Answer, status: number): Envelope['error'] => {
    assert.strictEqual(a.status, status, a.text);
    const e = (a.json as unknown as Envelope).error;
    assert.ok(e && typeof e.message === 'string' && e.message.length > 0, a.text);
    assert.match(e.traceRequestId, UUID);
    assert.strictEqual(a.headers.get('x-trace-request-id'), e.traceRequestId);
    return e;
  };
  const control = async (method: string, p: string, body?: unknown): Promise<Answer> => {
    const res = await fetch(`${sb.url}/__sandbox/heim${p}`, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, json: text ? (JSON.parse(text) as Json) : {} };
  };
  /** The organisation with 45 test patients. */
  const bigOrg = (): string => {
    const ds = sb.heim.data('test');
    return ds.organisations[0].id;
  };

  before(async () => {
    sb = await startSandbox();
  });
  after(async () => sb.close());
  beforeEach(() => sb.reset());

  describe('keys and modes', () => {
    it('publishes a test, a live and a forbidden key, in the documented shape', () => {
      assert.strictEqual(sb.credentials.HEIM_TEST_KEY, HEIM_DEFAULT_TEST_KEY);
      assert.strictEqual(sb.credentials.HEIM_LIVE_KEY, HEIM_DEFAULT_LIVE_KEY);
      assert.match(sb.credentials.HEIM_TEST_KEY, /^test_\w+\.\w+$/);
      assert.match(sb.credentials.HEIM_LIVE_KEY, /^live_\w+\.\w+$/);
      assert.match(sb.credentials.HEIM_FORBIDDEN_KEY, /^test_/);
      assert.deepStrictEqual(sb.heim.credentials, {
        test: sb.credentials.HEIM_TEST_KEY,
        live: sb.credentials.HEIM_LIVE_KEY,
        forbidden: sb.credentials.HEIM_FORBIDDEN_KEY,
      });
    });

    it('serves separate data sets per mode: an id of one mode is 404 in the other', async () => {
      const test = await list(HEIM_PATHS.organisations);
      const live = await list(HEIM_PATHS.organisations, sb.credentials.HEIM_LIVE_KEY);
      assert.strictEqual(test.totalCount, 4);
      assert.strictEqual(live.totalCount, 2);
      assert.ok(live.data.every((o) => /live/.test(String(o.name))));
      const testId = test.data[0].id;
      assert.strictEqual((await get(`${HEIM_PATHS.organisations}/${testId}`)).status, 200);
      envelope(await get(`${HEIM_PATHS.organisations}/${testId}`, sb.credentials.HEIM_LIVE_KEY), 404);
    });

    it('takes key overrides from the environment and refuses keys of the wrong mode', async () => {
      const env = { HEIM_TEST_KEY: 'test_fromEnv12345.abc', HEIM_LIVE_KEY: 'live_fromEnv12345.abc' };
      const other = await startSandbox({ env });
      try {
        assert.strictEqual(other.credentials.HEIM_TEST_KEY, env.HEIM_TEST_KEY);
        const res = await fetch(other.url + HEIM_PATHS.organisations, {
          headers: { authorization: env.HEIM_LIVE_KEY },
        });
        assert.strictEqual(res.status, 200);
      } finally {
        await other.close();
      }
      await assert.rejects(startSandbox({ env: { HEIM_TEST_KEY: 'live_wrongMode12345' } }), /HEIM_TEST_KEY/);
    });
  });

  describe('authentication (401/403 envelopes)', () => {
    it('answers 401 without a key, with a Bearer key, a key of the wrong shape or an unknown key', async () => {
      const cases: Array<[string | null, RegExp, string]> = [
        [null, /No API key provided/, 'missing'],
        [`Bearer ${sb.credentials.HEIM_TEST_KEY}`, /without "Bearer"/, 'bearer'],
        ['sk_notAHeimKey1234567', /start with "test_" or "live_"/, 'other'],
        ['test_', /start with "test_" or "live_"/, 'other'],
        ['test_unknownButWellFormed.abc123', /Invalid API key provided/, 'raw'],
      ];
      for (const [key, message, recorded] of cases) {
        const e = envelope(await get(HEIM_PATHS.organisations, key), 401);
        assert.match(e.message, message);
        assert.strictEqual(e.issues, undefined);
        assert.strictEqual(sb.heim.requests().at(-1)?.authorization, recorded);
      }
      const all = JSON.stringify(sb.heim.requests());
      assert.ok(!all.includes(sb.credentials.HEIM_TEST_KEY), 'the key is never recorded');
    });

    it('answers 403 for the forbidden key, and for every key while `forbidden` is on', async () => {
      const e = envelope(await get(HEIM_PATHS.organisations, sb.credentials.HEIM_FORBIDDEN_KEY), 403);
      assert.match(e.message, /permissions/);
      sb.heim.configure({ forbidden: true });
      envelope(await get(HEIM_PATHS.organisations), 403);
      envelope(await get(HEIM_PATHS.organisations, sb.credentials.HEIM_LIVE_KEY), 403);
      // a wrong key is still 401
      envelope(await get(HEIM_PATHS.organisations, 'test_unknownButWellFormed.abc123'), 401);
      sb.reset();
      assert.strictEqual((await get(HEIM_PATHS.organisations)).status, 200);
    });
  });

  describe('lists', () => {
    it('answers the documented list shape with a fresh trace id per request, also in a header', async () => {
      const a = await get(`${HEIM_PATHS.organisations}?limit=2`);
      assert.strictEqual(a.status, 200);
      const body = a.json as unknown as List;
      assert.deepStrictEqual(Object.keys(body).sort(), [
        'data',
        'object',
        'totalCount',
        'traceRequestId',
        'url',
      ]);
      assert.strictEqual(body.object, 'list');
      assert.strictEqual(body.url, HEIM_PATHS.organisations, 'url is the path, without the query');
      assert.strictEqual(body.data.length, 2);
      assert.match(body.traceRequestId, UUID);
      assert.strictEqual(a.headers.get('x-trace-request-id'), body.traceRequestId);
      const again = await list(`${HEIM_PATHS.organisations}?limit=2`);
      assert.notStrictEqual(again.traceRequestId, body.traceRequestId);
      assert.deepStrictEqual(again.data, body.data);
    });

    it('pages 45 patients by limit/offset, newest first, defaulting to 10 a page', async () => {
      const org = bigOrg();
      const first = await list(`${HEIM_PATHS.patients}?organisationId=${org}`);
      assert.strictEqual(first.totalCount, 45);
      assert.strictEqual(first.data.length, 10, 'default limit');
      const seen: string[] = [];
      for (let offset = 0; offset < 45; offset += 10) {
        const page = await list(`${HEIM_PATHS.patients}?organisationId=${org}&limit=10&offset=${offset}`);
        assert.strictEqual(page.totalCount, 45);
        assert.strictEqual(page.data.length, Math.min(10, 45 - offset));
        seen.push(...page.data.map((p) => p.id));
      }
      assert.strictEqual(new Set(seen).size, 45);
      const all = await list(`${HEIM_PATHS.patients}?organisationId=${org}&limit=100`);
      assert.deepStrictEqual(
        all.data.map((p) => p.id),
        seen,
      );
      const created = all.data.map((p) => p.createdAt);
      assert.deepStrictEqual(created, [...created].sort().reverse(), 'newest first');
      assert.ok(all.data.every((p) => p.organisationId === org));
    });

    it('answers an offset at or past totalCount with an empty page and the real totalCount', async () => {
      for (const offset of [45, 46, 1000]) {
        const page = await list(`${HEIM_PATHS.patients}?organisationId=${bigOrg()}&offset=${offset}`);
        assert.deepStrictEqual(page.data, []);
        assert.strictEqual(page.totalCount, 45);
      }
      const empty = sb.heim.data('test').organisations[3];
      const none = await list(`${HEIM_PATHS.patients}?organisationId=${empty.id}`);
      assert.deepStrictEqual([none.data, none.totalCount], [[], 0]);
    });

    it('reports every invalid parameter at once as issues with code, message and path', async () => {
      const cases: Array<[string, Array<[string, string]>]> = [
        [`${HEIM_PATHS.organisations}?limit=101`, [['too_big', 'limit']]],
        [`${HEIM_PATHS.organisations}?limit=0`, [['too_small', 'limit']]],
        [`${HEIM_PATHS.organisations}?limit=ten`, [['invalid_type', 'limit']]],
        [`${HEIM_PATHS.organisations}?offset=-1`, [['too_small', 'offset']]],
        [`${HEIM_PATHS.organisations}?offset=1.5`, [['invalid_type', 'offset']]],
        [`${HEIM_PATHS.organisations}?offset=1&offset=2`, [['invalid_type', 'offset']]],
        [HEIM_PATHS.patients, [['invalid_type', 'organisationId']]],
        [`${HEIM_PATHS.appointments}?patientId=`, [['invalid_type', 'patientId']]],
        [HEIM_PATHS.tasks, [['invalid_type', 'appointmentId']]],
        [
          `${HEIM_PATHS.patients}?limit=500&offset=-3`,
          [
            ['too_big', 'limit'],
            ['too_small', 'offset'],
            ['invalid_type', 'organisationId'],
          ],
        ],
      ];
      for (const [path, expected] of cases) {
        const e = envelope(await get(path), 400);
        assert.strictEqual(e.message, HEIM_INVALID_MESSAGE);
        assert.deepStrictEqual(
          e.issues?.map((i) => [i.code, ...i.path]),
          expected,
          path,
        );
        for (const i of e.issues ?? []) assert.ok(i.message.length > 0);
      }
      const tooBig = envelope(await get(`${HEIM_PATHS.organisations}?limit=101`), 400);
      assert.deepStrictEqual(tooBig.issues, [
        { code: 'too_big', message: 'Number must be less than or equal to 100', path: ['limit'] },
      ]);
      const missing = envelope(await get(HEIM_PATHS.patients), 400);
      assert.deepStrictEqual(missing.issues, [
        { code: 'invalid_type', message: 'Required', path: ['organisationId'] },
      ]);
    });

    it('answers 404 for an unknown parent, and lists children of each kind', async () => {
      for (const path of [
        `${HEIM_PATHS.patients}?organisationId=org_nope`,
        `${HEIM_PATHS.appointments}?patientId=pat_nope`,
        `${HEIM_PATHS.tasks}?appointmentId=apt_nope`,
      ]) {
        const e = envelope(await get(path), 404);
        assert.match(e.message, /doesn't exist/);
        assert.ok(!e.message.includes('nope'), 'the id is not echoed');
      }
      const ds = sb.heim.data('test');
      const patient = ds.patients[0];
      const appointments = await list(`${HEIM_PATHS.appointments}?patientId=${patient.id}`);
      assert.strictEqual(
        appointments.totalCount,
        ds.appointments.filter((a) => a.patientId === patient.id).length,
      );
      const appointment = appointments.data[0];
      const tasks = await list(`${HEIM_PATHS.tasks}?appointmentId=${appointment.id}`);
      assert.strictEqual(tasks.totalCount, ds.tasks.filter((t) => t.appointmentId === appointment.id).length);
      assert.ok(tasks.data.every((t) => t.appointmentId === appointment.id && t.object === 'task'));
    });
  });

  describe('gets', () => {
    it('answers each object by id as the list shows it, and 404 for an unknown id', async () => {
      const ds = sb.heim.data('test');
      const objects: Array<[string, { id: string }]> = [
        [HEIM_PATHS.organisations, ds.organisations[1]],
        [HEIM_PATHS.patients, ds.patients[7]],
        [HEIM_PATHS.appointments, ds.appointments[3]],
        [HEIM_PATHS.tasks, ds.tasks[5]],
      ];
      for (const [path, object] of objects) {
        const a = await get(`${path}/${object.id}`);
        assert.strictEqual(a.status, 200, a.text);
        assert.deepStrictEqual(a.json, object);
        assert.match(a.headers.get('x-trace-request-id') ?? '', UUID);
        const e = envelope(await get(`${path}/${object.id}x`), 404);
        assert.strictEqual(e.issues, undefined);
      }
    });
  });

  describe('data', () => {
    const check = (mode: HeimMode, ds: HeimDataset): void => {
      const layout = HEIM_LAYOUT[mode].organisations;
      assert.deepStrictEqual(
        ds.organisations.map((o) => ds.patients.filter((p) => p.organisationId === o.id).length),
        layout.map((o) => o.patients),
      );
      const nhs = ds.patients.map((p) => p.nhsNumber);
      assert.strictEqual(new Set(nhs).size, nhs.length, 'NHS numbers are unique');
      for (const p of ds.patients) {
        assert.match(p.nhsNumber, /^999\d{7}$/, 'NHS test range');
        assert.ok(isValidNhsNumber(p.nhsNumber), p.nhsNumber);
        assert.match(p.dateOfBirth, /^\d{4}-\d{2}-\d{2}$/);
        assert.match(p.postcode, /^[A-Z]{1,2}\d{1,2} \d[A-Z]{2}$/);
        const visits = ds.appointments.filter((a) => a.patientId === p.id);
        assert.ok(visits.length >= 1 && visits.length <= 4, `${visits.length} appointments`);
        for (const a of visits) {
          const tasks = ds.tasks.filter((t) => t.appointmentId === a.id);
          assert.ok(tasks.length >= 1 && tasks.length <= 3, `${tasks.length} tasks`);
          assert.ok(a.windowStart < a.windowEnd);
          assert.ok(a.location.line1 && a.location.city && a.location.postcode && a.practitioner.name);
        }
      }
      const ids = [...ds.organisations, ...ds.patients, ...ds.appointments, ...ds.tasks].map((o) => o.id);
      assert.strictEqual(new Set(ids).size, ids.length, 'ids are unique');
      for (const t of ds.tasks) {
        if (t.status === 'completed') {
          assert.ok(t.completedAt && t.outcome, t.id);
          assert.ok(t.data.length > 0);
          assert.ok(
            t.data.every(
              (d) => /loinc|snomed|cvx|sandbox/.test(d.code.system) && d.code.code && d.code.display,
            ),
          );
          assert.match(t.outcome.notes, ICD10CM_IN_TEXT, t.outcome.notes);
        } else if (t.status === 'failed') {
          assert.ok(t.completedAt && t.outcome);
          assert.deepStrictEqual(t.data, []);
        } else {
          assert.strictEqual(t.completedAt, null);
          assert.strictEqual(t.outcome, null);
        }
      }
    };

    it('has the documented counts and realistic, synthetic content in both modes', () => {
      const test = sb.heim.data('test');
      const live = sb.heim.data('live');
      check('test', test);
      check('live', live);
      assert.deepStrictEqual(sb.heim.counts('test'), {
        organisations: 4,
        patients: 60,
        appointments: test.appointments.length,
        tasks: test.tasks.length,
      });
      assert.strictEqual(sb.heim.counts('live').patients, 12);
      const types = new Set(test.tasks.map((t) => t.type));
      assert.strictEqual(types.size, 7, [...types].join());
      const statuses = new Set(test.appointments.map((a) => a.status));
      assert.deepStrictEqual([...statuses].sort(), [
        'booked',
        'cancelled',
        'completed',
        'in_progress',
        'requested',
      ]);
      const notes = test.tasks.map((t) => t.outcome?.notes ?? '').join('\n');
      for (const code of ['I10', 'E11.9', 'E11.65', 'I48.91', 'J44.9', 'L89.152', 'Z23']) {
        assert.ok(notes.includes(code), `a note mentions ${code}`);
      }
      const bp = test.tasks.find((t) => t.type === 'blood_pressure' && t.status === 'completed');
      assert.deepStrictEqual(bp?.data[0].code, {
        system: 'http://loinc.org',
        code: '8480-6',
        display: 'Systolic blood pressure',
      });
      assert.strictEqual(bp?.data[0].unit, 'mm[Hg]');
    });

    it('is deterministic: the same after a reset and in another sandbox', async () => {
      const before = sb.heim.data('test');
      sb.heim.addPatient('test', before.organisations[0].id);
      sb.reset();
      assert.deepStrictEqual(sb.heim.data('test'), before);
      const other = await startSandbox();
      try {
        assert.deepStrictEqual(other.heim.data('test'), before);
        assert.deepStrictEqual(other.heim.data('live'), sb.heim.data('live'));
      } finally {
        await other.close();
      }
    });

    it('computes NHS check digits by modulus 11', () => {
      assert.strictEqual(nhsCheckDigit('943476591'), 9); // the NHS Data Dictionary's example 943 476 5919
      assert.ok(isValidNhsNumber('9434765919'));
      assert.ok(!isValidNhsNumber('9434765918'));
      assert.ok(!isValidNhsNumber('943476591'));
    });

    it('writes the ICD-10-CM Z68 code of the recorded BMI into weight notes', () => {
      const table: Array<[number, string]> = [
        [18.2, 'Z68.1'],
        [20, 'Z68.20'],
        [25.9, 'Z68.25'],
        [39.99, 'Z68.39'],
        [44.9, 'Z68.41'],
        [47, 'Z68.42'],
        [55, 'Z68.43'],
        [65, 'Z68.44'],
        [71, 'Z68.45'],
      ];
      for (const [bmi, code] of table) assert.strictEqual(bmiCode(bmi), code);
      const weights = sb.heim
        .data('test')
        .tasks.filter((t) => t.type === 'weight' && t.status === 'completed');
      assert.ok(weights.length > 0);
      for (const t of weights) {
        const bmi = t.data.find((d) => d.code.code === '39156-5')?.value;
        assert.ok(bmi !== undefined && t.outcome?.notes.includes(`(${bmiCode(bmi)})`), t.outcome?.notes);
      }
    });
  });

  describe('switches', () => {
    it('patientChurn add: totalCount grows between pages and the next page repeats an item', async () => {
      sb.heim.configure({ patientChurn: 'add' });
      const path = `${HEIM_PATHS.patients}?organisationId=${bigOrg()}&limit=10`;
      const p1 = await list(`${path}&offset=0`);
      const p2 = await list(`${path}&offset=10`);
      assert.strictEqual(p1.totalCount, 45);
      assert.strictEqual(p2.totalCount, 46);
      assert.strictEqual(p2.data[0].id, p1.data[9].id, 'an item created ahead shifts the rest along');
      assert.strictEqual(sb.heim.state().patientsAdded, 2);
      const added = sb.heim.data('test').patients.at(-1);
      assert.ok(added && isValidNhsNumber(added.nhsNumber));
    });

    it('patientChurn remove: totalCount shrinks between pages and an item slips past', async () => {
      sb.heim.configure({ patientChurn: 'remove' });
      const path = `${HEIM_PATHS.patients}?organisationId=${bigOrg()}&limit=10`;
      const everything = (await list(`${HEIM_PATHS.patients}?organisationId=${bigOrg()}&limit=100`)).data;
      // that first list removed the newest patient already
      const p1 = await list(`${path}&offset=0`);
      const p2 = await list(`${path}&offset=10`);
      assert.strictEqual(p1.totalCount, 44);
      assert.strictEqual(p2.totalCount, 43);
      assert.strictEqual(p1.data[0].id, everything[1].id);
      assert.strictEqual(p2.data[0].id, everything[12].id, 'the item at offset 10 moved to 9 unseen');
    });

    it('adds and removes patients through the control API', async () => {
      const org = bigOrg();
      const created = await control('POST', '/patients', { mode: 'test', organisationId: org });
      assert.strictEqual(created.status, 201, created.text);
      const newest = await list(`${HEIM_PATHS.patients}?organisationId=${org}&limit=1`);
      assert.strictEqual(newest.totalCount, 46);
      assert.strictEqual(newest.data[0].id, created.json.id);
      const oldest = await control('POST', '/patients', { organisationId: org, position: 'oldest' });
      const last = await list(`${HEIM_PATHS.patients}?organisationId=${org}&offset=46`);
      assert.strictEqual(last.data[0].id, oldest.json.id);
      const appts = await list(`${HEIM_PATHS.appointments}?patientId=${String(created.json.id)}`);
      assert.strictEqual(appts.totalCount, 1);
      assert.strictEqual(appts.data[0].status, 'booked');
      assert.strictEqual(
        (await control('DELETE', `/patients/${String(created.json.id)}?mode=test`)).status,
        204,
      );
      envelope(await get(`${HEIM_PATHS.patients}/${String(created.json.id)}`), 404);
      envelope(await get(`${HEIM_PATHS.appointments}/${appts.data[0].id}`), 404);
      assert.strictEqual((await control('DELETE', `/patients/${String(created.json.id)}`)).status, 404);
      assert.strictEqual((await control('POST', '/patients', { organisationId: 'org_nope' })).status, 404);
      assert.strictEqual((await control('POST', '/patients', { mode: 'test' })).status, 400);
      const data = await control('GET', '/data?mode=live');
      assert.strictEqual((data.json.patients as unknown[]).length, 12);
    });

    it('answers forced statuses in order with the envelope (402, 5xx, 429 with Retry-After)', async () => {
      sb.heim.configure({ statuses: [402, 503, 429, 400], retryAfterSeconds: 2 });
      const e402 = envelope(await get(HEIM_PATHS.organisations), 402);
      assert.match(e402.message, /request failed/);
      envelope(await get(HEIM_PATHS.organisations), 503);
      const r429 = await get(HEIM_PATHS.organisations);
      envelope(r429, 429);
      assert.strictEqual(r429.headers.get('retry-after'), '2');
      const e400 = envelope(await get(HEIM_PATHS.organisations), 400);
      assert.deepStrictEqual(e400.issues?.[0].code, 'custom');
      assert.strictEqual((await get(HEIM_PATHS.organisations)).status, 200);
      // a request refused before (401) does not use up a status
      sb.heim.configure({ statuses: [500] });
      envelope(await get(HEIM_PATHS.organisations, null), 401);
      envelope(await get(HEIM_PATHS.organisations), 500);
    });

    it('answers slowly with delayMs', async () => {
      sb.heim.configure({ delayMs: 150 });
      const started = Date.now();
      await list(HEIM_PATHS.organisations);
      assert.ok(Date.now() - started >= 140);
    });

    it('sends malformed bodies: not JSON, no totalCount, an item without id', async () => {
      sb.heim.configure({ answer: 'notJson' });
      const a = await get(HEIM_PATHS.organisations);
      assert.strictEqual(a.status, 200);
      assert.match(a.headers.get('content-type') ?? '', /json/);
      assert.throws(() => JSON.parse(a.text) as unknown);
      sb.heim.configure({ answer: 'noTotalCount' });
      assert.strictEqual((await list(HEIM_PATHS.organisations)).totalCount, undefined);
      sb.heim.configure({ answer: 'itemWithoutId' });
      const l = await list(HEIM_PATHS.organisations);
      assert.strictEqual(l.data[0].id, undefined);
      assert.ok(l.data[1].id);
      const org = (await get(`${HEIM_PATHS.organisations}/${bigOrg()}`)).json;
      assert.strictEqual(org.id, undefined);
    });

    it('is configured over HTTP, and the generic faults apply to its paths', async () => {
      const set = await control('POST', '/options', { statuses: [502], patientChurn: 'add' });
      assert.strictEqual(set.status, 200);
      assert.deepStrictEqual(set.json.statuses, [502]);
      assert.strictEqual((await control('POST', '/options', { nonsense: 1 })).status, 400);
      envelope(await get(HEIM_PATHS.organisations), 502);
      sb.faults.add({ type: 'malformed', path: HEIM_PATHS.organisations, times: 1 });
      const malformed = (await get(HEIM_PATHS.organisations)).text;
      assert.throws(() => JSON.parse(malformed) as unknown);
      const options = await control('GET', '/options');
      assert.strictEqual(options.json.patientChurn, 'add');
      const requests = await control('GET', '/requests');
      assert.ok((requests.json.requests as unknown[]).length >= 1);
      assert.strictEqual((await control('DELETE', '/requests')).status, 204);
      assert.deepStrictEqual(sb.heim.requests(), []);
      const state = (await (await fetch(`${sb.url}/__sandbox/state`)).json()) as {
        heim: { test: { patients: number } };
      };
      assert.strictEqual(state.heim.test.patients, 60);
    });
  });
});
