import * as assert from 'assert';
import { readFileSync } from 'fs';
import * as path from 'path';
import { loadIcd9Cm } from '../../../../src/core/codes/loaders/icd9cm';

const DATA = path.join(__dirname, '../../../../sandbox/data/icd9cm');
const bytes = (p: string): Uint8Array => new Uint8Array(readFileSync(path.join(DATA, p)));

describe('loaders: ICD-9-CM CMS v32 description files', () => {
  it('diagnoses: 14,567 codes with long (Latin-1) and short titles, incl. V and E codes', () => {
    const r = loadIcd9Cm(bytes('CMS32_DESC_LONG_DX.txt'), 'diagnoses', bytes('CMS32_DESC_SHORT_DX.txt'), {
      fileName: 'CMS32_DESC_LONG_DX.txt',
    });
    assert.deepStrictEqual(r.rejected, []);
    assert.strictEqual(r.entries.length, 14567);
    assert.strictEqual(r.counts.shortOnly, 0);
    assert.strictEqual(r.counts.longOnly, 0);
    assert.deepStrictEqual(r.release, { id: 'icd9cm-dx-v32', label: 'ICD-9-CM diagnoses v32' });
    const byCode = new Map(r.entries.map((e) => [e.code, e]));
    assert.strictEqual(byCode.get('38600')!.title, 'Ménière\u0027s disease, unspecified');
    assert.strictEqual(byCode.get('04671')!.title, 'Gerstmann-Sträussler-Scheinker syndrome');
    assert.strictEqual(byCode.get('0010')!.title, 'Cholera due to vibrio cholerae');
    assert.ok(byCode.has('V5867') && byCode.has('E8889'));
    assert.strictEqual(
      r.entries.reduce((n, e) => n + (e.title.match(/[^\x20-\x7e]/g)?.length ?? 0), 0),
      12,
    );
  });

  it('procedures: 3,882 codes', () => {
    const r = loadIcd9Cm(bytes('CMS32_DESC_LONG_SG.txt'), 'procedures', bytes('CMS32_DESC_SHORT_SG.txt'), {
      fileName: 'CMS32_DESC_LONG_SG.txt',
    });
    assert.deepStrictEqual(r.rejected, []);
    assert.strictEqual(r.entries.length, 3882);
    assert.strictEqual(r.system, 'icd9cm-pcs');
    assert.deepStrictEqual(r.entries[0], {
      code: '0001',
      title: r.entries[0]!.title,
      short: 'Ther ult head & neck ves',
      billable: true,
    });
  });

  it('long file alone; rejects malformed lines and codes of the wrong volume', () => {
    const r = loadIcd9Cm(
      '0010  Cholera\nE8889 Fall NOS\nX123  Not a code\n0011\n0010  Duplicate\n',
      'diagnoses',
    );
    assert.deepStrictEqual(
      r.entries.map((e) => e.code),
      ['0010', 'E8889'],
    );
    assert.deepStrictEqual(
      r.rejected.map((x) => [x.line, x.reason]),
      [
        [3, "long file: 'X123' is not an ICD-9-CM diagnosis code"],
        [4, 'long file: no title after the code'],
        [5, 'long file: duplicate code 0010'],
      ],
    );
    assert.strictEqual(loadIcd9Cm('V01 Vaccination\n', 'procedures').rejected.length, 1);
  });
});
