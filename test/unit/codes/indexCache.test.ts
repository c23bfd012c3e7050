import * as assert from 'assert';
import { CodeIndex } from '../../../src/core/codes/codeIndex';
import type { CodeInfo } from '../../../src/core/codes/codeIndex';
import {
  cacheKeyOf,
  deserializeIndex,
  INDEX_CACHE_FORMAT,
  joinCacheText,
  serializeIndex,
  splitCacheText,
} from '../../../src/core/codes/indexCache';
import type { CodeEntry, LoadResult } from '../../../src/core/codes/loaders/types';
import type { CodeSystem } from '../../../src/core/codes/systems';

const SEP = '\u001e';

function result(
  system: string,
  releaseId: string,
  entries: CodeEntry[],
  extra: Partial<LoadResult> = {},
): LoadResult {
  return {
    system,
    release: { id: releaseId, label: releaseId },
    entries,
    counts: { lines: entries.length, entries: entries.length, skipped: 0, rejected: 0 },
    rejected: [],
    ...extra,
  };
}

const flags = { approximate: false, noMap: false, combination: false, scenario: 0, choiceList: 0 };

function sampleIndex(): CodeIndex {
  const index = new CodeIndex();
  index.add(
    result('icd10cm', 'icd10cm-FY2025', [
      { code: 'G35', title: 'Multiple sclerosis', short: 'Multiple sclerosis', billable: true },
      { code: 'M54', title: 'Dorsalgia', short: 'Dorsalgia', billable: false },
      { code: 'M545', title: 'Low back pain', short: 'Low back pain', billable: false },
      { code: 'M5450', title: 'Low back pain, unspecified', short: 'Low back pain, unsp', billable: true },
    ]),
    { source: 'bundled' },
  );
  index.add(
    result('icd10cm', 'icd10cm-FY2026', [
      { code: 'G35', title: 'Multiple sclerosis', short: 'Multiple sclerosis', billable: false },
      { code: 'G35A', title: 'Relapsing-remitting multiple sclerosis', short: 'RRMS', billable: true },
      { code: 'M54', title: 'Dorsalgia', short: 'Dorsalgia', billable: false },
      { code: 'M545', title: 'Low back pain', short: 'Low back pain', billable: false },
      { code: 'M5450', title: 'Low back pain, unspecified', billable: true },
    ]),
    { source: 'icd10cm-order-2026.txt' },
  );
  index.add(
    result('icd10cm', 'icd10cm-FY2026', [], {
      changes: [
        { action: 'deleted', code: 'G35', title: 'Multiple sclerosis', billable: true, line: 1 },
        { action: 'added', code: 'G35', title: 'Multiple sclerosis', billable: false, line: 2 },
        {
          action: 'revised',
          code: 'M5450',
          title: 'Low back pain, unspecified',
          previousTitle: 'Low back pain',
          line: 4,
        },
      ],
      conversions: [
        { code: 'G35A', effective: 'FY2026', previous: ['G35'], line: 3 },
        { code: 'M5450', effective: 'FY2022', previous: ['M545'], line: 4 },
      ],
    }),
    { source: 'bundled' },
  );
  index.add(
    result('icd9cm-dx', 'icd9cm-dx-v32', [
      { code: '340', title: 'Multiple sclerosis', short: 'Multiple sclerosis', billable: true },
      { code: '7242', title: 'Lumbago', short: 'Lumbago', billable: true },
    ]),
    { source: 'bundled' },
  );
  index.add(
    result('icd9cm-dx', 'gem-i9-i10-FY2018', [], {
      mappings: [
        { source: '340', targets: [{ code: 'G35', ...flags, approximate: true }], noMap: false },
        {
          source: '7242',
          targets: [{ code: 'M545', ...flags, combination: true, scenario: 1 }],
          noMap: false,
        },
        { source: '7999', targets: [], noMap: true },
      ],
    }),
    { source: 'bundled' },
  );
  index.add(
    result('hcpcs', 'hcpcs-2020', [
      {
        code: 'G0439',
        title: 'Annual wellness visit, subsequent',
        short: 'Ppps, subseq visit',
        validFrom: '2011-01-01',
      },
      { code: 'G0001', title: 'Routine venipuncture', validFrom: '1998-01-01', validTo: '2012-12-31' },
      { code: 'AA', title: 'Anesthesia services performed personally by anesthesiologist', kind: 'modifier' },
    ]),
    { source: 'bundled' },
  );
  index.add(
    result('cvx', 'cvx-2020-11-16', [
      { code: '207', title: 'SARS-COV-2 (COVID-19) vaccine, mRNA', status: 'Active' },
      { code: '54', title: 'adenovirus vaccine, type 4', status: 'Inactive' },
    ]),
    { source: 'bundled' },
  );
  return index;
}

