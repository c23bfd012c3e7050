/**
 * Source files → loaders: every real file name in sandbox/data (with the first 8 KB of its content,
 * as the loader reads it) is recognised or ignored, and loadSource runs the right loader on it.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { CodeIndex } from '../../../src/core/codes/codeIndex';
import { loadSource } from '../../../src/core/codes/loadSource';
import { icd9Companion, identifySource } from '../../../src/core/codes/sources';
import type { SourceId } from '../../../src/core/codes/sources';

const DATA = path.resolve(__dirname, '../../../sandbox/data');
const FIXTURES = path.resolve(__dirname, 'loaders/fixtures');

function head(rel: string): string {
  const bytes = fs.readFileSync(path.join(DATA, rel));
  return bytes.subarray(0, 8192).toString('latin1');
}

/** What each real file in sandbox/data is (undefined: not read by the index). */
const REAL: Record<string, SourceId | undefined> = {
  'SOURCES.md': undefined,
  'cvx/cvx.txt': { kind: 'cvx' },
  'gems/2018_I10gem.txt': { kind: 'gem-icd10-to-icd9' },
  'gems/2018_I9gem.txt': { kind: 'gem-icd9-to-icd10' },
  'hcpcs/HCPC2020_ANWEB_w_disclaimer.txt': { kind: 'hcpcs-anweb' },
  'hcpcs/HCPC2020_README.txt': undefined,
  'hcpcs/HCPCS2019_recordlayout.txt': undefined,
  'hcpcs/proc_notes_2020.txt': undefined,
  'icd10cm/ICD-10-CM-CONVERSION-TABLE-FY2026.xlsx': { kind: 'icd10cm-conversion' },
  'icd10cm/icd10cm-codes-2026.txt': { kind: 'icd10cm-codes' },
  'icd10cm/icd10cm-codes-addenda-2026.txt': { kind: 'icd10cm-codes-addenda' },
  'icd10cm/icd10cm-order-2026.txt': { kind: 'icd10cm-order' },
  'icd10cm/icd10cm-order-addenda-2026.txt': { kind: 'icd10cm-order-addenda' },
  'icd10pcs/icd10pcs_order_2026.txt': { kind: 'icd10pcs-order' },
  'icd10pcs/order_addenda_2026.txt': { kind: 'icd10pcs-order-addenda' },
  'icd9cm/CMS32_DESC_LONG_DX.txt': { kind: 'icd9cm-dx-long' },
  'icd9cm/CMS32_DESC_LONG_SG.txt': { kind: 'icd9cm-proc-long' },
  'icd9cm/CMS32_DESC_SHORT_DX.txt': { kind: 'icd9cm-dx-short' },
  'icd9cm/CMS32_DESC_SHORT_SG.txt': { kind: 'icd9cm-proc-short' },
};

function realFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(path.join(DATA, dir), { withFileTypes: true })) {
      const rel = dir ? `${dir}/${e.name}` : e.name;
      if (e.isDirectory()) walk(rel);
      else out.push(rel);
    }
  };
  walk('');
  return out.sort();
}

