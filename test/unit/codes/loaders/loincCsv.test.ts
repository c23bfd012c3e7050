import * as assert from 'assert';
import { readFileSync } from 'fs';
import * as path from 'path';
import { loadLoincCsv } from '../../../../src/core/codes/loaders/loincCsv';

const FIXTURE = path.join(__dirname, 'fixtures/Loinc.csv');

describe('loaders: LOINC table CSV (fixture in the real format)', () => {
  it('reads quoted fields (commas, doubled quotes, CRLF inside a field) and finds columns by name', () => {
    const r = loadLoincCsv(new Uint8Array(readFileSync(FIXTURE)));
    assert.deepStrictEqual(r.rejected, []);
    assert.strictEqual(r.entries.length, 4);
    assert.strictEqual(r.counts.lines, 5, 'records, not physical lines: one field spans two lines');
    const by = new Map(r.entries.map((e) => [e.code, e]));
    assert.deepStrictEqual(by.get('2345-7'), {
      code: '2345-7',
      title: 'Glucose [Mass/volume] in Serum or Plasma',
      short: 'Glucose SerPl-mCnc',
      status: 'ACTIVE',
      extra: {
        COMPONENT: 'Glucose',
        PROPERTY: 'MCnc',
        TIME_ASPCT: 'Pt',
        SYSTEM: 'Ser/Plas',
        SCALE_TYP: 'Qn',
        CLASS: 'CHEM',
        DisplayName: 'Glucose, Bld',
        VersionLastChanged: '2.73',
      },
    });
    assert.strictEqual(by.get('4548-4')!.title, 'Hemoglobin A1c/Hemoglobin.total in Blood');
    assert.strictEqual(by.get('44249-1')!.extra!.METHOD_TYP, 'Reported.PHQ');
    // no LONG_COMMON_NAME: the fully specified name from the parts
    assert.strictEqual(by.get('1234-9')!.title, 'Old test:MCnc:Pt:Ser:Qn');
    assert.strictEqual(by.get('1234-9')!.status, 'DEPRECATED');
    assert.strictEqual(by.get('1234-9')!.short, undefined);
    assert.deepStrictEqual(r.release, { id: 'loinc-2.77', label: 'LOINC 2.77' });
  });

  it('rejects a non-LOINC header, bad codes, short rows and an unterminated quote', () => {
    assert.match(loadLoincCsv('"CODE","NAME"\r\n"1-1","x"\r\n').rejected[0]!.reason, /no LOINC_NUM column/);
    const text = [
      '"LOINC_NUM","COMPONENT","LONG_COMMON_NAME","SHORTNAME"',
      '"2345-7","Glucose","Glucose [Mass/volume] in Serum or Plasma","Glucose SerPl-mCnc"',
      '"2345","Glucose","no check digit","x"',
      '"2345-8","Glucose"',
      '"2345-7","Glucose","duplicate","x"',
      '"9999-9","Glucose","unterminated,"x"',
    ].join('\r\n');
    const r = loadLoincCsv(text, { release: { id: 'loinc-2.80', label: 'LOINC 2.80' } });
    assert.deepStrictEqual(
      r.entries.map((e) => e.code),
      ['2345-7'],
    );
    assert.deepStrictEqual(
      r.rejected.map((x) => [x.line, x.reason]),
      [
        [3, "'2345' is not a LOINC code"],
        [4, 'expected 4 fields, found 2'],
        [5, 'duplicate code 2345-7'],
        [6, 'characters after a closing quote'],
      ],
    );
  });
});
