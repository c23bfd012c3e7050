import * as assert from 'assert';
import {
  CROSSWALKS_PATH,
  CrosswalksClient,
  isDraftVersionError,
  isStaleVersionError,
} from '../../../src/api/crosswalks';
import type { Mapping } from '../../../src/core/crosswalks/model';
import { ApiError } from '../../../src/core/errors';
import { CROSSWALK_SEEDS as S, DRAFT_VERSION_MESSAGE } from '../../../sandbox/services/crosswalks';
import { type Sandbox, startSandbox } from '../../../sandbox/server';
import { expectApiError, recordingLogger, sandboxImoApi } from './support';

const UA = 'clinical-coder/0.1.0 (VS Code extension)';
const D = S.diabetes.identifier;
const V = S.vaccines.identifier;
const R = S.respiratoryDraft.identifier;
const mappingsPath = (id: string, v: number): string => `${CROSSWALKS_PATH}/${id}/versions/${v}/mappings`;

describe('api/crosswalks', function () {
  let sb: Sandbox;
  let client: CrosswalksClient;
  let log: ReturnType<typeof recordingLogger>;

  before(async () => {
    sb = await startSandbox();
    await sb.crosswalks.ready();
  });
  after(async () => sb.close());
  beforeEach(() => {
    sb.reset();
    log = recordingLogger();
    client = new CrosswalksClient(sandboxImoApi(sb, { userAgent: UA, logger: log }));
  });

  /** Every mapping of a version, following the pages the server answers. */
  const allMappings = async (id: string, version: number): Promise<Mapping[]> => {
    const out: Mapping[] = [];
    for (let pageNumber = 1; ; pageNumber++) {
      const page = await client.mappings(id, version, { pageSize: 100, pageNumber });
      out.push(...page.items);
      if (page.items.length === 0 || out.length >= page.total) return out;
    }
  };
  const stored = async (id: string): Promise<number> => (await sb.crosswalks.get(id))!.versions.length;

  describe('reading', () => {
    it('list: the answer as a core Page, with paging and the source filter sent', async () => {
      const page = await client.list({});
      assert.deepStrictEqual(
        [page.current_page, page.total, page.page_size, page.items.map((c) => [c.name, c.version])],
        [
          1,
          4,
          10,
          [
            [S.conversions.name, 1],
            [S.diabetes.name, 3],
            [S.vaccines.name, 1],
            [S.respiratoryDraft.name, 2],
          ],
        ],
      );
      assert.deepStrictEqual(page.items[1].customAttributes, [
        { key: 'Purpose', value: 'DME supply orders' },
        { key: 'Reviewed', value: '2025-09' },
      ]);
      const second = await client.list({ pageSize: 3, pageNumber: 2 });
      assert.deepStrictEqual(
        [second.current_page, second.page_size, second.items.map((c) => c.identifier)],
        [2, 3, [R]],
      );
      const filtered = await client.list({ sourceCodeSystem: 'icd10cm', sourceCode: 'E11.42' });
      assert.deepStrictEqual(
        filtered.items.map((c) => c.identifier),
        [D],
      );
      assert.deepStrictEqual(
        (await client.list({ sourceCodeSystem: 'cvx' })).items.map((c) => c.identifier),
        [V],
      );
      const e = await expectApiError(client.list({ sourceCodeSystem: 'bogus' }), 'badRequest');
      assert.match(e.serverMessage ?? '', /unknown code system slug "bogus"/);
    });

    it('get, versions and version', async () => {
      const c = await client.get(D);
      assert.deepStrictEqual([c.identifier, c.name, c.version], [D, S.diabetes.name, 3]);
      assert.match(c.updatedAt ?? '', /Z$/);
      const versions = await client.versions(D);
      assert.deepStrictEqual(
        [versions.total, versions.items.map((v) => [v.version, v.status])],
        [
          3,
          [
            [1, 'published'],
            [2, 'published'],
            [3, 'published'],
          ],
        ],
      );
      const paged = await client.versions(D, { pageSize: 2, pageNumber: 2 });
      assert.deepStrictEqual(
        [paged.current_page, paged.page_size, paged.items.map((v) => v.version)],
        [2, 2, [3]],
      );
      const draft = await client.version(R, 2);
      assert.deepStrictEqual(
        [draft.version, draft.status, draft.name],
        [2, 'draft', S.respiratoryDraft.name],
      );
    });

    it('mappings: 10 a page whatever pageSize asks, so paging follows the size answered', async () => {
      const first = await client.mappings(V, 1, { pageSize: 100 });
      assert.deepStrictEqual([first.total, first.page_size, first.items.length], [12, 10, 10]);
      const all = await allMappings(V, 1);
      assert.strictEqual(all.length, 12);
      assert.strictEqual(new Set(all.map((m) => m.sourceCode)).size, 12);
      const hepB = all.find((m) => m.sourceCode === '08')!;
      assert.deepStrictEqual(
        [hepB.sourceCodeSystem, hepB.targetCodeSystem, hepB.sourceDisplay],
        ['cvx', 'hcpcs', 'hepatitis B vaccine, pediatric or pediatric/adolescent dosage'],
      );
      assert.deepStrictEqual(hepB.targets[0].customAttributes, [{ key: 'Type', value: 'Administration' }]);
      assert.match(hepB.targets[0].identifier ?? '', /^[0-9a-f-]{36}$/);
      // the big one: a few pages of the conversion crosswalk
      const conversions = await client.mappings(S.conversions.identifier, 1, { pageNumber: 3 });
      assert.deepStrictEqual(
        [conversions.total, conversions.current_page, conversions.items.length],
        [2171, 3, 10],
      );
    });

    it('mappings with retryRateLimit: false: a 429 rejects at once with its retry-after; by default it is waited out', async () => {
      const path = mappingsPath(V, 1);
      sb.faults.add({ type: 'rateLimit', path, retryAfterSeconds: 1, times: 1 });
      const e = await expectApiError(
        client.mappings(V, 1, { pageNumber: 2 }, undefined, { retryRateLimit: false }),
        'rateLimited',
      );
      assert.strictEqual(e.retryAfterMs, 1000);
      assert.strictEqual(sb.count('GET', path), 1);

      sb.faults.add({ type: 'rateLimit', path, retryAfterSeconds: 0, times: 1 });
      const page = await client.mappings(V, 1, { pageNumber: 2 });
      assert.strictEqual(page.items.length, 2);
      assert.deepStrictEqual(
        sb.requests.filter((r) => r.path === path).map((r) => r.status),
        [429, 429, 200],
      );
    });

    it('unknown crosswalk, version or archived crosswalk → notFound', async () => {
      await expectApiError(client.get('00000000-0000-4000-8000-000000000000'), 'notFound');
      await expectApiError(client.version(D, 9), 'notFound');
      await expectApiError(client.mappings('no such/id', 1), 'notFound');
      await client.archive(V);
      const e = await expectApiError(client.get(V), 'notFound');
      assert.strictEqual(e.status, 404);
      assert.ok(e.traceId);
    });

    it('a malformed or wrongly shaped answer → invalidResponse', async () => {
      sb.faults.add({ type: 'malformed', method: 'GET', path: `${CROSSWALKS_PATH}/${D}`, times: 1 });
      await expectApiError(client.get(D), 'invalidResponse');
      sb.faults.add({
        type: 'malformed',
        method: 'GET',
        path: mappingsPath(D, 3),
        raw: JSON.stringify({ total: 1, currentPage: 1, pageSize: 10, mappings: [{ sourceCode: 'E11.9' }] }),
        times: 1,
      });
      const e = await expectApiError(client.mappings(D, 3), 'invalidResponse');
      assert.match(e.message, /mappings\[0\]\.sourceCodeSystem/);
      sb.faults.add({
        type: 'malformed',
        variant: 'wrongShape',
        method: 'GET',
        path: CROSSWALKS_PATH,
        times: 1,
      });
      await expectApiError(client.list({}), 'invalidResponse');
    });

    it('keeps unknown fields and reads null optional fields as absent', async () => {
      sb.faults.add({
        type: 'malformed',
        method: 'GET',
        path: `${CROSSWALKS_PATH}/${D}`,
        raw: JSON.stringify({
          identifier: D,
          name: 'n',
          version: 2,
          description: null,
          customAttributes: [{ key: 'k', value: null }],
          organizationId: 'org-1',
        }),
        times: 1,
      });
      const c = await client.get(D);
      assert.deepStrictEqual(c, {
        identifier: D,
        name: 'n',
        version: 2,
        description: undefined,
        customAttributes: [{ key: 'k', value: undefined }],
        organizationId: 'org-1',
      });
    });

    it('refuses a version or page number that is not a positive integer before any request', async () => {
      await assert.rejects(client.mappings(D, 0), RangeError);
      await assert.rejects(client.version(D, 1.5), RangeError);
      await assert.rejects(client.versions(D, { pageNumber: 0 }), RangeError);
      await assert.rejects(client.mappings(D, 1, { pageSize: -1 }), RangeError);
      assert.strictEqual(sb.requests.length, 0);
    });
  });

  describe('edits', () => {
    it('create: the crosswalk with invalidCodes ([] when none)', async () => {
      const created = await client.create({
        name: 'Client test',
        description: 'made by the client',
        customAttributes: [{ key: 'Owner', value: 'tests' }],
        mappings: [
          {
            sourceCode: 'E11.9',
            sourceCodeSystem: 'icd10cm',
            targetCodeSystem: 'hcpcs',
            targets: [{ targetCode: 'A4253' }, { targetCode: 'NOPE1' }],
          },
        ],
      });
      assert.deepStrictEqual(
        [created.name, created.version, created.description, created.invalidCodes],
        ['Client test', 1, 'made by the client', ['NOPE1']],
      );
      assert.deepStrictEqual(
        (await allMappings(created.identifier, 1)).map((m) => m.targets.map((t) => t.targetCode)),
        [['A4253']],
      );
      const clean = await client.create({ name: 'No mappings' });
      assert.deepStrictEqual(clean.invalidCodes, []);
      const e = await expectApiError(client.create({ name: '' }), 'badRequest');
      assert.strictEqual(e.serverMessage, 'Crosswalk name is required');
    });

    it('addMappings and deleteTargets: a new version each, invalidCodes surfaced', async () => {
      const added = await client.addMappings(D, 3, [
        {
          sourceCode: 'E11.8',
          sourceCodeSystem: 'icd10cm',
          targetCodeSystem: 'hcpcs',
          targets: [
            { targetCode: 'A4253', customAttributes: [{ key: 'Why', value: 'test' }] },
            { targetCode: 'Z0000' },
          ],
        },
      ]);
      assert.deepStrictEqual(added, { message: 'Target codes added successfully.', invalidCodes: ['Z0000'] });
      assert.strictEqual((await client.get(D)).version, 4);
      const e118 = (await allMappings(D, 4)).find((m) => m.sourceCode === 'E11.8')!;
      assert.deepStrictEqual(
        e118.targets.map((t) => [t.targetCode, t.customAttributes]),
        [['A4253', [{ key: 'Why', value: 'test' }]]],
      );
      const deleted = await client.deleteTargets(D, 4, [
        {
          sourceCode: 'E11.8',
          sourceCodeSystem: 'icd10cm',
          targetCodeSystem: 'hcpcs',
          targetCodes: ['A4253'],
        },
      ]);
      // the server sends no invalidCodes here: [] for the caller
      assert.deepStrictEqual(deleted, { message: 'Target codes deleted successfully.', invalidCodes: [] });
      assert.strictEqual((await client.get(D)).version, 5);
      assert.strictEqual(
        (await allMappings(D, 5)).some((m) => m.sourceCode === 'E11.8'),
        false,
      );
    });

    it('setAttributes / deleteAttributes at crosswalk level', async () => {
      assert.deepStrictEqual(await client.setAttributes(D, 3, [{ key: 'Owner', value: 'Coding' }]), {
        message: 'Custom attributes modified successfully.',
        invalidCodes: [],
      });
      assert.deepStrictEqual((await client.version(D, 4)).customAttributes?.at(-1), {
        key: 'Owner',
        value: 'Coding',
      });
      await client.deleteAttributes(D, 4, ['Owner', 'Purpose']);
      assert.deepStrictEqual((await client.get(D)).customAttributes, [{ key: 'Reviewed', value: '2025-09' }]);
    });

    it('setMappingAttributes / deleteMappingAttributes by code identifier', async () => {
      const target = (await client.mappings(V, 1)).items[0].targets[0];
      assert.strictEqual(target.targetCode, 'G0008');
      await client.setMappingAttributes(V, 1, target.identifier!, [{ key: 'Modifier', value: 'none' }]);
      const v2 = (await client.mappings(V, 2)).items[0].targets[0];
      assert.strictEqual(v2.identifier, target.identifier);
      assert.deepStrictEqual(v2.customAttributes, [
        { key: 'Type', value: 'Administration' },
        { key: 'Modifier', value: 'none' },
      ]);
      await client.deleteMappingAttributes(V, 2, target.identifier!, ['Type']);
      assert.deepStrictEqual((await client.mappings(V, 3)).items[0].targets[0].customAttributes, [
        { key: 'Modifier', value: 'none' },
      ]);
      await expectApiError(client.setMappingAttributes(V, 3, 'no-such-target', [{ key: 'k' }]), 'notFound');
      // identifiers are percent-encoded into the path
      await expectApiError(client.deleteMappingAttributes(V, 3, 'a/b?c', ['k']), 'notFound');
      assert.ok(sb.requests.some((r) => r.path.endsWith('/mappings/a%2Fb%3Fc/attributes')));
    });

    it('archive: the message, and the crosswalk leaves the list', async () => {
      assert.deepStrictEqual(await client.archive(R), {
        message: 'Crosswalk archived successfully.',
        invalidCodes: [],
      });
      assert.strictEqual((await client.list({})).total, 3);
    });

    it('a Draft latest version is recognised by isDraftVersionError', async () => {
      const e = await expectApiError(client.addMappings(R, 2, []), 'badRequest');
      assert.deepStrictEqual([e.status, e.serverMessage], [409, DRAFT_VERSION_MESSAGE]);
      assert.strictEqual(isDraftVersionError(e), true);
      assert.strictEqual(isStaleVersionError(e), false);
      for (const p of [
        client.setAttributes(R, 2, [{ key: 'k' }]),
        client.deleteAttributes(R, 2, ['k']),
        client.deleteTargets(R, 2, []),
      ]) {
        let caught: unknown;
        await p.catch((x: unknown) => (caught = x));
        assert.strictEqual(isDraftVersionError(caught), true);
      }
      assert.strictEqual(sb.count('POST', mappingsPath(R, 2)), 1); // a 409 is not retried
    });

    it('a version that is not the latest is recognised by isStaleVersionError', async () => {
      const e = await expectApiError(client.setAttributes(D, 2, [{ key: 'k' }]), 'badRequest');
      assert.strictEqual(e.status, 409);
      assert.match(e.serverMessage ?? '', /the latest version is 3/);
      assert.strictEqual(isStaleVersionError(e), true);
      assert.strictEqual(isDraftVersionError(e), false);
      // draft v2 of R, asked with v1: stale, not draft
      const older = await expectApiError(client.addMappings(R, 1, []), 'badRequest');
      assert.deepStrictEqual([isStaleVersionError(older), isDraftVersionError(older)], [true, false]);
    });

    it('the helpers say false for anything else', async () => {
      const notFound = await expectApiError(client.get('nope'), 'notFound');
      const bad = await expectApiError(client.create({ name: 'x'.repeat(501) }), 'badRequest');
      for (const e of [notFound, bad, new Error('draft'), 'draft', undefined]) {
        assert.strictEqual(isDraftVersionError(e), false);
        assert.strictEqual(isStaleVersionError(e), false);
      }
      const server = new ApiError({
        kind: 'server',
        message: 'x',
        service: 'IMO',
        status: 500,
        serverMessage: 'Draft',
      });
      assert.strictEqual(isDraftVersionError(server), false);
    });

    it('a 429 on an edit is retried (Retry-After honoured) and applied once', async () => {
      sb.faults.add({
        type: 'rateLimit',
        method: 'POST',
        path: mappingsPath(D, 3),
        retryAfterSeconds: 0,
        times: 2,
      });
      await client.addMappings(D, 3, [
        {
          sourceCode: 'E11.8',
          sourceCodeSystem: 'icd10cm',
          targetCodeSystem: 'hcpcs',
          targets: [{ targetCode: 'A4253' }],
        },
      ]);
      assert.deepStrictEqual(
        sb.requests.filter((r) => r.path === mappingsPath(D, 3)).map((r) => r.status),
        [429, 429, 200],
      );
      assert.strictEqual(await stored(D), 4);
    });

    it("a 429 from the sandbox's own limiter on an edit is waited out and applied once", async function () {
      this.timeout(10_000);
      await client.get(D); // takes the token fetch out of the way
      sb.crosswalks.configure({ requestsPerSecond: 1 });
      await client.get(D); // empties the bucket
      await client.setAttributes(D, 3, [{ key: 'k', value: 'v' }]);
      const posts = sb.requests.filter((r) => r.method === 'PATCH');
      assert.deepStrictEqual(
        posts.map((r) => r.status),
        [429, 200],
      );
      assert.ok(posts[1].at - posts[0].at >= 900, `waited ${posts[1].at - posts[0].at} ms`);
      assert.strictEqual(await stored(D), 4);
    });

    it('a 503 or a cut connection on an edit is not retried (it may have been applied)', async () => {
      sb.faults.add({ type: 'status', method: 'POST', path: mappingsPath(D, 3), status: 503, times: 1 });
      const e = await expectApiError(
        client.addMappings(D, 3, [
          {
            sourceCode: 'E11.8',
            sourceCodeSystem: 'icd10cm',
            targetCodeSystem: 'hcpcs',
            targets: [{ targetCode: 'A4253' }],
          },
        ]),
        'server',
      );
      assert.strictEqual(e.status, 503);
      assert.strictEqual(sb.count('POST', mappingsPath(D, 3)), 1);
      sb.faults.add({ type: 'cut', method: 'DELETE', path: `${CROSSWALKS_PATH}/${V}`, times: 1 });
      await expectApiError(client.archive(V), 'network');
      assert.strictEqual(sb.count('DELETE', `${CROSSWALKS_PATH}/${V}`), 1);
      assert.strictEqual(await stored(D), 3);
      // a GET is retried as usual
      sb.faults.add({
        type: 'status',
        method: 'GET',
        path: `${CROSSWALKS_PATH}/${D}`,
        status: 503,
        times: 1,
      });
      await client.get(D);
      assert.strictEqual(sb.count('GET', `${CROSSWALKS_PATH}/${D}`), 2);
    });

    it('logs the path with placeholders, never identifiers or bodies', async () => {
      sb.faults.add({
        type: 'status',
        method: 'GET',
        path: `${CROSSWALKS_PATH}/${D}`,
        status: 503,
        times: 1,
      });
      await client.get(D);
      const target = (await client.mappings(D, 3)).items[0].targets[0].identifier!;
      await client.setMappingAttributes(D, 3, target, [{ key: 'Secret-ish', value: 'attribute value' }]);
      const lines = log.lines.join('\n');
      assert.match(lines, /IMO GET \/crosswalks\/\{identifier\} -> 503/);
      assert.match(
        lines,
        /IMO PATCH \/crosswalks\/\{identifier\}\/versions\/\{version\}\/mappings\/\{codeIdentifier\}\/attributes -> 200/,
      );
      for (const leak of [D, target, 'attribute value', 'Secret-ish'])
        assert.ok(!lines.includes(leak), `log leaked ${leak}`);
    });
  });
});
