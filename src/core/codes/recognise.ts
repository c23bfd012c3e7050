/**
 * Shape checks and canonical forms for every {@link CodeSystem}. A recogniser answers "could this
 * token be a code of system S, and if so how is it written canonically?" — never "does it exist"
 * (that is the index's job, reached through `isKnown` in the scanner).
 *
 * Invariants:
 * - Every function takes one token and runs in O(length): inputs longer than
 *   {@link MAX_CODE_LENGTH} are rejected before any regex runs, and every regex is anchored with no
 *   nested or overlapping quantifiers, so there is nothing to backtrack over.
 * - Canonical forms are what the index keys on: ICD-10-CM dotted upper-case (`E11.65`), ICD-9-CM
 *   dotted (`250.40`, `V58.67`, `E888.9`, `39.21`), NDC as 11 digits without hyphens, CVX without
 *   leading zeros beyond two digits (`03`, `150`), everything else upper-cased as written.
 * - Input case is forgiven here (contexts such as FHIR may carry `e11.65`); the free-text scanner
 *   decides separately whether lower case is acceptable.
 */

import { isValidLoincCheckDigit, isValidVerhoeff } from './checkDigits';
import type { CodeSystem } from './systems';

/** Longest token any recogniser accepts (SNOMED CT ids: 18 digits; ICD-10-CM dotted: 8 chars). */
export const MAX_CODE_LENGTH = 18;

/** A token read as a code of one system. */
export interface Recognised {
  readonly system: CodeSystem;
  /** Canonical form (see the module invariants). */
  readonly code: string;
  /** `modifier` for HCPCS/CPT 2-character modifiers, which share the procedure systems. */
  readonly kind: 'code' | 'modifier';
}

// FY2026 added the first category with a letter in second place (QA0, SCN2A-related disorders).
const ICD10CM = /^[A-Z](?:[0-9][0-9AB]|A[0-9])(?:\.?[0-9A-Z]{1,4})?$/;
const ICD10PCS = /^[0-9A-HJ-NP-Z]{7}$/;
const HCPCS = /^[A-V][0-9]{4}$/;
const MODIFIER = /^[0-9A-Z]{2}$/;
const CPT = /^[0-9]{4}[0-9FTU]$/;
const ICD9_DX_NUM = /^[0-9]{3}(?:\.?[0-9]{1,2})?$/;
const ICD9_DX_V = /^V[0-9]{2}(?:\.?[0-9]{1,2})?$/;
const ICD9_DX_E = /^E[0-9]{3}(?:\.?[0-9])?$/;
const ICD9_PROC = /^[0-9]{2}(?:\.?[0-9]{1,2})?$/;
const CVX = /^[0-9]{1,3}$/;
const LOINC = /^[0-9]{1,7}-[0-9]$/;
const SNOMED = /^[1-9][0-9]{5,17}$/;
const RXNORM = /^[0-9]{1,8}$/;
const NDC_HYPHENATED =
  /^(?:[0-9]{4}-[0-9]{4}-[0-9]{2}|[0-9]{5}-[0-9]{3}-[0-9]{2}|[0-9]{5}-[0-9]{4}-[0-9]{1,2})$/;
const NDC_PLAIN = /^[0-9]{11}$/;

function prep(raw: string): string | undefined {
  if (raw.length === 0 || raw.length > MAX_CODE_LENGTH + 2) return undefined;
  return raw.trim().toUpperCase();
}

function dotAfter(code: string, n: number): string {
  const bare = code.replace('.', '');
  return bare.length > n ? `${bare.slice(0, n)}.${bare.slice(n)}` : bare;
}

/**
 * ICD-10-CM: a letter, a digit, a digit or `A`/`B` (C4A, M1A, C7B…) — or, since FY2026, a letter, `A`
 * and a digit (QA0) — then up to four characters
 * (digits, letters, placeholder `X`, 7th-character extensions), with or without the dot after the
 * third character. Canonical: dotted upper case (`e1165` → `E11.65`, `W19XXXA` → `W19.XXXA`).
 */
export function canonicalIcd10cm(raw: string): string | undefined {
  const t = prep(raw);
  if (t === undefined || !ICD10CM.test(t)) return undefined;
  return dotAfter(t, 3);
}

/**
 * ICD-10-PCS: exactly seven characters from 0–9 and A–Z without `I` and `O` (they would be
 * confused with 1 and 0). No dot, no hyphen. Canonical: upper case.
 */
export function canonicalIcd10pcs(raw: string): string | undefined {
  const t = prep(raw);
  return t !== undefined && ICD10PCS.test(t) ? t : undefined;
}

