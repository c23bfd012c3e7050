/**
 * The code index: synthetic loader results (two ICD-10-CM releases side by side, addenda, the
 * conversion table, GEMs, HCPCS modifiers) for the rules, then the real bundled data (dist/data,
 * built from sandbox/data) for exact titles of every code and the FY2026 changes coders meet.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import {
  CodeIndex,
  codeKey,
  displayCode,
  encodeMappings,
  releaseWindow,
} from '../../../src/core/codes/codeIndex';
import type { CodeInfo } from '../../../src/core/codes/codeIndex';
import type {
  CodeChange,
  CodeConversion,
  CodeEntry,
  CodeMapping,
  LoadResult,
} from '../../../src/core/codes/loaders/types';
import { bundledSources, loadIndex } from '../../../src/node/codeIndexLoader';

const ROOT = path.resolve(__dirname, '../../..');
const DIST_DATA = path.join(ROOT, 'dist', 'data');
const DATA = path.join(ROOT, 'sandbox', 'data');

function result(
  system: string,
  releaseId: string,
  entries: CodeEntry[],
  extra: {
    changes?: CodeChange[];
    conversions?: CodeConversion[];
    mappings?: CodeMapping[];
    label?: string;
  } = {},
): LoadResult {
  const { label, ...rest } = extra;
  return {
    system,
    release: { id: releaseId, label: label ?? releaseId },
    entries,
    ...rest,
    counts: { lines: entries.length, entries: entries.length, skipped: 0, rejected: 0 },
    rejected: [],
  };
}

/** A short title that differs from the long one, as most do in the order files. */
const short = (title: string): string => title.replace(/mellitus/g, 'mell').toUpperCase();
const header = (code: string, title: string): CodeEntry => ({
  code,
  title,
  short: short(title),
  billable: false,
});
const billable = (code: string, title: string): CodeEntry => ({
  code,
  title,
  short: short(title),
  billable: true,
});

/** Rows both synthetic releases share. */
const COMMON: CodeEntry[] = [
  header('E11', 'Type 2 diabetes mellitus'),
  header('E116', 'Type 2 diabetes mellitus with other specified complications'),
  billable('E1165', 'Type 2 diabetes mellitus with hyperglycemia'),
  billable('E119', 'Type 2 diabetes mellitus without complications'),
  header('E78', 'Disorders of lipoprotein metabolism and other lipidemias'),
  header('E780', 'Pure hypercholesterolemia'),
  billable('E7800', 'Pure hypercholesterolemia, unspecified'),
  header('K50', "Crohn's disease [regional enteritis]"),
  header('K500', "Crohn's disease of small intestine"),
  header('M54', 'Dorsalgia'),
  header('M545', 'Low back pain'),
  billable('M5450', 'Low back pain, unspecified'),
  billable('M5451', 'Vertebrogenic low back pain'),
  billable('M5459', 'Other low back pain'),
];

const FY2025 = result('icd10cm', 'icd10cm-FY2025', [
  ...COMMON,
  billable('E7801', 'Familial hypercholesterolemia'),
  billable('G35', 'Multiple sclerosis'),
  billable('K5000', "Crohn's disease of small intestine without complications"),
  billable('R410', 'Disorientation, unspecified'),
]);

const FY2026 = result('icd10cm', 'icd10cm-FY2026', [
  ...COMMON,
  billable('E11A', 'Type 2 diabetes mellitus without complications in remission'),
  header('E7801', 'Familial hypercholesterolemia'),
  billable('E78010', 'Homozygous familial hypercholesterolemia [HoFH]'),
  billable('E78011', 'Heterozygous familial hypercholesterolemia [HeFH]'),
  billable('E78019', 'Familial hypercholesterolemia, unspecified'),
  header('G35', 'Multiple sclerosis'),
  billable('G35A', 'Relapsing-remitting multiple sclerosis'),
  billable('G35D', 'Multiple sclerosis, unspecified'),
  billable('K5001', "Crohn's disease of small intestine, in remission"),
  billable('R410', 'Disorientation'),
]);

const ADDENDA_2026 = result(
  'icd10cm',
  'icd10cm-FY2026',
  [
    billable('E11A', 'Type 2 diabetes mellitus without complications in remission'),
    header('G35', 'Multiple sclerosis'),
  ],
  {
    changes: [
      { action: 'added', code: 'E11A', title: FY2026.entries[14]!.title, billable: true, line: 1 },
      { action: 'deleted', code: 'G35', title: 'Multiple sclerosis', billable: true, line: 2 },
      { action: 'added', code: 'G35', title: 'Multiple sclerosis', billable: false, line: 3 },
      { action: 'deleted', code: 'K5000', title: FY2025.entries[16]!.title, billable: true, line: 4 },
      { action: 'deleted', code: 'Z9989', title: 'Other specified postprocedural states', line: 5 },
      {
        action: 'revised',
        code: 'R410',
        title: 'Disorientation',
        billable: true,
        previousTitle: 'Disorientation, unspecified',
        line: 7,
      },
    ],
  },
);

