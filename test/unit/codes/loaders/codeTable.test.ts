import * as assert from 'assert';
import { loadCodeTable } from '../../../../src/core/codes/loaders/codeTable';
import { forEachRecord, sniffDelimiter } from '../../../../src/core/codes/loaders/delimited';

function records(text: string, d = ','): Array<{ fields: string[]; line: number; problem?: string }> {
  const out: Array<{ fields: string[]; line: number; problem?: string }> = [];
  forEachRecord(text, d, (r) => out.push(r));
  return out;
}

describe('loaders: RFC 4180 reader', () => {
  it('handles quotes, doubled quotes, delimiters and line breaks inside quotes, CRLF and LF, empty fields', () => {
    assert.deepStrictEqual(records('a,"b,c","say ""hi""",\r\n"multi\nline",x\n\n'), [
      { fields: ['a', 'b,c', 'say "hi"', ''], line: 1 },
      { fields: ['multi\nline', 'x'], line: 2 },
      { fields: [''], line: 4 },
    ]);
    assert.deepStrictEqual(records('x,""\n"",y'), [
      { fields: ['x', ''], line: 1 },
      { fields: ['', 'y'], line: 2 },
    ]);
    assert.deepStrictEqual(records('a\tb "c"\td', '\t'), [{ fields: ['a', 'b "c"', 'd'], line: 1 }]);
  });

  it('reports an unterminated quote and text after a closing quote', () => {
    assert.deepStrictEqual(records('"open,field\nnext'), [
      { fields: ['open,field\nnext'], line: 1, problem: 'unterminated quoted field (opened on line 1)' },
    ]);
    assert.deepStrictEqual(records('"a"b,c'), [
      { fields: ['ab', 'c'], line: 1, problem: 'characters after a closing quote' },
    ]);
  });

  it('is linear on a pathological input (1 MB of quotes)', () => {
    const t0 = Date.now();
    records('"'.repeat(1_000_000));
    records('a,'.repeat(500_000));
    assert.ok(Date.now() - t0 < 1000);
  });

  it('sniffs the delimiter from the first line', () => {
    assert.strictEqual(sniffDelimiter('code\tdescription\nA\tB'), '\t');
    assert.strictEqual(sniffDelimiter('"a,b";c;d\n'), ';');
    assert.strictEqual(sniffDelimiter('code,description'), ',');
    assert.strictEqual(sniffDelimiter('E119'), ',');
  });
});

describe('loaders: plain code,description table', () => {
  it('reads a CSV with a header, quoted descriptions with commas and quotes, and strips dots', () => {
    const csv =
      'Code,Description\r\nE11.9,"Type 2 diabetes mellitus without complications"\r\nI10,"Essential (primary) hypertension"\r\nZ00.00,"Encounter for general adult medical examination, without ""abnormal"" findings"\r\n';
    const r = loadCodeTable(csv, { system: 'icd10cm', fileName: 'my-codes.csv' });
    assert.deepStrictEqual(r.rejected, []);
    assert.strictEqual(r.counts.header, 1);
    assert.deepStrictEqual(r.entries, [
      { code: 'E119', title: 'Type 2 diabetes mellitus without complications' },
      { code: 'I10', title: 'Essential (primary) hypertension' },
      {
        code: 'Z0000',
        title: 'Encounter for general adult medical examination, without "abnormal" findings',
      },
    ]);
    assert.deepStrictEqual(r.release, { id: 'icd10cm-my-codes.csv', label: 'my-codes.csv' });
  });

  it('reads a TSV without a header; finds columns by name when they are swapped', () => {
    const tsv = loadCodeTable(
      new Uint8Array(Buffer.from('90471\tImmunization admin\n99213\tOffice visit, est\n', 'utf-8')),
      { system: 'cpt' },
    );
    assert.deepStrictEqual(
      tsv.entries.map((e) => [e.code, e.title]),
      [
        ['90471', 'Immunization admin'],
        ['99213', 'Office visit, est'],
      ],
    );
    assert.strictEqual(tsv.counts.header, 0);
    const swapped = loadCodeTable('description,icd10_code\nCholera,A00\n', { system: 'icd10cm' });
    assert.deepStrictEqual(swapped.entries, [{ code: 'A00', title: 'Cholera' }]);
    const keepDots = loadCodeTable('A00.1,x\n', { system: 'x', stripDots: false });
    assert.strictEqual(keepDots.entries[0]!.code, 'A00.1');
  });

  it('rejects bad rows with reasons', () => {
    const r = loadCodeTable(
      'code,description\nA00,Cholera\nA01\n"bad code!",x\nA02,\nA00,Dup\n"A03,"unterminated\n',
      { system: 'icd10cm' },
    );
    assert.deepStrictEqual(
      r.entries.map((e) => e.code),
      ['A00'],
    );
    assert.deepStrictEqual(
      r.rejected.map((x) => [x.line, x.reason]),
      [
        [3, 'expected at least 2 fields, found 1'],
        [4, "'bad code!' does not look like a code"],
        [5, 'description is empty'],
        [6, 'duplicate code A00'],
        [7, 'characters after a closing quote'],
      ],
    );
  });
});
