import * as assert from 'assert';
import * as Papa from 'papaparse';
import {
  CROSSWALK_CSV_COLUMNS,
  type ImportRow,
  formatImportPreview,
  parseImportCsv,
  planImport,
  toCsv,
} from '../../../src/core/crosswalks/csv';
import type { Mapping, NewMapping } from '../../../src/core/crosswalks/model';

/** Real codes and titles (ICD-10-CM/PCS FY2026, HCPCS, CPT as in document 003). */
const MAPPINGS: Mapping[] = [
  {
    sourceCode: 'K35.80',
    sourceDisplay: 'Unspecified acute appendicitis',
    sourceCodeSystem: 'icd10cm',
    targetCodeSystem: 'icd10pcs',
    targets: [
      {
        targetCode: '0DTJ4ZZ',
        targetDisplay: 'Resection of Appendix, Percutaneous Endoscopic Approach',
        identifier: 'b1c2d3e4-0000-4000-8000-000000000002',
        customAttributes: [
          { key: 'Note', value: 'laparoscopic, "lap appy"\nsecond line' },
          { key: 'Catégorie', value: 'Chirurgie générale – appendice' },
        ],
      },
      {
        targetCode: '0DTJ0ZZ',
        targetDisplay: 'Resection of Appendix, Open Approach',
        identifier: 'b1c2d3e4-0000-4000-8000-000000000001',
      },
    ],
  },
  {
    sourceCode: '93351',
    sourceDisplay: 'Echocardiography, transthoracic, real-time with image documentation (2D)',
    sourceCodeSystem: 'cpt2025',
    targetCodeSystem: 'cpt2025',
    targets: [
      {
        targetCode: '93303',
        targetDisplay: 'Transthoracic echocardiography for congenital cardiac anomalies; complete',
        identifier: '1234567a-8a9b-1234-12a1-aa123a1a1aa0',
        customAttributes: [{ key: 'Sub-category', value: 'Echocardiography Procedures' }],
      },
    ],
  },
  {
    sourceCode: 'E11.9',
    sourceDisplay: 'Type 2 diabetes mellitus without complications',
    sourceCodeSystem: 'icd10cm',
    targetCodeSystem: 'hcpcs',
    targets: [],
  },
  {
    sourceCode: 'J0696',
    sourceDisplay: 'Injection, ceftriaxone sodium, per 250 mg',
    sourceCodeSystem: 'hcpcs',
    targetCodeSystem: 'snomedusedition',
    targets: [{ targetCode: '372670001', targetDisplay: 'Ceftriaxone (substance)' }],
  },
];

const HEADER = 'sourceCodeSystem,sourceCode,targetCodeSystem,targetCode';

/** A set of "sys|code|sys|code|attrs" strings for comparing mappings whatever their grouping. */
function pairs(ms: readonly (Mapping | NewMapping)[]): string[] {
  return ms
    .flatMap((m) =>
      m.targets.map(
        (t) =>
          `${m.sourceCodeSystem}|${m.sourceCode}|${m.targetCodeSystem}|${t.targetCode}|${JSON.stringify(
            [...(t.customAttributes ?? [])].sort((a, b) => (a.key < b.key ? -1 : 1)),
          )}`,
      ),
    )
    .sort();
}

const row = (line: number, over: Partial<ImportRow> = {}): ImportRow => ({
  line,
  action: 'add',
  sourceCodeSystem: 'icd10cm',
  sourceCode: 'K35.80',
  targetCodeSystem: 'icd10pcs',
  targetCode: '0DTJ4ZZ',
  customAttributes: [],
  ...over,
});

