/**
 * Check-digit algorithms used by code recognisers: LOINC's mod-10 (Luhn-style) and SNOMED CT's
 * Verhoeff. Each runs in time linear in the input and never throws; invalid input yields `false`
 * or `undefined`.
 */

/**
 * The LOINC check digit for the digits before the hyphen (`"2345"` → `7`), or `undefined` when the
 * input is not 1+ ASCII digits. Algorithm (LOINC Users' Guide, "Calculating mod 10 check digits"):
 * from the rightmost digit leftwards, double every other digit starting with the rightmost, add
 * the digits of every product and the untouched digits, and take `(10 - sum mod 10) mod 10`.
 */
export function loincCheckDigit(body: string): number | undefined {
  if (body.length === 0) return undefined;
  let sum = 0;
  let double = true;
  for (let i = body.length - 1; i >= 0; i--) {
    const d = body.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    if (double) {
      const p = d * 2;
      sum += p > 9 ? p - 9 : p;
    } else {
      sum += d;
    }
    double = !double;
  }
  return (10 - (sum % 10)) % 10;
}

/** Whether `nnnn-c` (already shape-checked or not) carries the right LOINC check digit. */
export function isValidLoincCheckDigit(code: string): boolean {
  const dash = code.indexOf('-');
  if (dash <= 0 || dash !== code.length - 2) return false;
  const check = code.charCodeAt(code.length - 1) - 48;
  if (check < 0 || check > 9) return false;
  return loincCheckDigit(code.slice(0, dash)) === check;
}

const VERHOEFF_D: readonly (readonly number[])[] = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
  [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
  [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
  [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
  [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
  [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];

/**
 * The Verhoeff permutation table: row 1 is the published permutation (1 5 7 6 2 8 3 0 9 4) and row
 * i applies it i times. Built rather than typed so that no row can be mistyped.
 */
const VERHOEFF_P: readonly (readonly number[])[] = (() => {
  const first = [1, 5, 7, 6, 2, 8, 3, 0, 9, 4];
  const rows: number[][] = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]];
  for (let i = 1; i < 8; i++) rows.push(rows[i - 1]!.map((v) => first[v]!));
  return rows;
})();

const VERHOEFF_INV: readonly number[] = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9];

/**
 * Whether a digit string (check digit last) passes the Verhoeff check, as SNOMED CT identifiers
 * must (SNOMED CT Technical Implementation Guide, "Check-digit"). Non-digits or empty → `false`.
 */
export function isValidVerhoeff(digits: string): boolean {
  if (digits.length === 0) return false;
  let c = 0;
  for (let i = 0; i < digits.length; i++) {
    const d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (d < 0 || d > 9) return false;
    c = VERHOEFF_D[c]![VERHOEFF_P[i % 8]![d]!]!;
  }
  return c === 0;
}

/**
 * The Verhoeff check digit to append to a digit string (`"2229800"` → `6`), or `undefined` for
 * empty or non-digit input. Used by tests and fixture builders.
 */
export function verhoeffCheckDigit(body: string): number | undefined {
  if (body.length === 0) return undefined;
  let c = 0;
  for (let i = 0; i < body.length; i++) {
    const d = body.charCodeAt(body.length - 1 - i) - 48;
    if (d < 0 || d > 9) return undefined;
    c = VERHOEFF_D[c]![VERHOEFF_P[(i + 1) % 8]![d]!]!;
  }
  return VERHOEFF_INV[c];
}
