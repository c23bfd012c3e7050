import * as assert from 'assert';
import {
  HEIM_DEFAULT_LIMIT,
  HEIM_PATHS,
  HeimClient,
  type HeimPage,
  type Patient,
  toNumberedPage,
} from '../../../src/api/heim';
import { type HttpClient, createHttpClient } from '../../../src/api/http';
import { numberedFetch } from '../../../src/core/offsetPaging';
import { Pager, loadAll } from '../../../src/core/paging';
import { type Sandbox, startSandbox } from '../../../sandbox/server';
import { HEIM_INVALID_MESSAGE, type HeimDataset } from '../../../sandbox/services/heim';
import { expectApiError, recordingLogger } from './support';

const UA = 'clinical-coder/0.1.0 (VS Code extension)';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('api/heim', function () {
  let sb: Sandbox;
  let log: ReturnType<typeof recordingLogger>;
  let test: HeimDataset;

  /** An HttpClient the way the extension builds Heim's: the key as the raw Authorization value. */
  const http = (key: string | (() => string), o: { retries?: number } = {}): HttpClient =>
    createHttpClient({
      service: 'Heim',
      baseUrl: () => sb.url,
      userAgent: UA,
      logger: log,
      retry: { baseDelayMs: 5, retries: o.retries ?? 3 },
      auth: { scheme: 'raw', getToken: async () => (typeof key === 'function' ? key() : key) },
    });
  const client = (key?: string, o: { retries?: number } = {}): HeimClient =>
    new HeimClient(http(key ?? sb.credentials.HEIM_TEST_KEY, o));
  const heimRequests = (): number => sb.heim.requests().length;
  /** The organisation with 45 test patients. */
  const big = (): string => test.organisations[0].id;
  /** `null` fields as the client reads them: absent (undefined). */
  const withoutNulls = (o: object): Record<string, unknown> =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v === null ? undefined : v]));

  before(async () => {
    sb = await startSandbox();
  });
  after(async () => sb.close());
  beforeEach(() => {
    sb.reset();
    log = recordingLogger();
    test = sb.heim.data('test');
  });

  describe('lists and gets', () => {
    it('lists organisations, newest first, with the default paging and the trace id', async () => {
      const page = await client().organisations();
      assert.strictEqual(page.totalCount, 4);
      assert.strictEqual(page.offset, 0);
      assert.strictEqual(page.limit, HEIM_DEFAULT_LIMIT);
      assert.match(page.traceRequestId ?? '', UUID);
      assert.deepStrictEqual(
        page.items.map((o) => o.id),
        test.organisations.map((o) => o.id).reverse(),
      );
      assert.deepStrictEqual(page.items[0], test.organisations[3]);
      const sent = sb.heim.requests()[0];
      assert.deepStrictEqual(sent.query, { limit: '10', offset: '0' }, 'limit and offset are always sent');
    });

    it('gets every kind of object, and lists each level under its parent', async () => {
      const c = client();
      const org = await c.organisation(big());
      assert.deepStrictEqual(org, test.organisations[0]);

      const patients = await c.patients(big(), { limit: 5 });
      assert.strictEqual(patients.totalCount, 45);
      assert.strictEqual(patients.items.length, 5);
      const patient = patients.items[0];
      assert.deepStrictEqual(patient, test.patients.filter((p) => p.organisationId === big()).at(-1));
      assert.deepStrictEqual(await c.patient(patient.id), patient);
      assert.match(patient.nhsNumber ?? '', /^999\d{7}$/);

      const appointments = await c.appointments(patient.id);
      const expected = test.appointments.filter((a) => a.patientId === patient.id);
      assert.strictEqual(appointments.totalCount, expected.length);
      assert.deepStrictEqual(appointments.items, expected.reverse());
      const appointment = appointments.items[0];
      assert.deepStrictEqual(await c.appointment(appointment.id), appointment);
      assert.deepStrictEqual(
        appointment.location,
        expected[0].location,
        'fields beyond the interface are kept',
      );

      const tasks = await c.tasks(appointment.id);
      assert.strictEqual(
        tasks.totalCount,
        test.tasks.filter((t) => t.appointmentId === appointment.id).length,
      );
      const raw = test.tasks.find((t) => t.id === tasks.items[0].id);
      assert.ok(raw);
      assert.deepStrictEqual(tasks.items[0], withoutNulls(raw));
      assert.deepStrictEqual(await c.task(raw.id), withoutNulls(raw));
    });

    it('reads completed tasks with outcome and data, and pending ones with null fields as absent', async () => {
      const c = client();
      const done = test.tasks.find((t) => t.status === 'completed' && t.type === 'blood_pressure');
      const pending = test.tasks.find((t) => t.status === 'pending');
      assert.ok(done && pending);
      const d = await c.task(done.id);
      assert.strictEqual(d.completedAt, done.completedAt);
      assert.deepStrictEqual(d.outcome, done.outcome);
      assert.match(String(d.outcome?.notes), /I10/);
      assert.deepStrictEqual(d.data, done.data);
      const p = await c.task(pending.id);
      assert.strictEqual(p.status, 'pending');
      assert.strictEqual(p.completedAt, undefined);
      assert.strictEqual(p.outcome, undefined);
      assert.deepStrictEqual(p.data, []);
    });

    it('sees the live data set with a live key, and test ids are 404 there', async () => {
      const live = sb.heim.data('live');
      const c = client(sb.credentials.HEIM_LIVE_KEY);
      const orgs = await c.organisations();
      assert.strictEqual(orgs.totalCount, 2);
      assert.deepStrictEqual(
        orgs.items.map((o) => o.name),
        live.organisations.map((o) => o.name).reverse(),
      );
      assert.strictEqual((await c.patients(live.organisations[0].id)).totalCount, 8);
      const e = await expectApiError(c.patient(test.patients[0].id), 'notFound');
      assert.match(e.traceId ?? '', UUID);
      assert.ok(sb.heim.requests().every((r) => r.authorization === 'raw'));
      assert.ok(sb.heim.requests().every((r) => r.mode === 'live'));
    });

    it('sends the key as the raw Authorization value: a "Bearer" client is refused', async () => {
      await client().organisations();
      assert.strictEqual(sb.heim.requests()[0].authorization, 'raw');
      const bearer = new HeimClient(
        createHttpClient({
          service: 'Heim',
          baseUrl: () => sb.url,
          userAgent: UA,
          auth: { scheme: 'Bearer', getToken: async () => sb.credentials.HEIM_TEST_KEY },
        }),
      );
      const e = await expectApiError(bearer.organisations(), 'unauthorized');
      assert.match(e.serverMessage ?? '', /without "Bearer"/);
      assert.strictEqual(sb.heim.requests().at(-1)?.authorization, 'bearer');
    });

    it('refuses bad paging values and empty ids before any request', async () => {
      const c = client();
      const bad: Array<() => Promise<unknown>> = [
        () => c.organisations({ limit: 0 }),
        () => c.organisations({ limit: 2.5 }),
        () => c.organisations({ offset: -1 }),
        () => c.patients(big(), { offset: Number.NaN }),
        () => c.patients(''),
        () => c.appointments(''),
        () => c.tasks(''),
        () => c.patient(''),
        () => c.task(''),
      ];
      for (const call of bad) await assert.rejects(call(), RangeError);
      assert.strictEqual(heimRequests(), 0);
    });

    it('percent-encodes ids into the path', async () => {
      await expectApiError(client().patient('a/b?c#d'), 'notFound');
      assert.strictEqual(sb.heim.requests()[0].path, '/v1/patients/a%2Fb%3Fc%23d');
    });
  });

  describe('paging', () => {
    const pager = (): Pager<Patient> => new Pager<Patient>((p) => p.id);
    const fetchPatients = (c: HeimClient, limit: number) =>
      numberedFetch(limit, (q, s) => c.patients(big(), q, s));

    it('pages 45 patients across 5 pages with Pager and loadAll, in order, without duplicates', async () => {
      const p = pager();
      const result = await loadAll(p, fetchPatients(client(), 10), { concurrency: 3 });
      assert.strictEqual(result.pagesAdded, 5);
      assert.strictEqual(p.items.length, 45);
      assert.strictEqual(p.total, 45);
      assert.strictEqual(p.hasMore, false);
      assert.strictEqual(p.problem, undefined);
      assert.deepStrictEqual(
        p.items.map((i) => i.id),
        test.patients
          .filter((x) => x.organisationId === big())
          .map((x) => x.id)
          .reverse(),
      );
      const offsets = sb.heim
        .requests()
        .map((r) => Number(r.query.offset))
        .sort((a, b) => a - b);
      assert.deepStrictEqual(offsets, [0, 10, 20, 30, 40]);
    });

    it('answers an offset past totalCount with no items and the real totalCount', async () => {
      const c = client();
      for (const offset of [45, 50, 400]) {
        const page = await c.patients(big(), { offset, limit: 5 });
        assert.deepStrictEqual(page.items, []);
        assert.strictEqual(page.totalCount, 45);
        assert.strictEqual(page.offset, offset);
      }
      const numbered = toNumberedPage(await c.patients(big(), { offset: 50, limit: 10 }));
      assert.deepStrictEqual(numbered, { current_page: 6, total: 45, page_size: 10, items: [] });
      // a pager that is asked past the end stops there
      const p = pager();
      p.add(toNumberedPage(await c.patients(big(), { limit: 50 })), 1);
      assert.strictEqual(p.hasMore, false);
    });

    it('keeps paging consistent when a patient is created between pages (total grows)', async () => {
      sb.heim.configure({ patientChurn: 'add' });
      const p = pager();
      const fetch = fetchPatients(client(), 10);
      for (let n = 1; p.hasMore && n < 20; n++) p.add(await fetch(n), n);
      assert.strictEqual(p.hasMore, false, 'the list ends');
      assert.strictEqual(new Set(p.items.map((i) => i.id)).size, p.items.length, 'no duplicates');
      assert.strictEqual(p.items.length, 45, 'every original patient, once');
      assert.match(p.problem ?? '', /The total changed from 45 to 46/);
      assert.match(p.problem ?? '', /repeated item/);
      assert.ok(p.loadedPages <= 6, `${p.loadedPages} pages`);
    });

    it('ends and reports when patients are deleted between pages (total shrinks)', async () => {
      sb.heim.configure({ patientChurn: 'remove' });
      const p = pager();
      await loadAll(p, fetchPatients(client(), 10), { concurrency: 1 });
      assert.strictEqual(p.hasMore, false);
      assert.strictEqual(new Set(p.items.map((i) => i.id)).size, p.items.length);
      assert.match(p.problem ?? '', /The total changed from 45 to 44/);
      assert.ok(p.items.length < 45);
      assert.ok(p.loadedPages <= 5);
    });

    it('turns offset pages into numbered pages, and refuses an offset that starts no page', () => {
      const page: HeimPage<{ id: string }> = { items: [{ id: 'a' }], totalCount: 21, offset: 20, limit: 10 };
      assert.deepStrictEqual(toNumberedPage(page), {
        current_page: 3,
        total: 21,
        page_size: 10,
        items: [{ id: 'a' }],
      });
      assert.throws(() => toNumberedPage({ ...page, offset: 15 }), RangeError);
    });
  });

  describe('errors', () => {
    it('maps a 400 envelope to badRequest with the message, trace id and each issue with its path', async () => {
      const e = await expectApiError(client().patients(big(), { limit: 101 }), 'badRequest');
      assert.strictEqual(e.status, 400);
      assert.strictEqual(e.service, 'Heim');
      assert.strictEqual(e.serverMessage, HEIM_INVALID_MESSAGE);
      assert.strictEqual(e.traceId, sb.heim.requests()[0].traceRequestId);
      assert.deepStrictEqual(e.issues, [
        { code: 'too_big', message: 'Number must be less than or equal to 100', path: ['limit'] },
      ]);
      assert.strictEqual(e.message, 'Heim answered 400 (request rejected) for GET /v1/patients');
      assert.strictEqual(heimRequests(), 1, 'a 400 is not retried');
    });

    it('keeps several issues in order, with numeric path segments, from any service using the envelope', async () => {
      sb.faults.add({
        type: 'status',
        path: HEIM_PATHS.organisations,
        status: 422,
        body: {
          error: {
            message: 'The parameter or request body property provided is not valid',
            traceRequestId: 'c2c71152-73e1-45f7-a8f9-840d59336ea2',
            issues: [
              { code: 'custom', message: 'Invalid phone number', path: ['phoneNumber'] },
              { code: 'invalid_type', message: 'Expected string', path: ['patients', 3, 'givenName'] },
              { message: 'No code here' },
              { code: 'too_small' },
              'not an issue',
              { code: 'custom', message: 'Odd path', path: ['ok', { no: 1 }, 2, null] },
            ],
          },
        },
      });
      const e = await expectApiError(client().organisations(), 'badRequest');
      assert.strictEqual(e.traceId, 'c2c71152-73e1-45f7-a8f9-840d59336ea2');
      assert.deepStrictEqual(e.issues, [
        { code: 'custom', message: 'Invalid phone number', path: ['phoneNumber'] },
        { code: 'invalid_type', message: 'Expected string', path: ['patients', 3, 'givenName'] },
        { message: 'No code here' },
        { code: 'too_small', message: 'too_small' },
        { code: 'custom', message: 'Odd path', path: ['ok', 2] },
      ]);
    });

    it('maps 401, 403, 404 (unknown id or parent), 402 and 5xx envelopes, each with its trace id', async () => {
      const traced = async (
        p: Promise<unknown>,
        kind: Parameters<typeof expectApiError>[1],
        status: number,
      ): Promise<void> => {
        const e = await expectApiError(p, kind);
        assert.strictEqual(e.status, status);
        assert.match(e.traceId ?? '', UUID, `${status} trace id`);
        assert.strictEqual(e.traceId, sb.heim.requests().at(-1)?.traceRequestId);
        assert.ok(e.serverMessage, `${status} server message`);
      };
      await traced(client('test_unknownKey1234567.abc').organisations(), 'unauthorized', 401);
      await traced(client(sb.credentials.HEIM_FORBIDDEN_KEY).organisations(), 'forbidden', 403);
      await traced(client().patient('pat_doesnotexist'), 'notFound', 404);
      await traced(client().appointments('pat_doesnotexist'), 'notFound', 404);
      await traced(client().tasks('apt_doesnotexist'), 'notFound', 404);

      sb.heim.configure({ statuses: [402] });
      const e402 = await expectApiError(client().organisations(), 'badRequest');
      assert.strictEqual(e402.status, 402);
      assert.match(e402.message, /402 \(request failed\)/);
      assert.strictEqual(e402.serverMessage, 'The parameters were valid but the request failed');
      assert.match(e402.traceId ?? '', UUID);

      sb.clearRequests();
      sb.heim.clearRequests();
      sb.heim.configure({ statuses: [503, 502, 500, 504] });
      const e5xx = await expectApiError(client(undefined, { retries: 3 }).organisations(), 'server');
      assert.strictEqual(e5xx.status, 504, 'the last attempt is reported');
      assert.strictEqual(heimRequests(), 4, 'retried 3 times');
      assert.strictEqual(e5xx.traceId, sb.heim.requests().at(-1)?.traceRequestId);

      sb.heim.configure({ statuses: [503] });
      assert.strictEqual((await client().organisations()).totalCount, 4, 'a transient 5xx is retried');
    });

    it('maps malformed bodies to invalidResponse without quoting them', async () => {
      for (const answer of ['notJson', 'noTotalCount', 'itemWithoutId'] as const) {
        sb.heim.configure({ answer });
        const e = await expectApiError(client().patients(big()), 'invalidResponse');
        assert.ok(!e.message.includes('<html>'));
        if (answer === 'noTotalCount') assert.match(e.message, /totalCount/);
        if (answer === 'itemWithoutId') assert.match(e.message, /data\[0\]\.id/);
      }
      sb.heim.configure({ answer: 'itemWithoutId' });
      const e = await expectApiError(client().task(test.tasks[0].id), 'invalidResponse');
      assert.match(e.message, /GET \/v1\/tasks\/\{id\}/);
      sb.heim.configure({ answer: 'ok' });
      sb.faults.add({ type: 'cut', path: HEIM_PATHS.organisations, bytes: 20 });
      await expectApiError(client(undefined, { retries: 1 }).organisations(), 'network');
    });

    it('is cancelled by its signal during a slow answer', async () => {
      sb.heim.configure({ delayMs: 2000 });
      const abort = new AbortController();
      const started = Date.now();
      const pending = client().organisations(undefined, abort.signal);
      setTimeout(() => abort.abort(), 50);
      await expectApiError(pending, 'cancelled');
      assert.ok(Date.now() - started < 1500);
    });
  });

  describe('logging', () => {
    it('logs paths with placeholders, never ids, query values, names, NHS numbers, keys or issue messages', async () => {
      const c = client();
      const patients = await c.patients(big(), { limit: 3 });
      const patient = await c.patient(patients.items[0].id);
      const appointments = await c.appointments(patient.id);
      const appointment = await c.appointment(appointments.items[0].id);
      const tasks = await c.tasks(appointment.id);
      await c.task(tasks.items[0].id);
      await c.organisation(big());
      await expectApiError(c.patient('pat_unknown_9990000018'), 'notFound');
      // a server that echoes patient data in its issues
      sb.faults.add({
        type: 'status',
        path: HEIM_PATHS.patients,
        status: 400,
        times: 1,
        body: {
          error: {
            message: 'The parameter or request body property provided is not valid',
            traceRequestId: 'trace-echo-1',
            issues: [
              { code: 'custom', message: 'No patient Wren Sampleton born 1950-01-01', path: ['familyName'] },
              {
                code: 'custom',
                message: 'NHS number 9990001234 is not valid',
                path: ['filters', 0, 'nhs number'],
              },
            ],
          },
        },
      });
      const echoed = await expectApiError(c.patients(big()), 'badRequest');
      assert.strictEqual(echoed.issues?.length, 2, 'the issues reach the coder');
      assert.match(echoed.issues?.[0].message ?? '', /Wren Sampleton/);

      const all = log.lines.join('\n');
      assert.ok(log.lines.length >= 9, all);
      const leaks = [
        big(),
        patient.id,
        appointment.id,
        tasks.items[0].id,
        'pat_unknown_9990000018',
        patient.nhsNumber ?? '',
        patient.familyName ?? '',
        patient.dateOfBirth ?? '',
        'Wren Sampleton',
        '9990001234',
        '1950-01-01',
        'organisationId',
        'patientId=',
        sb.credentials.HEIM_TEST_KEY,
        'limit=',
      ];
      for (const leak of leaks) assert.ok(!all.includes(leak), `the log leaked ${leak}:\n${all}`);
      for (const path of [
        '/v1/patients/{id}',
        '/v1/appointments/{id}',
        '/v1/tasks/{id}',
        '/v1/organisations/{id}',
      ]) {
        assert.ok(all.includes(`Heim GET ${path} -> 200`), `${path} in\n${all}`);
      }
      assert.ok(all.includes('Heim GET /v1/patients/{id} -> 404'));
      const issueLine = log.lines.find((l) => l.includes('trace-echo-1'));
      assert.match(
        issueLine ?? '',
        /^Heim GET \/v1\/patients -> 400 \(\d+ ms, attempt 1\); trace trace-echo-1; 2 issues at familyName, filters\[0\]\.…$/,
      );
      // errors carry the placeholder path too
      const e = await expectApiError(c.appointment('apt_secret'), 'notFound');
      assert.strictEqual(e.path, '/v1/appointments/{id}');
      assert.ok(!e.message.includes('apt_secret'));
    });
  });
});