describe('sources: identifySource', () => {
  it('recognises every real file in sandbox/data by name and content', () => {
    assert.deepStrictEqual(realFiles(), Object.keys(REAL).sort(), 'the table above lists every file');
    for (const [rel, expected] of Object.entries(REAL)) {
      assert.deepStrictEqual(identifySource(rel, head(rel)), expected, `${rel} with its content`);
      assert.deepStrictEqual(identifySource(path.join(DATA, rel), head(rel)), expected, `${rel}, absolute`);
    }
  });

  it('recognises the real names without content, and the CMS variants of the names', () => {
    for (const [rel, expected] of Object.entries(REAL)) {
      if (rel === 'hcpcs/HCPCS2019_recordlayout.txt') continue; // by name alone it looks like a HCPCS table
      assert.deepStrictEqual(identifySource(rel), expected, rel);
    }
    assert.deepStrictEqual(identifySource('icd10cm_order_2026.txt'), { kind: 'icd10cm-order' });
    assert.deepStrictEqual(identifySource('icd10cm_codes_2026.txt'), { kind: 'icd10cm-codes' });
    assert.deepStrictEqual(identifySource('icd10cm_order_addenda_2026.txt'), {
      kind: 'icd10cm-order-addenda',
    });
    assert.deepStrictEqual(identifySource('icd10pcs_order_addenda_2026.txt'), {
      kind: 'icd10pcs-order-addenda',
    });
    assert.deepStrictEqual(identifySource('ICD10CM-ORDER-2025.TXT'), { kind: 'icd10cm-order' });
    assert.deepStrictEqual(identifySource('C:\\codes\\2018_I9gem.txt'), { kind: 'gem-icd9-to-icd10' });
    assert.deepStrictEqual(identifySource('icd-10-cm-conversion-table-fy2025.xlsx'), {
      kind: 'icd10cm-conversion',
    });
    assert.deepStrictEqual(identifySource('HCPC2024_JAN_ANWEB_v2.txt'), { kind: 'hcpcs-anweb' });
    assert.deepStrictEqual(identifySource('sct2_Description_Snapshot-en_INT_20240101.txt'), {
      kind: 'snomed-descriptions',
    });
    assert.deepStrictEqual(identifySource('sct2_Description_Full-en_US1000124_20250301.txt'), {
      kind: 'snomed-descriptions',
    });
    assert.deepStrictEqual(identifySource('LoincTable/Loinc.csv'), { kind: 'loinc-table' });
  });

  it('tells the PCS order_addenda_2026.txt from a CM addenda file of the same name, by content and by path', () => {
    const pcs = head('icd10pcs/order_addenda_2026.txt');
    const cm = head('icd10cm/icd10cm-order-addenda-2026.txt');
    assert.deepStrictEqual(identifySource('order_addenda_2026.txt', pcs), { kind: 'icd10pcs-order-addenda' });
    assert.deepStrictEqual(identifySource('order_addenda_2026.txt', cm), { kind: 'icd10cm-order-addenda' });
    // content wins over a folder name
    assert.deepStrictEqual(identifySource('icd10pcs/order_addenda_2026.txt', cm), {
      kind: 'icd10cm-order-addenda',
    });
    assert.deepStrictEqual(identifySource('/data/cm/order_addenda_2026.txt', pcs), {
      kind: 'icd10pcs-order-addenda',
    });
    // without content the path decides
    assert.deepStrictEqual(identifySource('icd10pcs/order_addenda_2026.txt'), {
      kind: 'icd10pcs-order-addenda',
    });
    assert.deepStrictEqual(identifySource('ICD10PCS\\order-addenda-2026.txt'), {
      kind: 'icd10pcs-order-addenda',
    });
    assert.deepStrictEqual(identifySource('icd10cm/order_addenda_2026.txt'), {
      kind: 'icd10cm-order-addenda',
    });
  });

  it('accepts user code tables named for a system or with a header naming one', () => {
    assert.deepStrictEqual(identifySource('cpt-2026.csv', 'code,description\r\n99213,Office visit\r\n'), {
      kind: 'code-table',
      system: 'cpt',
    });
    assert.deepStrictEqual(identifySource('cpt-2026.csv'), { kind: 'code-table', system: 'cpt' });
    assert.deepStrictEqual(identifySource('my-labs.csv', 'loinc_num,long_common_name\n2345-7,Glucose\n'), {
      kind: 'code-table',
      system: 'loinc',
    });
    assert.deepStrictEqual(identifySource('export.csv', '"LOINC_NUM","COMPONENT"\n'), {
      kind: 'code-table',
      system: 'loinc',
    });
    assert.deepStrictEqual(identifySource('export.tsv', 'ICD10_CODE\tDESCRIPTION\n'), {
      kind: 'code-table',
      system: 'icd10cm',
    });
    assert.deepStrictEqual(identifySource('pcs-favourites.csv', 'code;title\n'), {
      kind: 'code-table',
      system: 'icd10pcs',
    });
    assert.deepStrictEqual(identifySource('hcpcs-2021.txt', 'HCPCS|Description\n'), {
      kind: 'code-table',
      system: 'hcpcs',
    });
    // the header wins over the name
    assert.deepStrictEqual(identifySource('cpt-export.csv', 'cvx,description\n'), {
      kind: 'code-table',
      system: 'cvx',
    });
  });

  it('ignores documents, archives and tables that name no system', () => {
    for (const name of [
      'icd10OrderFiles.pdf',
      'icd10cmCodesFile.pdf',
      'icd10pcsOrderFile.pdf',
      'Dxgem_guide_2018.pdf',
      'icd10cm-Code Descriptions-2026.zip',
      'README.md',
      'README',
      'README.txt',
      'notes.csv',
      'cpt-2026.xlsx',
      'hcpcs.docx',
    ])
      assert.strictEqual(identifySource(name, 'a,b\n'), undefined, name);
    assert.strictEqual(identifySource('notes.csv', 'first,second\n1,2\n'), undefined);
    // a modifier column alone does not say HCPCS or CPT
    assert.strictEqual(identifySource('mods.csv', 'modifier,description\n25,Significant\n'), undefined);
    // a .txt named for a system but without a delimiter on its first line is a document, not a table
    assert.strictEqual(identifySource('hcpcs-layout.txt', '\r\n  CMS RIF REPORT\r\n'), undefined);
    assert.strictEqual(identifySource('cpt-notes.txt', 'These are notes about CPT codes.\n'), undefined);
  });
});

