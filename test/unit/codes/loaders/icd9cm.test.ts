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

  it('pairs short titles by code, in file order or not, and keeps short-only codes', () => {
    const long = '0010  Cholera due to vibrio cholerae\n0011  Cholera d/t vib el tor\n0019  Cholera NOS\n';
    const entry = (r: ReturnType<typeof loadIcd9Cm>, code: string) => r.entries.find((e) => e.code === code);
    // the same codes in the same order (the CMS files), the last one missing
    const inOrder = loadIcd9Cm(
      long,
      'diagnoses',
      '0010  Cholera d/t vib cholerae\n0011  Cholera d/t vib el tor\n',
    );
    assert.strictEqual(entry(inOrder, '0010')!.short, 'Cholera d/t vib cholerae');
    assert.strictEqual(entry(inOrder, '0011')!.short, 'Cholera d/t vib el tor');
    assert.strictEqual(entry(inOrder, '0019')!.short, undefined);
    assert.strictEqual(inOrder.counts.longOnly, 1);
    assert.strictEqual(inOrder.counts.shortOnly, 0);
    // out of order, a duplicate, and a code only the short file has
    const mixed = loadIcd9Cm(
      long,
      'diagnoses',
      '0010  Cholera d/t vib cholerae\n0019  Cholera nos\n0010  Again\n0020  Typhoid fever\n0011  El tor\n',
    );
    assert.strictEqual(entry(mixed, '0010')!.short, 'Cholera d/t vib cholerae');
    assert.strictEqual(entry(mixed, '0019')!.short, 'Cholera nos');
    assert.strictEqual(entry(mixed, '0011')!.short, 'El tor');
    assert.deepStrictEqual(entry(mixed, '0020'), {
      code: '0020',
      title: 'Typhoid fever',
      short: 'Typhoid fever',
      billable: true,
    });
    assert.strictEqual(mixed.counts.shortOnly, 1);
    assert.strictEqual(mixed.counts.longOnly, 0);
    assert.deepStrictEqual(
      mixed.rejected.map((x) => [x.line, x.reason]),
      [[3, 'short file: duplicate code 0010']],
    );
    assert.deepStrictEqual(
      mixed.entries.map((e) => e.code),
      ['0010', '0011', '0019', '0020'],
    );
  });
});
