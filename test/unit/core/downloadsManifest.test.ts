import * as assert from 'assert';
import {
  type DownloadRecord,
  emptyManifest,
  latestBy,
  parseManifest,
  recordDownload,
  removeDownload,
  serializeManifest,
} from '../../../src/core/downloadsManifest';

const SHA = 'a'.repeat(64);

function rec(over: Partial<DownloadRecord> & { effectiveDate?: string } = {}): DownloadRecord {
  const { effectiveDate, ...rest } = over;
  return {
    product: { slug: 'icd10cm', name: 'ICD-10-CM' },
    subProduct: { slug: 'icd10cm-codes', name: 'Code files' },
    version: { slug: 'fy2026', name: 'FY2026', ...(effectiveDate !== undefined ? { effectiveDate } : {}) },
    fileName: 'icd10cm-order-2026.txt',
    path: '/data/icd10cm-order-2026.txt',
    size: 12345,
    sha256: SHA,
    downloadedAt: '2025-10-02T08:00:00.000Z',
    ...rest,
  };
}

describe('core/downloadsManifest', () => {
  it('round-trips through serialize and parse', () => {
    let m = emptyManifest();
    m = recordDownload(m, rec({ effectiveDate: '2025-10-01', sourceFileId: 'f-1' }));
    m = recordDownload(m, rec({ path: '/data/b.txt', fileName: 'b.txt' }));
    const text = serializeManifest(m);
    assert.ok(text.endsWith('\n'));
    const parsed = parseManifest(text);
    assert.deepStrictEqual(parsed.problems, []);
    assert.strictEqual(parsed.fromNewerVersion, false);
    assert.deepStrictEqual(parsed.manifest, m);
    assert.strictEqual(parsed.manifest.schemaVersion, 1);
  });

  it('an empty or missing file is an empty manifest without problems', () => {
    for (const text of ['', '  \n']) {
      const r = parseManifest(text);
      assert.deepStrictEqual(r.manifest, emptyManifest());
      assert.deepStrictEqual(r.problems, []);
    }
  });

  it('a corrupt file gives an empty manifest and a problem, never a crash', () => {
    for (const text of [
      '{not json',
      '[]',
      'null',
      '42',
      '{"schemaVersion": 1}',
      '{"downloads": []}',
      '{"schemaVersion":"1","downloads":[]}',
    ]) {
      const r = parseManifest(text);
      assert.deepStrictEqual(r.manifest, emptyManifest(), text);
      assert.strictEqual(r.problems.length, 1, text);
      assert.match(r.problems[0], /downloads manifest/);
    }
  });

  it('skips invalid entries with a problem each and keeps the valid ones', () => {
    const good = rec();
    const text = JSON.stringify({
      schemaVersion: 1,
      downloads: [
        good,
        { ...rec({ path: '/x' }), size: -1 },
        { ...rec({ path: '/y' }), sha256: 'not-a-hash' },
        { ...rec({ path: '/z' }), downloadedAt: 'yesterday' },
        'garbage',
        { ...rec({ path: '/w' }), product: undefined },
      ],
    });
    const r = parseManifest(text);
    assert.deepStrictEqual(r.manifest.downloads, [good]);
    assert.strictEqual(r.problems.length, 5);
    assert.match(r.problems[0], /Entry 2 .*size/);
    assert.match(r.problems[1], /Entry 3 .*sha256/);
  });

  it('reads what it understands of a manifest from a newer version, and says so', () => {
    const text = JSON.stringify({
      schemaVersion: 2,
      downloads: [{ ...rec(), extra: { future: true } }],
      more: 1,
    });
    const r = parseManifest(text);
    assert.strictEqual(r.fromNewerVersion, true);
    assert.strictEqual(r.manifest.downloads.length, 1);
    assert.strictEqual(r.manifest.schemaVersion, 1);
    assert.match(r.problems[0], /newer version/);
  });

  it('recordDownload replaces an entry with the same path and does not mutate its input', () => {
    const m0 = recordDownload(emptyManifest(), rec({ size: 1 }));
    const m1 = recordDownload(m0, rec({ path: '/other', fileName: 'other' }));
    const m2 = recordDownload(m1, rec({ size: 2 }));
    assert.strictEqual(m0.downloads.length, 1);
    assert.strictEqual(m0.downloads[0].size, 1);
    assert.deepStrictEqual(
      m2.downloads.map((d) => [d.path, d.size]),
      [
        ['/other', 12345],
        ['/data/icd10cm-order-2026.txt', 2],
      ],
    );
  });

  it('a duplicated path in the file keeps the last entry', () => {
    const text = JSON.stringify({ schemaVersion: 1, downloads: [rec({ size: 1 }), rec({ size: 2 })] });
    const r = parseManifest(text);
    assert.deepStrictEqual(
      r.manifest.downloads.map((d) => d.size),
      [2],
    );
  });

  it('removeDownload drops the entry for a path', () => {
    const m = recordDownload(recordDownload(emptyManifest(), rec()), rec({ path: '/b' }));
    assert.deepStrictEqual(
      removeDownload(m, '/data/icd10cm-order-2026.txt').downloads.map((d) => d.path),
      ['/b'],
    );
    assert.deepStrictEqual(removeDownload(m, '/nope'), m);
  });

  it('latestBy filters by product and sub-product, newest effective date first', () => {
    let m = emptyManifest();
    m = recordDownload(m, rec({ path: '/2024', effectiveDate: '2023-10-01' }));
    m = recordDownload(m, rec({ path: '/none' }));
    m = recordDownload(m, rec({ path: '/2026', effectiveDate: '2025-10-01' }));
    m = recordDownload(m, rec({ path: '/2025', effectiveDate: '2024-10-01' }));
    m = recordDownload(
      m,
      rec({ path: '/2026-again', effectiveDate: '2025-10-01', downloadedAt: '2025-11-01T00:00:00.000Z' }),
    );
    m = recordDownload(
      m,
      rec({ path: '/pcs', product: { slug: 'icd10pcs', name: 'ICD-10-PCS' }, effectiveDate: '2030-01-01' }),
    );
    m = recordDownload(
      m,
      rec({
        path: '/addenda',
        subProduct: { slug: 'icd10cm-addenda', name: 'Addenda' },
        effectiveDate: '2029-01-01',
      }),
    );
    assert.deepStrictEqual(
      latestBy(m, 'icd10cm', 'icd10cm-codes').map((d) => d.path),
      ['/2026-again', '/2026', '/2025', '/2024', '/none'],
    );
    assert.strictEqual(latestBy(m, 'icd10cm')[0].path, '/addenda');
    assert.deepStrictEqual(latestBy(m, 'loinc'), []);
  });
});
