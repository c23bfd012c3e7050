/**
 * Enrichment of Codify's assessments from the real bundled index (dist/data, built from
 * sandbox/data): ICD-10-CM FY2026 with its addenda and conversion table, ICD-10-PCS, HCPCS, CVX and
 * ICD-9-CM. The codes are the FY2026 cases a coder meets: a valid code, a code deleted in FY2026
 * with successors, a code turned into a header in FY2026, a header, an unknown code, text that is
 * not a code, and descriptions that do or do not match the index title.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { CodeIndex } from '../../../src/core/codes/codeIndex';
import {
  descriptionsAgree,
  descriptionWords,
  enrichAssessments,
  readAssessmentCode,
  systemHint,
  systemsNamedBy,
  type AssessmentLike,
} from '../../../src/core/codify/enrich';
import { bundledSources, loadIndex } from '../../../src/node/codeIndexLoader';

const ROOT = path.resolve(__dirname, '../../..');
const DIST_DATA = path.join(ROOT, 'dist', 'data');

const one = (index: CodeIndex | undefined, a: AssessmentLike) =>
  enrichAssessments({ assessments: [a], fields: {} }, index).assessments[0]!;

describe('codify enrich: descriptions', () => {
  it('normalises case, punctuation, stop words, British spelling and plurals', () => {
    assert.deepStrictEqual(descriptionWords('Haemorrhage of the Oesophagus, unspecified.'), [
      'hemorrhage',
      'esophagu',
      'unspecified',
    ]);
    assert.deepStrictEqual(descriptionWords('Tumours  of  the   brain'), ['tumor', 'brain']);
    assert.deepStrictEqual(descriptionWords('Café-au-lait spots'), ['cafe', 'au', 'lait', 'spot']);
    assert.deepStrictEqual(descriptionWords(''), []);
  });

  const title = 'Type 2 diabetes mellitus with hyperglycemia';
  for (const [description, agree] of [
    [title, true],
    ['TYPE 2 DIABETES MELLITUS WITH HYPERGLYCEMIA.', true],
    ['Type 2 diabetes mellitus, with hyperglycaemia', true],
    ['  type 2   diabetes mellitus with  hyperglycemia ', true],
    ['Type 2 diabetes mellitus', true], // a prefix: less specific, not contradicting
    ['Type 2 diabetes with hyperglycemia', true], // leaves out a word
    ['Type 2 diabetes mellitus with hyperglycemia, poorly controlled', true], // adds detail
    ['', true], // nothing to compare
    ['Type 2 diabetes mellitus without complications', false],
    ['Type 1 diabetes mellitus with hyperglycemia', false],
    ['Essential (primary) hypertension', false],
    ['Hyperglycemia, unspecified', false],
  ] as const) {
    it(`"${description}" ${agree ? 'agrees' : 'differs'}`, () => {
      assert.strictEqual(descriptionsAgree(description, [title]), agree);
    });
  }

  it('agrees with the short title when the long one differs', () => {
    assert.strictEqual(descriptionsAgree('Type 2 diab w hyprgly', [title, 'Type 2 diab w hyprgly']), true);
    assert.strictEqual(descriptionsAgree('Type 2 diab w hyprgly', [title, '']), false);
  });
});

describe('codify enrich: system hints', () => {
  it('reads the system a field names, whatever its spelling', () => {
    for (const name of [
      'ICD-10-CM',
      'icd10cm',
      'ICD10CM',
      'ICD-10',
      'I10',
      'http://hl7.org/fhir/sid/icd-10-cm',
      'urn:oid:2.16.840.1.113883.6.90',
    ])
      assert.deepStrictEqual(systemsNamedBy(name), ['icd10cm'], name);
    assert.deepStrictEqual(systemsNamedBy('ICD-10-PCS'), ['icd10pcs']);
    assert.deepStrictEqual(systemsNamedBy('HCPCS Level II'), ['hcpcs']);
    assert.deepStrictEqual(systemsNamedBy('CVX'), ['cvx']);
    assert.deepStrictEqual(systemsNamedBy('SNOMED CT'), ['snomed']);
    assert.deepStrictEqual(systemsNamedBy('MedDRA'), []);
    assert.deepStrictEqual(systemsNamedBy(''), []);
  });

  it('finds the hint in any field that names a system', () => {
    assert.deepStrictEqual(systemHint({ confidence: 0.9, code_system: 'ICD-10-CM' }), {
      hint: 'ICD-10-CM',
      hinted: ['icd10cm'],
    });
    assert.deepStrictEqual(systemHint({ codeSystem: 'CVX' }).hinted, ['cvx']);
    assert.deepStrictEqual(systemHint({ system: 'http://hl7.org/fhir/sid/icd-10-cm' }).hinted, ['icd10cm']);
    assert.deepStrictEqual(systemHint({ vocabulary: 'LOINC' }).hinted, ['loinc']);
    // not a system field, or not a system
    assert.deepStrictEqual(systemHint({ rationale: 'ICD-10-CM', section: 'CVX' }), { hinted: [] });
    assert.deepStrictEqual(systemHint({ code_system: 'local' }), { hinted: [] });
    assert.deepStrictEqual(systemHint({ code_system: 42 }), { hinted: [] });
  });
});

describe('codify enrich: the real bundled index', function () {
  this.timeout(60_000);
  let index: CodeIndex;

  before(async () => {
    if (!fs.existsSync(path.join(DIST_DATA, 'sources.json')))
      execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-data.mjs')], { stdio: 'ignore' });
    index = (await loadIndex({ sources: await bundledSources(DIST_DATA) })).index;
  });

  it('a known billable code with its exact title: valid, no disagreement', () => {
    const a = one(index, { code: 'E11.65', description: 'Type 2 diabetes mellitus with hyperglycemia' });
    assert.deepStrictEqual(a.index, {
      system: 'ICD-10-CM',
      display: 'E11.65',
      title: 'Type 2 diabetes mellitus with hyperglycemia',
      release: 'ICD-10-CM FY2026',
      billable: true,
      status: 'valid',
    });
  });

  it("an undotted, lower-case code is read canonically; Codify's code is kept as sent", () => {
    const a = one(index, { code: 'e1165', description: 'Type 2 diabetes mellitus with hyperglycemia' });
    assert.strictEqual(a.code, 'e1165');
    assert.strictEqual(a.index.display, 'E11.65');
    assert.strictEqual(a.index.status, 'valid');
  });

  it('a code deleted in FY2026: deleted, with its successors', () => {
    const a = one(index, { code: 'S30.1XXA', description: 'Contusion of abdominal wall, initial encounter' });
    assert.strictEqual(a.index.status, 'deleted');
    assert.deepStrictEqual(a.index.successors, ['S30.11XA', 'S30.12XA', 'S30.13XA']);
    assert.strictEqual(a.index.title, 'Contusion of abdominal wall, initial encounter');
    assert.strictEqual(
      a.index.disagreement,
      'S30.1XXA was deleted in ICD-10-CM FY2026; use S30.11XA, S30.12XA, S30.13XA',
    );
  });

  it('G35 turned into a header in FY2026: header, not billable, with its successors', () => {
    const a = one(index, { code: 'G35', description: 'Multiple sclerosis' });
    assert.strictEqual(a.index.status, 'header');
    assert.strictEqual(a.index.billable, false);
    assert.deepStrictEqual(a.index.successors, [
      'G35.A',
      'G35.B0',
      'G35.B1',
      'G35.B2',
      'G35.C0',
      'G35.C1',
      'G35.C2',
      'G35.D',
    ]);
    assert.strictEqual(
      a.index.disagreement,
      'G35 is a header in ICD-10-CM FY2026, not billable (since ICD-10-CM FY2026); use G35.A, G35.B0, G35.B1, G35.B2 or 4 more',
    );
  });

  it('a header (E11): not billable, pick a more specific code', () => {
    const a = one(index, { code: 'E11', description: 'Type 2 diabetes mellitus' });
    assert.strictEqual(a.index.status, 'header');
    assert.strictEqual(a.index.billable, false);
    assert.strictEqual(a.index.successors, undefined);
    assert.strictEqual(
      a.index.disagreement,
      'E11 is a header in ICD-10-CM FY2026, not billable; pick a more specific code',
    );
  });

  it('an unknown code (Z99.999): unknown in the active release', () => {
    const a = one(index, { code: 'Z99.999', description: 'Not an ICD-10-CM code' });
    assert.deepStrictEqual(a.index, {
      system: 'ICD-10-CM',
      display: 'Z99.999',
      release: 'ICD-10-CM FY2026',
      status: 'unknown',
      disagreement: 'Z99.999 is not in ICD-10-CM FY2026',
    });
  });

  it('text that is not a code: notACode, nothing else', () => {
    assert.deepStrictEqual(one(index, { code: 'hello', description: 'Greeting' }).index, {
      status: 'notACode',
    });
    assert.deepStrictEqual(one(index, { code: '', description: '' }).index, { status: 'notACode' });
  });

  it('a description that differs materially from the title is flagged; a close one is not', () => {
    const wrong = one(index, {
      code: 'E11.65',
      description: 'Type 2 diabetes mellitus without complications',
    });
    assert.strictEqual(wrong.index.status, 'valid');
    assert.strictEqual(
      wrong.index.disagreement,
      'Codify\'s description differs from the ICD-10-CM FY2026 title "Type 2 diabetes mellitus with hyperglycemia"',
    );
    const close = one(index, { code: 'I10', description: 'Hypertension (essential)' });
    assert.strictEqual(close.index.status, 'valid');
    assert.strictEqual(close.index.disagreement, undefined);
  });

  it('several problems of one code are all named', () => {
    const a = one(index, { code: 'E11', description: 'Essential hypertension' });
    assert.match(a.index.disagreement ?? '', /^E11 is a header .*; Codify's description differs from/);
  });

  it('a system named by the assessment wins over the default order', () => {
    // 185 is ICD-9-CM 185 (first in order: malignant neoplasm of prostate) and CVX 185 (a vaccine)
    const plain = readAssessmentCode('185', {}, index);
    assert.strictEqual(plain.reading?.system, 'icd9cm-dx');
    const cvx = one(index, {
      code: '185',
      description: 'Seasonal, quadrivalent, recombinant, injectable influenza vaccine, preservative free',
      code_system: 'CVX',
    });
    assert.strictEqual(cvx.index.system, 'CVX');
    assert.strictEqual(cvx.index.status, 'valid');
    assert.strictEqual(cvx.index.disagreement, undefined);
    const pcs = one(index, {
      code: '0016070',
      description:
        'Bypass Cerebral Ventricle to Nasopharynx with Autologous Tissue Substitute, Open Approach',
      code_system: 'ICD-10-PCS',
    });
    assert.strictEqual(pcs.index.system, 'ICD-10-PCS');
    assert.strictEqual(pcs.index.status, 'valid');
    assert.strictEqual(pcs.index.disagreement, undefined);
  });

  it('a code that does not fit the system it is said to be in is read as what it is, and flagged', () => {
    const a = one(index, {
      code: '250.00',
      description:
        'Diabetes mellitus without mention of complication, type II or unspecified type, not stated as uncontrolled',
      code_system: 'ICD-10-CM',
    });
    assert.strictEqual(a.index.system, 'ICD-9-CM (diagnoses)');
    assert.strictEqual(a.index.status, 'valid');
    assert.strictEqual(
      a.index.disagreement,
      'Codify names ICD-10-CM, but the code reads as ICD-9-CM (diagnoses)',
    );
  });

  it('a code of a system the index does not load: notLoaded', () => {
    const a = one(index, { code: '99213', description: 'Office visit' });
    assert.deepStrictEqual(a.index, { system: 'CPT', display: '99213', status: 'notLoaded' });
  });

  it('without an index every code is notLoaded (and non-codes notACode)', () => {
    const r = enrichAssessments(
      {
        assessments: [
          { code: 'E11.65', description: 'x' },
          { code: 'hello', description: 'y' },
        ],
        fields: {},
      },
      undefined,
    );
    assert.deepStrictEqual(
      r.assessments.map((a) => a.index),
      [{ system: 'ICD-10-CM', display: 'E11.65', status: 'notLoaded' }, { status: 'notACode' }],
    );
  });

  it('keeps every extra field of every assessment and of the answer', () => {
    const r = enrichAssessments(
      {
        assessments: [
          {
            code: 'E11.65',
            description: 'Type 2 diabetes mellitus with hyperglycemia',
            confidence: 0.95,
            code_system: 'ICD-10-CM',
          },
          {
            code: 'I10',
            description: 'Essential (primary) hypertension',
            hcc: { version: 'V28', category: null },
            confidence: 0.85,
            alternatives: [{ code: 'I11', description: 'x' }],
          },
        ],
        fields: { request_id: 'r-1', model: 'balanced', warnings: ['w'] },
      },
      index,
    );
    assert.deepStrictEqual(r.extraFields, ['confidence', 'code_system', 'hcc', 'alternatives']);
    assert.deepStrictEqual(r.assessments[0]!.extra, { confidence: 0.95, code_system: 'ICD-10-CM' });
    assert.deepStrictEqual(r.assessments[1]!.extra, {
      hcc: { version: 'V28', category: null },
      confidence: 0.85,
      alternatives: [{ code: 'I11', description: 'x' }],
    });
    assert.deepStrictEqual(r.answerFields, { request_id: 'r-1', model: 'balanced', warnings: ['w'] });
  });

  it("the sandbox's unknownCodes answer, as a coder would read it", () => {
    const r = enrichAssessments(
      {
        assessments: [
          { code: 'Z99.999', description: 'Not an ICD-10-CM code' },
          { code: 'E11.6', description: 'Type 2 diabetes mellitus with other specified complications' },
          { code: 'E78.01', description: 'Familial hypercholesterolemia' },
          { code: 'E1165', description: 'Type 2 diabetes mellitus with hyperglycemia' },
          { code: 'I10', description: 'Hypertension (essential)' },
        ].map((a) => ({ ...a, code_system: 'ICD-10-CM' })),
        fields: {},
      },
      index,
    );
    assert.deepStrictEqual(
      r.assessments.map((a) => [a.index.display, a.index.status, a.index.disagreement !== undefined]),
      [
        ['Z99.999', 'unknown', true],
        ['E11.6', 'header', true],
        ['E78.01', 'header', true],
        ['E11.65', 'valid', false],
        ['I10', 'valid', false],
      ],
    );
    assert.deepStrictEqual(r.assessments[2]!.index.successors, ['E78.010', 'E78.011', 'E78.019']);
  });
});