/** HCPCS Level II: a letter A–V and four digits (`G0008`). Canonical: upper case. */
export function canonicalHcpcs(raw: string): string | undefined {
  const t = prep(raw);
  return t !== undefined && HCPCS.test(t) ? t : undefined;
}

/**
 * HCPCS/CPT modifier: two characters, letters or digits (`KX`, `RT`, `25`, `59`, `F1`).
 * Only meaningful in a modifier position (X12 composite, CSV `mod1` column, FHIR `modifier`).
 */
export function canonicalModifier(raw: string): string | undefined {
  const t = prep(raw);
  return t !== undefined && MODIFIER.test(t) ? t : undefined;
}

/**
 * CPT: five digits (category I), or four digits and `F` (category II), `T` (category III) or
 * `U` (proprietary laboratory analyses). Canonical: upper case.
 */
export function canonicalCpt(raw: string): string | undefined {
  const t = prep(raw);
  return t !== undefined && CPT.test(t) ? t : undefined;
}

/**
 * ICD-9-CM diagnosis: three digits with up to two more (`250.40`, `486`), a `V` code (`V58.67`),
 * or an `E` code (`E888.9`), dotted or not. Canonical: dotted after the category (3 characters,
 * or 4 for E codes).
 */
export function canonicalIcd9Dx(raw: string): string | undefined {
  const t = prep(raw);
  if (t === undefined) return undefined;
  if (ICD9_DX_NUM.test(t) || ICD9_DX_V.test(t)) return dotAfter(t, 3);
  if (ICD9_DX_E.test(t)) return dotAfter(t, 4);
  return undefined;
}

/** ICD-9-CM procedure: two digits with up to two more (`39.21`, `3921`, `99`). Canonical: dotted. */
export function canonicalIcd9Proc(raw: string): string | undefined {
  const t = prep(raw);
  return t !== undefined && ICD9_PROC.test(t) ? dotAfter(t, 2) : undefined;
}

/**
 * CVX: one to three digits. Canonical as in the CDC table: at least two digits (`3` → `03`,
 * `003` → `03`, `150` → `150`). Digits alone say nothing: the scanner claims CVX only in context.
 */
export function canonicalCvx(raw: string): string | undefined {
  const t = prep(raw);
  if (t === undefined || !CVX.test(t)) return undefined;
  const n = t.replace(/^0+/, '');
  return n.length >= 2 ? n : n.padStart(2, '0');
}

/** LOINC: `nnnnn-c` (1–7 digits, hyphen, check digit) with a valid mod-10 check digit. */
export function canonicalLoinc(raw: string): string | undefined {
  const t = prep(raw);
  if (t === undefined || !LOINC.test(t)) return undefined;
  return isValidLoincCheckDigit(t) ? t : undefined;
}

/**
 * SNOMED CT identifier: 6–18 digits, no leading zero, a valid Verhoeff check digit and a valid
 * partition identifier (the two digits before the check digit; see {@link snomedPartition}).
 */
export function canonicalSnomed(raw: string): string | undefined {
  const t = prep(raw);
  if (t === undefined || !SNOMED.test(t)) return undefined;
  if (snomedPartition(t) === undefined) return undefined;
  return isValidVerhoeff(t) ? t : undefined;
}

/** What a SNOMED CT partition identifier says about the identifier. */
export interface SnomedPartition {
  readonly component: 'concept' | 'description' | 'relationship';
  /** `true` for the long (extension namespace) format, partition `1x`. */
  readonly extension: boolean;
}

/**
 * The partition of a SNOMED CT id: digits n-3..n-2 (`00`/`10` concept, `01`/`11` description,
 * `02`/`12` relationship), or `undefined` for anything else (which is not a valid SCTID).
 */
export function snomedPartition(id: string): SnomedPartition | undefined {
  if (id.length < 6) return undefined;
  const p = id.slice(-3, -1);
  const format = p.charAt(0);
  if (format !== '0' && format !== '1') return undefined;
  const extension = format === '1';
  switch (p.charAt(1)) {
    case '0':
      return { component: 'concept', extension };
    case '1':
      return { component: 'description', extension };
    case '2':
      return { component: 'relationship', extension };
    default:
      return undefined;
  }
}

/**
 * NDC: a hyphenated 10-digit labeler-product-package form (4-4-2, 5-3-2, 5-4-1), the hyphenated
 * 11-digit 5-4-2 form, or 11 plain digits. Canonical: the 11-digit HIPAA form without hyphens, made
 * by left-padding the short segment with a zero (`0002-1433-80` → `00002143380`). A plain 10-digit
 * string is rejected: which segment to pad cannot be known.
 */
