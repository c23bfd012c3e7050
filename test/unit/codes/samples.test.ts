/**
 * The sample coder documents (samples/README.md): every code they name is found with the right
 * system, and none of the listed non-codes is claimed. `isKnown` is built from the real public
 * code sets in sandbox/data when they are present (ICD-10-CM/PCS FY2026, HCPCS 2020, CVX,
 * ICD-9-CM v32), read here with a few lines of test-only parsing so this suite does not depend on
 * the loaders.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { findCodes, type CodeMatch } from '../../../src/core/codes/findCodes';
import { canonicalIcd9Dx, canonicalIcd9Proc, canonicalIcd10cm } from '../../../src/core/codes/recognise';
import type { CodeSystem } from '../../../src/core/codes/systems';

const SAMPLES = path.resolve(__dirname, '../../../samples');
const DATA = path.resolve(__dirname, '../../../sandbox/data');

function read(name: string): string {
  return fs.readFileSync(path.join(SAMPLES, name), 'utf8');
}

function lines(file: string): string[] {
  return fs.readFileSync(path.join(DATA, file), 'latin1').split(/\r?\n/);
}

let known: Set<string> | undefined;
function isKnownFromData(): ((system: CodeSystem, code: string) => boolean) | undefined {
  if (!fs.existsSync(path.join(DATA, 'icd10cm/icd10cm-order-2026.txt'))) return undefined;
  if (!known) {
    const k = new Set<string>();
    for (const l of lines('icd10cm/icd10cm-order-2026.txt')) {
      const c = canonicalIcd10cm(l.slice(6, 13).trim());
      if (c) k.add(`icd10cm:${c}`);
    }
    for (const l of lines('icd10pcs/icd10pcs_order_2026.txt')) {
      const c = l.slice(6, 13).trim();
      if (c.length === 7) k.add(`icd10pcs:${c}`);
    }
    for (const l of lines('hcpcs/HCPC2020_ANWEB_w_disclaimer.txt')) {
      if (/^[A-V][0-9]{4}/.test(l)) k.add(`hcpcs:${l.slice(0, 5)}`);
    }
    for (const l of lines('cvx/cvx.txt')) {
      const c = l.split('|')[0]!.trim();
      if (c) k.add(`cvx:${c}`);
    }
    for (const l of lines('icd9cm/CMS32_DESC_SHORT_DX.txt')) {
      const c = canonicalIcd9Dx(l.slice(0, 5).trim());
      if (c) k.add(`icd9cm-dx:${c}`);
    }
    for (const l of lines('icd9cm/CMS32_DESC_SHORT_SG.txt')) {
      const c = canonicalIcd9Proc(l.slice(0, 4).trim());
      if (c) k.add(`icd9cm-proc:${c}`);
    }
    known = k;
  }
  const set = known;
  return (system, code) => set.has(`${system}:${code}`);
}

function best(matches: readonly CodeMatch[]): Set<string> {
  return new Set(matches.map((m) => `${m.candidates[0]!.system}:${m.candidates[0]!.code}`));
}

function expectFound(matches: readonly CodeMatch[], system: CodeSystem, codes: readonly string[]): void {
  const found = best(matches);
  const missing = codes.filter((c) => !found.has(`${system}:${c}`));
  assert.deepStrictEqual(missing, [], `${system} codes not found: ${missing.join(', ')}`);
}

function expectNotClaimed(text: string, matches: readonly CodeMatch[], tokens: readonly string[]): void {
  const claimed = new Set(matches.map((m) => m.text));
  for (const t of tokens) {
    assert.ok(text.includes(t), `the sample should contain ${t}`);
    assert.ok(!claimed.has(t), `${t} must not be claimed`);
  }
  for (const m of matches) assert.strictEqual(text.slice(m.start, m.end), m.text);
}

const HCPCS_README = [
  'G0008',
  'G0439',
  'G0444',
  'G0121',
  'G0103',
  'A4253',
  'E0607',
  'E0601',
  'A7030',
  'L1833',
  'J1030',
  'J7613',
  'J1100',
  'A0427',
  'A0425',
  'J3420',
  'J1885',
  'J2001',
  'J0696',
];

describe('core/codes/findCodes on samples/', function () {
  let isKnown: ((system: CodeSystem, code: string) => boolean) | undefined;
  before(function () {
    this.timeout(60_000);
    isKnown = isKnownFromData();
  });
  const needIndex = (ctx: Mocha.Context): void => {
    if (!isKnown) ctx.skip();
  };

  it('claims_batch_2025Q4.csv: dx columns, HCPCS, modifiers, CVX in notes; not B12, PHQ-9, charges', () => {
    const text = read('claims_batch_2025Q4.csv');
    for (const ctx of [{}, { isKnown }]) {
      const m = findCodes(text, ctx);
      expectFound(m, 'icd10cm', [
        'Z23',
        'E11.65',
        'Z79.4',
        'Z00.00',
        'Z13.31',
        'M17.11',
        'Z96.651',
        'J44.1',
        'R05.9',
        'S72.001A',
        'W19.XXXA',
        'Y92.009',
        'E53.8',
        'D64.9',
        'M54.5',
        'G35',
        'G47.33',
        'E66.01',
        'Z68.41',
        'Z12.11',
        'Z80.0',
        'Z12.5',
        'N39.0',
        'B96.20',
        'E11.A',
        'I10',
        'E78.5',
      ]);
      const procedures = HCPCS_README.filter((c) => text.includes(c));
      assert.strictEqual(procedures.length, 19);
      expectFound(m, 'hcpcs', [...procedures, 'KX', 'NU', 'RT', 'RR']);
      expectFound(m, 'cvx', ['150']);
      expectNotClaimed(text, m, ['B12', 'PHQ-9', '410.00', '175.00', 'SYN-000417', 'CLM-25-100231']);
      assert.ok(!m.some((x) => x.malformed), 'no malformed codes in the claim columns');
      const e538 = m.find((x) => x.text === 'E538')!;
      assert.strictEqual(e538.evidence, 'csv');
    }
  });

  it('fhir_bundle_office_visit.json: every Coding by its system; v3 codes ignored', () => {
    const text = read('fhir_bundle_office_visit.json');
    const m = findCodes(text, { isKnown });
    expectFound(m, 'icd10cm', ['Z23', 'E11.65', 'Z79.4', 'N18.31', 'I12.9', 'E11.9']);
    expectFound(m, 'icd9cm-dx', ['250.00']);
    expectFound(m, 'cvx', ['150', '187']);
    expectFound(m, 'hcpcs', ['G0008', 'A4253', 'E0607', 'KX', 'NU']);
    expectFound(m, 'icd10pcs', ['0SRC0J9']);
    assert.strictEqual(m.find((x) => x.text === 'E1165')!.candidates[0]!.code, 'E11.65');
    assert.strictEqual(m.find((x) => x.text === 'KX')!.candidates[0]!.kind, 'modifier');
    expectNotClaimed(text, m, ['AMB', 'A1c', 'IM', '1958-03-14']);
    assert.ok(m.filter((x) => x.evidence === 'fhir').length >= 18);
  });

  it('inpatient_coding_worksheet_hip_fracture.md: CM with placeholder X, PCS, ICD-9 legacy rows', function () {
    needIndex(this);
    const text = read('inpatient_coding_worksheet_hip_fracture.md');
    const m = findCodes(text, { isKnown });
    expectFound(m, 'icd10cm', [
      'S72.001A',
      'S72.011A',
      'W19.XXXA',
      'Y92.009',
      'D62',
      'I48.91',
      'Z79.01',
      'I10',
      'E11.9',
      'M81.0',
      'M80.051A',
      'Z91.81',
      'E03.9',
      'S72.009A',
      'I16.9',
    ]);
    expectFound(m, 'icd10pcs', ['0SRR0J9', '30233N1', '0QS604Z']);
    expectFound(m, 'icd9cm-dx', ['820.8', '427.31', '401.9', '733.00']);
    expectNotClaimed(text, m, ['7.8', 'POD1', '10000', 'FY2026', 'SYN-IP-2025-7731']);
  });

  it('inpatient worksheet without an index: the distinctive codes still come through', () => {
    const text = read('inpatient_coding_worksheet_hip_fracture.md');
    const m = findCodes(text);
    expectFound(m, 'icd10cm', ['S72.001A', 'W19.XXXA', 'M80.051A']);
    expectFound(m, 'icd10pcs', ['0SRR0J9', '30233N1', '0QS604Z']);
  });

  it('discharge_summary_sepsis_uti.txt: codes in parentheses, CVX/HCPCS by keyword, ICD-9 list; not 39.2, 4.1, 2.9, PCV13, E. coli', function () {
    needIndex(this);
    const text = read('discharge_summary_sepsis_uti.txt');
    const m = findCodes(text, { isKnown });
    expectFound(m, 'icd10cm', [
      'A41.51',
      'R65.20',
      'N17.9',
      'N39.0',
      'B96.20',
      'E11.22',
      'N18.32',
      'I12.9',
      'E87.1',
      'Z79.4',
      'E86.0',
      'Z86.73',
      'Z87.891',
      'R41.82',
      'E11.29',
    ]);
    expectFound(m, 'hcpcs', ['J0696']);
    expectFound(m, 'cvx', ['133', '33']);
    expectFound(m, 'icd9cm-dx', ['250.40', '599.0', 'V58.67']);
    expectNotClaimed(text, m, [
      '39.2',
      '4.1',
      '2.9',
      '1.6',
      '1.7',
      'PCV13',
      'PPSV23',
      'B12',
      '128',
      '135',
      '2009',
    ]);
    assert.ok(!m.some((x) => x.text === 'E'), 'E. coli is not a code');
  });

  it('immunization_vxu_message.hl7 (CR-only segments): exactly the five CVX codes', () => {
    const text = read('immunization_vxu_message.hl7');
    const m = findCodes(text, { isKnown });
    assert.deepStrictEqual([...best(m)], ['cvx:150', 'cvx:187', 'cvx:133', 'cvx:115', 'cvx:208']);
    assert.ok(m.every((x) => x.evidence === 'hl7'));
  });

  it('legacy_icd9_conversion_review.csv: ICD-9 column, GEM targets split on |, chosen ICD-10-CM', () => {
    const text = read('legacy_icd9_conversion_review.csv');
    const m = findCodes(text, { isKnown });
    expectFound(m, 'icd9cm-dx', [
      '250.00',
      '250.40',
      '401.9',
      '428.0',
      '486',
      '496',
      '272.4',
      '599.0',
      '311',
      '493.90',
      '410.71',
      'V58.67',
      'E888.9',
      '300.4',
      '724.2',
      '340',
      '715.36',
      '820.8',
    ]);
    expectFound(m, 'icd10cm', [
      'E11.9',
      'E11.29',
      'E11.22',
      'I10',
      'I16.9',
      'I50.814',
      'I50.9',
      'J18.9',
      'J44.9',
      'E78.4',
      'E78.5',
      'N39.0',
      'F32.9',
      'F32.A',
      'J45.909',
      'J45.998',
      'I21.4',
      'I25.2',
      'Z79.4',
      'W19.XXXA',
      'F34.1',
      'M54.5',
      'M54.50',
      'G35',
      'G35.D',
      'M17.9',
      'M17.11',
      'S72.009A',
      'S72.001A',
    ]);
    expectNotClaimed(text, m, ['PL-0001', '00000', '2013']);
    assert.ok(!m.some((x) => x.malformed));
  });

  it('claim_837p_excerpt.x12: exactly the HI diagnoses and SV1 procedures/modifiers', () => {
    const text = read('claim_837p_excerpt.x12');
    const m = findCodes(text, { isKnown });
    assert.deepStrictEqual([...best(m)].sort(), [
      'hcpcs:A4253',
      'hcpcs:E0607',
      'hcpcs:G0008',
      'hcpcs:J1030',
      'hcpcs:J2001',
      'hcpcs:KX',
      'hcpcs:L1833',
      'hcpcs:NU',
      'hcpcs:RT',
      'icd10cm:E11.65',
      'icd10cm:G35',
      'icd10cm:M17.11',
      'icd10cm:Z23',
      'icd10cm:Z79.4',
      'icd10cm:Z96.651',
    ]);
    expectNotClaimed(text, m, ['0000000000', 'SYN000417A', 'SYN0001']);
  });

  it('progress_note_annual_visit.md: codes in prose; not B12, L4-L5, A1c, Lp(a), PHQ-2, 128/76', function () {
    needIndex(this);
    const text = read('progress_note_annual_visit.md');
    const m = findCodes(text, { isKnown });
    expectFound(m, 'icd10cm', [
      'E11.A',
      'E11.9',
      'I10',
      'E78.5',
      'E78.011',
      'E78.01',
      'M54.50',
      'M54.5',
      'G35.A',
      'G35',
      'E66.9',
      'Z68.31',
      'Z13.31',
      'Z23',
      'Z12.11',
      'B88.01',
      'B88.0',
    ]);
    expectFound(m, 'hcpcs', ['G0439', 'G0444', 'G0008', 'G0121']);
    expectFound(m, 'cvx', ['150', '187']);
    expectNotClaimed(text, m, [
      'B12',
      'L4-L5',
      'L4',
      'L5',
      'A1c',
      'PHQ-2',
      '128',
      '76',
      '31.4',
      '410',
      '162',
      '74',
      '5.6',
      'T2DM',
      'SYN-000611',
    ]);
    assert.ok(!m.some((x) => x.text === 'Lp' || x.text === 'a'));
  });
});