const CONVERSIONS = result('icd10cm', 'icd10cm-FY2026', [], {
  conversions: [
    { code: 'E7800', effective: 'FY2017', previous: ['E780'], line: 3 },
    { code: 'E7801', effective: 'FY2017', previous: ['E780'], line: 4 },
    { code: 'E78010', effective: 'FY2026', previous: ['E7801'], line: 5 },
    { code: 'E78011', effective: 'FY2026', previous: ['E7801'], line: 6 },
    { code: 'E78019', effective: 'FY2026', previous: ['E7801'], line: 7 },
    { code: 'E11A', effective: 'FY2026', previous: ['E119'], line: 8 },
    { code: 'G35A', effective: 'FY2026', previous: ['G35'], line: 9 },
    { code: 'G35D', effective: 'FY2026', previous: ['G35'], line: 10 },
    { code: 'K5000', effective: 'FY2020', previous: ['K500'], line: 11 },
    { code: 'K5001', effective: 'FY2026', previous: ['K5000'], line: 12 },
    { code: 'M5450', effective: 'FY2022', previous: ['M545'], line: 13 },
    { code: 'M5451', effective: 'FY2022', previous: ['M545'], line: 14 },
    { code: 'M5459', effective: 'FY2022', previous: ['M545'], line: 15 },
  ],
});

const ICD9 = result(
  'icd9cm-dx',
  'icd9cm-dx-v32',
  [billable('340', 'Multiple sclerosis'), billable('7242', 'Lumbago'), billable('7999', 'Other unknown')],
  { label: 'ICD-9-CM diagnoses v32' },
);

const flags = { approximate: false, noMap: false, combination: false, scenario: 0, choiceList: 0 };
const GEM_I9 = result('icd9cm-dx', 'gem-i9-i10-FY2018', [], {
  mappings: [
    { source: '7242', targets: [{ code: 'M545', ...flags }], noMap: false },
    {
      source: '340',
      targets: [
        { code: 'G35', ...flags, approximate: true },
        { code: 'G35A', ...flags, approximate: true, combination: true, scenario: 1, choiceList: 2 },
      ],
      noMap: false,
    },
    { source: '7999', targets: [], noMap: true },
  ],
});

const HCPCS = result('hcpcs', 'hcpcs-2020', [
  {
    code: 'G0439',
    title:
      'Annual wellness visit, includes a personalized prevention plan of service (pps), subsequent visit',
    short: 'Ppps, subseq visit',
    validFrom: '2011-01-01',
  },
  { code: 'G0001', title: 'Routine venipuncture for collection of specimen(s)', validTo: '2012-12-31' },
  { code: 'AA', title: 'Anesthesia services performed personally by anesthesiologist', kind: 'modifier' },
]);

function fullIndex(): CodeIndex {
  const index = new CodeIndex();
  for (const r of [FY2026, FY2025, ADDENDA_2026, CONVERSIONS, ICD9, GEM_I9, HCPCS])
    index.add(r, { source: 'test' });
  return index;
}

function info(index: CodeIndex, system: Parameters<CodeIndex['lookup']>[0], code: string): CodeInfo {
  const i = index.lookup(system, code);
  assert.ok(i, `${system} ${code} is known`);
  return i;
}

const codesOf = (refs: readonly { display: string }[]): string[] => refs.map((r) => r.display);

describe('codeIndex: helpers', () => {
  it('codeKey removes the dot and case; displayCode dots ICD-10-CM and ICD-9-CM only', () => {
    assert.strictEqual(codeKey(' e11.65 '), 'E1165');
    assert.strictEqual(codeKey('2345-7'), '2345-7');
    assert.strictEqual(displayCode('icd10cm', 'E1165'), 'E11.65');
    assert.strictEqual(displayCode('icd10cm', 'E11A'), 'E11.A');
    assert.strictEqual(displayCode('icd10cm', 'G35'), 'G35');
    assert.strictEqual(displayCode('icd9cm-dx', '7242'), '724.2');
    assert.strictEqual(displayCode('icd10pcs', '0016070'), '0016070');
  });

  it('releaseWindow: a fiscal year runs October to September; HCPCS is a calendar year', () => {
    assert.deepStrictEqual(releaseWindow('icd10cm', 'FY2026'), {
      validFrom: '2025-10-01',
      validTo: '2026-09-30',
    });
    assert.deepStrictEqual(releaseWindow('hcpcs', '2020'), {
      validFrom: '2020-01-01',
      validTo: '2020-12-31',
    });
    assert.deepStrictEqual(releaseWindow('icd9cm-dx', 'v32'), { validTo: '2015-09-30' });
    assert.deepStrictEqual(releaseWindow('cvx', '2020-11-16'), {});
  });

  it('encodeMappings writes one line per source with five flag digits, no-map as "-"', () => {
    assert.strictEqual(
      encodeMappings(GEM_I9.mappings!),
      ['7242\tM545 00000', '340\tG35 10000\tG35A 10112', '7999\t- 01000'].join('\n'),
    );
  });
});

