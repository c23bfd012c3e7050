import * as assert from 'assert';
import {
  canonicalise,
  canonicalModifier,
  isDistinctiveShape,
  recogniseAll,
  snomedPartition,
} from '../../../src/core/codes/recognise';
import { CODE_SYSTEMS, type CodeSystem } from '../../../src/core/codes/systems';

type Row = readonly [input: string, canonical: string];

const POSITIVE: Readonly<Record<CodeSystem, readonly Row[]>> = {
  icd10cm: [
    ['E11.65', 'E11.65'],
    ['E1165', 'E11.65'],
    ['e11.65', 'E11.65'],
    ['I10', 'I10'],
    ['W19.XXXA', 'W19.XXXA'],
    ['W19XXXA', 'W19.XXXA'],
    ['S72.001A', 'S72.001A'],
    ['T38.3X5A', 'T38.3X5A'],
    ['E11.A', 'E11.A'],
    ['M1A.0110', 'M1A.0110'],
    ['C7B.00', 'C7B.00'],
    ['Z3A.12', 'Z3A.12'],
    ['U07.1', 'U07.1'],
    ['Z96.651', 'Z96.651'],
  ],
  icd10pcs: [
    ['0SRR0J9', '0SRR0J9'],
    ['30233N1', '30233N1'],
    ['0qs604z', '0QS604Z'],
    ['0016070', '0016070'],
    ['XW033E5', 'XW033E5'],
    ['B2151ZZ', 'B2151ZZ'],
  ],
  hcpcs: [
    ['G0008', 'G0008'],
    ['J0696', 'J0696'],
    ['a4253', 'A4253'],
    ['V2020', 'V2020'],
    ['Q4101', 'Q4101'],
  ],
  cpt: [
    ['99213', '99213'],
    ['3044F', '3044F'],
    ['0042T', '0042T'],
    ['0001U', '0001U'],
  ],
  'icd9cm-dx': [
    ['250.40', '250.40'],
    ['25040', '250.40'],
    ['599.0', '599.0'],
    ['486', '486'],
    ['V58.67', 'V58.67'],
    ['V5867', 'V58.67'],
    ['E888.9', 'E888.9'],
    ['E8889', 'E888.9'],
    ['E849.0', 'E849.0'],
  ],
  'icd9cm-proc': [
    ['39.21', '39.21'],
    ['3921', '39.21'],
    ['81.51', '81.51'],
    ['99.0', '99.0'],
  ],
  cvx: [
    ['150', '150'],
    ['08', '08'],
    ['8', '08'],
    ['003', '03'],
  ],
  loinc: [
    ['2345-7', '2345-7'],
    ['4548-4', '4548-4'],
    ['718-7', '718-7'],
    ['10331-7', '10331-7'],
  ],
  snomed: [
    ['22298006', '22298006'],
    ['44054006', '44054006'],
    ['73211009', '73211009'],
    ['900000000000207008', '900000000000207008'],
    ['195967001', '195967001'],
  ],
  ndc: [
    ['0002-1433-80', '00002143380'], // 4-4-2
    ['12345-678-90', '12345067890'], // 5-3-2
    ['12345-6789-1', '12345678901'], // 5-4-1
    ['12345-6789-01', '12345678901'], // 5-4-2 (11-digit, hyphenated)
    ['00002143380', '00002143380'], // 11 digits
  ],
  rxnorm: [
    ['197361', '197361'],
    ['1049502', '1049502'],
  ],
};

const NEGATIVE: Readonly<Record<CodeSystem, readonly string[]>> = {
  icd10cm: ['E1', 'E11.', 'E11.65432', '1E1.65', 'EE1.6', 'E1C.1', 'E11-65', 'E11.6_', 'A1 c', ''],
  icd10pcs: ['0SRR0J', '0SRR0J99', '0SRI0J9', '0SRO0J9', '0SR-0J9', '0SRR0J9.'],
  hcpcs: ['W0008', 'G008', 'G00088', 'GG008', '0G008'],
  cpt: ['9921', '992134', '3044G', 'F3044', '30-44F'],
  'icd9cm-dx': ['25', '2504000', 'V5', 'V586.7', 'E88.9', 'E8889.1', '250.401', 'A58.67'],
  'icd9cm-proc': ['3', '392.1', '39.211', 'A9.21'],
  cvx: ['1500', '', 'A50', '1.5'],
  loinc: ['2345-8', '4548-3', '718-9', '2345', '2345-', '12345678-9', 'A2345-7'],
  snomed: [
    '22298007',
    '12345',
    '0022298006',
    '1234567890123456789',
    '22298106' /* partition 10 needs check */,
    '100000000000000031' /* partition 03 */,
  ],
  ndc: ['0002143380', '0002-1433-8', '002-1433-80', '00002-1433-800', '1234-56789-0', '12345-678-9'],
  rxnorm: ['123456789', 'RX123', ''],
};

