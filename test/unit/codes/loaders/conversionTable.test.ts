import * as assert from 'assert';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { readFileSync } from 'fs';
import * as path from 'path';
import {
  effectiveFiscalYear,
  loadConversionTable,
  parsePreviousCodes,
} from '../../../../src/core/codes/loaders/conversionTable';
import type { CodeConversion, LoadResult } from '../../../../src/core/codes/loaders/types';

const DATA = path.join(__dirname, '../../../../sandbox/data');
const FILE = 'ICD-10-CM-CONVERSION-TABLE-FY2026.xlsx';
const bytes = (p: string): Uint8Array => new Uint8Array(readFileSync(path.join(DATA, p)));

const MAIN_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL_NS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PKG_REL_NS = 'http://schemas.openxmlformats.org/package/2006/relationships';

/** A zip archive of the given members (text, UTF-8). */
function zip(members: Record<string, string>): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  for (const [name, text] of Object.entries(members)) files[name] = strToU8(text);
  return zipSync(files);
}

/**
 * A minimal workbook whose only sheet is `xl/worksheets/data.xml` (not `sheet1.xml`, so the sheet
 * must be found through the workbook relationships). `rows` is the inside of `<sheetData>`.
 */
function workbook(rows: string, sharedStrings?: string, extra: Record<string, string> = {}): Uint8Array {
  const members: Record<string, string> = {
    '[Content_Types].xml': '<?xml version="1.0" encoding="UTF-8"?><Types/>',
    'xl/workbook.xml':
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n` +
      `<workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><workbookPr/>` +
      `<sheets><sheet name="Table" sheetId="1" r:id="rId7"/><sheet name="Other" sheetId="2" r:id="rId8"/></sheets></workbook>`,
    'xl/_rels/workbook.xml.rels':
      `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="${PKG_REL_NS}">` +
      `<Relationship Id="rId8" Type="${REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>` +
      `<Relationship Id="rId7" Type="${REL_NS}/worksheet" Target="worksheets/data.xml"/>` +
      `<Relationship Id="rId9" Type="${REL_NS}/sharedStrings" Target="/xl/strings.xml"/></Relationships>`,
    'xl/worksheets/data.xml': `<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="${MAIN_NS}"><sheetData>${rows}</sheetData></worksheet>`,
    // A decoy: the second sheet, which the loader must not read.
    'xl/worksheets/sheet1.xml': `<worksheet xmlns="${MAIN_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Z99.89</t></is></c><c r="B1"><v>2016</v></c><c r="C1" t="inlineStr"><is><t>Z99.8</t></is></c></row></sheetData></worksheet>`,
    ...extra,
  };
  if (sharedStrings !== undefined)
    members['xl/strings.xml'] =
      `<?xml version="1.0" encoding="UTF-8"?>\n<sst xmlns="${MAIN_NS}">${sharedStrings}</sst>`;
  return zip(members);
}

/** An inline-string cell. */
const is = (ref: string, text: string): string => `<c r="${ref}" t="inlineStr"><is><t>${text}</t></is></c>`;
/** A numeric cell. */
const num = (ref: string, value: string): string => `<c r="${ref}" s="5"><v>${value}</v></c>`;
/** A shared-string cell. */
const sst = (ref: string, index: number): string => `<c r="${ref}" s="2" t="s"><v>${index}</v></c>`;
const HEADER = `<row r="2">${is('A2', 'Current code assignment')}${is('B2', 'Effective')}${is('C2', 'Previous Code(s) Assignment')}</row>`;

