/**
 * Building the code index from files on disk and caching it: small synthetic release files in a
 * temporary folder (same layouts as the real ones), a cache next to them.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import type { CodeIndex } from '../../../src/core/codes/codeIndex';
import type { CodeSystem } from '../../../src/core/codes/systems';
import {
  buildIndex,
  bundledSources,
  fileSources,
  loadIndex,
  sourcesKey,
} from '../../../src/node/codeIndexLoader';
import type { IndexSource } from '../../../src/node/codeIndexLoader';

/** One row of an order file: order, code (7), flag, short title (60), long title, by position. */
function orderLine(n: number, code: string, billable: boolean, short: string, long: string): string {
  return `${String(n).padStart(5, '0')} ${code.padEnd(7)} ${billable ? 1 : 0} ${short.padEnd(60)} ${long}`;
}

const CM_ORDER =
  [
    orderLine(1, 'E11', false, 'Type 2 diabetes mellitus', 'Type 2 diabetes mellitus'),
    orderLine(
      2,
      'E119',
      true,
      'Type 2 diabetes mellitus w/o complications',
      'Type 2 diabetes mellitus without complications',
    ),
    orderLine(3, 'G35', false, 'Multiple sclerosis', 'Multiple sclerosis'),
    orderLine(
      4,
      'G35A',
      true,
      'Relapsing-remitting multiple sclerosis',
      'Relapsing-remitting multiple sclerosis',
    ),
  ].join('\r\n') + '\r\n';

const CM_CODES =
  [
    'E119    A title the order file already gives',
    'E1169   Type 2 diabetes mellitus with other specified complication',
  ].join('\r\n') + '\r\n';

const PCS_ORDER =
  [
    orderLine(
      1,
      '001',
      false,
      'Central Nervous System and Cranial Nerves, Bypass',
      'Central Nervous System and Cranial Nerves, Bypass',
    ),
    orderLine(
      2,
      '0016070',
      true,
      'Bypass Cereb Vent to Nasophar with Autol Sub, Open Approach',
      'Bypass Cerebral Ventricle to Nasopharynx with Autologous Tissue Substitute, Open Approach',
    ),
  ].join('\r\n') + '\r\n';

const ICD9_LONG = '340   Multiple sclerosis\n7242  Lumbago\n';
const ICD9_SHORT = '340   Multiple sclerosis\n7242  Lumbago short\n';
const GEM_I9 = '340   G35   00000\n7242  M545  00000\n';

let tmp: string;
let data: string;

async function write(rel: string, text: string | Uint8Array): Promise<string> {
  const p = path.join(data, rel);
  await fs.promises.mkdir(path.dirname(p), { recursive: true });
  await fs.promises.writeFile(p, text);
  return p;
}

/** A snapshot of what lookups say, for comparing two indexes. */
function snapshot(index: CodeIndex): unknown {
  const probes: [CodeSystem, string][] = [
    ['icd10cm', 'E11.9'],
    ['icd10cm', 'E11.69'],
    ['icd10cm', 'G35'],
    ['icd10cm', 'G35.A'],
    ['icd10pcs', '0016070'],
    ['icd9cm-dx', '724.2'],
    ['icd9cm-dx', '340'],
  ];
  return { releases: index.releases(), lookups: probes.map(([s, c]) => index.lookup(s, c)) };
}

