import * as assert from 'assert';
import { readFileSync } from 'fs';
import * as path from 'path';
import type { CodeEntry, LoadResult } from '../../../../src/core/codes/loaders/types';
import {
  loadIcd10CmCodes,
  loadIcd10CmOrder,
  loadIcd10PcsOrder,
  parseOrderLine,
} from '../../../../src/core/codes/loaders/icd10Order';

const DATA = path.join(__dirname, '../../../../sandbox/data');
const bytes = (p: string): Uint8Array => new Uint8Array(readFileSync(path.join(DATA, p)));

/** An independent oracle: a whole-line regex over the documented layout (not the loader's slicing). */
const ORDER_LINE = /^(\d{5}) ([A-Z0-9]{3,7}) {0,4} ([01]) (.{60}) (.*?)\s*$/;

function oracle(file: string): Map<string, { billable: boolean; short: string; title: string }> {
  const m = new Map<string, { billable: boolean; short: string; title: string }>();
  for (const line of readFileSync(path.join(DATA, file), 'latin1').split('\r\n')) {
    if (!line) continue;
    const r = ORDER_LINE.exec(line);
    assert.ok(r, `oracle cannot parse: ${line}`);
    m.set(r[2]!, { billable: r[3] === '1', short: r[4]!.trimEnd(), title: r[5]! });
  }
  return m;
}