describe('loaders: ICD-10-CM conversion table (.xlsx)', () => {
  describe('FY2026 conversion table (real file)', () => {
    let result: LoadResult;
    let byCode: Map<string, CodeConversion>;
    before(() => {
      result = loadConversionTable(bytes(`icd10cm/${FILE}`), { fileName: FILE });
      byCode = new Map(result.conversions!.map((c) => [c.code, c]));
    });

    it('reads 5,896 sheet rows: 5,676 conversions, 4 skipped (note, header, 2 empty), 216 rejected', () => {
      assert.strictEqual(result.system, 'icd10cm');
      assert.deepStrictEqual(result.release, { id: 'icd10cm-FY2026', label: 'ICD-10-CM FY2026' });
      assert.deepStrictEqual(result.entries, []);
      assert.strictEqual(result.counts.lines, 5896);
      assert.strictEqual(result.counts.entries, 5676);
      assert.strictEqual(result.conversions!.length, 5676);
      assert.strictEqual(byCode.size, 5676);
      assert.strictEqual(result.counts.skipped, 4);
      assert.strictEqual(result.counts.rejected, 216);
      assert.strictEqual(result.rejected.length, 216);
      assert.strictEqual(
        result.counts.lines,
        result.counts.entries + result.counts.skipped + result.counts.rejected,
      );
      assert.strictEqual(result.counts.noPrevious, 125);
      assert.strictEqual(result.counts.multiplePrevious, 219);
      // Data rows are sheet rows 3–5894, in sheet order.
      assert.strictEqual(result.conversions![0]!.line, 3);
      assert.strictEqual(result.conversions![result.conversions!.length - 1]!.line, 5894);
    });

    it('infers the release from the note above the header when the file name has no year', () => {
      assert.deepStrictEqual(loadConversionTable(bytes(`icd10cm/${FILE}`)).release, {
        id: 'icd10cm-FY2026',
        label: 'ICD-10-CM FY2026',
      });
    });

    it('A04.71 | 2017 | A04.7: effective October 1, 2017, i.e. FY2018', () => {
      assert.deepStrictEqual(byCode.get('A0471'), {
        code: 'A0471',
        effective: 'FY2018',
        previous: ['A047'],
        line: 3,
      });
      assert.deepStrictEqual(byCode.get('A0472'), {
        code: 'A0472',
        effective: 'FY2018',
        previous: ['A047'],
        line: 4,
      });
    });

    it('the FY2026 multiple sclerosis codes G35.A–G35.D replace G35 (rows 791–798, listed as 2025)', () => {
      const g35 = result.conversions!.filter((c) => c.code.startsWith('G35'));
      assert.deepStrictEqual(
        g35.map((c) => [c.code, c.effective, c.previous.join(','), c.line]),
        [
          ['G35A', 'FY2026', 'G35', 791],
          ['G35B0', 'FY2026', 'G35', 792],
          ['G35B1', 'FY2026', 'G35', 793],
          ['G35B2', 'FY2026', 'G35', 794],
          ['G35C0', 'FY2026', 'G35', 795],
          ['G35C1', 'FY2026', 'G35', 796],
          ['G35C2', 'FY2026', 'G35', 797],
          ['G35D', 'FY2026', 'G35', 798],
        ],
      );
    });

    it('the FY2026 rows are exactly the codes added by the FY2026 codes addenda, less 3 rejected rows', () => {
      const adds = new Set<string>();
      for (const line of readFileSync(
        path.join(DATA, 'icd10cm/icd10cm-codes-addenda-2026.txt'),
        'latin1',
      ).split(/\r?\n/)) {
        const m = /^Add:\s+(\S+)/.exec(line);
        if (m) adds.add(m[1]!);
      }
      assert.strictEqual(adds.size, 487);
      const fy2026 = result.conversions!.filter((c) => c.effective === 'FY2026').map((c) => c.code);
      assert.strictEqual(fy2026.length, 484);
      assert.deepStrictEqual(
        fy2026.filter((c) => !adds.has(c)),
        [],
      );
      // The other three FY2026 codes have a description, not codes, as their previous assignment.
      const missing = [...adds].filter((c) => !byCode.has(c)).sort();
      assert.deepStrictEqual(missing, ['W44H9XA', 'W44H9XD', 'W44H9XS']);
      assert.deepStrictEqual(
        result.rejected.filter((r) => r.text.startsWith('W44.H9X')).map((r) => [r.line, r.text]),
        [
          [5495, 'W44.H9XA | 2025 | Codes in Categories T15-T19'],
          [5496, 'W44.H9XD | 2025 | Codes in Categories T15-T19'],
          [5497, 'W44.H9XS | 2025 | Codes in Categories T15-T19'],
        ],
      );
    });

    it('conversions per fiscal year', () => {
      const perYear: Record<string, number> = {};
      for (const c of result.conversions!) perYear[c.effective] = (perYear[c.effective] ?? 0) + 1;
      assert.deepStrictEqual(perYear, {
        FY2017: 1947,
        FY2018: 340,
        FY2019: 272,
        FY2020: 271,
        FY2021: 490,
        FY2022: 156,
        FY2023: 1206,
        FY2024: 258,
        FY2025: 252,
        FY2026: 484,
      });
    });

    it('splits previous codes written with ",", "and", "AND", "&" and ";"', () => {
      const prev = (code: string): readonly string[] | undefined => byCode.get(code)?.previous;
      assert.deepStrictEqual(prev('C50A0'), ['C50919', 'C50929']); // 'C50.919, C50.929'
      assert.deepStrictEqual(prev('C563'), ['C561', 'C562']); // 'C56.1 and C56.2'
      assert.deepStrictEqual(prev('I63013'), ['I63011', 'I63012']); // 'I63.011 AND I63.012'
      assert.deepStrictEqual(prev('M93004'), ['M93001', 'M93002']); // 'M93.001 & M93.002'
      assert.deepStrictEqual(prev('G9332'), ['G933', 'R5382']); // 'G93.3; R53.82'
      assert.deepStrictEqual(prev('G115'), ['G118', 'E230', 'K000']); // 'G11.8 and E23.0 and K00.0'
      assert.deepStrictEqual(prev('H0220C'), ['H02201', 'H02202', 'H02204', 'H02205']); // '…, … and …'
      assert.deepStrictEqual(prev('E75244'), ['E75240', 'E75241', 'E75248', 'E75249']); // trailing space
      assert.deepStrictEqual(prev('M84750A'), ['S728X1A', 'S728X2A', 'S728X9A']);
      // U07.0 (vaping-related disorder) has the most previous codes: 8.
      assert.deepStrictEqual(byCode.get('U070'), {
        code: 'U070',
        effective: 'FY2020',
        previous: ['J680', 'J689', 'J691', 'J80', 'J82', 'J84114', 'J8489', 'Z720'],
        line: 4694,
      });
      assert.strictEqual(Math.max(...result.conversions!.map((c) => c.previous.length)), 8);
    });

    it('"None" gives no previous code (R29.700–R29.742 NIHSS scores, Z17.x, …)', () => {
      assert.deepStrictEqual(byCode.get('R29700'), {
        code: 'R29700',
        effective: 'FY2017',
        previous: [],
        line: 2986,
      });
      assert.deepStrictEqual(byCode.get('Z1721')?.previous, []);
      assert.strictEqual(byCode.get('Z1721')?.effective, 'FY2025');
      assert.strictEqual(result.conversions!.filter((c) => c.previous.length === 0).length, 125);
    });

    it('Excel dates in the Effective column map to the fiscal year that contains them', () => {
      assert.deepStrictEqual(byCode.get('U071'), {
        code: 'U071',
        effective: 'FY2020',
        previous: ['B9729'],
        line: 4695,
      }); // 2020-04-01
      assert.strictEqual(byCode.get('J1282')?.effective, 'FY2021'); // 2021-01-01
      assert.strictEqual(byCode.get('Z28310')?.effective, 'FY2022'); // 2022-04-01
      assert.strictEqual(byCode.get('Y07010')?.effective, 'FY2023'); // 2023-04-01
    });

    it('trims padded codes and reads W453XXA (no dot in the file) as W45.3XXA', () => {
      assert.deepStrictEqual(byCode.get('C441121'), {
        code: 'C441121',
        effective: 'FY2019',
        previous: ['C44112'],
        line: 32,
      });
      assert.deepStrictEqual(byCode.get('W453XXA'), {
        code: 'W453XXA',
        effective: 'FY2026',
        previous: ['W458XXA'],
        line: 5504,
      });
    });

    it('rejects 76 rows with ranges, 132 with descriptions or categories, 8 exact duplicates', () => {
      const ranges = result.rejected.filter((r) => /is a range of codes/.test(r.reason));
      const notCodes = result.rejected.filter((r) => /is not an ICD-10-CM code/.test(r.reason));
      const duplicates = result.rejected.filter((r) => /^duplicate current code/.test(r.reason));
      assert.strictEqual(ranges.length, 76);
      assert.strictEqual(notCodes.length, 132);
      assert.strictEqual(duplicates.length, 8);
      assert.deepStrictEqual(
        result.rejected.find((r) => r.line === 910),
        {
          line: 910,
          reason:
            "previous code(s) 'H02.101-H02.106; H02.109': 'H02.101-H02.106' is a range of codes (ranges are not expanded)",
          text: 'H02.151 | 2018 | H02.101-H02.106; H02.109',
        },
      );
      assert.deepStrictEqual(
        result.rejected.find((r) => r.line === 2823),
        {
          line: 2823,
          reason: "previous code(s) 'I63.- and P91.88': 'I63.-' is not an ICD-10-CM code",
          text: 'P91.821 | 2020 | I63.- and P91.88',
        },
      );
      assert.deepStrictEqual(
        result.rejected.find((r) => r.line === 2732),
        {
          line: 2732,
          reason: 'duplicate current code O4420 (first on row 2731)',
          text: 'O44.20 | 2016 | O44.00',
        },
      );
      assert.deepStrictEqual(byCode.get('O4420'), {
        code: 'O4420',
        effective: 'FY2017',
        previous: ['O4400'],
        line: 2731,
      });
    });

    it('the general XML path reads the same as the fast path for Excel-shaped cells and strings', () => {
      const files = unzipSync(bytes(`icd10cm/${FILE}`));
      const sheet = strFromU8(files['xl/worksheets/sheet1.xml']!);
      const strings = strFromU8(files['xl/sharedStrings.xml']!);
      // A second space in every cell tag and a space before every <t> defeat the fast-path patterns.
      files['xl/worksheets/sheet1.xml'] = strToU8(sheet.replace(/<c r=/g, '<c  r='));
      files['xl/sharedStrings.xml'] = strToU8(strings.replace(/<si><t/g, '<si> <t'));
      assert.notStrictEqual(strFromU8(files['xl/worksheets/sheet1.xml']!), sheet);
      assert.deepStrictEqual(loadConversionTable(zipSync(files, { level: 0 }), { fileName: FILE }), result);
    });

    it('loads fast (well under the time of a quadratic scan)', () => {
      const input = bytes(`icd10cm/${FILE}`);
      const t = performance.now();
      loadConversionTable(input);
      // Typically ~25 ms once warm; the bound only guards against pathological slowdowns on busy machines.
      assert.ok(performance.now() - t < 500, `took ${(performance.now() - t).toFixed(0)} ms`);
    });
  });

  describe('synthetic workbooks', () => {
    it('reads inline strings, numbers, rich-text shared strings with entities, and places cells by reference', () => {
      const shared =
        // 0: a note naming the release
        '<si><t xml:space="preserve">This FY 2031 &lt;update&gt; table&#x2026;</t></si>' +
        // 1: rich text, split over runs, with a phonetic run to leave out
        '<si><r><t>G3</t></r><r><rPr><b/><sz val="11"/></rPr><t>5.A</t></r><rPh sb="0" eb="1"><t>X</t></rPh></si>' +
        // 2: entities in a list of previous codes
        '<si><t>M93.001 &amp; M93.002&#59; &#77;93.003</t></si>' +
        // 3: an empty item
        '<si/>' +
        // 4: an Excel escape for a line break between codes
        '<si><t>C56.1_x000D_\nC56.2</t></si>';
      const rows =
        `<row r="1">${sst('A1', 0)}</row>` +
        HEADER +
        `<row r="3">${sst('A3', 1)}${num('B3', '2030')}${is('C3', 'G35')}</row>` +
        `<row r="4"><c r="A4" t="str"><v>m93.004</v></c>${num('B4', '2029')}${sst('C4', 2)}</row>` +
        // B5 missing entirely: C5 must still land in column C.
        `<row r="5">${is('A5', 'B88.01')}${is('C5', 'B88.0')}</row>` +
        `<row r="6"/>` +
        `<row r="7">${sst('A7', 3)}<c r="B7"/>${is('C7', '')}</row>` +
        // A8 missing: the code column is empty.
        `<row r="8">${num('B8', '2030')}${is('C8', 'A00.0')}</row>` +
        `<row r="9">${is('A9', ' c56.3 ')}${is('B9', '2021')}${sst('C9', 4)}</row>` +
        `<row r="10">${is('A10', 'Q&#x41;0.0')}${num('B10', '45017')}${is('C10', 'None')}</row>`;
      const r = loadConversionTable(workbook(rows, shared));
      assert.deepStrictEqual(r.release, { id: 'icd10cm-FY2031', label: 'ICD-10-CM FY2031' });
      assert.deepStrictEqual(r.conversions, [
        { code: 'G35A', effective: 'FY2031', previous: ['G35'], line: 3 },
        { code: 'M93004', effective: 'FY2030', previous: ['M93001', 'M93002', 'M93003'], line: 4 },
        { code: 'C563', effective: 'FY2022', previous: ['C561', 'C562'], line: 9 },
        { code: 'QA00', effective: 'FY2023', previous: [], line: 10 },
      ]);
      assert.deepStrictEqual(r.rejected, [
        { line: 5, reason: 'effective is empty', text: 'B88.01 |  | B88.0' },
        { line: 8, reason: 'current code is empty', text: ' | 2030 | A00.0' },
      ]);
      assert.deepStrictEqual(
        {
          lines: r.counts.lines,
          entries: r.counts.entries,
          skipped: r.counts.skipped,
          rejected: r.counts.rejected,
        },
        { lines: 10, entries: 4, skipped: 4, rejected: 2 },
      );
      assert.strictEqual(r.counts.multiplePrevious, 2);
      assert.strictEqual(r.counts.noPrevious, 1);
    });

    it('reads a workbook written with a namespace prefix (x:) and CDATA', () => {
      const px = (s: string): string => s.replace(/<(\/?)(?=[a-zA-Z])/g, '<$1x:');
      const members = {
        'xl/workbook.xml': `<x:workbook xmlns:x="${MAIN_NS}" xmlns:r="${REL_NS}"><x:sheets><x:sheet name="T" sheetId="1" r:id="rId1"/></x:sheets></x:workbook>`,
        'xl/_rels/workbook.xml.rels': `<Relationships xmlns="${PKG_REL_NS}"><Relationship Id="rId1" Type="${REL_NS}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
        'xl/worksheets/sheet1.xml':
          `<?xml version="1.0"?><x:worksheet xmlns:x="${MAIN_NS}"><x:sheetData>` +
          px(HEADER) +
          `<x:row r="3"><x:c r="A3" t="inlineStr"><x:is><x:t><![CDATA[A04.71]]></x:t></x:is></x:c>` +
          `<x:c r="B3"><x:v>2017</x:v></x:c><x:c r="C3" t="inlineStr"><x:is><x:t>A04.7</x:t></x:is></x:c></x:row>` +
          `</x:sheetData></x:worksheet>`,
      };
      const r = loadConversionTable(zip(members), { fileName: 'conversion-table-FY2018.xlsx' });
      assert.deepStrictEqual(r.conversions, [
        { code: 'A0471', effective: 'FY2018', previous: ['A047'], line: 3 },
      ]);
      assert.deepStrictEqual(r.release, { id: 'icd10cm-FY2018', label: 'ICD-10-CM FY2018' });
      assert.strictEqual(r.counts.skipped, 1);
    });

    it('reads cells whose attributes come in another order, hold ">" or use single quotes', () => {
      const rows =
        HEADER +
        `<row r="3" spans="1:3"><c t="inlineStr" r="A3" note="a>b"><is><t>A04.71</t></is></c>` +
        `<c s='5' r='B3'><v>2017</v></c><c cm="1" r="C3" t="str"><f>"A04.7"</f><v>A04.7</v></c></row>`;
      const r = loadConversionTable(workbook(rows));
      assert.deepStrictEqual(r.conversions, [
        { code: 'A0471', effective: 'FY2018', previous: ['A047'], line: 3 },
      ]);
    });

    it('falls back to xl/worksheets/sheet1.xml when there is no workbook part; columns follow the header', () => {
      const sheet =
        `<worksheet xmlns="${MAIN_NS}"><sheetData>` +
        `<row r="1">${is('A1', 'Previous Code(s) Assignment')}${is('B1', 'Current code assignment')}${is('C1', 'Effective')}</row>` +
        `<row r="2">${is('A2', 'A04.7')}${is('B2', 'A04.71')}${num('C2', '2017')}</row>` +
        `</sheetData></worksheet>`;
      const r = loadConversionTable(zip({ 'xl/worksheets/sheet1.xml': sheet }), {
        release: { id: 'icd10cm-test', label: 'Test' },
      });
      assert.deepStrictEqual(r.conversions, [
        { code: 'A0471', effective: 'FY2018', previous: ['A047'], line: 2 },
      ]);
      assert.deepStrictEqual(r.release, { id: 'icd10cm-test', label: 'Test' });
    });

    it('rejects bad codes, years and previous codes; keeps at most maxRejected with an exact count', () => {
      const rows =
        HEADER +
        `<row r="3">${is('A3', 'A0.471')}${num('B3', '2017')}${is('C3', 'A04.7')}</row>` +
        `<row r="4">${is('A4', 'A04.71')}${is('B4', 'soon')}${is('C4', 'A04.7')}</row>` +
        `<row r="5">${is('A5', 'A04.72')}${num('B5', '2017')}${is('C5', 'A04.7-A04.9')}</row>` +
        `<row r="6">${is('A6', 'A04.73')}${num('B6', '2017')}${is('C6', ', ;')}</row>`;
      const r = loadConversionTable(workbook(rows), { maxRejected: 3 });
      assert.strictEqual(r.counts.rejected, 4);
      assert.deepStrictEqual(
        r.rejected.map((x) => [x.line, x.reason]),
        [
          [3, "'A0.471' is not an ICD-10-CM code"],
          [4, "effective 'soon' is not a year or a date"],
          [5, "previous code(s) 'A04.7-A04.9': 'A04.7-A04.9' is a range of codes (ranges are not expanded)"],
        ],
      );
      assert.deepStrictEqual(r.conversions, []);
      assert.deepStrictEqual(r.release, { id: 'icd10cm-unknown', label: 'ICD-10-CM (release unknown)' });
    });

    it('throws a clear error for input that is not an .xlsx workbook', () => {
      assert.throws(
        () => loadConversionTable(strToU8('Current code assignment,Effective,Previous\nA04.71,2017,A04.7\n')),
        /^Error: not an \.xlsx workbook: the data is not a zip archive/,
      );
      assert.throws(() => loadConversionTable(new Uint8Array(0)), /not an \.xlsx workbook/);
      assert.throws(
        () => loadConversionTable(zip({ 'readme.txt': 'hello', 'xl/styles.xml': '<styleSheet/>' })),
        /^Error: not an \.xlsx workbook: no worksheet found/,
      );
      const corrupt = new Uint8Array(64);
      corrupt.set([0x50, 0x4b, 0x03, 0x04]);
      assert.throws(
        () => loadConversionTable(corrupt),
        /^Error: not an \.xlsx workbook: the zip archive cannot be read/,
      );
    });
  });

  describe('parsePreviousCodes', () => {
    it('splits lists, accepts None, refuses ranges, categories and text', () => {
      assert.deepStrictEqual(parsePreviousCodes('A04.7'), { ok: true, codes: ['A047'] });
      assert.deepStrictEqual(parsePreviousCodes(' NONE '), { ok: true, codes: [] });
      assert.deepStrictEqual(parsePreviousCodes('H02.201, H02.202, H02.204 and H02.205'), {
        ok: true,
        codes: ['H02201', 'H02202', 'H02204', 'H02205'],
      });
      assert.deepStrictEqual(parsePreviousCodes('S20.341A; S20.342A;\nS20.349A'), {
        ok: true,
        codes: ['S20341A', 'S20342A', 'S20349A'],
      });
      assert.deepStrictEqual(parsePreviousCodes('W23.0XXA & W23.1XXA'), {
        ok: true,
        codes: ['W230XXA', 'W231XXA'],
      });
      assert.strictEqual(parsePreviousCodes('').ok, false);
      assert.match(reason(parsePreviousCodes('I10-I15.9')), /'I10-I15.9' is a range of codes/);
      assert.match(
        reason(parsePreviousCodes('K31.89 and a code from R11-')),
        /'a code from R11-' is not an ICD-10-CM code/,
      );
      assert.match(reason(parsePreviousCodes('I63.-')), /'I63.-' is not an ICD-10-CM code/);
      assert.match(reason(parsePreviousCodes('and')), /name no code/);
    });
  });

  describe('effectiveFiscalYear', () => {
    it('a year Y (1 October Y) is FY Y+1; dates fall in the fiscal year that contains them', () => {
      assert.strictEqual(effectiveFiscalYear('2025'), 'FY2026');
      assert.strictEqual(effectiveFiscalYear(' 2016 '), 'FY2017');
      assert.strictEqual(effectiveFiscalYear('FY2026'), 'FY2026');
      assert.strictEqual(effectiveFiscalYear('fy 2024'), 'FY2024');
      assert.strictEqual(effectiveFiscalYear('43922'), 'FY2020'); // 2020-04-01
      assert.strictEqual(effectiveFiscalYear('44197'), 'FY2021'); // 2021-01-01
      assert.strictEqual(effectiveFiscalYear('45200'), 'FY2024'); // 2023-10-01
      assert.strictEqual(effectiveFiscalYear('45199'), 'FY2023'); // 2023-09-30
      assert.strictEqual(effectiveFiscalYear('43922', true), 'FY2024'); // 1904 system: 2024-04-02
      assert.strictEqual(effectiveFiscalYear('4/1/2023'), 'FY2023');
      assert.strictEqual(effectiveFiscalYear('10/1/2025'), 'FY2026');
      assert.strictEqual(effectiveFiscalYear('2023-10-01'), 'FY2024');
      assert.strictEqual(effectiveFiscalYear(''), undefined);
      assert.strictEqual(effectiveFiscalYear('soon'), undefined);
      assert.strictEqual(effectiveFiscalYear('13/1/2023'), undefined);
    });
  });
});

function reason(r: ReturnType<typeof parsePreviousCodes>): string {
  assert.strictEqual(r.ok, false);
  return r.ok ? '' : r.reason;
}