describe('codeIndex: releases side by side', () => {
  it('keeps both releases, oldest first, with labels, windows and counts', () => {
    const index = fullIndex();
    assert.deepStrictEqual(
      index.releases('icd10cm').map((r) => [r.id, r.label, r.version, r.validFrom, r.validTo, r.count]),
      [
        ['icd10cm-FY2025', 'ICD-10-CM FY2025', 'FY2025', '2024-10-01', '2025-09-30', 18],
        ['icd10cm-FY2026', 'ICD-10-CM FY2026', 'FY2026', '2025-10-01', '2026-09-30', 24],
      ],
    );
    assert.deepStrictEqual(index.loadedSystems().sort(), ['hcpcs', 'icd10cm', 'icd9cm-dx']);
    assert.strictEqual(index.releases('icd9cm-dx')[0]!.label, 'ICD-9-CM diagnoses v32');
    assert.strictEqual(index.releases('icd10cm')[0]!.source, 'test');
    assert.strictEqual(index.size, 18 + 24 + 3 + 3);
  });

  it('looks codes up dotted or not, any case, with title, short title and billable flag', () => {
    const index = fullIndex();
    for (const c of ['E11.65', 'E1165', 'e11.65', ' E11.65 ']) {
      const i = info(index, 'icd10cm', c);
      assert.strictEqual(i.code, 'E1165');
      assert.strictEqual(i.display, 'E11.65');
      assert.strictEqual(i.title, 'Type 2 diabetes mellitus with hyperglycemia');
      assert.strictEqual(i.short, 'TYPE 2 DIABETES MELL WITH HYPERGLYCEMIA');
      assert.strictEqual(i.billable, true);
      assert.strictEqual(i.kind, 'code');
      assert.strictEqual(i.release.id, 'icd10cm-FY2026');
      assert.strictEqual(i.inActive, true);
      assert.deepStrictEqual(i.releases, ['icd10cm-FY2025', 'icd10cm-FY2026']);
      assert.strictEqual(i.retiredIn, undefined);
    }
    assert.strictEqual(info(index, 'icd10cm', 'E11.6').billable, false);
    assert.strictEqual(info(index, 'icd10cm', 'E11').billable, false);
    assert.strictEqual(index.lookup('icd10cm', 'E11.99'), undefined);
    assert.strictEqual(index.lookup('icd10pcs', '0016070'), undefined, 'a system with nothing loaded');
    assert.ok(
      index.has('icd10cm', 'e11.65') && index.has('icd10cm', 'K50.00') && !index.has('icd10cm', 'E1199'),
    );
    assert.ok(!index.has('cvx', '207'));
  });

  it('lists parents nearest first, from the release the code is read from', () => {
    const index = fullIndex();
    const parents = info(index, 'icd10cm', 'E11.65').parents;
    assert.deepStrictEqual(
      parents.map((p) => [p.code, p.display, p.title, p.billable]),
      [
        ['E116', 'E11.6', 'Type 2 diabetes mellitus with other specified complications', false],
        ['E11', 'E11', 'Type 2 diabetes mellitus', false],
      ],
    );
    assert.deepStrictEqual(codesOf(info(index, 'icd10cm', 'E78.010').parents), ['E78.01', 'E78.0', 'E78']);
    assert.deepStrictEqual(info(index, 'icd10cm', 'E11').parents, []);
    // a code only in the older release gets the older release's parents
    assert.deepStrictEqual(codesOf(info(index, 'icd10cm', 'K50.00').parents), ['K50.0', 'K50']);
  });

  it('only ICD codes have prefix parents: SNOMED CT ids that share digits are unrelated', () => {
    const index = new CodeIndex();
    index.add(
      result('snomedct', 'snomedct-20250101', [
        { code: '22298006', title: 'Myocardial infarction' },
        { code: '2229800', title: 'Unrelated concept' },
        { code: '222980', title: 'Another unrelated concept' },
      ]),
      { source: 'test' },
    );
    assert.deepStrictEqual(info(index, 'snomed', '22298006').parents, []);
    assert.deepStrictEqual(info(fullIndex(), 'hcpcs', 'G0439').parents, []);
  });

  it('the active release is the newest by default; setActive switches it and refuses unknown ids', () => {
    const index = fullIndex();
    assert.strictEqual(index.activeRelease('icd10cm')?.id, 'icd10cm-FY2026');
    assert.strictEqual(info(index, 'icd10cm', 'R41.0').title, 'Disorientation');
    assert.strictEqual(index.activeRow('icd10cm', 'R41.0')?.table.descriptor.id, 'icd10cm-FY2026');

    assert.strictEqual(index.setActive('icd10cm', 'icd10cm-FY2025'), true);
    assert.strictEqual(index.activeRelease('icd10cm')?.id, 'icd10cm-FY2025');
    const r410 = info(index, 'icd10cm', 'R410');
    assert.strictEqual(r410.title, 'Disorientation, unspecified');
    assert.strictEqual(r410.release.id, 'icd10cm-FY2025');
    assert.strictEqual(r410.active?.id, 'icd10cm-FY2025');
    // G35 is billable in FY2025
    const g35 = info(index, 'icd10cm', 'G35');
    assert.strictEqual(g35.billable, true);
    assert.strictEqual(g35.retiredIn, undefined);

    for (const bad of ['icd10cm-FY2024', 'hcpcs-2020', 'icd10cm-FY2026x']) {
      assert.strictEqual(index.setActive('icd10cm', bad), false, bad);
      assert.strictEqual(index.activeRelease('icd10cm')?.id, 'icd10cm-FY2025', 'choice unchanged');
    }
    assert.strictEqual(index.setActive('icd10cm', undefined), true);
    assert.strictEqual(index.activeRelease('icd10cm')?.id, 'icd10cm-FY2026');
    assert.strictEqual(index.activeRelease('icd10pcs'), undefined);
  });

  it('a code only in the newer release is found there, and is not retired in an older active release', () => {
    const index = fullIndex();
    index.setActive('icd10cm', 'icd10cm-FY2025');
    const e11a = info(index, 'icd10cm', 'E11.A');
    assert.strictEqual(e11a.inActive, false);
    assert.strictEqual(e11a.release.id, 'icd10cm-FY2026');
    assert.strictEqual(e11a.title, 'Type 2 diabetes mellitus without complications in remission');
    assert.strictEqual(e11a.retiredIn, undefined);
    assert.deepStrictEqual(e11a.releases, ['icd10cm-FY2026']);
  });

  it('releaseOn picks the release whose fiscal year covers the date (October to September)', () => {
    const index = fullIndex();
    const on = (date: string): string | undefined => index.releaseOn('icd10cm', date)?.id;
    assert.strictEqual(on('2024-09-30'), undefined);
    assert.strictEqual(on('2024-10-01'), 'icd10cm-FY2025');
    assert.strictEqual(on('2025-09-30'), 'icd10cm-FY2025');
    assert.strictEqual(on('2025-10-01'), 'icd10cm-FY2026');
    assert.strictEqual(on('2026-09-30'), 'icd10cm-FY2026');
    assert.strictEqual(on('2026-10-01'), undefined);
    assert.strictEqual(index.releaseOn('hcpcs', '2020-07-04')?.id, 'hcpcs-2020');
    assert.strictEqual(index.releaseOn('hcpcs', '2021-01-01'), undefined);
    assert.strictEqual(index.releaseOn('icd9cm-dx', '2014-01-01')?.id, 'icd9cm-dx-v32');
    assert.strictEqual(index.releaseOn('icd9cm-dx', '2015-10-01'), undefined);
    assert.strictEqual(index.releaseOn('cvx', '2020-01-01'), undefined);
  });

  it('rowIn and table give the raw row of one release', () => {
    const index = fullIndex();
    const r = index.rowIn('icd10cm-FY2025', 'G35');
    assert.ok(r);
    assert.strictEqual(r.table.titles.at(r.row), 'Multiple sclerosis');
    assert.strictEqual(r.table.billable(r.row), true);
    const s = index.rowIn('icd10cm-FY2026', 'g35');
    assert.ok(s);
    assert.strictEqual(s.table.billable(s.row), false);
    assert.strictEqual(index.rowIn('icd10cm-FY2026', 'K50.00'), undefined);
    assert.strictEqual(index.rowIn('icd10cm-FY2027', 'G35'), undefined);
    assert.strictEqual(index.table('icd10cm-FY2025')?.codes.length, 18);
  });
});