describe('core/codes/recognise', () => {
  for (const system of CODE_SYSTEMS) {
    describe(system, () => {
      for (const [input, canonical] of POSITIVE[system]) {
        it(`accepts ${input} as ${canonical}`, () =>
          assert.strictEqual(canonicalise(system, input), canonical));
      }
      for (const input of NEGATIVE[system]) {
        it(`rejects ${JSON.stringify(input)}`, () =>
          assert.strictEqual(canonicalise(system, input), undefined));
      }
    });
  }

  it('reads HCPCS/CPT modifiers', () => {
    for (const m of ['KX', 'RT', 'nu', '25', 'F1']) assert.strictEqual(canonicalModifier(m), m.toUpperCase());
    for (const m of ['K', 'KXX', 'K-', '']) assert.strictEqual(canonicalModifier(m), undefined);
  });

  it('reads SNOMED CT partitions', () => {
    assert.deepStrictEqual(snomedPartition('22298006'), { component: 'concept', extension: false });
    assert.deepStrictEqual(snomedPartition('900000000000207008'), { component: 'concept', extension: false });
    assert.deepStrictEqual(snomedPartition('999000011000000103'), { component: 'concept', extension: true });
    assert.strictEqual(snomedPartition('12345'), undefined);
    assert.strictEqual(snomedPartition('1234567031'), undefined);
    assert.strictEqual(snomedPartition('1234567111')?.component, 'description');
    assert.strictEqual(snomedPartition('1234567121')?.extension, true);
  });

  it('lists every system a token fits', () => {
    const systems = (t: string): string[] => recogniseAll(t, CODE_SYSTEMS).map((r) => r.system);
    assert.deepStrictEqual(systems('E1165'), ['icd10cm', 'hcpcs', 'icd9cm-dx']); // E116.5 is an ICD-9 E-code shape
    assert.deepStrictEqual(systems('V58.67'), ['icd10cm', 'icd9cm-dx']);
    assert.deepStrictEqual(systems('B12'), ['icd10cm']);
    assert.ok(systems('150').includes('cvx') && systems('150').includes('icd9cm-dx'));
    assert.deepStrictEqual(systems('L4-L5'), []);
    assert.deepStrictEqual(systems('PHQ-2'), []);
  });

  describe('isDistinctiveShape (free-text claims without an index)', () => {
    const yes: [CodeSystem, string][] = [
      ['icd10cm', 'E11.65'],
      ['icd10cm', 'W19.XXXA'],
      ['icd10cm', 'E11.A'],
      ['icd10pcs', '0SRR0J9'],
      ['hcpcs', 'G0439'],
      ['cpt', '3044F'],
      ['icd9cm-dx', 'V58.67'],
      ['icd9cm-dx', 'E888.9'],
      ['loinc', '2345-7'],
      ['ndc', '0002-1433-80'],
    ];
    const no: [CodeSystem, string][] = [
      ['icd10cm', 'B12'],
      ['icd10cm', 'I10'],
      ['icd10cm', 'E1165'],
      ['icd10cm', 'e11.65'],
      ['icd10pcs', '0016070'],
      ['icd10pcs', 'XW033E5'],
      ['cpt', '99213'],
      ['icd9cm-dx', '250.40'],
      ['icd9cm-proc', '39.2'],
      ['loinc', '718-7'],
      ['loinc', '2345-8'],
      ['snomed', '22298006'],
      ['cvx', '150'],
      ['rxnorm', '197361'],
      ['ndc', '00002143380'],
    ];
    for (const [s, t] of yes)
      it(`${t} is distinctive ${s}`, () => assert.strictEqual(isDistinctiveShape(s, t), true));
    for (const [s, t] of no)
      it(`${t} is not distinctive ${s}`, () => assert.strictEqual(isDistinctiveShape(s, t), false));
  });
});

describe('ICD-10-CM FY2026 letter-second categories', () => {
  it('recognises the QA0 category (SCN2A-related disorders), dotted or not', () => {
    assert.strictEqual(canonicalise('icd10cm', 'QA00101'), 'QA0.0101');
    assert.strictEqual(canonicalise('icd10cm', 'qa0.0101'), 'QA0.0101');
    assert.strictEqual(canonicalise('icd10cm', 'QB00101'), undefined);
  });
});