const PROBES: [CodeSystem, string][] = [
  ['icd10cm', 'G35'],
  ['icd10cm', 'G35.A'],
  ['icd10cm', 'M54.5'],
  ['icd10cm', 'M54.50'],
  ['icd10cm', 'X99'],
  ['icd9cm-dx', '340'],
  ['icd9cm-dx', '724.2'],
  ['icd9cm-dx', '799.9'],
  ['hcpcs', 'G0439'],
  ['hcpcs', 'G0001'],
  ['hcpcs', 'AA'],
  ['cvx', '207'],
  ['cvx', '54'],
];

function lookups(index: CodeIndex): (CodeInfo | undefined)[] {
  return PROBES.map(([system, code]) => index.lookup(system, code));
}

describe('indexCache: serialize / deserialize', () => {
  it('round-trips tables, flags, status, validity, changes, conversions and mappings', () => {
    const index = sampleIndex();
    const text = serializeIndex(index, 'key-1');
    const { index: back, key } = deserializeIndex(text);
    assert.strictEqual(key, 'key-1');
    assert.deepStrictEqual(back.releases(), index.releases());
    assert.deepStrictEqual(lookups(back), lookups(index));
    assert.strictEqual(back.size, index.size);

    // spot checks, so the comparison above is not of two empty results
    const g35 = back.lookup('icd10cm', 'G35')!;
    assert.strictEqual(g35.billable, false);
    assert.strictEqual(g35.retiredIn?.id, 'icd10cm-FY2026');
    assert.deepStrictEqual(
      g35.changes.map((c) => c.action),
      ['deleted', 'added'],
    );
    assert.deepStrictEqual(
      g35.successors.map((s) => s.display),
      ['G35.A'],
    );
    assert.deepStrictEqual(
      back.lookup('icd10cm', 'M54.50')!.predecessors.map((p) => [p.display, p.effective]),
      [['M54.5', 'FY2022']],
    );
    assert.strictEqual(back.lookup('icd10cm', 'M54.50')!.changes[0]?.previousTitle, 'Low back pain');
    assert.strictEqual(back.lookup('icd10cm', 'M54.50')!.short, undefined);
    assert.strictEqual(back.lookup('icd10cm', 'G35.A')!.short, 'RRMS');
    const aa = back.lookup('hcpcs', 'AA')!;
    assert.strictEqual(aa.kind, 'modifier');
    assert.strictEqual(aa.billable, undefined);
    assert.strictEqual(back.lookup('hcpcs', 'G0001')!.validTo, '2012-12-31');
    assert.strictEqual(back.lookup('hcpcs', 'G0439')!.validFrom, '2011-01-01');
    assert.strictEqual(back.lookup('cvx', '54')!.status, 'Inactive');
    const cw = back.lookup('icd9cm-dx', '724.2')!.crosswalks;
    assert.deepStrictEqual(
      cw.map((c) => [c.label, c.targets.map((t) => [t.display, t.title, t.approximate, t.combination])]),
      [['GEM ICD-9-CM (diagnoses) → ICD-10-CM (2018)', [['M54.5', 'Low back pain', false, true]]]],
    );
    assert.strictEqual(back.lookup('icd9cm-dx', '799.9'), undefined);

    // the active choice is not part of the cache; choosing works on the loaded index
    assert.strictEqual(back.activeRelease('icd10cm')?.id, 'icd10cm-FY2026');
    assert.ok(back.setActive('icd10cm', 'icd10cm-FY2025'));
    assert.strictEqual(back.lookup('icd10cm', 'G35')!.billable, true);
  });

  it('a reloaded index serializes to the same text', () => {
    const text = serializeIndex(sampleIndex(), 'k');
    assert.strictEqual(serializeIndex(deserializeIndex(text).index, 'k'), text);
  });

  it('an empty index round-trips', () => {
    const { index, key } = deserializeIndex(serializeIndex(new CodeIndex(), ''));
    assert.strictEqual(key, '');
    assert.deepStrictEqual(index.releases(), []);
  });

  it('a title containing the separator survives, the separator turned into a space', () => {
    const index = new CodeIndex();
    index.add(
      result('icd10cm', 'icd10cm-FY2026', [
        { code: 'A00', title: `Cholera${SEP}and more`, short: `Chol${SEP}era`, billable: false },
        { code: 'A000', title: 'Cholera due to Vibrio cholerae 01, biovar cholerae', billable: true },
      ]),
      { source: 'test' },
    );
    const back = deserializeIndex(serializeIndex(index, 'k')).index;
    assert.strictEqual(back.lookup('icd10cm', 'A00')!.title, 'Cholera and more');
    assert.strictEqual(back.lookup('icd10cm', 'A00')!.short, 'Chol era');
    assert.strictEqual(
      back.lookup('icd10cm', 'A00.0')!.title,
      'Cholera due to Vibrio cholerae 01, biovar cholerae',
    );
  });

  it('handles a release larger than one flags chunk (8192 rows)', () => {
    const entries: CodeEntry[] = [];
    for (let i = 0; i < 20_000; i++)
      entries.push({ code: `Z${String(i).padStart(5, '0')}`, title: `Title ${i}`, billable: i % 3 !== 0 });
    const index = new CodeIndex();
    index.add(result('icd10cm', 'icd10cm-FY2026', entries), { source: 'test' });
    const back = deserializeIndex(serializeIndex(index, 'k')).index;
    for (const i of [0, 1, 8191, 8192, 16384, 19_999]) {
      const info = back.lookup('icd10cm', `Z${String(i).padStart(5, '0')}`)!;
      assert.strictEqual(info.title, `Title ${i}`);
      assert.strictEqual(info.billable, i % 3 !== 0);
    }
  });
});