export function canonicalNdc(raw: string): string | undefined {
  const t = prep(raw);
  if (t === undefined) return undefined;
  if (NDC_PLAIN.test(t)) return t;
  if (!NDC_HYPHENATED.test(t)) return undefined;
  const [a = '', b = '', c = ''] = t.split('-');
  return a.padStart(5, '0') + b.padStart(4, '0') + c.padStart(2, '0');
}

/** RxNorm RXCUI: 1–8 digits, no check digit. Claimed only in context. Canonical: no leading zeros. */
export function canonicalRxnorm(raw: string): string | undefined {
  const t = prep(raw);
  if (t === undefined || !RXNORM.test(t)) return undefined;
  const n = t.replace(/^0+/, '');
  return n === '' ? undefined : n;
}

const CANONICAL: Readonly<Record<CodeSystem, (raw: string) => string | undefined>> = {
  icd10cm: canonicalIcd10cm,
  icd10pcs: canonicalIcd10pcs,
  hcpcs: canonicalHcpcs,
  cpt: canonicalCpt,
  'icd9cm-dx': canonicalIcd9Dx,
  'icd9cm-proc': canonicalIcd9Proc,
  cvx: canonicalCvx,
  loinc: canonicalLoinc,
  snomed: canonicalSnomed,
  ndc: canonicalNdc,
  rxnorm: canonicalRxnorm,
};

/**
 * The canonical form of `raw` as a code of `system`, or `undefined` when its shape does not fit.
 * This is the one entry point the index and hovers use to normalise a user-typed code.
 */
export function canonicalise(system: CodeSystem, raw: string): string | undefined {
  return CANONICAL[system](raw);
}

/**
 * Every system whose shape `raw` fits, with canonical forms, in {@link CODE_SYSTEMS} order.
 * Pure shape: `150` fits CVX, RxNorm and ICD-9 diagnoses alike; context must choose.
 */
export function recogniseAll(raw: string, systems: readonly CodeSystem[]): Recognised[] {
  const out: Recognised[] = [];
  for (const system of systems) {
    const code = CANONICAL[system](raw);
    if (code !== undefined) out.push({ system, code, kind: 'code' });
  }
  return out;
}

/**
 * Whether a token written exactly as `raw` (case as written) is a code of `system` by shape alone,
 * confidently enough to claim in free text without an index. The rules, and why:
 * - ICD-10-CM: only the dotted form (`E11.65`, `W19.XXXA`, `E11.A`); undotted `I10`, `B12`, `E1165`
 *   read as room numbers, vitamins and part numbers just as often.
 * - ICD-10-PCS: seven characters starting with a digit and containing a letter (`0SRR0J9`); a
 *   letter-first or all-digit string is too often an identifier.
 * - HCPCS: letter A–V and four digits (`G0439`).
 * - CPT: only categories II/III/PLA (`3044F`, `0042T`, `0001U`); five bare digits never.
 * - ICD-9-CM: only `E` codes dotted (`E888.9`) and `V` codes dotted (`V58.67`); numeric ones
 *   (`250.40`, `39.2`) are indistinguishable from measurements.
 * - LOINC: four or more digits with a valid check digit (`2345-7`); shorter bodies (`718-7`) look
 *   like ranges and are claimed only in context or when known.
 * - NDC: the hyphenated forms. SNOMED CT, CVX, RxNorm and plain NDC: never (digits alone).
 */
export function isDistinctiveShape(system: CodeSystem, raw: string): boolean {
  if (raw.length > MAX_CODE_LENGTH) return false;
  switch (system) {
    case 'icd10cm':
      return raw.length >= 5 && raw.charAt(3) === '.' && ICD10CM.test(raw);
    case 'icd10pcs':
      return ICD10PCS.test(raw) && /^[0-9]/.test(raw) && /[A-Z]/.test(raw);
    case 'hcpcs':
      return HCPCS.test(raw);
    case 'cpt':
      return CPT.test(raw) && !/[0-9]$/.test(raw);
    case 'icd9cm-dx':
      return (ICD9_DX_E.test(raw) && raw.charAt(4) === '.') || (ICD9_DX_V.test(raw) && raw.charAt(3) === '.');
    case 'loinc':
      return raw.indexOf('-') >= 4 && canonicalLoinc(raw) !== undefined;
    case 'ndc':
      return NDC_HYPHENATED.test(raw);
    case 'icd9cm-proc':
    case 'cvx':
    case 'snomed':
    case 'rxnorm':
      return false;
  }
}