describe('loaders: ICD-10-CM / ICD-10-PCS order files and the CM codes file', () => {
  describe('ICD-10-CM FY2026 order file (real file)', () => {
    let result: LoadResult;
    let byCode: Map<string, CodeEntry>;
    before(() => {
      result = loadIcd10CmOrder(bytes('icd10cm/icd10cm-order-2026.txt'), {
        fileName: 'icd10cm-order-2026.txt',
      });
      byCode = new Map(result.entries.map((e) => [e.code, e]));
    });

    it('reads all 98,186 rows with no rejects; 74,719 billable + 23,467 headers; release FY2026', () => {
      assert.strictEqual(result.counts.lines, 98186);
      assert.strictEqual(result.entries.length, 98186);
      assert.strictEqual(byCode.size, 98186);
      assert.deepStrictEqual(result.rejected, []);
      assert.strictEqual(result.counts.billable, 74719);
      assert.strictEqual(result.counts.headers, 23467);
      assert.strictEqual(result.entries.filter((e) => e.billable).length, 74719);
      assert.deepStrictEqual(result.release, { id: 'icd10cm-FY2026', label: 'ICD-10-CM FY2026' });
      assert.strictEqual(result.system, 'icd10cm');
    });

    it('every code has exactly the long title, short title and flag of a whole-line parse of its row', () => {
      const expected = oracle('icd10cm/icd10cm-order-2026.txt');
      assert.strictEqual(expected.size, 98186);
      let mismatches = 0;
      for (const [code, want] of expected) {
        const got = byCode.get(code);
        if (!got || got.title !== want.title || got.short !== want.short || got.billable !== want.billable)
          mismatches++;
      }
      assert.strictEqual(mismatches, 0);
    });

    it('every billable code has the same long title as in the separate codes file (a second layout)', () => {
      const codes = loadIcd10CmCodes(bytes('icd10cm/icd10cm-codes-2026.txt'), {
        fileName: 'icd10cm-codes-2026.txt',
      });
      assert.strictEqual(codes.entries.length, 74719);
      assert.deepStrictEqual(codes.rejected, []);
      for (const e of codes.entries) {
        const o = byCode.get(e.code);
        assert.ok(o && o.billable === true, `${e.code} is billable in the order file`);
        assert.strictEqual(o.title, e.title, e.code);
      }
    });

    it('splits by position where the short title fills all 60 columns (9,615 rows)', () => {
      const full = result.entries.filter((e) => e.short!.length === 60);
      assert.strictEqual(full.length, 9615);
      for (const e of full) assert.ok(!e.title.startsWith(' ') && e.title.length > 0);
      const a081 = byCode.get('A081')!;
      assert.strictEqual(a081.short, 'Acute gastrent d/t Norwalk agent and oth small round viruses');
      assert.strictEqual(
        a081.title,
        'Acute gastroenteropathy due to Norwalk agent and other small round viruses',
      );
      assert.strictEqual(a081.billable, false);
    });

    it('spot checks: headers, 7th characters, the new QA0 category, order numbers', () => {
      assert.deepStrictEqual(byCode.get('A00'), {
        code: 'A00',
        title: 'Cholera',
        short: 'Cholera',
        billable: false,
        order: 1,
      });
      assert.strictEqual(byCode.get('A0103')!.title, 'Typhoid pneumonia');
      assert.strictEqual(byCode.get('A0103')!.order, 10);
      assert.strictEqual(byCode.get('G35')!.billable, false, 'G35 became a header in FY2026');
      assert.strictEqual(byCode.get('QA00101')!.title, 'SCN2A-related neurodevelopmental disorder');
      assert.ok(result.entries.every((e) => /^[A-Z][0-9A-Z]{2,6}$/.test(e.code)));
    });
  });

  describe('ICD-10-PCS FY2026 order file (real file)', () => {
    let result: LoadResult;
    let byCode: Map<string, CodeEntry>;
    before(() => {
      result = loadIcd10PcsOrder(bytes('icd10pcs/icd10pcs_order_2026.txt'), {
        fileName: 'icd10pcs_order_2026.txt',
      });
      byCode = new Map(result.entries.map((e) => [e.code, e]));
    });

    it('reads all 80,029 rows (79,115 billable 7-character codes + 914 3-character headers)', () => {
      assert.strictEqual(result.counts.lines, 80029);
      assert.strictEqual(byCode.size, 80029);
      assert.deepStrictEqual(result.rejected, []);
      assert.strictEqual(result.counts.billable, 79115);
      assert.strictEqual(result.counts.headers, 914);
      assert.ok(result.entries.every((e) => (e.billable ? e.code.length === 7 : e.code.length === 3)));
      assert.strictEqual(result.release.id, 'icd10pcs-FY2026');
    });

    it('every code has exactly the long title of a whole-line parse of its row', () => {
      const expected = oracle('icd10pcs/icd10pcs_order_2026.txt');
      assert.strictEqual(expected.size, 80029);
      let mismatches = 0;
      for (const [code, want] of expected) {
        const got = byCode.get(code);
        if (!got || got.title !== want.title || got.short !== want.short || got.billable !== want.billable)
          mismatches++;
      }
      assert.strictEqual(mismatches, 0);
      assert.strictEqual(result.entries.filter((e) => e.short!.length === 60).length, 7177);
    });

    it('spot checks', () => {
      assert.strictEqual(byCode.get('001')!.title, 'Central Nervous System and Cranial Nerves, Bypass');
      assert.strictEqual(
        byCode.get('0016070')!.short,
        'Bypass Cereb Vent to Nasophar with Autol Sub, Open Approach',
      );
      assert.strictEqual(
        byCode.get('0016070')!.title,
        'Bypass Cerebral Ventricle to Nasopharynx with Autologous Tissue Substitute, Open Approach',
      );
    });
  });

  describe('malformed input', () => {
    const good = '00001 A00     0 Cholera                                                      Cholera';
    it('parseOrderLine splits by position and explains failures', () => {
      const r = parseOrderLine(good);
      assert.deepStrictEqual(r, {
        ok: true,
        order: 1,
        code: 'A00',
        billable: false,
        short: 'Cholera',
        title: 'Cholera',
      });
      assert.match(
        (parseOrderLine('00001 A00 0 Cholera Cholera') as { reason: string }).reason,
        /at least 78/,
      );
    });

    it('rejects bad rows with line numbers and reasons, keeps the good ones, accepts strings and LF', () => {
      const text = [
        good,
        'xxxxx A01     1 Typhoid                                                      Typhoid fever',
        '00003 A02     2 Other salmonella                                             Other salmonella infections',
        '00004 a02     1 Lower                                                        lower case code',
        '00005 A00     1 Cholera again                                                Duplicate',
        '',
        '00007 A010    0 Typhoid fever                                                ',
        'short line',
        '00009 A0100   1 Typhoid fever, unspecified                                   Typhoid fever, unspecified',
      ].join('\n');
      const r = loadIcd10CmOrder(text);
      assert.deepStrictEqual(
        r.entries.map((e) => e.code),
        ['A00', 'A0100'],
      );
      assert.deepStrictEqual(
        r.rejected.map((x) => [x.line, x.reason]),
        [
          [2, 'order number (columns 1-5) is not 5 digits'],
          [3, "flag (column 15) is '2', expected 0 or 1"],
          [4, "'a02' is not a ICD-10-CM code"],
          [5, 'duplicate code A00'],
          [7, 'line is 77 characters; an order-file row has at least 78'],
          [8, 'line is 10 characters; an order-file row has at least 78'],
        ],
      );
      assert.strictEqual(r.counts.rejected, 6);
      assert.strictEqual(r.counts.skipped, 1);
      assert.strictEqual(r.release.id, 'icd10cm-unknown');
    });

    it('caps the kept rejects at maxRejected but counts them all', () => {
      const r = loadIcd10PcsOrder('bad\nbad\nbad\n', {
        maxRejected: 2,
        release: { id: 'icd10pcs-FY2025', label: 'x' },
      });
      assert.strictEqual(r.rejected.length, 2);
      assert.strictEqual(r.counts.rejected, 3);
      assert.strictEqual(r.release.id, 'icd10pcs-FY2025');
    });

    it('codes file: rejects rows without the 8-column code field', () => {
      const r = loadIcd10CmCodes(
        'A000    Cholera due to Vibrio cholerae 01, biovar cholerae\r\nA001Cholera\r\nA00X    \r\n',
      );
      assert.strictEqual(r.entries.length, 1);
      assert.deepStrictEqual(
        r.rejected.map((x) => x.line),
        [2, 3],
      );
    });
  });
});