describe('sources: icd9Companion', () => {
  it('names the short-title file of a long-title file, keeping the case', () => {
    assert.strictEqual(icd9Companion('CMS32_DESC_LONG_DX.txt'), 'CMS32_DESC_SHORT_DX.txt');
    assert.strictEqual(icd9Companion('CMS32_DESC_LONG_SG.txt'), 'CMS32_DESC_SHORT_SG.txt');
    assert.strictEqual(icd9Companion('cms31_desc_long_dx.txt'), 'cms31_desc_short_dx.txt');
    assert.strictEqual(icd9Companion('icd9cm/CMS32_DESC_LONG_DX.txt'), 'icd9cm/CMS32_DESC_SHORT_DX.txt');
    // the case of the word itself decides, not other upper-case letters in the path
    assert.strictEqual(
      icd9Companion('/data/LONG/cms32_desc_long_dx.txt'),
      '/data/LONG/cms32_desc_short_dx.txt',
    );
    assert.strictEqual(
      icd9Companion('/Data/ICD9/cms32_desc_long_sg.txt'),
      '/Data/ICD9/cms32_desc_short_sg.txt',
    );
  });

  it('gives nothing for other files', () => {
    assert.strictEqual(icd9Companion('CMS32_DESC_SHORT_DX.txt'), undefined);
    assert.strictEqual(icd9Companion('CMS32_DESC_LONG_DX.pdf'), undefined);
    assert.strictEqual(icd9Companion('icd10cm-order-2026.txt'), undefined);
  });
});

