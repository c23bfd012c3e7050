import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { type Sandbox, type SandboxOptions, startSandbox } from '../../../sandbox/server';
import {
  CROSSWALK_CODE_SYSTEMS,
  CROSSWALK_SEEDS as S,
  type CrosswalksState,
  DRAFT_VERSION_MESSAGE,
} from '../../../sandbox/services/crosswalks';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

type Json = Record<string, unknown>;
interface Answer<T = Json> {
  status: number;
  headers: Headers;
  json: T;
}
interface Attr {
  key: string;
  value?: string;
}
interface TargetJson {
  targetCode: string;
  targetDisplay?: string;
  identifier: string;
  customAttributes: Attr[];
}
interface MappingJson {
  sourceCode: string;
  sourceDisplay?: string;
  sourceCodeSystem: string;
  targetCodeSystem: string;
  targets: TargetJson[];
}
interface PageJson {
  total: number;
  currentPage: number;
  pageSize: number;
}
type CrosswalkPage = PageJson & { crosswalks: Json[] };
type VersionPage = PageJson & { versions: Json[] };
type MappingPage = PageJson & { mappings: MappingJson[] };

const cw = (id: string): string => `/crosswalks/${id}`;
const ver = (id: string, v: number | string): string => `${cw(id)}/versions/${v}`;
const maps = (id: string, v: number | string): string => `${ver(id, v)}/mappings`;
const attrs = (id: string, v: number | string): string => `${ver(id, v)}/attributes`;
const targetAttrs = (id: string, v: number | string, code: string): string =>
  `${maps(id, v)}/${code}/attributes`;

