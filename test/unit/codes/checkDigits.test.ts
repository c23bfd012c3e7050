import * as assert from 'assert';
import {
  isValidLoincCheckDigit,
  isValidVerhoeff,
  loincCheckDigit,
  verhoeffCheckDigit,
} from '../../../src/core/codes/checkDigits';

describe('core/codes/checkDigits', () => {
  describe('LOINC mod 10', () => {
    const valid = [
      '2345-7',
      '4548-4',
      '718-7',
      '2160-0',
      '2951-2',
      '1-8',
      '10331-7',
      '8480-6',
      '8462-4',
      '29463-7',
    ];
    for (const code of valid) {
      it(`accepts ${code}`, () => {
        assert.strictEqual(isValidLoincCheckDigit(code), true);
        const [body, check] = code.split('-');
        assert.strictEqual(loincCheckDigit(body!), Number(check));
      });
    }
    const invalid = ['2345-8', '4548-3', '718-0', '2345', '-7', '2345-', '23a5-7', '2345-77', ''];
    for (const code of invalid) {
      it(`rejects ${JSON.stringify(code)}`, () => assert.strictEqual(isValidLoincCheckDigit(code), false));
    }
    it('rejects non-digit bodies', () => assert.strictEqual(loincCheckDigit('12x'), undefined));
  });

  describe('Verhoeff (SNOMED CT)', () => {
    const valid = [
      '22298006',
      '44054006',
      '73211009',
      '38341003',
      '195967001',
      '404684003',
      '386661006',
      '900000000000207008',
      '2363',
    ];
    for (const id of valid) {
      it(`accepts ${id}`, () => {
        assert.strictEqual(isValidVerhoeff(id), true);
        assert.strictEqual(verhoeffCheckDigit(id.slice(0, -1)), Number(id.slice(-1)));
      });
    }
    const invalid = ['22298007', '44054005', '73211000', '22289006', '', '2229800x'];
    for (const id of invalid) {
      it(`rejects ${JSON.stringify(id)}`, () => assert.strictEqual(isValidVerhoeff(id), false));
    }
    it('catches every single-digit error and adjacent transposition of 22298006', () => {
      const id = '22298006';
      for (let i = 0; i < id.length; i++) {
        for (let d = 0; d <= 9; d++) {
          if (String(d) === id[i]) continue;
          assert.strictEqual(
            isValidVerhoeff(id.slice(0, i) + d + id.slice(i + 1)),
            false,
            `substitution at ${i}`,
          );
        }
        if (i + 1 < id.length && id[i] !== id[i + 1]) {
          assert.strictEqual(
            isValidVerhoeff(id.slice(0, i) + id[i + 1] + id[i] + id.slice(i + 2)),
            false,
            `swap at ${i}`,
          );
        }
      }
    });
  });
});