describe('codeIndex: changes, retirement, successors and crosswalks', () => {
  it('attaches the addenda changes of a release to its codes, with the revised title', () => {
    const index = fullIndex();
    const g35 = info(index, 'icd10cm', 'G35');
    assert.deepStrictEqual(
      g35.changes.map((c) => [c.release.id, c.action, c.title, c.billable]),
      [
        ['icd10cm-FY2026', 'deleted', 'Multiple sclerosis', true],
        ['icd10cm-FY2026', 'added', 'Multiple sclerosis', false],
      ],
    );
    const r410 = info(index, 'icd10cm', 'R41.0');
    assert.deepStrictEqual(
      r410.changes.map((c) => [c.action, c.title, c.previousTitle]),
      [['revised', 'Disorientation', 'Disorientation, unspecified']],
    );
    assert.strictEqual(r410.retiredIn, undefined);
    assert.deepStrictEqual(
      info(index, 'icd10cm', 'E11.A').changes.map((c) => c.action),
      ['added'],
    );
    assert.deepStrictEqual(info(index, 'icd10cm', 'E11.65').changes, []);
  });

  it('retiredIn: a code turned into a header (G35) and a code deleted outright (K50.00)', () => {
    const index = fullIndex();
    const g35 = info(index, 'icd10cm', 'G35');
    assert.strictEqual(g35.billable, false);
    assert.strictEqual(g35.inActive, true);
    assert.strictEqual(g35.retiredIn?.id, 'icd10cm-FY2026');
    assert.deepStrictEqual(codesOf(g35.successors), ['G35.A', 'G35.D']);

    const k = info(index, 'icd10cm', 'K50.00');
    assert.strictEqual(k.inActive, false);
    assert.strictEqual(k.release.id, 'icd10cm-FY2025');
    assert.strictEqual(k.title, "Crohn's disease of small intestine without complications");
    assert.strictEqual(k.billable, true);
    assert.strictEqual(k.retiredIn?.id, 'icd10cm-FY2026');
    assert.deepStrictEqual(
      k.successors.map((s) => [s.display, s.title, s.effective]),
      [['K50.01', "Crohn's disease of small intestine, in remission", 'FY2026']],
    );
    assert.deepStrictEqual(codesOf(k.predecessors), ['K50.0']);

    // headers that stay headers and codes that stay billable are not retired
    assert.strictEqual(info(index, 'icd10cm', 'E11').retiredIn, undefined);
    assert.strictEqual(info(index, 'icd10cm', 'M54.5').retiredIn, undefined);
  });

  it('retiredIn without addenda: the releases alone show a deletion and a turn into a header', () => {
    const index = new CodeIndex();
    index.add(FY2025, { source: 'test' });
    index.add(FY2026, { source: 'test' });
    assert.strictEqual(info(index, 'icd10cm', 'G35').retiredIn?.id, 'icd10cm-FY2026');
    assert.strictEqual(info(index, 'icd10cm', 'K5000').retiredIn?.id, 'icd10cm-FY2026');
    assert.strictEqual(info(index, 'icd10cm', 'E7801').retiredIn?.id, 'icd10cm-FY2026');
    assert.strictEqual(info(index, 'icd10cm', 'E11A').retiredIn, undefined);
    assert.strictEqual(info(index, 'icd10cm', 'E116').retiredIn, undefined);
  });

  it('retiredIn names the first release without the code, not the active one', () => {
    const index = new CodeIndex();
    index.add(result('icd10cm', 'icd10cm-FY2024', FY2025.entries), { source: 'test' });
    index.add(FY2026, { source: 'test' });
    index.add(result('icd10cm', 'icd10cm-FY2025', FY2026.entries), { source: 'test' });
    index.add(result('icd10cm', 'icd10cm-FY2026', [], { changes: ADDENDA_2026.changes! }), {
      source: 'test',
    });
    assert.strictEqual(index.activeRelease('icd10cm')?.id, 'icd10cm-FY2026');
    assert.strictEqual(info(index, 'icd10cm', 'K50.00').retiredIn?.id, 'icd10cm-FY2025');
    assert.strictEqual(info(index, 'icd10cm', 'G35').retiredIn?.id, 'icd10cm-FY2025');
  });

  it('a code known only from an addenda deletion is looked up from the deletion', () => {
    const index = fullIndex();
    const z = info(index, 'icd10cm', 'Z99.89');
    assert.strictEqual(z.title, 'Other specified postprocedural states');
    assert.strictEqual(z.release.id, 'icd10cm-FY2026');
    assert.strictEqual(z.inActive, false);
    assert.deepStrictEqual(z.releases, []);
    assert.strictEqual(z.retiredIn?.id, 'icd10cm-FY2026');
    assert.ok(!index.has('icd10cm', 'Z99.89'));
  });

  it('addenda of a release that is not loaded get a release descriptor of their own', () => {
    const index = new CodeIndex();
    index.add(FY2025, { source: 'test' });
    index.add(result('icd10cm', 'icd10cm-FY2026', [], { changes: ADDENDA_2026.changes! }), {
      source: 'test',
    });
    const [c] = info(index, 'icd10cm', 'K50.00').changes;
    assert.strictEqual(c?.release.id, 'icd10cm-FY2026');
    assert.strictEqual(c?.release.label, 'ICD-10-CM FY2026');
    assert.strictEqual(c?.release.validFrom, '2025-10-01');
    assert.deepStrictEqual(
      index.releases('icd10cm').map((r) => r.id),
      ['icd10cm-FY2025'],
    );
  });

  it('successors are transitive through codes replaced later (deleted, or now headers), newest first', () => {
    const index = fullIndex();
    // E78.0 → E78.00 (FY2017, billable) and E78.01 (FY2017, a header since FY2026) → E78.010/011/019
    assert.deepStrictEqual(
      info(index, 'icd10cm', 'E78.0').successors.map((s) => [s.display, s.effective, s.billable]),
      [
        ['E78.010', 'FY2026', true],
        ['E78.011', 'FY2026', true],
        ['E78.019', 'FY2026', true],
        ['E78.00', 'FY2017', true],
      ],
    );
    // K50.0 → K50.00 (deleted) → K50.01
    assert.deepStrictEqual(
      info(index, 'icd10cm', 'K50.0').successors.map((s) => [s.display, s.effective]),
      [['K50.01', 'FY2026']],
    );
    // M54.5 was turned into a header in FY2022
    const m545 = info(index, 'icd10cm', 'M54.5');
    assert.deepStrictEqual(
      m545.successors.map((s) => [s.display, s.title, s.effective]),
      [
        ['M54.50', 'Low back pain, unspecified', 'FY2022'],
        ['M54.51', 'Vertebrogenic low back pain', 'FY2022'],
        ['M54.59', 'Other low back pain', 'FY2022'],
      ],
    );
    // a code still billable is a successor in its own right: E11.9 → E11.A
    assert.deepStrictEqual(codesOf(info(index, 'icd10cm', 'E11.9').successors), ['E11.A']);
    assert.deepStrictEqual(info(index, 'icd10cm', 'E11.65').successors, []);
  });

  it('predecessors name the codes a code replaced, with their titles', () => {
    const index = fullIndex();
    assert.deepStrictEqual(
      info(index, 'icd10cm', 'E11.A').predecessors.map((p) => [p.display, p.title, p.effective]),
      [['E11.9', 'Type 2 diabetes mellitus without complications', 'FY2026']],
    );
    assert.deepStrictEqual(codesOf(info(index, 'icd10cm', 'E78.010').predecessors), ['E78.01']);
    assert.deepStrictEqual(info(index, 'icd10cm', 'E11').predecessors, []);
  });

  it('crosswalks give GEM targets with their titles in the active release and their flags', () => {
    const index = fullIndex();
    const lumbago = info(index, 'icd9cm-dx', '724.2');
    assert.strictEqual(lumbago.display, '724.2');
    assert.strictEqual(lumbago.title, 'Lumbago');
    assert.strictEqual(lumbago.crosswalks.length, 1);
    const [cw] = lumbago.crosswalks;
    assert.strictEqual(cw!.system, 'icd10cm');
    assert.strictEqual(cw!.label, 'GEM ICD-9-CM (diagnoses) → ICD-10-CM (2018)');
    assert.strictEqual(cw!.noMap, false);
    assert.deepStrictEqual(cw!.targets, [
      {
        system: 'icd10cm',
        code: 'M545',
        display: 'M54.5',
        title: 'Low back pain',
        billable: false,
        approximate: false,
        combination: false,
      },
    ]);
    const ms = info(index, 'icd9cm-dx', '340').crosswalks[0]!;
    assert.deepStrictEqual(
      ms.targets.map((t) => [t.display, t.title, t.billable, t.approximate, t.combination]),
      [
        ['G35', 'Multiple sclerosis', false, true, false],
        ['G35.A', 'Relapsing-remitting multiple sclerosis', true, true, true],
      ],
    );
    const none = info(index, 'icd9cm-dx', '799.9').crosswalks[0]!;
    assert.strictEqual(none.noMap, true);
    assert.deepStrictEqual(none.targets, []);
    assert.deepStrictEqual(info(index, 'icd10cm', 'M54.5').crosswalks, []);
    // mappings also load from their encoded text
    const again = new CodeIndex();
    again.add(FY2026, { source: 'test' });
    again.addMappings('icd9cm-dx', 'icd10cm', 'GEM test', encodeMappings(GEM_I9.mappings!));
    again.add(ICD9, { source: 'test' });
    assert.deepStrictEqual(info(again, 'icd9cm-dx', '340').crosswalks, [{ ...ms, label: 'GEM test' }]);
  });

  it('a target unknown to every release is listed without a title', () => {
    const index = new CodeIndex();
    index.add(ICD9, { source: 'test' });
    index.add(GEM_I9, { source: 'test' });
    const t = info(index, 'icd9cm-dx', '7242').crosswalks[0]!.targets[0]!;
    assert.deepStrictEqual(t, {
      system: 'icd10cm',
      code: 'M545',
      display: 'M54.5',
      approximate: false,
      combination: false,
    });
  });
});