describe('sandbox: Crosswalks API (document 003)', function () {
  let sb: Sandbox;
  let token: string;

  const newToken = async (target: Sandbox = sb): Promise<string> => {
    const res = await fetch(`${target.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_id: target.credentials.IMO_CLIENT_ID,
        client_secret: target.credentials.IMO_CLIENT_SECRET,
        audience: target.credentials.IMO_AUDIENCE,
        grant_type: 'client_credentials',
      }),
    });
    return ((await res.json()) as { access_token: string }).access_token;
  };

  /** One request with a bearer token (`null`: none) and an optional JSON body. */
  const call = async <T = Json>(
    method: string,
    p: string,
    body?: unknown,
    o: { target?: Sandbox; bearer?: string | null; raw?: string } = {},
  ): Promise<Answer<T>> => {
    const target = o.target ?? sb;
    const bearer = o.bearer === undefined ? token : o.bearer;
    const headers: Record<string, string> = {};
    if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
    if (body !== undefined || o.raw !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(target.url + p, {
      method,
      headers,
      body: o.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: (text ? JSON.parse(text) : {}) as T };
  };
  const get = <T = Json>(p: string): Promise<Answer<T>> => call<T>('GET', p);
  const ok = async <T = Json>(p: Promise<Answer<T>>, status = 200): Promise<T> => {
    const r = await p;
    assert.strictEqual(r.status, status, JSON.stringify(r.json));
    return r.json;
  };
  /** Every mapping of a version, reading all pages. */
  const allMappings = async (id: string, v: number): Promise<MappingJson[]> => {
    const out: MappingJson[] = [];
    for (let page = 1; ; page++) {
      const p = await ok(get<MappingPage>(`${maps(id, v)}?pageNumber=${page}`));
      out.push(...p.mappings);
      if (p.mappings.length === 0 || out.length >= p.total) return out;
    }
  };
  const latest = async (id: string): Promise<number> => (await ok(get(cw(id)))).version as number;
  const xwState = (): CrosswalksState => sb.state().crosswalks as CrosswalksState;
  const expectError = async (
    p: Promise<Answer>,
    status: number,
    message?: RegExp | string,
  ): Promise<Json> => {
    const r = await p;
    assert.strictEqual(r.status, status, JSON.stringify(r.json));
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    assert.strictEqual(typeof r.json.request_id, 'string');
    assert.strictEqual(r.headers.get('x-request-id'), r.json.request_id);
    if (typeof message === 'string') assert.strictEqual(r.json.message, message);
    else if (message) assert.match(String(r.json.message), message);
    return r.json;
  };

  before(async () => {
    sb = await startSandbox();
  });
  after(async () => sb.close());
  beforeEach(async () => {
    sb.reset();
    token = await newToken();
  });

  describe('auth', () => {
    it('answers 401 on every endpoint without a valid bearer token', async () => {
      const id = S.diabetes.identifier;
      const routes: Array<[string, string]> = [
        ['POST', '/crosswalks'],
        ['GET', '/crosswalks'],
        ['GET', cw(id)],
        ['DELETE', cw(id)],
        ['GET', `${cw(id)}/versions`],
        ['GET', ver(id, 3)],
        ['GET', maps(id, 3)],
        ['POST', maps(id, 3)],
        ['DELETE', maps(id, 3)],
        ['PATCH', attrs(id, 3)],
        ['DELETE', attrs(id, 3)],
        ['PATCH', targetAttrs(id, 3, 'x')],
        ['DELETE', targetAttrs(id, 3, 'x')],
      ];
      for (const [method, p] of routes) {
        for (const bearer of [null, 'not-a-token']) {
          const r = await call(method, p, method === 'GET' ? undefined : {}, { bearer });
          assert.strictEqual(r.status, 401, `${method} ${p}`);
          assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer/);
        }
      }
      assert.strictEqual(xwState().versionsCreated, 0);
      assert.strictEqual((await sb.crosswalks.get(id))?.archived, false);
    });
  });

  describe('seed data', () => {
    it('lists the four seeded crosswalks with their latest version numbers', async () => {
      const page = await ok(get<CrosswalkPage>('/crosswalks'));
      assert.deepStrictEqual([page.total, page.currentPage, page.pageSize], [4, 1, 10]);
      assert.deepStrictEqual(
        page.crosswalks.map((c) => [c.identifier, c.name, c.version]),
        [
          [S.conversions.identifier, S.conversions.name, 1],
          [S.diabetes.identifier, S.diabetes.name, 3],
          [S.vaccines.identifier, S.vaccines.name, 1],
          [S.respiratoryDraft.identifier, S.respiratoryDraft.name, 2],
        ],
      );
      assert.deepStrictEqual(Object.keys(page.crosswalks[0]), [
        'identifier',
        'name',
        'version',
        'description',
        'customAttributes',
        'createdAt',
        'createdBy',
        'updatedAt',
        'updatedBy',
      ]);
      assert.deepStrictEqual(page.crosswalks[0].customAttributes, [
        { key: 'Source', value: 'CMS ICD-10-CM conversion table FY2026' },
        { key: 'Effective', value: '2025-10-01' },
      ]);
      assert.match(String(page.crosswalks[0].createdAt), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    });

    it('builds the conversion crosswalk from the FY2026 conversion table: previous code → current codes', async () => {
      const id = S.conversions.identifier;
      const first = await ok(get<MappingPage>(maps(id, 1)));
      assert.strictEqual(first.total, 2171); // distinct previous codes
      const stored = await sb.crosswalks.get(id);
      const targets = stored!.versions[0].mappings.reduce((n, m) => n + m.targets.length, 0);
      assert.ok(targets >= 5700 && targets <= 5900, `${targets} source/target pairs`);
      // the table's first row: A04.71 and A04.72 replaced A04.7 (effective 2017 → FY2018)
      const a047 = first.mappings[0];
      assert.deepStrictEqual(
        [a047.sourceCode, a047.sourceCodeSystem, a047.targetCodeSystem, a047.sourceDisplay],
        ['A04.7', 'icd10cm', 'icd10cm', 'Enterocolitis due to Clostridium difficile'],
      );
      assert.deepStrictEqual(
        a047.targets.map((t) => [t.targetCode, t.targetDisplay, t.customAttributes]),
        [
          [
            'A04.71',
            'Enterocolitis due to Clostridium difficile, recurrent',
            [{ key: 'Effective', value: 'FY2018' }],
          ],
          [
            'A04.72',
            'Enterocolitis due to Clostridium difficile, not specified as recurrent',
            [{ key: 'Effective', value: 'FY2018' }],
          ],
        ],
      );
      for (const t of a047.targets) assert.match(t.identifier, UUID);
      const v = await ok(get(ver(id, 1)));
      assert.strictEqual(v.status, 'published');
    });

    it('has a crosswalk with three published versions, and one whose latest version is a draft', async () => {
      const versions = await ok(get<VersionPage>(`${cw(S.diabetes.identifier)}/versions`));
      assert.deepStrictEqual(
        versions.versions.map((v) => [v.version, v.status]),
        [
          [1, 'published'],
          [2, 'published'],
          [3, 'published'],
        ],
      );
      const counts = await Promise.all(
        [1, 2, 3].map(async (v) => (await allMappings(S.diabetes.identifier, v)).length),
      );
      assert.deepStrictEqual(counts, [4, 5, 5]);
      const draft = await ok(get<VersionPage>(`${cw(S.respiratoryDraft.identifier)}/versions`));
      assert.deepStrictEqual(
        draft.versions.map((v) => [v.version, v.status]),
        [
          [1, 'published'],
          [2, 'draft'],
        ],
      );
      assert.deepStrictEqual(
        [
          (await allMappings(S.respiratoryDraft.identifier, 1)).length,
          (await allMappings(S.respiratoryDraft.identifier, 2)).length,
        ],
        [3, 4],
      );
      // target-level attributes on the vaccines crosswalk
      const vaccines = await allMappings(S.vaccines.identifier, 1);
      assert.strictEqual(vaccines.length, 12);
      assert.deepStrictEqual(
        vaccines[0].targets.map((t) => [t.targetCode, t.customAttributes]),
        [
          ['G0008', [{ key: 'Type', value: 'Administration' }]],
          ['Q2038', [{ key: 'Type', value: 'Product' }]],
        ],
      );
      assert.strictEqual(vaccines[0].sourceDisplay, 'Influenza, seasonal, injectable');
      assert.strictEqual(vaccines[0].targets[0].targetDisplay, 'Administration of influenza virus vaccine');
    });

    it('comes back after reset, edits and archives undone', async () => {
      await ok(call('DELETE', cw(S.vaccines.identifier)));
      await ok(
        call('PATCH', attrs(S.diabetes.identifier, 3), { customAttributes: [{ key: 'k', value: 'v' }] }),
      );
      assert.strictEqual(await latest(S.diabetes.identifier), 4);
      sb.reset();
      token = await newToken();
      assert.strictEqual(await latest(S.diabetes.identifier), 3);
      assert.strictEqual((await ok(get<CrosswalkPage>('/crosswalks'))).total, 4);
      assert.deepStrictEqual([xwState().versionsCreated, xwState().active, xwState().archived], [0, 4, 0]);
    });
  });

  describe('reading', () => {
    it('GET /crosswalks pages with pageSize and pageNumber; past the end is empty; bad numbers are 400', async () => {
      const p2 = await ok(get<CrosswalkPage>('/crosswalks?pageSize=3&pageNumber=2'));
      assert.deepStrictEqual(
        [p2.total, p2.currentPage, p2.pageSize, p2.crosswalks.map((c) => c.identifier)],
        [4, 2, 3, [S.respiratoryDraft.identifier]],
      );
      const p9 = await ok(get<CrosswalkPage>('/crosswalks?pageNumber=9'));
      assert.deepStrictEqual([p9.total, p9.crosswalks], [4, []]);
      assert.strictEqual((await ok(get<CrosswalkPage>('/crosswalks?pageSize=1000'))).pageSize, 100);
      for (const q of ['pageSize=0', 'pageSize=abc', 'pageNumber=0', 'pageNumber=-1', 'pageNumber=1.5'])
        await expectError(get(`/crosswalks?${q}`), 400, /must be a positive integer/);
    });

    it('GET /crosswalks filters on the latest version’s source system and code (dotted or not)', async () => {
      const ids = async (q: string): Promise<unknown[]> =>
        (await ok(get<CrosswalkPage>(`/crosswalks?${q}`))).crosswalks.map((c) => c.identifier);
      assert.deepStrictEqual(await ids('sourceCodeSystem=cvx'), [S.vaccines.identifier]);
      assert.deepStrictEqual(await ids('sourceCodeSystem=cvx&sourceCode=8'), [S.vaccines.identifier]);
      assert.deepStrictEqual(await ids('sourceCodeSystem=hcpcs'), []);
      assert.deepStrictEqual(await ids('sourceCodeSystem=icd10cm&sourceCode=E11.42'), [
        S.diabetes.identifier,
      ]);
      assert.deepStrictEqual(await ids('sourceCodeSystem=icd10cm&sourceCode=e1142'), [S.diabetes.identifier]);
      // only in the draft (latest) version of the respiratory crosswalk
      assert.deepStrictEqual(await ids('sourceCode=J45.901'), [S.respiratoryDraft.identifier]);
      // a code that only OLDER versions map is not found
      await ok(
        call('DELETE', maps(S.diabetes.identifier, 3), {
          mappings: [
            {
              sourceCodeSystem: 'icd10cm',
              sourceCode: 'Z79.4',
              targetCodeSystem: 'hcpcs',
              targetCodes: ['A4206'],
            },
          ],
        }),
      );
      assert.deepStrictEqual(await ids('sourceCodeSystem=icd10cm&sourceCode=Z79.4'), []);
      await expectError(get('/crosswalks?sourceCodeSystem=ICD10'), 400, /unknown code system slug "ICD10"/);
    });

    it('GET /crosswalks/{id}, versions (paged, oldest first) and one version', async () => {
      const id = S.diabetes.identifier;
      const c = await ok(get(cw(id)));
      assert.deepStrictEqual(
        [c.identifier, c.name, c.version, c.customAttributes],
        [
          id,
          S.diabetes.name,
          3,
          [
            { key: 'Purpose', value: 'DME supply orders' },
            { key: 'Reviewed', value: '2025-09' },
          ],
        ],
      );
      const p = await ok(get<VersionPage>(`${cw(id)}/versions?pageSize=2&pageNumber=2`));
      assert.deepStrictEqual(
        [p.total, p.currentPage, p.pageSize, p.versions.map((v) => v.version)],
        [3, 2, 2, [3]],
      );
      const v1 = await ok(get(ver(id, 1)));
      assert.deepStrictEqual(Object.keys(v1), [
        'version',
        'name',
        'description',
        'customAttributes',
        'status',
        'createdAt',
        'createdBy',
        'updatedAt',
        'updatedBy',
      ]);
      assert.deepStrictEqual(v1.customAttributes, [{ key: 'Purpose', value: 'DME supply orders' }]);
    });

    it('answers 404 for an unknown crosswalk, version or path', async () => {
      const id = S.diabetes.identifier;
      for (const p of [
        cw('00000000-0000-4000-8000-000000000000'),
        `${cw('nope')}/versions`,
        ver(id, 4),
        ver(id, 0),
        ver(id, 'latest'),
        maps(id, 99),
        maps('nope', 1),
      ])
        await expectError(get(p), 404, /not found/i);
    });

    it('GET …/mappings: 10 a page at most (a larger pageSize says 10), displays and identifiers', async () => {
      const id = S.vaccines.identifier;
      const p1 = await ok(get<MappingPage>(`${maps(id, 1)}?pageSize=100`));
      assert.deepStrictEqual([p1.total, p1.currentPage, p1.pageSize, p1.mappings.length], [12, 1, 10, 10]);
      const p2 = await ok(get<MappingPage>(`${maps(id, 1)}?pageSize=100&pageNumber=2`));
      assert.deepStrictEqual(
        [p2.currentPage, p2.pageSize, p2.mappings.map((m) => m.sourceCode)],
        [2, 10, ['08', '43']],
      );
      const small = await ok(get<MappingPage>(`${maps(id, 1)}?pageSize=5&pageNumber=3`));
      assert.deepStrictEqual([small.pageSize, small.mappings.length], [5, 2]);
      const past = await ok(get<MappingPage>(`${maps(id, 1)}?pageNumber=3`));
      assert.deepStrictEqual([past.total, past.mappings], [12, []]);
      assert.deepStrictEqual(Object.keys(p2.mappings[0]), [
        'sourceCode',
        'sourceDisplay',
        'sourceCodeSystem',
        'targetCodeSystem',
        'targets',
      ]);
      assert.deepStrictEqual(Object.keys(p2.mappings[0].targets[0]), [
        'targetCode',
        'targetDisplay',
        'identifier',
        'customAttributes',
      ]);
      assert.strictEqual(p2.mappings[0].targets[0].targetDisplay, 'Administration of hepatitis b vaccine');
      assert.deepStrictEqual(xwState().mappingPagesServed, 4);
    });
  });

  describe('POST /crosswalks', () => {
    it('creates version 1 (201) and answers the crosswalk with invalidCodes', async () => {
      const r = await ok(
        call('POST', '/crosswalks', {
          name: 'Test Crosswalk',
          description: 'Custom crosswalk',
          customAttributes: [{ key: 'Sub-category', value: 'Echocardiography Procedures' }],
          mappings: [
            {
              sourceCode: '93351',
              sourceCodeSystem: 'cpt2025',
              targetCodeSystem: 'cpt2025',
              targets: [{ targetCode: '93303', customAttributes: [{ key: 'Sub-category', value: 'Echo' }] }],
            },
          ],
        }),
        201,
      );
      assert.match(String(r.identifier), UUID);
      assert.deepStrictEqual(
        [r.name, r.description, r.version, r.invalidCodes, r.createdBy],
        ['Test Crosswalk', 'Custom crosswalk', 1, [], sb.credentials.IMO_CLIENT_ID],
      );
      const id = String(r.identifier);
      assert.deepStrictEqual(
        await ok(get(cw(id))),
        Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'invalidCodes')),
      );
      const m = await allMappings(id, 1);
      // cpt2025 is not checked (no CPT data in the sandbox): kept, without displays
      assert.deepStrictEqual(m, [
        {
          sourceCode: '93351',
          sourceCodeSystem: 'cpt2025',
          targetCodeSystem: 'cpt2025',
          targets: [
            {
              targetCode: '93303',
              identifier: m[0].targets[0].identifier,
              customAttributes: [{ key: 'Sub-category', value: 'Echo' }],
            },
          ],
        },
      ]);
      assert.strictEqual((await ok(get(ver(id, 1)))).status, 'published');
      assert.strictEqual((await ok(get<CrosswalkPage>('/crosswalks'))).total, 5);
      assert.strictEqual(xwState().created, 1);
    });

    it('refuses a missing or too long name, description, attribute key or value with 400', async () => {
      const post = (body: unknown): Promise<Answer> => call('POST', '/crosswalks', body);
      await expectError(post({}), 400, 'Crosswalk name is required');
      await expectError(post({ name: null }), 400, 'Crosswalk name is required');
      await expectError(post({ name: '   ' }), 400, 'Crosswalk name is required');
      await expectError(post({ name: 'x'.repeat(501) }), 400, /at most 500 characters/);
      await ok(post({ name: 'x'.repeat(500) }), 201);
      await expectError(post({ name: 'n', description: 'd'.repeat(5001) }), 400, /at most 5000 characters/);
      await expectError(post({ name: 'n', customAttributes: [{ value: 'v' }] }), 400, /key is required/);
      await expectError(
        post({ name: 'n', customAttributes: [{ key: '', value: 'v' }] }),
        400,
        /key is required/,
      );
      await expectError(
        post({ name: 'n', customAttributes: [{ key: 'k'.repeat(251) }] }),
        400,
        /at most 250/,
      );
      await expectError(
        post({ name: 'n', customAttributes: [{ key: 'k', value: 'v'.repeat(5001) }] }),
        400,
        /at most 5000/,
      );
      const targetKey = {
        name: 'n',
        mappings: [
          {
            sourceCode: 'E11.9',
            sourceCodeSystem: 'icd10cm',
            targetCodeSystem: 'hcpcs',
            targets: [{ targetCode: 'A4253', customAttributes: [{ value: 'no key' }] }],
          },
        ],
      };
      await expectError(post(targetKey), 400, /key is required \(mappings\[0\]\.targets\[0\]/);
      await expectError(call('POST', '/crosswalks', undefined, { raw: '{not json' }), 400, /not valid JSON/);
      await expectError(post([1, 2]), 400, /JSON object/);
      // nothing was created by the refused requests
      assert.strictEqual(xwState().created, 1);
    });

    it('refuses an unknown code-system slug with 400 and the list of slugs', async () => {
      const e = await expectError(
        call('POST', '/crosswalks', {
          name: 'n',
          mappings: [
            {
              sourceCode: 'E11.9',
              sourceCodeSystem: 'ICD-10-CM',
              targetCodeSystem: 'hcpcs',
              targets: [{ targetCode: 'A4253' }],
            },
          ],
        }),
        400,
        /mappings\[0\]\.sourceCodeSystem: unknown code system slug "ICD-10-CM"/,
      );
      for (const slug of CROSSWALK_CODE_SYSTEMS) assert.ok(String(e.message).includes(slug));
      await expectError(
        call('POST', '/crosswalks', {
          name: 'n',
          mappings: [
            {
              sourceCode: 'E11.9',
              sourceCodeSystem: 'icd10cm',
              targetCodeSystem: 'cpt',
              targets: [{ targetCode: '1' }],
            },
          ],
        }),
        400,
        /targetCodeSystem: unknown code system slug "cpt"/,
      );
    });

    it('skips mappings without source system, source code or target system, and targets without a code', async () => {
      const r = await ok(
        call('POST', '/crosswalks', {
          name: 'Skips',
          mappings: [
            { sourceCode: 'E11.9', targetCodeSystem: 'hcpcs', targets: [{ targetCode: 'A4253' }] },
            { sourceCodeSystem: 'icd10cm', targetCodeSystem: 'hcpcs', targets: [{ targetCode: 'A4253' }] },
            { sourceCode: 'E11.9', sourceCodeSystem: 'icd10cm', targets: [{ targetCode: 'A4253' }] },
            { sourceCode: 'E10.9', sourceCodeSystem: 'icd10cm', targetCodeSystem: 'hcpcs', targets: [{}] },
            { sourceCode: 'E10.9', sourceCodeSystem: 'icd10cm', targetCodeSystem: 'hcpcs' },
            {
              sourceCode: 'E11.9',
              sourceCodeSystem: 'icd10cm',
              targetCodeSystem: 'hcpcs',
              targets: [{ customAttributes: [{ key: 'k' }] }, { targetCode: '' }, { targetCode: 'A4259' }],
            },
          ],
        }),
        201,
      );
      const m = await allMappings(String(r.identifier), 1);
      assert.deepStrictEqual(
        m.map((x) => [x.sourceCode, x.targets.map((t) => t.targetCode)]),
        [['E11.9', ['A4259']]],
      );
    });

    it('lists codes that are not in the real code sets as invalidCodes and does not store them', async () => {
      const r = await ok(
        call('POST', '/crosswalks', {
          name: 'Codes',
          mappings: [
            {
              sourceCode: 'E11.9', // dotted, as published
              sourceCodeSystem: 'icd10cm',
              targetCodeSystem: 'icd10cm',
              targets: [
                { targetCode: 'E119' },
                { targetCode: 'E11.99' },
                { targetCode: 'E1.19' },
                { targetCode: 'e11.65' },
              ],
            },
            {
              sourceCode: 'X99.999',
              sourceCodeSystem: 'icd10cm',
              targetCodeSystem: 'hcpcs',
              targets: [{ targetCode: 'A4253' }],
            },
            {
              sourceCode: '08',
              sourceCodeSystem: 'cvx',
              targetCodeSystem: 'hcpcs',
              targets: [{ targetCode: 'G0010' }, { targetCode: 'GA' }, { targetCode: '90471' }],
            },
            {
              sourceCode: '9999',
              sourceCodeSystem: 'cvx',
              targetCodeSystem: 'icd10pcs',
              targets: [{ targetCode: '0016070' }],
            },
            {
              sourceCode: '0016070',
              sourceCodeSystem: 'icd10pcs',
              targetCodeSystem: 'icd10pcs',
              targets: [{ targetCode: '001607Z' }],
            },
            {
              sourceCode: '2345-7',
              sourceCodeSystem: 'loinc',
              targetCodeSystem: 'snomedusedition',
              targets: [{ targetCode: 'anything' }],
            },
          ],
        }),
        201,
      );
      // HCPCS modifiers (GA) and CPT codes (90471) are not HCPCS Level II codes
      assert.deepStrictEqual(r.invalidCodes, [
        'E11.99',
        'E1.19',
        'X99.999',
        'GA',
        '90471',
        '9999',
        '001607Z',
      ]);
      const m = await allMappings(String(r.identifier), 1);
      assert.deepStrictEqual(
        m.map((x) => [x.sourceCode, x.sourceDisplay, x.targets.map((t) => [t.targetCode, t.targetDisplay])]),
        [
          [
            'E11.9',
            'Type 2 diabetes mellitus without complications',
            [
              ['E119', 'Type 2 diabetes mellitus without complications'],
              ['e11.65', 'Type 2 diabetes mellitus with hyperglycemia'],
            ],
          ],
          [
            '08',
            'hepatitis B vaccine, pediatric or pediatric/adolescent dosage',
            [['G0010', 'Administration of hepatitis b vaccine']],
          ],
          [
            '2345-7',
            undefined,
            [['anything', undefined]], // loinc and SNOMED are not checked
          ],
        ],
      );
    });
  });

  describe('edits and versions', () => {
    const D = S.diabetes.identifier;
    const add = (v: number, mappings: unknown[], id: string = D): Promise<Answer> =>
      call('POST', maps(id, v), { mappings });

    it('an edit of a published latest version creates version + 1; older versions stay as they were', async () => {
      const v3before = await allMappings(D, 3);
      const r = await ok(
        add(3, [
          {
            sourceCode: 'E11.9',
            sourceCodeSystem: 'icd10cm',
            targetCodeSystem: 'hcpcs',
            targets: [
              { targetCode: 'E2100', customAttributes: [{ key: 'Note', value: 'voice' }] },
              { targetCode: 'A4253' },
            ],
          },
          {
            sourceCode: 'E11.8',
            sourceCodeSystem: 'icd10cm',
            targetCodeSystem: 'hcpcs',
            targets: [{ targetCode: 'A4253' }, { targetCode: 'ZZZ99' }],
          },
        ]),
      );
      assert.deepStrictEqual(r, { message: 'Target codes added successfully.', invalidCodes: ['ZZZ99'] });
      assert.strictEqual(await latest(D), 4);
      const v4 = await ok(get(ver(D, 4)));
      assert.deepStrictEqual(
        [v4.status, v4.createdBy, v4.name],
        ['published', sb.credentials.IMO_CLIENT_ID, S.diabetes.name],
      );
      assert.deepStrictEqual(v4.customAttributes, (await ok(get(ver(D, 3)))).customAttributes);
      assert.deepStrictEqual(await allMappings(D, 3), v3before);
      const m4 = await allMappings(D, 4);
      assert.deepStrictEqual(
        m4.map((m) => [m.sourceCode, m.targets.map((t) => t.targetCode)]),
        [
          ['E11.9', ['A4253', 'A4259', 'K0553', 'E2100']],
          ['E10.9', ['A4253', 'A4259', 'A4230', 'E0784', 'K0553']],
          ['E11.65', ['A4253', 'A4259', 'K0553']],
          ['Z79.4', ['A4206']],
          ['E11.42', ['A5500', 'A5512']],
          ['E11.8', ['A4253']],
        ],
      );
      // identifiers are stable across versions for the same source/target pair
      assert.deepStrictEqual(m4[0].targets.slice(0, 3), v3before[0].targets);
      assert.deepStrictEqual(m4[0].targets[3].customAttributes, [{ key: 'Note', value: 'voice' }]);
      assert.strictEqual(xwState().versionsCreated, 1);
    });

    it('an edit that changes nothing answers 200 and creates no version', async () => {
      await ok(
        add(3, [
          {
            sourceCode: 'E119',
            sourceCodeSystem: 'icd10cm',
            targetCodeSystem: 'hcpcs',
            targets: [{ targetCode: 'A4259' }],
          },
        ]),
      );
      await ok(add(3, []));
      await ok(
        call('DELETE', maps(D, 3), {
          mappings: [
            {
              sourceCode: 'E11.9',
              sourceCodeSystem: 'icd10cm',
              targetCodeSystem: 'hcpcs',
              targetCodes: ['E0607'],
            },
          ],
        }),
      );
      await ok(call('DELETE', attrs(D, 3), { customAttributes: ['not there'] }));
      assert.strictEqual(await latest(D), 3);
    });

    it('a version that is not the latest: 409 STALE_VERSION naming the latest, on every edit', async () => {
      const body = { mappings: [], customAttributes: [{ key: 'k' }] };
      for (const [method, p] of [
        ['POST', maps(D, 2)],
        ['DELETE', maps(D, 1)],
        ['PATCH', attrs(D, 2)],
        ['DELETE', attrs(D, 2)],
        ['PATCH', targetAttrs(D, 2, 'x')],
        ['DELETE', targetAttrs(D, 2, 'x')],
      ] as const) {
        const e = await expectError(
          call(method, p, body),
          409,
          /is not the latest version of this crosswalk: the latest version is 3/,
        );
        assert.deepStrictEqual([e.code, e.latestVersion, e.error], ['STALE_VERSION', 3, 'conflict']);
      }
      await expectError(add(4, []), 404, /Version 4 .* not found/);
      await expectError(add(3, [], 'nope'), 404, /Crosswalk not found/);
      assert.strictEqual(xwState().versionsCreated, 0);
    });

    it('a Draft latest version: 409 DRAFT_VERSION with the document’s message, on every edit', async () => {
      const R = S.respiratoryDraft.identifier;
      const target = (await allMappings(R, 2))[0].targets[0].identifier;
      for (const [method, p] of [
        ['POST', maps(R, 2)],
        ['DELETE', maps(R, 2)],
        ['PATCH', attrs(R, 2)],
        ['DELETE', attrs(R, 2)],
        ['PATCH', targetAttrs(R, 2, target)],
        ['DELETE', targetAttrs(R, 2, target)],
      ] as const) {
        const e = await expectError(
          call(method, p, { customAttributes: [{ key: 'k' }] }),
          409,
          DRAFT_VERSION_MESSAGE,
        );
        assert.deepStrictEqual([e.code, e.latestVersion], ['DRAFT_VERSION', 2]);
      }
      // v1 is published but not the latest
      const stale = await expectError(add(1, [], R), 409);
      assert.strictEqual(stale.code, 'STALE_VERSION');
      // published in the UI: edits work again
      await sb.crosswalks.publishDraft(R);
      await ok(call('PATCH', attrs(R, 2), { customAttributes: [{ key: 'Reviewed', value: 'yes' }] }));
      assert.deepStrictEqual(
        (await ok(get<VersionPage>(`${cw(R)}/versions`))).versions.map((v) => [v.version, v.status]),
        [
          [1, 'published'],
          [2, 'published'],
          [3, 'published'],
        ],
      );
      // and a draft started in the UI (over HTTP) blocks them again
      const started = await fetch(`${sb.url}/__sandbox/crosswalks/${R}/draft`, { method: 'POST' });
      assert.deepStrictEqual([started.status, await started.json()], [200, { ok: true, version: 4 }]);
      assert.strictEqual((await expectError(add(4, [], R), 409)).code, 'DRAFT_VERSION');
      const published = await fetch(`${sb.url}/__sandbox/crosswalks/${R}/publish`, { method: 'POST' });
      assert.strictEqual(published.status, 200);
      await ok(
        add(
          4,
          [
            {
              sourceCode: 'J45.20',
              sourceCodeSystem: 'icd10cm',
              targetCodeSystem: 'hcpcs',
              targets: [{ targetCode: 'E0570' }],
            },
          ],
          R,
        ),
      );
      assert.strictEqual(await latest(R), 5);
    });

    it('DELETE …/mappings removes targets, and a mapping left without targets', async () => {
      const r = await ok(
        call('DELETE', maps(D, 3), {
          mappings: [
            {
              sourceCode: 'E119',
              sourceCodeSystem: 'icd10cm',
              targetCodeSystem: 'hcpcs',
              targetCodes: ['K0553', 'A4259', 'Q9999'],
            },
            {
              sourceCode: 'Z79.4',
              sourceCodeSystem: 'icd10cm',
              targetCodeSystem: 'hcpcs',
              targetCodes: ['A4206'],
            },
            { sourceCode: 'E10.9', sourceCodeSystem: 'icd10cm', targetCodeSystem: 'hcpcs' }, // skipped: no targetCodes
            { sourceCode: 'E11.65', targetCodeSystem: 'hcpcs', targetCodes: ['A4253'] }, // skipped: no source system
          ],
        }),
      );
      assert.deepStrictEqual(r, { message: 'Target codes deleted successfully.', invalidCodes: ['Q9999'] });
      const m = await allMappings(D, 4);
      assert.deepStrictEqual(
        m.map((x) => [x.sourceCode, x.targets.map((t) => t.targetCode)]),
        [
          ['E11.9', ['A4253']],
          ['E10.9', ['A4253', 'A4259', 'A4230', 'E0784', 'K0553']],
          ['E11.65', ['A4253', 'A4259', 'K0553']],
          ['E11.42', ['A5500', 'A5512']],
        ],
      );
      assert.strictEqual((await allMappings(D, 3)).length, 5);
    });

    it('PATCH / DELETE …/attributes edit the crosswalk-level attributes in a new version', async () => {
      const r = await ok(
        call('PATCH', attrs(D, 3), {
          customAttributes: [
            { key: 'Reviewed', value: '2025-11' },
            { key: 'Owner', value: 'Coding team' },
          ],
        }),
      );
      assert.deepStrictEqual(r, { message: 'Custom attributes modified successfully.' });
      assert.deepStrictEqual((await ok(get(cw(D)))).customAttributes, [
        { key: 'Purpose', value: 'DME supply orders' },
        { key: 'Reviewed', value: '2025-11' },
        { key: 'Owner', value: 'Coding team' },
      ]);
      const d = await ok(call('DELETE', attrs(D, 4), { customAttributes: ['Purpose', 'Reviewed'] }));
      assert.deepStrictEqual(d, { message: 'Custom attributes deleted successfully.' });
      assert.deepStrictEqual((await ok(get(ver(D, 5)))).customAttributes, [
        { key: 'Owner', value: 'Coding team' },
      ]);
      assert.deepStrictEqual((await ok(get(ver(D, 3)))).customAttributes, [
        { key: 'Purpose', value: 'DME supply orders' },
        { key: 'Reviewed', value: '2025-09' },
      ]);
      await expectError(call('PATCH', attrs(D, 5), {}), 400, /customAttributes is required/);
      await expectError(
        call('PATCH', attrs(D, 5), { customAttributes: [{ value: 'x' }] }),
        400,
        /key is required/,
      );
      await expectError(call('DELETE', attrs(D, 5), {}), 400, /customAttributes is required/);
      await expectError(call('DELETE', attrs(D, 5), { customAttributes: [''] }), 400, /key is required/);
      assert.strictEqual(await latest(D), 5);
    });

    it('PATCH / DELETE …/mappings/{codeIdentifier}/attributes edit one target in a new version', async () => {
      const v3 = await allMappings(D, 3);
      const strips = v3[0].targets[0];
      assert.strictEqual(strips.targetCode, 'A4253');
      await ok(
        call('PATCH', targetAttrs(D, 3, strips.identifier), {
          customAttributes: [
            { key: 'Category', value: 'Diabetic testing supplies' },
            { key: 'Prior auth', value: 'no' },
          ],
        }),
      );
      const v4 = await allMappings(D, 4);
      assert.strictEqual(v4[0].targets[0].identifier, strips.identifier);
      assert.deepStrictEqual(v4[0].targets[0].customAttributes, [
        { key: 'Quantity limit', value: '100 strips per month (insulin-treated)' },
        { key: 'Category', value: 'Diabetic testing supplies' },
        { key: 'Prior auth', value: 'no' },
      ]);
      // the same pair under another source is another target: untouched
      assert.deepStrictEqual(v4[1].targets[0].customAttributes, v3[1].targets[0].customAttributes);
      await ok(
        call('DELETE', targetAttrs(D, 4, strips.identifier), {
          customAttributes: ['Quantity limit', 'Prior auth'],
        }),
      );
      assert.deepStrictEqual((await allMappings(D, 5))[0].targets[0].customAttributes, [
        { key: 'Category', value: 'Diabetic testing supplies' },
      ]);
      assert.deepStrictEqual(await allMappings(D, 3), v3);
      await expectError(
        call('PATCH', targetAttrs(D, 5, '00000000-0000-4000-8000-000000000000'), {
          customAttributes: [{ key: 'k' }],
        }),
        404,
        /Code identifier not found/,
      );
      await expectError(
        call('PATCH', targetAttrs(D, 5, strips.identifier), { customAttributes: [{ key: 'k'.repeat(251) }] }),
        400,
        /at most 250/,
      );
    });

    it('DELETE /crosswalks/{id} archives: gone from the list, 404 afterwards, kept in state', async () => {
      const r = await ok(call('DELETE', cw(S.vaccines.identifier)));
      assert.deepStrictEqual(r, { message: 'Crosswalk archived successfully.' });
      const list = await ok(get<CrosswalkPage>('/crosswalks'));
      assert.deepStrictEqual(
        [list.total, list.crosswalks.some((c) => c.identifier === S.vaccines.identifier)],
        [3, false],
      );
      for (const p of [
        cw(S.vaccines.identifier),
        `${cw(S.vaccines.identifier)}/versions`,
        ver(S.vaccines.identifier, 1),
        maps(S.vaccines.identifier, 1),
      ])
        await expectError(get(p), 404);
      await expectError(add(1, [], S.vaccines.identifier), 404);
      await expectError(call('DELETE', cw(S.vaccines.identifier)), 404);
      const stored = await sb.crosswalks.get(S.vaccines.identifier);
      assert.deepStrictEqual([stored?.archived, stored?.versions.length], [true, 1]);
      assert.deepStrictEqual([xwState().active, xwState().archived], [3, 1]);
    });
  });

  describe('rate limits', () => {
    it('requestsPerSecond: over the bucket → 429 with Retry-After ≥ 1; refused requests take no token', async () => {
      sb.crosswalks.configure({ requestsPerSecond: 20 });
      const started = Date.now();
      const burst = await Promise.all(Array.from({ length: 50 }, () => get('/crosswalks?pageSize=1')));
      // the bucket holds 20 and refills 20 a second while the burst is served
      const refilled = Math.ceil(((Date.now() - started) / 1000) * 20);
      const limited = burst.filter((r) => r.status === 429);
      const accepted = burst.filter((r) => r.status === 200).length;
      assert.ok(accepted >= 20 && accepted <= 20 + refilled, `${accepted} accepted, ${refilled} refilled`);
      assert.strictEqual(accepted + limited.length, 50);
      assert.ok(limited.length > 0);
      for (const r of limited) {
        assert.ok(Number(r.headers.get('retry-after')) >= 1);
        assert.strictEqual(r.json.error, 'too_many_requests');
      }
      assert.strictEqual(xwState().rateLimited, limited.length);
      // other services are not limited
      const session = await fetch(`${sb.url}/precision/normalize/session`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.strictEqual(session.status, 200);
      // 0.15 s refills 3 tokens: had the 429s taken tokens, the bucket would be far below zero
      await new Promise((resolve) => setTimeout(resolve, 150));
      assert.strictEqual((await get('/crosswalks?pageSize=1')).status, 200);
      sb.crosswalks.configure({ requestsPerSecond: null });
      const after = await Promise.all(Array.from({ length: 30 }, () => get('/crosswalks?pageSize=1')));
      assert.ok(after.every((r) => r.status === 200));
    });

    it('rateLimitFraction: a seeded, repeatable share of requests gets 429 Retry-After: 1 (set over HTTP)', async () => {
      const run = async (): Promise<number[]> => {
        const set = await fetch(`${sb.url}/__sandbox/crosswalks/options`, {
          method: 'POST',
          body: JSON.stringify({ rateLimitFraction: 0.25, seed: 7 }),
        });
        assert.deepStrictEqual(await set.json(), {
          requestsPerSecond: null,
          rateLimitFraction: 0.25,
          seed: 7,
        });
        const statuses: number[] = [];
        for (let i = 0; i < 80; i++) {
          const r = await get(cw(S.vaccines.identifier));
          if (r.status === 429) assert.strictEqual(r.headers.get('retry-after'), '1');
          statuses.push(r.status);
        }
        return statuses;
      };
      const first = await run();
      const limited = first.filter((s) => s === 429).length;
      assert.ok(limited >= 8 && limited <= 32, `${limited} of 80 limited`);
      assert.ok(first.every((s) => s === 200 || s === 429));
      assert.strictEqual(xwState().rateLimited, limited);
      assert.deepStrictEqual(await run(), first);
      const bad = await fetch(`${sb.url}/__sandbox/crosswalks/options`, {
        method: 'POST',
        body: '{"rateLimitFraction": 2}',
      });
      assert.strictEqual(bad.status, 400);
      sb.reset();
      assert.deepStrictEqual(sb.crosswalks.options, {
        requestsPerSecond: null,
        rateLimitFraction: null,
        seed: 1,
      });
    });
  });

  describe('persistence', () => {
    it('loads the state from persistFile, writes it atomically after each change, and reset deletes it', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crosswalks-'));
      const file = path.join(dir, 'state.json');
      const options: SandboxOptions = { crosswalks: { persistFile: file } };
      const one = await startSandbox(options);
      let id: string;
      try {
        const t = await newToken(one);
        const created = await ok(
          call(
            'POST',
            '/crosswalks',
            {
              name: 'Kept',
              mappings: [
                {
                  sourceCode: 'E11.9',
                  sourceCodeSystem: 'icd10cm',
                  targetCodeSystem: 'hcpcs',
                  targets: [{ targetCode: 'A4253' }],
                },
              ],
            },
            { target: one, bearer: t },
          ),
          201,
        );
        id = String(created.identifier);
        await ok(
          call(
            'PATCH',
            attrs(id, 1),
            { customAttributes: [{ key: 'k', value: 'v' }] },
            { target: one, bearer: t },
          ),
        );
        await ok(call('DELETE', cw(S.vaccines.identifier), undefined, { target: one, bearer: t }));
        assert.deepStrictEqual(fs.readdirSync(dir), ['state.json']); // no temp file left
      } finally {
        await one.close();
      }
      const two = await startSandbox(options);
      try {
        const t = await newToken(two);
        const c = await ok(call('GET', cw(id), undefined, { target: two, bearer: t }));
        assert.deepStrictEqual(
          [c.name, c.version, c.customAttributes],
          ['Kept', 2, [{ key: 'k', value: 'v' }]],
        );
        const m = await ok(call<MappingPage>('GET', maps(id, 1), undefined, { target: two, bearer: t }));
        assert.deepStrictEqual(
          m.mappings.map((x) => x.targets.map((y) => y.targetCode)),
          [['A4253']],
        );
        assert.strictEqual(
          (await call('GET', cw(S.vaccines.identifier), undefined, { target: two, bearer: t })).status,
          404,
        );
        const list = await ok(
          call<CrosswalkPage>('GET', '/crosswalks', undefined, { target: two, bearer: t }),
        );
        assert.strictEqual(list.total, 4); // 4 seeds − 1 archived + 1 created
        two.reset();
        assert.strictEqual(fs.existsSync(file), false);
      } finally {
        await two.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