describe('core/crosswalks/csv', () => {
  describe('toCsv', () => {
    const text = toCsv(MAPPINGS);
    const lines = text.split('\r\n');

    it('writes the documented columns, then sorted attr:<key> columns', () => {
      assert.strictEqual(
        lines[0],
        [...CROSSWALK_CSV_COLUMNS, 'attr:Catégorie', 'attr:Note', 'attr:Sub-category'].join(','),
      );
    });

    it('writes one row per target in canonical order, CRLF line ends, ending with CRLF', () => {
      assert.ok(text.endsWith('\r\n'));
      assert.ok(
        !/[^\r]\n(?!second)/.test(text),
        'every line ends with CRLF (only the quoted value has a bare LF)',
      );
      const parsed = Papa.parse<string[]>(text, { skipEmptyLines: true }).data.slice(1);
      assert.deepStrictEqual(
        parsed.map((r) => `${r[0]} ${r[1]} ${r[3]} ${r[4]}`),
        [
          'cpt2025 93351 cpt2025 93303',
          'hcpcs J0696 snomedusedition 372670001',
          'icd10cm E11.9 hcpcs ',
          'icd10cm K35.80 icd10pcs 0DTJ0ZZ',
          'icd10cm K35.80 icd10pcs 0DTJ4ZZ',
        ],
      );
    });

    it('is the same text whatever the input order', () => {
      const shuffled = [...MAPPINGS].reverse().map((m) => ({ ...m, targets: [...m.targets].reverse() }));
      assert.strictEqual(toCsv(shuffled), text);
    });

    it('quotes per RFC 4180: commas, quotes and line breaks survive', () => {
      assert.ok(text.includes('"laparoscopic, ""lap appy""\nsecond line"'));
      assert.ok(text.includes('"Echocardiography, transthoracic, real-time with image documentation (2D)"'));
      const parsed = Papa.parse<string[]>(text, { skipEmptyLines: true }).data;
      const appy = parsed.find((r) => r[4] === '0DTJ4ZZ');
      assert.strictEqual(appy?.[8], 'laparoscopic, "lap appy"\nsecond line');
      assert.strictEqual(appy?.[7], 'Chirurgie générale – appendice');
    });

    it('keeps formula-like cells exact by default, and escapes them only when asked', () => {
      const risky: Mapping[] = [
        {
          sourceCode: 'E11.9',
          sourceDisplay: '=HYPERLINK("http://evil.example","click")',
          sourceCodeSystem: 'icd10cm',
          targetCodeSystem: 'icd10cm',
          targets: [
            {
              targetCode: 'E11.65',
              targetDisplay: '-5 units',
              customAttributes: [{ key: 'k', value: '@SUM(A1)' }],
            },
          ],
        },
      ];
      const exact = Papa.parse<string[]>(toCsv(risky), { skipEmptyLines: true }).data[1];
      assert.deepStrictEqual(
        [exact[2], exact[5], exact[7]],
        ['=HYPERLINK("http://evil.example","click")', '-5 units', '@SUM(A1)'],
      );
      const safe = Papa.parse<string[]>(toCsv(risky, { spreadsheetSafe: true }), { skipEmptyLines: true })
        .data[1];
      assert.deepStrictEqual(
        [safe[2], safe[5], safe[7]],
        ['\'=HYPERLINK("http://evil.example","click")', "'-5 units", "'@SUM(A1)"],
      );
      assert.deepStrictEqual([safe[0], safe[1], safe[4]], ['icd10cm', 'E11.9', 'E11.65'], 'codes untouched');
    });

    it('writes only a header for no mappings', () => {
      assert.strictEqual(toCsv([]), `${CROSSWALK_CSV_COLUMNS.join(',')}\r\n`);
    });
  });

  describe('round trip', () => {
    it('export → parse → plan gives back the same mappings and attributes', () => {
      const parsed = parseImportCsv(toCsv(MAPPINGS));
      assert.deepStrictEqual(parsed.problems, []);
      // The mapping without targets is the one row that cannot be imported.
      assert.deepStrictEqual(
        parsed.invalid.map((r) => r.reason),
        ['TargetCode is empty.'],
      );
      const plan = planImport(parsed.rows);
      const sent = plan.adds.flatMap((b) => b.mappings);
      assert.deepStrictEqual(pairs(sent), pairs(MAPPINGS));
    });

    it('keeps non-ASCII and multi-line attribute values exactly', () => {
      const parsed = parseImportCsv(toCsv(MAPPINGS));
      const appy = parsed.rows.find((r) => r.targetCode === '0DTJ4ZZ');
      assert.deepStrictEqual(appy?.customAttributes, [
        { key: 'Catégorie', value: 'Chirurgie générale – appendice' },
        { key: 'Note', value: 'laparoscopic, "lap appy"\nsecond line' },
      ]);
      // The row after a two-line field starts on the right line.
      const lines = toCsv(MAPPINGS).split('\r\n');
      const lineOfJ = lines.findIndex((l) => l.startsWith('hcpcs,J0696')) + 1;
      assert.strictEqual(parsed.rows.find((r) => r.sourceCode === 'J0696')?.line, lineOfJ);
    });
  });

  describe('parseImportCsv', () => {
    it('reads rows with 1-based lines, skipping blank lines', () => {
      const p = parseImportCsv(
        `${HEADER}\n\nicd10cm, K35.80 ,icd10pcs,0DTJ4ZZ\n   \nICD10CM,E11.9,icd10cm,E11.65\n`,
      );
      assert.deepStrictEqual(p.problems, []);
      assert.deepStrictEqual(p.invalid, []);
      assert.deepStrictEqual(
        p.rows.map((r) => [r.line, r.action, r.sourceCodeSystem, r.sourceCode, r.targetCode]),
        [
          [3, 'add', 'icd10cm', 'K35.80', '0DTJ4ZZ'],
          [5, 'add', 'icd10cm', 'E11.9', 'E11.65'],
        ],
      );
    });

    it('strips a UTF-8 BOM and matches column names trimmed and case-insensitively', () => {
      const p = parseImportCsv(
        `\uFEFF SourceCodeSystem ,SOURCECODE,targetcodesystem,TargetCode,Attr:Sub-category\r\ncpt2025,93351,cpt2025,93303,Echo\r\n`,
      );
      assert.deepStrictEqual(p.problems, []);
      assert.strictEqual(p.rows.length, 1);
      assert.deepStrictEqual(p.rows[0].customAttributes, [{ key: 'Sub-category', value: 'Echo' }]);
    });

    it('reads TSV when the header has tabs', () => {
      const p = parseImportCsv(
        'sourceCodeSystem\tsourceCode\ttargetCodeSystem\ttargetCode\nicd10cm\tK35.80\ticd10pcs\t0DTJ4ZZ\n',
      );
      assert.strictEqual(p.delimiter, '\t');
      assert.strictEqual(p.rows[0]?.targetCode, '0DTJ4ZZ');
    });

    it('names missing required columns and returns no rows', () => {
      const p = parseImportCsv('sourceCodeSystem,sourceCode,targetCodeSystem\nicd10cm,K35.80,icd10pcs\n');
      assert.deepStrictEqual(p.rows, []);
      assert.strictEqual(p.problems.length, 1);
      assert.match(p.problems[0], /Missing required column: targetCode\./);
    });

    it('hints at a semicolon-separated file', () => {
      const p = parseImportCsv(
        'sourceCodeSystem;sourceCode;targetCodeSystem;targetCode\nicd10cm;K35.80;icd10pcs;0DTJ4ZZ\n',
      );
      assert.match(
        p.problems[0],
        /sourceCodeSystem, sourceCode, targetCodeSystem, targetCode.*semicolon-separated/,
      );
    });

    it('refuses unknown and repeated columns rather than dropping data', () => {
      const p = parseImportCsv(
        `${HEADER},atr:Note,TargetCode,attr:\nicd10cm,K35.80,icd10pcs,0DTJ4ZZ,x,y,z\n`,
      );
      assert.deepStrictEqual(p.rows, []);
      assert.strictEqual(p.problems.length, 3);
      assert.match(p.problems.join('\n'), /Unknown column "atr:Note"/);
      assert.match(p.problems.join('\n'), /"TargetCode" appears twice/);
      assert.match(p.problems.join('\n'), /no attribute key/);
    });

    it('ignores display and codeIdentifier columns', () => {
      const p = parseImportCsv(toCsv(MAPPINGS.slice(1, 2)));
      assert.deepStrictEqual(p.problems, []);
      assert.deepStrictEqual(Object.keys(p.rows[0]).sort(), [
        'action',
        'customAttributes',
        'line',
        'sourceCode',
        'sourceCodeSystem',
        'targetCode',
        'targetCodeSystem',
      ]);
    });

    it('reports malformed quotes with the line, keeping the rows before', () => {
      const p = parseImportCsv(
        `${HEADER},attr:Note\nicd10cm,K35.80,icd10pcs,0DTJ4ZZ,ok\nicd10cm,E11.9,icd10cm,E11.65,"broken\nhcpcs,J0696,cpt2025,96365,\n`,
      );
      assert.strictEqual(p.rows.length, 1);
      assert.strictEqual(p.invalid.length, 1);
      assert.strictEqual(p.invalid[0].line, 3);
      assert.match(
        p.invalid[0].reason,
        /Malformed quotes: a quoted field is never closed \(lines 3–4 were read as this one row\)/,
      );
    });

    it('reports a quote followed by text', () => {
      const p = parseImportCsv(`${HEADER}\nicd10cm,"K35.80"x,icd10pcs,0DTJ4ZZ\n`);
      assert.strictEqual(p.invalid[0]?.line, 2);
      assert.match(p.invalid[0].reason, /Malformed quotes/);
    });

    it('refuses unknown slugs, empty codes, over-long attributes and wrong field counts', () => {
      const long = 'v'.repeat(5001);
      const p = parseImportCsv(
        [
          `${HEADER},attr:Note`,
          'icd10,K35.80,icd10pcs,0DTJ4ZZ,', // 2
          'icd10cm,,icd10pcs,0DTJ4ZZ,', // 3
          `icd10cm,K35.80,icd10pcs,0DTJ4ZZ,${long}`, // 4
          `icd10cm,K35.80,icd10pcs,0DTJ0ZZ,${'v'.repeat(5000)}`, // 5: at the limit
          'icd10cm,K35.80,icd10pcs', // 6
          'icd10cm,K35.80,icd10pcs,0DTJ8ZZ,,extra', // 7
          'icd10cm,K35.80,icd10pcs,0DTJ7ZZ,,', // 8: trailing empty field is fine
          '',
        ].join('\n'),
      );
      assert.deepStrictEqual(
        p.invalid.map((r) => [r.line, r.reason]),
        [
          [2, 'Unknown sourceCodeSystem "icd10".'],
          [3, 'SourceCode is empty.'],
          [4, 'Attribute "Note" is 5001 characters long; at most 5000 are allowed.'],
          [6, 'The row has 3 fields; the header has 5.'],
          [7, 'The row has 6 fields; the header has 5.'],
        ],
      );
      assert.deepStrictEqual(
        p.rows.map((r) => r.line),
        [5, 8],
      );
    });

    it('reads delete rows and refuses unknown actions, duplicates and add/delete conflicts', () => {
      const p = parseImportCsv(
        [
          `action,${HEADER},attr:Note`,
          'add,icd10cm,K35.80,icd10pcs,0DTJ4ZZ,n', // 2
          ',icd10cm,K35.80,icd10pcs,0DTJ0ZZ,', // 3: empty action = add
          'DELETE,cpt2025,93351,cpt2025,93303,ignored', // 4
          'remove,cpt2025,93351,cpt2025,93304,', // 5
          'add,icd10cm,K35.80,icd10pcs,0DTJ4ZZ,other note', // 6: duplicate of 2
          'delete,icd10cm,K35.80,icd10pcs,0DTJ0ZZ,', // 7: conflicts with 3
          'delete,cpt2025,93351,cpt2025,93303,', // 8: duplicate of 4
        ].join('\r\n'),
      );
      assert.deepStrictEqual(
        p.rows.map((r) => [r.line, r.action, r.customAttributes.length]),
        [
          [2, 'add', 1],
          [3, 'add', 0],
          [4, 'delete', 0],
        ],
      );
      assert.deepStrictEqual(
        p.invalid.map((r) => [r.line, r.reason]),
        [
          [5, 'Unknown action "remove" (use add or delete).'],
          [6, 'Duplicate of line 2.'],
          [7, 'Conflicts with line 3: one row adds and the other deletes the same mapping.'],
          [8, 'Duplicate of line 4.'],
        ],
      );
    });

    it('says so for an empty file', () => {
      assert.match(parseImportCsv('\uFEFF\r\n').problems[0], /empty/);
    });
  });

  describe('planImport', () => {
    const rows: ImportRow[] = [
      row(2, { targetCode: '0DTJ4ZZ' }),
      row(3, { sourceCode: 'E11.9', targetCodeSystem: 'icd10cm', targetCode: 'E11.65' }),
      row(4, { targetCode: '0DTJ0ZZ', customAttributes: [{ key: 'Note', value: 'open' }] }),
      row(5, {
        sourceCodeSystem: 'cpt2025',
        sourceCode: '93351',
        targetCodeSystem: 'cpt2025',
        targetCode: '93303',
      }),
      row(6, {
        action: 'delete',
        sourceCodeSystem: 'cpt2025',
        sourceCode: '93351',
        targetCodeSystem: 'cpt2025',
        targetCode: '93304',
      }),
      row(7, {
        action: 'delete',
        sourceCodeSystem: 'cpt2025',
        sourceCode: '93351',
        targetCodeSystem: 'cpt2025',
        targetCode: '93306',
      }),
    ];

    it('groups rows per source and target system, batches them, and remembers the lines', () => {
      const plan = planImport(rows, undefined, { batchSize: 2 });
      assert.strictEqual(plan.adds.length, 2);
      assert.deepStrictEqual(plan.adds[0].mappings, [
        {
          sourceCode: 'K35.80',
          sourceCodeSystem: 'icd10cm',
          targetCodeSystem: 'icd10pcs',
          targets: [
            { targetCode: '0DTJ4ZZ' },
            { targetCode: '0DTJ0ZZ', customAttributes: [{ key: 'Note', value: 'open' }] },
          ],
        },
        {
          sourceCode: 'E11.9',
          sourceCodeSystem: 'icd10cm',
          targetCodeSystem: 'icd10cm',
          targets: [{ targetCode: 'E11.65' }],
        },
      ]);
      assert.deepStrictEqual(plan.adds[0].lines, [2, 3, 4]);
      assert.deepStrictEqual(plan.adds[0].targetLines, [[2, 4], [3]]);
      assert.deepStrictEqual(plan.adds[1].lines, [5]);
      assert.deepStrictEqual(plan.deletes, [
        {
          kind: 'delete',
          mappings: [
            {
              sourceCode: '93351',
              sourceCodeSystem: 'cpt2025',
              targetCodeSystem: 'cpt2025',
              targetCodes: ['93304', '93306'],
            },
          ],
          lines: [6, 7],
          targetLines: [[6, 7]],
        },
      ]);
      assert.deepStrictEqual(plan.summary, {
        adds: 4,
        deletes: 2,
        unchanged: 0,
        notPresent: 0,
        attributeChanges: 0,
        invalid: 0,
      });
    });

    it('uses batches of 50 mappings by default', () => {
      const many = Array.from({ length: 120 }, (_, i) => row(i + 2, { sourceCode: `A0${i}` }));
      const plan = planImport(many);
      assert.deepStrictEqual(
        plan.adds.map((b) => b.mappings.length),
        [50, 50, 20],
      );
      assert.deepStrictEqual(plan.adds[2].lines[0], 102);
    });

    it('marks adds already there and deletes of absent targets, and sees attribute changes', () => {
      const existing: Mapping[] = [
        {
          sourceCode: 'K35.80',
          sourceCodeSystem: 'icd10cm',
          targetCodeSystem: 'icd10pcs',
          targets: [
            { targetCode: '0DTJ4ZZ', identifier: 'id-4' },
            {
              targetCode: '0DTJ0ZZ',
              identifier: 'id-0',
              customAttributes: [{ key: 'Note', value: 'laparotomy' }],
            },
          ],
        },
        {
          sourceCode: '93351',
          sourceCodeSystem: 'cpt2025',
          targetCodeSystem: 'cpt2025',
          targets: [{ targetCode: '93304' }],
        },
      ];
      const plan = planImport(rows, existing, { invalid: [{ line: 9, reason: 'x' }] });
      assert.deepStrictEqual(
        plan.unchanged.map((r) => r.line),
        [2],
      );
      assert.deepStrictEqual(plan.attributeChanges, [
        { row: rows[2], codeIdentifier: 'id-0', set: [{ key: 'Note', value: 'open' }] },
      ]);
      assert.deepStrictEqual(
        plan.notPresent.map((r) => r.line),
        [7],
      );
      assert.deepStrictEqual(
        plan.adds.flatMap((b) => b.lines),
        [3, 5],
      );
      assert.deepStrictEqual(
        plan.deletes.flatMap((b) => b.lines),
        [6],
      );
      assert.deepStrictEqual(plan.summary, {
        adds: 2,
        deletes: 1,
        unchanged: 1,
        notPresent: 1,
        attributeChanges: 1,
        invalid: 1,
      });
    });
  });

  describe('formatImportPreview', () => {
    it('lists each section with lines, escaping values from the file', () => {
      const parsed = parseImportCsv(
        [
          `action,${HEADER},attr:Note`,
          'add,icd10cm,K35.80,icd10pcs,0DTJ4ZZ,a|b [x](command:evil)',
          'delete,cpt2025,93351,cpt2025,93303,',
          'add,icd10,K35.80,icd10pcs,0DTJ4ZZ,',
        ].join('\n'),
      );
      const plan = planImport(parsed.rows, undefined, { invalid: parsed.invalid });
      const md = formatImportPreview(plan, parsed.invalid);
      assert.match(md, /^# Crosswalk import preview/);
      assert.match(md, /\| Add \| 1 \|/);
      assert.match(md, /\| Invalid \(not imported\) \| 1 \|/);
      assert.match(
        md,
        /## Add\n\n\| Line \| Source \| Target \| Attributes \| Call \|\n\| ---: \| --- \| --- \| --- \| --- \|\n\| 2 \| icd10cm K35\\\.80 \| icd10pcs 0DTJ4ZZ \| Note = a\\\|b \\\[x\\\]\\\(command:evil\\\) \| 1 \|/,
      );
      assert.match(md, /## Delete\n[\s\S]*\| 3 \| cpt2025 93351 \| cpt2025 93303 \| 1 \|/);
      assert.match(
        md,
        /## Invalid rows \(not imported\)\n[\s\S]*\| 4 \| Unknown sourceCodeSystem "icd10"\\\. \|/,
      );
      assert.ok(!md.includes('](command:'), 'no live link');
    });
  });
});