describe('sources: loadSource', function () {
  this.timeout(30_000);

  const load = (rel: string, companion?: string): ReturnType<typeof loadSource> => {
    const bytes = fs.readFileSync(path.join(DATA, rel));
    const id = identifySource(rel, bytes.subarray(0, 8192).toString('latin1'));
    assert.ok(id, rel);
    return loadSource(id, bytes, rel, companion ? fs.readFileSync(path.join(DATA, companion)) : undefined);
  };

  it('runs the right loader for every real release file', () => {
    const cases: [
      string,
      string,
      string,
      (r: NonNullable<ReturnType<typeof loadSource>>) => number,
      number,
    ][] = [
      ['icd10cm/icd10cm-order-2026.txt', 'icd10cm', 'icd10cm-FY2026', (r) => r.entries.length, 98186],
      ['icd10cm/icd10cm-codes-2026.txt', 'icd10cm', 'icd10cm-FY2026', (r) => r.entries.length, 74719],
      ['icd10cm/icd10cm-order-addenda-2026.txt', 'icd10cm', 'icd10cm-FY2026', (r) => r.changes!.length, 703],
      ['icd10cm/icd10cm-codes-addenda-2026.txt', 'icd10cm', 'icd10cm-FY2026', (r) => r.changes!.length, 553],
      [
        'icd10cm/ICD-10-CM-CONVERSION-TABLE-FY2026.xlsx',
        'icd10cm',
        'icd10cm-FY2026',
        (r) => r.conversions!.length,
        5676,
      ],
      ['icd10pcs/icd10pcs_order_2026.txt', 'icd10pcs', 'icd10pcs-FY2026', (r) => r.entries.length, 80029],
      ['icd10pcs/order_addenda_2026.txt', 'icd10pcs', 'icd10pcs-FY2026', (r) => r.changes!.length, 188],
      ['hcpcs/HCPC2020_ANWEB_w_disclaimer.txt', 'hcpcs', 'hcpcs-2020', (r) => r.entries.length, 7079],
      ['cvx/cvx.txt', 'cvx', 'cvx-2020-11-16', (r) => r.entries.length, 209],
      ['icd9cm/CMS32_DESC_LONG_DX.txt', 'icd9cm-dx', 'icd9cm-dx-v32', (r) => r.entries.length, 14567],
      ['icd9cm/CMS32_DESC_LONG_SG.txt', 'icd9cm-pcs', 'icd9cm-pcs-v32', (r) => r.entries.length, 3882],
      ['gems/2018_I9gem.txt', 'icd9cm-dx', 'gem-i9-i10-FY2018', (r) => r.mappings!.length, 14567],
      ['gems/2018_I10gem.txt', 'icd10cm', 'gem-i10-i9-FY2018', (r) => r.mappings!.length, 71704],
    ];
    for (const [rel, system, release, measure, count] of cases) {
      const r = load(rel);
      assert.ok(r, rel);
      assert.strictEqual(r.system, system, rel);
      assert.strictEqual(r.release.id, release, rel);
      assert.strictEqual(measure(r), count, rel);
    }
  });

  it('reads an ICD-9-CM long-title file with its short-title companion; a short file alone gives nothing', () => {
    const alone = load('icd9cm/CMS32_DESC_LONG_DX.txt')!;
    assert.strictEqual(
      alone.entries.find((e) => e.code === '7242')?.short,
      undefined,
      'no short titles without the companion',
    );
    const both = load('icd9cm/CMS32_DESC_LONG_DX.txt', 'icd9cm/CMS32_DESC_SHORT_DX.txt')!;
    assert.deepStrictEqual(
      both.entries.find((e) => e.code === '7242'),
      {
        code: '7242',
        title: 'Lumbago',
        short: 'Lumbago',
        billable: true,
      },
    );
    assert.strictEqual(load('icd9cm/CMS32_DESC_SHORT_DX.txt'), undefined);
    assert.strictEqual(load('icd9cm/CMS32_DESC_SHORT_SG.txt'), undefined);
  });

  it('loads the SNOMED CT and LOINC formats', () => {
    const sct = 'sct2_Description_Snapshot-en_INT_20240101.txt';
    const s = loadSource(identifySource(sct)!, fs.readFileSync(path.join(FIXTURES, sct)), sct)!;
    assert.strictEqual(s.system, 'snomedct');
    assert.ok(s.entries.length > 0);
    const l = loadSource(
      identifySource('Loinc.csv')!,
      fs.readFileSync(path.join(FIXTURES, 'Loinc.csv')),
      'Loinc.csv',
    )!;
    assert.strictEqual(l.system, 'loinc');
    assert.ok(l.entries.length > 0);
  });

  it('loads user code tables with a release named for the file (its year when it has one)', () => {
    const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
    const cpt = loadSource(
      { kind: 'code-table', system: 'cpt' },
      bytes('code,description\r\n99213,"Office visit, established patient"\r\n99214,Office visit\r\n'),
      '/home/me/codes/CPT-2026.csv',
    )!;
    assert.strictEqual(cpt.system, 'cpt');
    assert.deepStrictEqual(cpt.release, { id: 'cpt-2026', label: 'CPT 2026' });
    assert.deepStrictEqual(cpt.entries, [
      { code: '99213', title: 'Office visit, established patient' },
      { code: '99214', title: 'Office visit' },
    ]);

    const loinc = loadSource(
      { kind: 'code-table', system: 'loinc' },
      bytes('loinc_num,long_common_name\n2345-7,Glucose [Mass/volume] in Serum or Plasma\n'),
      'my-labs.csv',
    )!;
    assert.deepStrictEqual(loinc.release, { id: 'loinc-my-labs', label: 'LOINC my-labs' });
    assert.deepStrictEqual(loinc.entries, [
      { code: '2345-7', title: 'Glucose [Mass/volume] in Serum or Plasma' },
    ]);

    const icd = loadSource(
      { kind: 'code-table', system: 'icd10cm' },
      bytes('code,description\nE11.9,Type 2 diabetes mellitus without complications\n'),
      'favourites.csv',
    )!;
    assert.strictEqual(icd.release.id, 'icd10cm-favourites');
    assert.deepStrictEqual(icd.entries, [
      { code: 'E119', title: 'Type 2 diabetes mellitus without complications' },
    ]);

    // and the index takes it as a release of its own
    const index = new CodeIndex();
    const release = index.add(cpt, { source: 'CPT-2026.csv' });
    assert.deepStrictEqual(release && [release.id, release.label, release.validFrom, release.validTo], [
      'cpt-2026',
      'CPT 2026',
      '2026-01-01',
      '2026-12-31',
    ]);
    assert.strictEqual(index.lookup('cpt', '99213')?.title, 'Office visit, established patient');
  });
});