describe('codeIndexLoader', function () {
  this.timeout(20_000);

  beforeEach(async () => {
    tmp = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'code-index-loader-'));
    data = path.join(tmp, 'data');
    await write('icd10cm-order-2026.txt', CM_ORDER);
    await write('ICD10CM/codes/icd10cm-codes-2026.txt', CM_CODES); // two levels deep
    await write('pcs/fy2026/icd10pcs_order_2026.txt', PCS_ORDER); // two levels deep
    await write('icd9/CMS32_DESC_LONG_DX.txt', ICD9_LONG);
    await write('icd9/CMS32_DESC_SHORT_DX.txt', ICD9_SHORT);
    await write('gems/2018_I9gem.txt', GEM_I9);
    await write('a/b/c/cvx.txt', '207       |COVID-19|SARS-COV-2 vaccine||Active|False|2020/11/16\n'); // three levels: not read
    await write('.hidden/cvx.txt', '207       |COVID-19|SARS-COV-2 vaccine||Active|False|2020/11/16\n');
    await write('README.txt', 'Release notes\n');
    await write('icd10cm/icd10OrderFiles.pdf', '%PDF-1.4\n');
  });

  afterEach(async () => {
    await fs.promises.rm(tmp, { recursive: true, force: true });
  });

  describe('fileSources', () => {
    it('finds release files up to two levels deep, in a stable order, and pairs ICD-9-CM long/short', async () => {
      const sources = await fileSources([], [data], 'folder');
      assert.deepStrictEqual(
        sources.map((s) => [path.relative(data, s.path), s.name, s.id.kind, s.origin]),
        [
          ['ICD10CM/codes/icd10cm-codes-2026.txt', 'icd10cm-codes-2026.txt', 'icd10cm-codes', 'folder'],
          ['gems/2018_I9gem.txt', '2018_I9gem.txt', 'gem-icd9-to-icd10', 'folder'],
          ['icd10cm-order-2026.txt', 'icd10cm-order-2026.txt', 'icd10cm-order', 'folder'],
          ['icd9/CMS32_DESC_LONG_DX.txt', 'CMS32_DESC_LONG_DX.txt', 'icd9cm-dx-long', 'folder'],
          ['pcs/fy2026/icd10pcs_order_2026.txt', 'icd10pcs_order_2026.txt', 'icd10pcs-order', 'folder'],
        ],
      );
      const icd9 = sources.find((s) => s.id.kind === 'icd9cm-dx-long')!;
      assert.strictEqual(icd9.companion?.path, path.join(data, 'icd9/CMS32_DESC_SHORT_DX.txt'));
      assert.strictEqual(icd9.companion?.id.kind, 'icd9cm-dx-short');
      assert.ok(sources.every((s) => path.isAbsolute(s.path) && s.sha256 === undefined));
    });

    it('takes listed files as they are, skips unreadable folders and files it does not know', async () => {
      const cvx = path.join(data, 'a/b/c/cvx.txt');
      const sources = await fileSources(
        [cvx, path.join(data, 'README.txt'), path.join(data, 'missing/cvx.txt')],
        [path.join(tmp, 'no-such-folder')],
        'download',
      );
      assert.deepStrictEqual(
        sources.map((s) => [s.path, s.id.kind, s.origin]),
        [[cvx, 'cvx', 'download']],
      );
      // a file listed and also found in a folder is there once
      const twice = await fileSources([path.join(data, 'icd10cm-order-2026.txt')], [data], 'folder');
      assert.strictEqual(twice.filter((s) => s.name === 'icd10cm-order-2026.txt').length, 1);
    });

    it('keeps an ICD-9-CM short-title file without its long-title file out of the list', async () => {
      await fs.promises.rm(path.join(data, 'icd9/CMS32_DESC_LONG_DX.txt'));
      const sources = await fileSources([], [path.join(data, 'icd9')], 'folder');
      assert.deepStrictEqual(sources, []);
    });
  });

  describe('loadIndex', () => {
    it('builds the index, writes the cache, and loads the same index from the cache next time', async () => {
      const sources = await fileSources([], [data], 'folder');
      const cacheFile = path.join(tmp, 'cache', 'code-index.json');
      const first = await loadIndex({ sources, cacheFile });
      assert.strictEqual(first.fromCache, false);
      assert.match(first.key, /^[0-9a-f]{64}$/);
      assert.deepStrictEqual(
        first.reports.map((r) => [r.name, r.release, r.error, r.counts?.rejected]),
        [
          ['icd10cm-order-2026.txt', 'icd10cm-FY2026', undefined, 0],
          ['CMS32_DESC_LONG_DX.txt', 'icd9cm-dx-v32', undefined, 0],
          ['icd10pcs_order_2026.txt', 'icd10pcs-FY2026', undefined, 0],
          ['icd10cm-codes-2026.txt', 'icd10cm-FY2026', undefined, 0],
          ['2018_I9gem.txt', 'gem-i9-i10-FY2018', undefined, 0],
        ],
      );
      assert.ok(fs.existsSync(cacheFile));
      assert.ok(fs.existsSync(`${cacheFile}.hashes.json`));
      assert.deepStrictEqual(
        first.releases.map((r) => [r.id, r.count, r.source]),
        [
          ['icd10cm-FY2026', 5, 'icd10cm-order-2026.txt'],
          ['icd9cm-dx-v32', 2, 'CMS32_DESC_LONG_DX.txt'],
          ['icd10pcs-FY2026', 2, 'icd10pcs_order_2026.txt'],
        ],
      );
      const index = first.index;
      // the codes file adds what the order file lacks; the order file's rows win
      assert.strictEqual(
        index.lookup('icd10cm', 'E11.9')?.title,
        'Type 2 diabetes mellitus without complications',
      );
      assert.strictEqual(
        index.lookup('icd10cm', 'E11.69')?.title,
        'Type 2 diabetes mellitus with other specified complication',
      );
      assert.strictEqual(index.lookup('icd9cm-dx', '724.2')?.short, 'Lumbago short');
      assert.deepStrictEqual(
        index.lookup('icd9cm-dx', '724.2')?.crosswalks[0]?.targets.map((t) => t.display),
        ['M54.5'],
      );
      assert.strictEqual(index.lookup('cvx', '207'), undefined, 'three levels deep is not searched');

      const second = await loadIndex({ sources, cacheFile });
      assert.strictEqual(second.fromCache, true);
      assert.strictEqual(second.key, first.key);
      assert.deepStrictEqual(second.reports, []);
      assert.deepStrictEqual(second.releases, first.releases);
      assert.deepStrictEqual(snapshot(second.index), snapshot(first.index));

      // asked to rebuild, it rebuilds
      const third = await loadIndex({ sources, cacheFile, rebuild: true });
      assert.strictEqual(third.fromCache, false);
      assert.strictEqual(third.key, first.key);
    });

    it('rebuilds when a source changes (same size, new mtime), and not when it is only touched', async () => {
      const sources = await fileSources([], [data], 'folder');
      const cacheFile = path.join(tmp, 'cache.json');
      const first = await loadIndex({ sources, cacheFile });
      const order = path.join(data, 'icd10cm-order-2026.txt');
      const before = await fs.promises.stat(order);

      // touched, content unchanged: the same key, from the cache
      const later = new Date(before.mtimeMs + 10_000);
      await fs.promises.utimes(order, later, later);
      const touched = await loadIndex({ sources, cacheFile });
      assert.strictEqual(touched.fromCache, true);
      assert.strictEqual(touched.key, first.key);

      // one character changed: same size, another mtime
      const changed = CM_ORDER.replace(
        'Relapsing-remitting multiple sclerosis\r\n',
        'Relapsing-remitting multiple sclerosiS\r\n',
      );
      assert.strictEqual(changed.length, CM_ORDER.length);
      assert.notStrictEqual(changed, CM_ORDER);
      await fs.promises.writeFile(order, changed);
      const evenLater = new Date(before.mtimeMs + 20_000);
      await fs.promises.utimes(order, evenLater, evenLater);
      assert.strictEqual((await fs.promises.stat(order)).size, before.size);

      const rebuilt = await loadIndex({ sources, cacheFile });
      assert.strictEqual(rebuilt.fromCache, false);
      assert.notStrictEqual(rebuilt.key, first.key);
      assert.strictEqual(
        rebuilt.index.lookup('icd10cm', 'G35.A')?.title,
        'Relapsing-remitting multiple sclerosiS',
      );

      const again = await loadIndex({ sources, cacheFile });
      assert.strictEqual(again.fromCache, true);
      assert.strictEqual(again.key, rebuilt.key);
      assert.strictEqual(
        again.index.lookup('icd10cm', 'G35.A')?.title,
        'Relapsing-remitting multiple sclerosiS',
      );
    });

    it('rebuilds a damaged cache, and one that is not a cache at all', async () => {
      const sources = await fileSources([], [data], 'folder');
      const cacheFile = path.join(tmp, 'cache.json');
      const first = await loadIndex({ sources, cacheFile });
      const text = await fs.promises.readFile(cacheFile, 'latin1');

      // cut in half: the key at its head still matches, the rest does not parse
      await fs.promises.writeFile(cacheFile, text.slice(0, Math.floor(text.length / 2)), 'latin1');
      const cut = await loadIndex({ sources, cacheFile });
      assert.strictEqual(cut.fromCache, false);
      assert.deepStrictEqual(snapshot(cut.index), snapshot(first.index));
      assert.strictEqual(await fs.promises.readFile(cacheFile, 'latin1'), text, 'the cache is written again');
      assert.strictEqual((await loadIndex({ sources, cacheFile })).fromCache, true);

      // a column damaged inside a well-formed cache: the record separator after a title becomes a
      // space, so the titles block has one row too few (same length: the blocks still line up)
      const at = text.indexOf('Type 2 diabetes mellitus\u001e');
      assert.ok(at > 0);
      const cut2 = at + 'Type 2 diabetes mellitus'.length;
      const damaged = `${text.slice(0, cut2)} ${text.slice(cut2 + 1)}`;
      await fs.promises.writeFile(cacheFile, damaged, 'latin1');
      const column = await loadIndex({ sources, cacheFile });
      assert.strictEqual(column.fromCache, false);
      assert.deepStrictEqual(snapshot(column.index), snapshot(first.index));

      for (const garbage of ['', 'garbage', '{}', '\u0000\u0001\u0002']) {
        await fs.promises.writeFile(cacheFile, garbage);
        const r = await loadIndex({ sources, cacheFile });
        assert.strictEqual(r.fromCache, false, JSON.stringify(garbage));
        assert.deepStrictEqual(snapshot(r.index), snapshot(first.index));
      }
    });

    it('works without a cache file, and when the cache cannot be written', async () => {
      const sources = await fileSources([], [data], 'folder');
      const none = await loadIndex({ sources });
      assert.strictEqual(none.fromCache, false);
      assert.strictEqual(none.index.lookup('icd10cm', 'G35')?.title, 'Multiple sclerosis');
      // the cache path is a folder: nothing can be read or written there, the index still loads
      const folder = path.join(tmp, 'cache-is-a-folder');
      await fs.promises.mkdir(folder);
      const r = await loadIndex({ sources, cacheFile: folder });
      assert.strictEqual(r.fromCache, false);
      assert.strictEqual(r.index.lookup('icd10cm', 'G35')?.title, 'Multiple sclerosis');
    });

    it('reports a garbage or unreadable source with an error and loads the rest', async () => {
      const garbage = await write('ICD-10-CM-CONVERSION-TABLE-FY2026.xlsx', 'this is not a workbook');
      const sources = await fileSources([], [data], 'folder');
      assert.ok(sources.some((s) => s.path === garbage));
      const vanished: IndexSource = {
        path: path.join(data, 'gone/icd10cm-order-2025.txt'),
        name: 'icd10cm-order-2025.txt',
        id: { kind: 'icd10cm-order' },
        origin: 'folder',
      };
      const cacheFile = path.join(tmp, 'cache.json');
      const r = await loadIndex({ sources: [...sources, vanished], cacheFile });
      assert.strictEqual(r.fromCache, false);
      const failed = r.reports.filter((x) => x.error !== undefined);
      assert.deepStrictEqual(
        failed.map((x) => x.name),
        ['icd10cm-order-2025.txt', 'ICD-10-CM-CONVERSION-TABLE-FY2026.xlsx'],
      );
      assert.match(failed[0]!.error!, /ENOENT/);
      assert.match(failed[1]!.error!, /not an \.xlsx workbook/);
      assert.ok(failed.every((x) => x.counts === undefined && x.ms >= 0));
      assert.strictEqual(r.reports.length, 7);
      assert.strictEqual(r.index.lookup('icd10cm', 'G35.A')?.title, 'Relapsing-remitting multiple sclerosis');
      assert.strictEqual(r.index.lookup('icd10pcs', '0016070')?.billable, true);
    });

    it('reports a damaged bundled file with an error and loads the rest', async () => {
      const dir = path.join(tmp, 'bundled');
      await fs.promises.mkdir(dir);
      await fs.promises.writeFile(
        path.join(dir, 'icd10cm-order-2026.txt.br'),
        zlib.brotliCompressSync(CM_ORDER),
      );
      await fs.promises.writeFile(path.join(dir, 'icd10pcs_order_2026.txt.br'), 'not brotli at all');
      const manifest = {
        files: [
          {
            name: 'icd10cm-order-2026.txt',
            path: 'icd10cm/icd10cm-order-2026.txt',
            file: 'icd10cm-order-2026.txt.br',
            sha256: 'a'.repeat(64),
          },
          {
            name: 'icd10pcs_order_2026.txt',
            path: 'icd10pcs/icd10pcs_order_2026.txt',
            file: 'icd10pcs_order_2026.txt.br',
            sha256: 'b'.repeat(64),
          },
          { name: 'manual.pdf', path: 'docs/manual.pdf', file: 'manual.pdf.br', sha256: 'c'.repeat(64) },
        ],
      };
      await fs.promises.writeFile(path.join(dir, 'sources.json'), JSON.stringify(manifest));
      const sources = await bundledSources(dir);
      assert.deepStrictEqual(
        sources.map((s) => [s.name, s.id.kind, s.origin, s.sha256, s.path]),
        [
          [
            'icd10cm-order-2026.txt',
            'icd10cm-order',
            'bundled',
            'a'.repeat(64),
            path.join(dir, 'icd10cm-order-2026.txt.br'),
          ],
          [
            'icd10pcs_order_2026.txt',
            'icd10pcs-order',
            'bundled',
            'b'.repeat(64),
            path.join(dir, 'icd10pcs_order_2026.txt.br'),
          ],
        ],
      );
      const r = await loadIndex({ sources });
      assert.deepStrictEqual(
        r.reports.map((x) => [x.name, x.error === undefined]),
        [
          ['icd10cm-order-2026.txt', true],
          ['icd10pcs_order_2026.txt', false],
        ],
      );
      assert.deepStrictEqual(
        r.releases.map((x) => [x.id, x.source]),
        [['icd10cm-FY2026', 'bundled']],
      );
      assert.strictEqual(r.index.lookup('icd10cm', 'E11.9')?.billable, true);
    });

    it('bundledSources on a folder without sources.json is empty', async () => {
      assert.deepStrictEqual(await bundledSources(data), []);
      assert.deepStrictEqual(await bundledSources(path.join(tmp, 'no-such-folder')), []);
    });
  });

  describe('sourcesKey and buildIndex', () => {
    it('the key ignores the order of the sources and follows their content and kind', async () => {
      const sources = await fileSources([], [data], 'folder');
      const a = await sourcesKey(sources);
      const b = await sourcesKey([...sources].reverse());
      assert.strictEqual(a.key, b.key);
      assert.deepStrictEqual(
        Object.keys(a.memo).sort(),
        [...sources.map((s) => s.path), path.join(data, 'icd9/CMS32_DESC_SHORT_DX.txt')].sort(),
      );
      const other = await sourcesKey(
        sources.map((s) =>
          s.id.kind === 'icd10cm-codes' ? { ...s, id: { kind: 'code-table', system: 'icd10cm' } } : s,
        ),
      );
      assert.notStrictEqual(other.key, a.key);
      // a companion's content is part of the key
      await fs.promises.writeFile(
        path.join(data, 'icd9/CMS32_DESC_SHORT_DX.txt'),
        ICD9_SHORT.replace('short', 'SHORT'),
      );
      assert.notStrictEqual((await sourcesKey(sources)).key, a.key);
    });

    it('buildIndex reads order files before codes files whatever the order given', async () => {
      const sources = await fileSources([], [data], 'folder');
      const isCodes = (x: IndexSource): boolean => x.id.kind === 'icd10cm-codes';
      const codesFirst = [...sources.filter(isCodes), ...sources.filter((x) => !isCodes(x))];
      assert.strictEqual(codesFirst[0]!.id.kind, 'icd10cm-codes');
      const { index, reports } = await buildIndex(codesFirst);
      assert.strictEqual(reports[0]!.name, 'icd10cm-order-2026.txt');
      const e119 = index.lookup('icd10cm', 'E11.9')!;
      assert.strictEqual(e119.title, 'Type 2 diabetes mellitus without complications');
      assert.strictEqual(e119.short, 'Type 2 diabetes mellitus w/o complications');
      assert.strictEqual(index.lookup('icd10cm', 'E11')?.billable, false);
    });

    it('buildIndex stops when aborted', async () => {
      const sources = await fileSources([], [data], 'folder');
      const controller = new AbortController();
      controller.abort();
      await assert.rejects(buildIndex(sources, controller.signal));
    });
  });
});