describe('codeIndex: adding sources', () => {
  it('merges a codes file into the order file release of the same id, keeping the order file rows', () => {
    const index = new CodeIndex();
    index.add(FY2026, { source: 'icd10cm-order-2026.txt' });
    const codesFile = result('icd10cm', 'icd10cm-FY2026', [
      { code: 'E119', title: 'A different title', billable: true },
      { code: 'E1169', title: 'Type 2 diabetes mellitus with other specified complication', billable: true },
    ]);
    const filled = index.add(codesFile, { source: 'icd10cm-codes-2026.txt' });
    assert.strictEqual(filled?.id, 'icd10cm-FY2026');
    assert.strictEqual(filled?.count, FY2026.entries.length + 1);
    assert.strictEqual(filled?.source, 'icd10cm-order-2026.txt');
    assert.deepStrictEqual(
      index.releases('icd10cm').map((r) => r.id),
      ['icd10cm-FY2026'],
    );
    const e119 = info(index, 'icd10cm', 'E11.9');
    assert.strictEqual(e119.title, 'Type 2 diabetes mellitus without complications');
    assert.strictEqual(e119.short, 'TYPE 2 DIABETES MELL WITHOUT COMPLICATIONS');
    const e1169 = info(index, 'icd10cm', 'E11.69');
    assert.strictEqual(e1169.title, 'Type 2 diabetes mellitus with other specified complication');
    assert.strictEqual(e1169.short, undefined);
    assert.strictEqual(e1169.billable, true);
    assert.deepStrictEqual(codesOf(e1169.parents), ['E11.6', 'E11']);
    assert.strictEqual(index.activeRelease('icd10cm')?.count, FY2026.entries.length + 1);
  });

  it('keeps the active choice across a merge into the chosen release', () => {
    const index = new CodeIndex();
    index.add(FY2025, { source: 'test' });
    index.add(FY2026, { source: 'test' });
    index.setActive('icd10cm', 'icd10cm-FY2025');
    index.add(result('icd10cm', 'icd10cm-FY2025', [billable('Z000', 'General exam')]), { source: 'test' });
    assert.strictEqual(index.activeRelease('icd10cm')?.id, 'icd10cm-FY2025');
    assert.strictEqual(index.activeRelease('icd10cm')?.count, FY2025.entries.length + 1);
    assert.strictEqual(info(index, 'icd10cm', 'Z00.0').inActive, true);
  });

  it('reads HCPCS modifiers, validity dates and statuses', () => {
    const index = fullIndex();
    const aa = info(index, 'hcpcs', 'AA');
    assert.strictEqual(aa.kind, 'modifier');
    assert.strictEqual(aa.title, 'Anesthesia services performed personally by anesthesiologist');
    assert.strictEqual(aa.billable, undefined);
    const g = info(index, 'hcpcs', 'g0439');
    assert.strictEqual(g.kind, 'code');
    assert.strictEqual(g.validFrom, '2011-01-01');
    assert.strictEqual(g.validTo, undefined);
    assert.strictEqual(g.short, 'Ppps, subseq visit');
    assert.strictEqual(info(index, 'hcpcs', 'G0001').validTo, '2012-12-31');
    assert.strictEqual(index.activeRelease('hcpcs')?.label, 'HCPCS Level II 2020');

    const cvx = new CodeIndex();
    cvx.add(
      result('cvx', 'cvx-2020-11-16', [
        { code: '207', title: 'SARS-COV-2 (COVID-19) vaccine, mRNA', status: 'Active' },
        { code: '54', title: 'adenovirus vaccine, type 4, live, oral', status: 'Inactive' },
      ]),
      { source: 'test' },
    );
    assert.strictEqual(info(cvx, 'cvx', '54').status, 'Inactive');
    assert.strictEqual(info(cvx, 'cvx', '207').status, 'Active');
    assert.strictEqual(cvx.activeRelease('cvx')?.label, 'CVX 2020-11-16');
  });

  it('maps loader system ids (icd9cm-pcs, snomedct) and ignores unknown systems', () => {
    const index = new CodeIndex();
    const before = index.generation;
    assert.strictEqual(
      index.add(result('dsm5', 'dsm5-2022', [billable('F32', 'Depression')]), { source: 'test' }),
      undefined,
    );
    assert.strictEqual(index.generation, before);
    assert.deepStrictEqual(index.releases(), []);
    assert.deepStrictEqual(index.loadedSystems(), []);

    const proc = index.add(
      result('icd9cm-pcs', 'icd9cm-pcs-v32', [billable('3921', 'Caval-pulmonary artery anastomosis')], {
        label: 'ICD-9-CM procedures v32',
      }),
      { source: 'test' },
    );
    assert.strictEqual(proc?.id, 'icd9cm-proc-v32');
    assert.strictEqual(proc?.system, 'icd9cm-proc');
    assert.strictEqual(info(index, 'icd9cm-proc', '39.21').display, '39.21');
    const sct = index.add(result('snomedct', 'snomedct-20250101', [{ code: '22298006', title: 'MI' }]), {
      source: 'test',
    });
    assert.strictEqual(sct?.id, 'snomed-20250101');
    assert.strictEqual(sct?.label, 'SNOMED CT 20250101');
  });

  it('changes generation on every change of content or active release', () => {
    const index = new CodeIndex();
    const seen = [index.generation];
    const step = (what: string): void => {
      assert.ok(!seen.includes(index.generation), `${what} changes generation`);
      seen.push(index.generation);
    };
    index.add(FY2025, { source: 'test' });
    step('add');
    index.add(FY2026, { source: 'test' });
    step('a second release');
    index.add(ADDENDA_2026, { source: 'test' });
    step('addenda');
    index.add(CONVERSIONS, { source: 'test' });
    step('conversions');
    index.add(GEM_I9, { source: 'test' });
    step('mappings');
    index.setActive('icd10cm', 'icd10cm-FY2025');
    step('setActive');
    index.setActive('icd10cm', undefined);
    step('setActive(undefined)');
    const g = index.generation;
    index.setActive('icd10cm', 'icd10cm-FY1999');
    assert.strictEqual(index.generation, g, 'a refused setActive changes nothing');
    index.lookup('icd10cm', 'G35');
    assert.strictEqual(index.generation, g, 'lookups change nothing');
  });
});