describe('indexCache: cacheKeyOf', () => {
  it('reads the key from the head of the text without parsing the rest', () => {
    const text = serializeIndex(sampleIndex(), 'abc"def\\ghi');
    assert.strictEqual(cacheKeyOf(text), 'abc"def\\ghi');
    // the rest of the document is not parsed: a cut-off cache still names its key
    assert.strictEqual(cacheKeyOf(text.slice(0, 200)), 'abc"def\\ghi');
    const hex = 'f'.repeat(64);
    assert.strictEqual(cacheKeyOf(serializeIndex(new CodeIndex(), hex)), hex);
  });

  it('returns undefined for other text', () => {
    assert.strictEqual(cacheKeyOf(''), undefined);
    assert.strictEqual(cacheKeyOf('not json'), undefined);
    assert.strictEqual(cacheKeyOf('{"key":"x"}'), undefined);
    assert.strictEqual(cacheKeyOf('{"magic":"something-else","format":1,"key":"x"}'), undefined);
    assert.strictEqual(
      cacheKeyOf(`{"magic":"clinical-coder-index","format":${INDEX_CACHE_FORMAT + 1},"key":"x","tables":[]}`),
      undefined,
    );
  });
});

describe('indexCache: refusing what is not a cache of this format', () => {
  it('throws on a wrong magic or format, and on text that is not a cache', () => {
    const { header, blocks } = splitCacheText(serializeIndex(sampleIndex(), 'k'));
    assert.throws(
      () => deserializeIndex(joinCacheText({ ...header, magic: 'other' as 'clinical-coder-index' }, blocks)),
      /not an index cache/,
    );
    assert.throws(
      () => deserializeIndex(joinCacheText({ ...header, format: INDEX_CACHE_FORMAT + 1 }, blocks)),
      /not an index cache/,
    );
    assert.throws(() => deserializeIndex('{"magic":"clinical-coder-index"'));
    assert.throws(() => deserializeIndex(''));
    // a cache cut short, or with bytes after its last block
    const text = serializeIndex(sampleIndex(), 'k');
    assert.throws(() => deserializeIndex(text.slice(0, -3)), /cut short/);
    assert.throws(() => deserializeIndex(`${text}x`), /after its last block/);
  });

  it('throws on a damaged column (row count mismatch) or an unknown system', () => {
    const text = serializeIndex(sampleIndex(), 'k');
    const { header, blocks } = splitCacheText(text);
    // blocks of table 0: 0 codes, 1 titles, 2 shorts, 3 flags
    const damaged = (block: number, edit: (b: string) => string): string =>
      joinCacheText(
        header,
        blocks.map((b, i) => (i === block ? edit(b) : b)),
      );
    assert.throws(
      () => deserializeIndex(damaged(1, (b) => b.split(SEP).slice(1).join(SEP))),
      /column has 3 rows, expected 4/,
    );
    assert.throws(
      () => deserializeIndex(damaged(0, (b) => `${b}${SEP}EXTRA`)),
      /column has 5 rows, expected 4/,
    );
    assert.throws(() => deserializeIndex(damaged(3, (b) => b.slice(1))), /flags have 3 rows, expected 4/);
    assert.throws(() => deserializeIndex(damaged(3, () => '')), /flags have 0 rows, expected 4/);
    const t0 = header.tables[0]!;
    const renamed = {
      ...header,
      tables: [
        { ...t0, descriptor: { ...t0.descriptor, system: 'dsm5' as never } },
        ...header.tables.slice(1),
      ],
    };
    assert.throws(() => deserializeIndex(joinCacheText(renamed, blocks)), /unknown code system 'dsm5'/);
  });

  it('keeps characters above U+00FF through the one-byte text', () => {
    const index = new CodeIndex();
    index.add(
      {
        system: 'hcpcs',
        release: { id: 'hcpcs-2020', label: 'HCPCS 2020' },
        entries: [{ code: 'A0001', title: 'Patient’s “own” → device \u0000 x' }],
        counts: { lines: 1, entries: 1, skipped: 0, rejected: 0 },
        rejected: [],
      },
      { source: 'test' },
    );
    const text = serializeIndex(index, 'k');
    assert.ok(![...text].some((c) => c.charCodeAt(0) > 0xff), 'every character is Latin-1');
    assert.strictEqual(
      deserializeIndex(text).index.lookup('hcpcs', 'A0001')?.title,
      'Patient’s “own” → device   x',
    );
  });
});
