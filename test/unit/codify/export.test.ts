/** Codify results as CSV (papaparse) and JSON. */
import * as assert from 'assert';
import * as Papa from 'papaparse';
import {
  assessmentsToCsv,
  assessmentsToJson,
  CSV_COLUMNS,
  extraFieldsOf,
} from '../../../src/core/codify/export';
import type { EnrichedAssessment } from '../../../src/shared/codifyProtocol';

const rows: EnrichedAssessment[] = [
  {
    code: 'G35',
    description: 'Multiple sclerosis',
    extra: { confidence: 0.9, code_system: 'ICD-10-CM', hcc: { version: 'V28' } },
    index: {
      system: 'ICD-10-CM',
      display: 'G35',
      title: 'Multiple sclerosis',
      release: 'ICD-10-CM FY2026',
      billable: false,
      status: 'header',
      successors: ['G35.A', 'G35.D'],
      disagreement: 'G35 is a header',
    },
  },
  {
    code: 'hello',
    description: '=HYPERLINK("http://x","click"), "quoted"',
    extra: { status: 'weird', notes: null },
    index: { status: 'notACode' },
  },
];

describe('codify export', () => {
  it('extra fields in first-seen order', () => {
    assert.deepStrictEqual(extraFieldsOf(rows), ['confidence', 'code_system', 'hcc', 'status', 'notes']);
  });

  it('CSV: fixed columns, then every extra field; values round-trip', () => {
    const csv = assessmentsToCsv(rows);
    assert.ok(csv.endsWith('\r\n'));
    const parsed = Papa.parse<string[]>(csv.trimEnd(), { newline: '\r\n' });
    assert.deepStrictEqual(parsed.errors, []);
    const [header, g35, hello] = parsed.data;
    assert.deepStrictEqual(header, [...CSV_COLUMNS, 'confidence', 'code_system', 'hcc', 'status', 'notes']);
    assert.deepStrictEqual(g35, [
      'G35',
      'Multiple sclerosis',
      'ICD-10-CM',
      'G35',
      'Multiple sclerosis',
      'ICD-10-CM FY2026',
      'false',
      'header',
      'G35.A G35.D',
      'G35 is a header',
      '0.9',
      'ICD-10-CM',
      '{"version":"V28"}',
      '',
      '',
    ]);
    // a formula from the server is neutralised; quotes survive
    assert.strictEqual(hello![1], `'=HYPERLINK("http://x","click"), "quoted"`);
    assert.strictEqual(hello![7], 'notACode');
    assert.strictEqual(hello![13], 'weird');
  });

  it('CSV: an extra field named like a fixed column gets a prefix', () => {
    const header = assessmentsToCsv(rows).split('\r\n')[0]!;
    assert.match(header, /,status,notes$/);
    const clash = assessmentsToCsv([{ ...rows[1]!, extra: { disagreement: 'theirs' } }]).split('\r\n')[0]!;
    assert.match(clash, /,extra:disagreement$/);
  });

  it('JSON: the assessment as sent beside what the index says', () => {
    const json = assessmentsToJson(rows, { requestIds: ['r-1'], answerFields: { model: 'balanced' } });
    assert.ok(json.endsWith('\n'));
    const body = JSON.parse(json) as {
      requestIds: string[];
      answerFields: Record<string, unknown>;
      assessments: { assessment: Record<string, unknown>; localIndex: Record<string, unknown> }[];
    };
    assert.deepStrictEqual(body.requestIds, ['r-1']);
    assert.deepStrictEqual(body.answerFields, { model: 'balanced' });
    assert.deepStrictEqual(body.assessments[0]!.assessment, {
      code: 'G35',
      description: 'Multiple sclerosis',
      confidence: 0.9,
      code_system: 'ICD-10-CM',
      hcc: { version: 'V28' },
    });
    assert.strictEqual(body.assessments[0]!.localIndex.status, 'header');
    assert.deepStrictEqual(body.assessments[1]!.assessment.notes, null);
  });

  it('empty results', () => {
    assert.strictEqual(assessmentsToCsv([]), `${CSV_COLUMNS.join(',')}\r\n`);
    assert.deepStrictEqual(JSON.parse(assessmentsToJson([])).assessments, []);
  });
});