/** Long titles of an order file by fixed-width slices: code = columns 7-13, long title from column 78. */
function orderFile(rel: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of fs.readFileSync(path.join(DATA, rel), 'latin1').split(/\r?\n/)) {
    if (line.length === 0) continue;
    out.set(line.slice(6, 13).trim(), line.slice(77).trim());
  }
  return out;
}

/** HCPCS long descriptions: record 3 (7 for modifiers) and its 4 (8) continuations, joined with one space. */
function hcpcsFile(): { codes: Map<string, string>; modifiers: Map<string, string> } {
  const codes = new Map<string, string[]>();
  const modifiers = new Map<string, string[]>();
  let current: string[] | undefined;
  const text = fs.readFileSync(path.join(DATA, 'hcpcs/HCPC2020_ANWEB_w_disclaimer.txt'), 'latin1');
  for (const line of text.split('\r\n')) {
    if (!/^.{5}[0-9]{5}[3478]/.test(line)) continue;
    const segment = line.slice(11, 91).trim();
    const id = line[10];
    if (id === '3' || id === '7') {
      current = [];
      (id === '3' ? codes : modifiers).set(line.slice(0, 5).trim(), current);
    }
    if (segment) current!.push(segment);
  }
  const join = (m: Map<string, string[]>): Map<string, string> =>
    new Map([...m].map(([code, segments]) => [code, segments.join(' ')]));
  return { codes: join(codes), modifiers: join(modifiers) };
}

