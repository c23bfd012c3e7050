import * as assert from 'assert';
import {
  decodeInput,
  decodeLatin1,
  decodeWindows1252,
  forEachLine,
  isoDate,
  resolveRelease,
  windows1252FromLatin1,
} from '../../../../src/core/codes/loaders/text';

describe('loaders: text helpers', () => {
  it('decodes Windows-1252 and Latin-1 exactly, strips a BOM', () => {
    const bytes = new Uint8Array([0x43, 0x4d, 0x53, 0x92, 0x73, 0x20, 0x80, 0x20, 0xe9, 0x81]);
    assert.strictEqual(decodeWindows1252(bytes), 'CMS\u2019s \u20ac \u00e9\u0081');
    assert.strictEqual(decodeLatin1(bytes), 'CMS\u0092s \u0080 \u00e9\u0081');
    assert.strictEqual(decodeInput(new Uint8Array([0xef, 0xbb, 0xbf, 0x41]), 'utf-8'), 'A');
    assert.strictEqual(decodeInput('\ufeffA', 'ascii'), 'A');
    const big = new Uint8Array(100_000).fill(0x41);
    assert.strictEqual(decodeLatin1(big).length, 100_000);
  });

  it('re-reads Latin-1 text as Windows-1252 at the start, the end and between', () => {
    assert.strictEqual(windows1252FromLatin1('\u0093x\u0094 \u0096 y\u0099'), '\u201cx\u201d \u2013 y\u2122');
    assert.strictEqual(windows1252FromLatin1('\u0080'), '\u20ac');
    const plain = 'no such byte: \u00e9\u00a0';
    assert.strictEqual(windows1252FromLatin1(plain), plain);
  });

  it('walks CRLF and LF lines with 1-based numbers, without a phantom last line', () => {
    const seen: Array<[number, string]> = [];
    const n = forEachLine('a\r\nb\n\nc\r\n', (l, i) => seen.push([i, l]));
    assert.strictEqual(n, 4);
    assert.deepStrictEqual(seen, [
      [1, 'a'],
      [2, 'b'],
      [3, ''],
      [4, 'c'],
    ]);
    assert.strictEqual(
      forEachLine('', () => assert.fail()),
      0,
    );
  });

  it('dates and releases', () => {
    assert.strictEqual(isoDate('20200101'), '2020-01-01');
    assert.strictEqual(isoDate('        '), undefined);
    assert.strictEqual(isoDate('20201301'), undefined);
    assert.deepStrictEqual(
      resolveRelease({ fileName: 'icd10cm-order-2026.txt' }, 'icd10cm', 'ICD-10-CM', 'FY'),
      { id: 'icd10cm-FY2026', label: 'ICD-10-CM FY2026' },
    );
    assert.deepStrictEqual(resolveRelease({ fileName: 'x.txt' }, 'icd10cm', 'ICD-10-CM', 'FY'), {
      id: 'icd10cm-unknown',
      label: 'ICD-10-CM (release unknown)',
    });
  });
});
