import * as assert from 'assert';
import { canonicalExportText, compareMappings, formatComparison } from '../../../src/core/crosswalks/compare';
import { toCsv } from '../../../src/core/crosswalks/csv';
import type { Mapping } from '../../../src/core/crosswalks/model';

const m = (
  sourceCodeSystem: string,
  sourceCode: string,
  targetCodeSystem: string,
  targets: (string | [string, Record<string, string>])[],
): Mapping => ({
  sourceCodeSystem,
  sourceCode,
  targetCodeSystem,
  targets: targets.map((t) =>
    typeof t === 'string'
      ? { targetCode: t }
      : { targetCode: t[0], customAttributes: Object.entries(t[1]).map(([key, value]) => ({ key, value })) },
  ),
});

// Version 1 and version 2 of an ICD-10-CM → ICD-10-PCS / HCPCS crosswalk.
const V1: Mapping[] = [
  m('icd10cm', 'K35.80', 'icd10pcs', ['0DTJ4ZZ', '0DTJ0ZZ']), // retargeted: 0DTJ0ZZ lost, 0DTJ8ZZ gained
  m('icd10cm', 'E11.9', 'hcpcs', [['G0108', { Note: 'DSMT' }]]), // attributes change
  m('icd10cm', 'I10', 'hcpcs', ['G8752']), // unchanged
  m('icd10cm', 'J18.9', 'icd10pcs', ['5A1935Z']), // removed
];
const V2: Mapping[] = [
  m('icd10cm', 'I10', 'hcpcs', ['G8752']),
  m('icd10cm', 'E11.9', 'hcpcs', [['G0108', { Note: 'DSMT, individual' }]]),
  m('icd10cm', 'K35.80', 'icd10pcs', ['0DTJ8ZZ', '0DTJ4ZZ']),
  m('cpt2025', '93351', 'cpt2025', ['93303', '93304']), // added
];

describe('core/crosswalks/compare', () => {
  const c = compareMappings(V1, V2);

  it('finds added and removed pairs of sources present on one side only', () => {
    assert.deepStrictEqual(c.added, [
      { sourceCodeSystem: 'cpt2025', sourceCode: '93351', targetCodeSystem: 'cpt2025', targetCode: '93303' },
      { sourceCodeSystem: 'cpt2025', sourceCode: '93351', targetCodeSystem: 'cpt2025', targetCode: '93304' },
    ]);
    assert.deepStrictEqual(c.removed, [
      {
        sourceCodeSystem: 'icd10cm',
        sourceCode: 'J18.9',
        targetCodeSystem: 'icd10pcs',
        targetCode: '5A1935Z',
      },
    ]);
  });

  it('reports a source whose targets differ once, as retargeted, not as added + removed', () => {
    assert.deepStrictEqual(c.retargeted, [
      {
        source: { sourceCodeSystem: 'icd10cm', sourceCode: 'K35.80' },
        targetSystem: 'icd10pcs',
        before: ['0DTJ0ZZ', '0DTJ4ZZ'],
        after: ['0DTJ4ZZ', '0DTJ8ZZ'],
        gained: ['0DTJ8ZZ'],
        lost: ['0DTJ0ZZ'],
      },
    ]);
    assert.ok(!c.added.some((p) => p.sourceCode === 'K35.80'));
    assert.ok(!c.removed.some((p) => p.sourceCode === 'K35.80'));
  });

  it('finds attribute changes and counts unchanged pairs', () => {
    assert.deepStrictEqual(c.attributesChanged, [
      {
        pair: {
          sourceCodeSystem: 'icd10cm',
          sourceCode: 'E11.9',
          targetCodeSystem: 'hcpcs',
          targetCode: 'G0108',
        },
        before: [{ key: 'Note', value: 'DSMT' }],
        after: [{ key: 'Note', value: 'DSMT, individual' }],
      },
    ]);
    // I10→G8752 and the kept K35.80→0DTJ4ZZ.
    assert.strictEqual(c.unchanged, 2);
  });

  it('accounts for every pair exactly once', () => {
    const k = c.counts;
    assert.deepStrictEqual(k, {
      pairsInA: 5,
      pairsInB: 6,
      added: 2,
      removed: 1,
      gained: 1,
      lost: 1,
      retargetedSources: 1,
      attributesChanged: 1,
      unchanged: 2,
    });
    const common = k.unchanged + k.attributesChanged;
    assert.strictEqual(k.pairsInA, k.removed + k.lost + common);
    assert.strictEqual(k.pairsInB, k.added + k.gained + common);
  });

  it('treats a different target system as a different source, and ignores attribute order', () => {
    const r = compareMappings(
      [m('icd10cm', 'E11.9', 'hcpcs', [['G0108', { a: '1', b: '2' }]])],
      [
        m('icd10cm', 'E11.9', 'icd10pcs', ['3E0234Z']),
        {
          ...m('icd10cm', 'E11.9', 'hcpcs', []),
          targets: [
            {
              targetCode: 'G0108',
              customAttributes: [
                { key: 'b', value: '2' },
                { key: 'a', value: '1' },
              ],
            },
          ],
        },
      ],
    );
    assert.strictEqual(r.retargeted.length, 0);
    assert.strictEqual(r.attributesChanged.length, 0);
    assert.strictEqual(r.unchanged, 1);
    assert.deepStrictEqual(
      r.added.map((p) => p.targetCode),
      ['3E0234Z'],
    );
  });

  it('finds nothing between a list and itself reordered', () => {
    const r = compareMappings(V1, [...V1].reverse());
    assert.deepStrictEqual([r.added, r.removed, r.retargeted, r.attributesChanged], [[], [], [], []]);
    assert.strictEqual(r.unchanged, 5);
    assert.match(formatComparison(r, { before: 'v1', after: 'v1' }), /No differences\./);
  });

  it('formats a markdown summary with escaped values', () => {
    const text = formatComparison(c, { before: 'Version 1', after: 'Version 2' });
    assert.match(text, /^# Version 1 → Version 2\n/);
    assert.match(text, /5 mappings before, 6 after/);
    assert.match(text, /\| Retargeted source codes \| 1 \(\+1 \/ −1 targets\) \|/);
    assert.match(
      text,
      /## Retargeted\n\n- icd10cm K35\\\.80 → icd10pcs: 0DTJ0ZZ, 0DTJ4ZZ ⇒ 0DTJ4ZZ, 0DTJ8ZZ/,
    );
    assert.match(text, /## Added\n\n- cpt2025 93351 → cpt2025 93303\n- cpt2025 93351 → cpt2025 93304/);
    assert.match(text, /## Removed\n\n- icd10cm J18\\\.9 → icd10pcs 5A1935Z/);
    assert.match(
      text,
      /## Attributes changed\n\n- icd10cm E11\\\.9 → hcpcs G0108: Note = DSMT ⇒ Note = DSMT, individual/,
    );
    assert.doesNotMatch(text, /No differences/);
  });

  it('caps long lists', () => {
    const many = Array.from({ length: 5 }, (_, i) => m('icd10cm', `A0${i}`, 'icd10cm', ['B00']));
    const text = formatComparison(compareMappings([], many), { before: 'a', after: 'b' }, 2);
    assert.match(text, /## Added\n\n- .*\n- .*\n- … and 3 more\n/);
  });

  it('gives the canonical CSV as diff text', () => {
    assert.strictEqual(canonicalExportText(V2), toCsv(V2));
    assert.strictEqual(canonicalExportText([...V2].reverse()), canonicalExportText(V2));
  });
});