describe('codeIndex: the real bundled data (dist/data)', function () {
  this.timeout(60_000);
  let index: CodeIndex;

  before(async () => {
    if (!fs.existsSync(path.join(DIST_DATA, 'sources.json')))
      execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-data.mjs')], { stdio: 'ignore' });
    const loaded = await loadIndex({ sources: await bundledSources(DIST_DATA) });
    assert.deepStrictEqual(
      loaded.reports.filter((r) => r.error),
      [],
    );
    index = loaded.index;
  });

  it('has the bundled releases', () => {
    assert.deepStrictEqual(
      index.releases().map((r) => [r.id, r.count]),
      [
        ['icd10cm-FY2026', 98186],
        ['icd10pcs-FY2026', 80029],
        ['hcpcs-2020', 7079],
        ['cvx-2020-11-16', 209],
        ['icd9cm-dx-v32', 14567],
        ['icd9cm-proc-v32', 3882],
      ],
    );
  });

  it('resolves every ICD-10-CM FY2026 order-file code, dotted and undotted, to its exact long title', () => {
    const titles = orderFile('icd10cm/icd10cm-order-2026.txt');
    assert.strictEqual(titles.size, 98186);
    const wrong: string[] = [];
    for (const [code, title] of titles) {
      const dotted = code.length > 3 ? `${code.slice(0, 3)}.${code.slice(3)}` : code;
      for (const form of [code, dotted]) {
        const row = index.activeRow('icd10cm', form);
        if (!row || row.table.titles.at(row.row) !== title) wrong.push(form);
      }
      if (wrong.length > 20) break;
    }
    assert.deepStrictEqual(wrong, []);
    // and through the full lookup, for a spread of codes
    let n = 0;
    for (const [code, title] of titles) {
      if (n++ % 97 !== 0) continue;
      const dotted = code.length > 3 ? `${code.slice(0, 3)}.${code.slice(3)}` : code;
      assert.strictEqual(index.lookup('icd10cm', dotted)?.title, title, dotted);
      assert.strictEqual(index.lookup('icd10cm', code)?.display, dotted, code);
    }
  });

  it('resolves every ICD-10-PCS FY2026 code to its exact long title', () => {
    const titles = orderFile('icd10pcs/icd10pcs_order_2026.txt');
    assert.strictEqual(titles.size, 80029);
    const wrong: string[] = [];
    for (const [code, title] of titles) {
      const row = index.activeRow('icd10pcs', code);
      if (!row || row.table.titles.at(row.row) !== title) wrong.push(code);
      if (wrong.length > 20) break;
    }
    assert.deepStrictEqual(wrong, []);
    assert.strictEqual(
      index.lookup('icd10pcs', '0016070')?.title,
      'Bypass Cerebral Ventricle to Nasopharynx with Autologous Tissue Substitute, Open Approach',
    );
    assert.deepStrictEqual(codesOf(index.lookup('icd10pcs', '0016070')!.parents), ['001']);
  });

  it('resolves every HCPCS 2020 code and modifier to its joined long description', () => {
    const { codes, modifiers } = hcpcsFile();
    assert.strictEqual(codes.size, 6710);
    assert.strictEqual(modifiers.size, 369);
    const wrong: string[] = [];
    for (const [code, title] of codes) {
      const i = index.lookup('hcpcs', code);
      if (i?.title !== title || i.kind !== 'code') wrong.push(code);
      if (wrong.length > 20) break;
    }
    for (const [code, title] of modifiers) {
      const i = index.lookup('hcpcs', code);
      if (i?.title !== title || i.kind !== 'modifier') wrong.push(code);
      if (wrong.length > 20) break;
    }
    assert.deepStrictEqual(wrong, []);
  });

  it('G35 is a header in FY2026, retired, with successors G35.A…', () => {
    const g35 = index.lookup('icd10cm', 'G35')!;
    assert.strictEqual(g35.title, 'Multiple sclerosis');
    assert.strictEqual(g35.billable, false);
    assert.strictEqual(g35.inActive, true);
    assert.strictEqual(g35.retiredIn?.id, 'icd10cm-FY2026');
    assert.deepStrictEqual(
      g35.changes.map((c) => [c.action, c.billable]),
      [
        ['deleted', true],
        ['added', false],
      ],
    );
    assert.deepStrictEqual(codesOf(g35.successors), [
      'G35.A',
      'G35.B0',
      'G35.B1',
      'G35.B2',
      'G35.C0',
      'G35.C1',
      'G35.C2',
      'G35.D',
    ]);
    assert.ok(g35.successors.every((s) => s.effective === 'FY2026' && s.billable === true));
    assert.strictEqual(g35.successors[0]!.title, 'Relapsing-remitting multiple sclerosis');
  });

  it('M54.5 is a header whose successors M54.50/51/59 date from FY2022', () => {
    const m = index.lookup('icd10cm', 'M54.5')!;
    assert.strictEqual(m.title, 'Low back pain');
    assert.strictEqual(m.billable, false);
    assert.deepStrictEqual(
      m.successors.map((s) => [s.display, s.effective]),
      [
        ['M54.50', 'FY2022'],
        ['M54.51', 'FY2022'],
        ['M54.59', 'FY2022'],
      ],
    );
    assert.deepStrictEqual(codesOf(m.parents), ['M54']);
    assert.strictEqual(m.retiredIn, undefined, 'no FY2025 release or FY2026 addenda says it changed');
  });

  it('E11.A was added in FY2026 and replaces E11.9', () => {
    const e = index.lookup('icd10cm', 'E11.A')!;
    assert.strictEqual(e.title, 'Type 2 diabetes mellitus without complications in remission');
    assert.strictEqual(e.billable, true);
    assert.deepStrictEqual(
      e.changes.map((c) => [c.release.id, c.action]),
      [['icd10cm-FY2026', 'added']],
    );
    assert.deepStrictEqual(
      e.predecessors.map((p) => [p.display, p.effective]),
      [['E11.9', 'FY2026']],
    );
    assert.deepStrictEqual(codesOf(e.parents), ['E11']);
  });

  it('E78.0 leads through E78.01 (a header since FY2026) to its billable successors', () => {
    assert.deepStrictEqual(codesOf(index.lookup('icd10cm', 'E78.0')!.successors), [
      'E78.010',
      'E78.011',
      'E78.019',
      'E78.00',
    ]);
  });

  it('ICD-9-CM 724.2 maps to M54.5 through the 2018 GEM', () => {
    const i = index.lookup('icd9cm-dx', '724.2')!;
    assert.strictEqual(i.title, 'Lumbago');
    assert.deepStrictEqual(
      i.crosswalks.map((c) => [c.system, c.label, c.targets.map((t) => [t.display, t.title, t.billable])]),
      [['icd10cm', 'GEM ICD-9-CM (diagnoses) → ICD-10-CM (2018)', [['M54.5', 'Low back pain', false]]]],
    );
    assert.strictEqual(index.lookup('icd9cm-dx', '7242')?.display, '724.2');
  });
});
