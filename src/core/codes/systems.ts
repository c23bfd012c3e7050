/**
 * Code-system identifiers and the context vocabularies that name them: FHIR `system` URIs (and
 * their `urn:oid:` forms), HL7 v2 coding-system names (table 0396), X12 code-list qualifiers and CSV
 * column headers. Pure data and lookups; no I/O.
 *
 * Why a closed union: every layer above (index, hover, diagnostics, CLI) switches on the system, and
 * a typo'd string must be a compile error, not a silent miss.
 */

/** The code systems the extension recognises. */
export type CodeSystem =
  | 'icd10cm'
  | 'icd10pcs'
  | 'hcpcs'
  | 'cpt'
  | 'icd9cm-dx'
  | 'icd9cm-proc'
  | 'cvx'
  | 'loinc'
  | 'snomed'
  | 'ndc'
  | 'rxnorm';

/** Every {@link CodeSystem}, in display order. */
export const CODE_SYSTEMS: readonly CodeSystem[] = [
  'icd10cm',
  'icd10pcs',
  'hcpcs',
  'cpt',
  'icd9cm-dx',
  'icd9cm-proc',
  'cvx',
  'loinc',
  'snomed',
  'ndc',
  'rxnorm',
];

/** Human labels for each system (status bar, hovers, CLI output). */
export const CODE_SYSTEM_LABELS: Readonly<Record<CodeSystem, string>> = {
  icd10cm: 'ICD-10-CM',
  icd10pcs: 'ICD-10-PCS',
  hcpcs: 'HCPCS Level II',
  cpt: 'CPT',
  'icd9cm-dx': 'ICD-9-CM (diagnoses)',
  'icd9cm-proc': 'ICD-9-CM (procedures)',
  cvx: 'CVX',
  loinc: 'LOINC',
  snomed: 'SNOMED CT',
  ndc: 'NDC',
  rxnorm: 'RxNorm',
};

/** Whether a string is one of the {@link CodeSystem} ids. */
export function isCodeSystem(value: string): value is CodeSystem {
  return (CODE_SYSTEMS as readonly string[]).includes(value);
}

/**
 * What a context says about the code next to it.
 * - `systems`: the code is one of these (shape picks among several, e.g. CPT vs HCPCS under X12 `HC`).
 * - `foreign`: the context names a system we do not handle (FHIR v3-ActCode, HL7 `MVX`, X12 `BE`
 *   value codes…): the token is a code, but not ours, so free-text scanning must not claim it.
 */
export type ContextSystems =
  { readonly kind: 'systems'; readonly systems: readonly CodeSystem[] } | { readonly kind: 'foreign' };

const FOREIGN: ContextSystems = { kind: 'foreign' };

function sys(...systems: CodeSystem[]): ContextSystems {
  return { kind: 'systems', systems };
}

/**
 * FHIR `Coding.system` URIs, normalised by {@link normaliseSystemUri}. Official URIs come from the
 * FHIR terminology registry (HL7 THO); OIDs are the registry's `urn:oid:` equivalents.
 */
const FHIR_SYSTEMS: ReadonlyMap<string, ContextSystems> = new Map<string, ContextSystems>([
  ['hl7.org/fhir/sid/icd-10-cm', sys('icd10cm')],
  ['urn:oid:2.16.840.1.113883.6.90', sys('icd10cm')],
  ['www.cms.gov/medicare/coding/icd10', sys('icd10pcs')],
  ['hl7.org/fhir/sid/icd-10-pcs', sys('icd10pcs')],
  ['urn:oid:2.16.840.1.113883.6.4', sys('icd10pcs')],
  ['hl7.org/fhir/sid/icd-9-cm', sys('icd9cm-dx', 'icd9cm-proc')],
  ['hl7.org/fhir/sid/icd-9-cm/diagnosis', sys('icd9cm-dx')],
  ['hl7.org/fhir/sid/icd-9-cm/procedure', sys('icd9cm-proc')],
  ['urn:oid:2.16.840.1.113883.6.103', sys('icd9cm-dx')],
  ['urn:oid:2.16.840.1.113883.6.104', sys('icd9cm-proc')],
  ['urn:oid:2.16.840.1.113883.6.2', sys('icd9cm-dx', 'icd9cm-proc')],
  ['www.cms.gov/medicare/coding/hcpcsreleasecodesets', sys('hcpcs')],
  ['urn:oid:2.16.840.1.113883.6.285', sys('hcpcs')],
  ['urn:oid:2.16.840.1.113883.6.14', sys('hcpcs')],
  ['www.ama-assn.org/go/cpt', sys('cpt')],
  ['urn:oid:2.16.840.1.113883.6.12', sys('cpt')],
  ['loinc.org', sys('loinc')],
  ['urn:oid:2.16.840.1.113883.6.1', sys('loinc')],
  ['snomed.info/sct', sys('snomed')],
  ['urn:oid:2.16.840.1.113883.6.96', sys('snomed')],
  ['hl7.org/fhir/sid/cvx', sys('cvx')],
  ['urn:oid:2.16.840.1.113883.12.292', sys('cvx')],
  ['www.nlm.nih.gov/research/umls/rxnorm', sys('rxnorm')],
  ['urn:oid:2.16.840.1.113883.6.88', sys('rxnorm')],
  ['hl7.org/fhir/sid/ndc', sys('ndc')],
  ['urn:oid:2.16.840.1.113883.6.69', sys('ndc')],
]);

/**
 * Lower-cases a system URI and drops the scheme (`http`/`https` are treated alike, as real feeds mix
 * them), a `www.` difference is NOT erased (the registry spells each one), and trailing `/` is dropped.
 */
export function normaliseSystemUri(uri: string): string {
  let u = uri.trim().toLowerCase();
  if (u.startsWith('https://')) u = u.slice(8);
  else if (u.startsWith('http://')) u = u.slice(7);
  while (u.endsWith('/')) u = u.slice(0, -1);
  return u;
}

/**
 * The systems a FHIR `system` URI names. Any other URI is `foreign` (its codes are not ours), so the
 * caller can stop free-text scanning from claiming e.g. `"code": "AMB"` under v3-ActCode.
 */
export function systemsForFhirUri(uri: string): ContextSystems {
  return FHIR_SYSTEMS.get(normaliseSystemUri(uri)) ?? FOREIGN;
}

/** HL7 v2 coding-system names (table 0396 and common local spellings), upper-cased. */
const HL7_SYSTEMS: ReadonlyMap<string, ContextSystems> = new Map<string, ContextSystems>([
  ['I10', sys('icd10cm')],
  ['I10C', sys('icd10cm')],
  ['ICD10CM', sys('icd10cm')],
  ['ICD-10-CM', sys('icd10cm')],
  ['I10P', sys('icd10pcs')],
  ['ICD10PCS', sys('icd10pcs')],
  ['I9', sys('icd9cm-dx', 'icd9cm-proc')],
  ['I9C', sys('icd9cm-dx', 'icd9cm-proc')],
  ['I9CDX', sys('icd9cm-dx')],
  ['I9CP', sys('icd9cm-proc')],
  ['ICD9CM', sys('icd9cm-dx', 'icd9cm-proc')],
  ['C4', sys('cpt')],
  ['C5', sys('cpt')],
  ['CPT', sys('cpt')],
  ['HCPCS', sys('hcpcs')],
  ['HPC', sys('hcpcs')],
  ['CVX', sys('cvx')],
  ['LN', sys('loinc')],
  ['LOINC', sys('loinc')],
  ['SCT', sys('snomed')],
  ['SNOMED-CT', sys('snomed')],
  ['SNOMEDCT', sys('snomed')],
  ['NDC', sys('ndc')],
  ['RXNORM', sys('rxnorm')],
]);

/**
 * The systems an HL7 v2 coding-system component (CWE/CE `.3` or `.6`) names, or `undefined` when the
 * component does not look like a coding-system name at all (then the triple is not a coded value).
 * Names we do not handle (`MVX`, `NCIT`, `HL70163`, `CDCREC`, `UCUM`…) are `foreign`.
 */
export function systemsForHl7Name(name: string): ContextSystems | undefined {
  const n = name.trim().toUpperCase();
  if (n === '') return undefined;
  const hit = HL7_SYSTEMS.get(n);
  if (hit) return hit;
  return /^[A-Z][A-Z0-9_-]{1,19}$/.test(n) ? FOREIGN : undefined;
}

/**
 * X12 code-list qualifiers for `HI` composites (837P/I/D) and service-line procedure composites
 * (`SV1`/`SV2`/`SV3` first component). ICD-10 qualifiers begin with `A`/`BB`; ICD-9 ones are the
 * two-letter originals. Occurrence, value and condition qualifiers (`BH`, `BE`, `BG`…) are foreign.
 */
const X12_QUALIFIERS: ReadonlyMap<string, ContextSystems> = new Map<string, ContextSystems>([
  ['ABK', sys('icd10cm')], // principal diagnosis
  ['ABF', sys('icd10cm')], // other diagnosis
  ['ABJ', sys('icd10cm')], // admitting diagnosis
  ['ABN', sys('icd10cm')], // external cause of injury
  ['APR', sys('icd10cm')], // patient's reason for visit
  ['BK', sys('icd9cm-dx')],
  ['BF', sys('icd9cm-dx')],
  ['BJ', sys('icd9cm-dx')],
  ['BN', sys('icd9cm-dx')],
  ['PR', sys('icd9cm-dx')],
  ['BBR', sys('icd10pcs')], // principal procedure
  ['BBQ', sys('icd10pcs')], // other procedure
  ['BR', sys('icd9cm-proc')],
  ['BQ', sys('icd9cm-proc')],
  ['HC', sys('hcpcs', 'cpt')], // HCPCS / CPT procedure on a service line
  ['N4', sys('ndc')], // NDC in LIN / drug identification
]);

/** The systems an X12 qualifier names, `foreign` for any other 1–3 character qualifier. */
export function systemsForX12Qualifier(qualifier: string): ContextSystems | undefined {
  const q = qualifier.trim().toUpperCase();
  const hit = X12_QUALIFIERS.get(q);
  if (hit) return hit;
  return /^[A-Z0-9]{1,3}$/.test(q) ? FOREIGN : undefined;
}

/**
 * The systems a CSV/TSV column header suggests, or `undefined` for a column that holds no codes.
 * Matching ignores case and punctuation (`dx_code`, `DX Code`, `dxCode` agree) and looks for the
 * usual names: `icd10`, `icd10cm`, `dx1`…, `diagnosis_code`, `pcs`, `icd9…`, `hcpcs`, `cpt`,
 * `modifier`/`mod1` (HCPCS/CPT modifiers), `cvx`, `loinc`, `snomed`/`sct`, `ndc`, `rxnorm`/`rxcui`,
 * and GEM target columns (ICD-10-CM).
 */
export function systemsForCsvHeader(
  header: string,
): { systems: readonly CodeSystem[]; modifier: boolean } | undefined {
  const h = header.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (h === '') return undefined;
  if (/^mod(ifier)?\d?$/.test(h) || /^(hcpcs|cpt)?mod(ifier)?s?\d?$/.test(h))
    return { systems: ['hcpcs', 'cpt'], modifier: true };
  const has = (s: string): boolean => h.includes(s);
  const desc =
    has('desc') ||
    has('title') ||
    has('name') ||
    has('text') ||
    has('comment') ||
    has('note') ||
    has('pointer') ||
    has('seq') ||
    has('date') ||
    has('poa') ||
    has('count') ||
    has('flag') ||
    has('status');
  if (desc) return undefined;
  if (has('icd9') || has('icd9cm')) {
    if (has('proc') || has('px') || has('sg') || has('surg'))
      return { systems: ['icd9cm-proc'], modifier: false };
    return { systems: ['icd9cm-dx'], modifier: false };
  }
  if ((has('pcs') && !has('hcpcs')) || has('icd10proc') || has('icd10px'))
    return { systems: ['icd10pcs'], modifier: false };
  if (
    has('icd10') ||
    has('icd') ||
    has('gem') ||
    /^dx\d*(code)?$/.test(h) ||
    has('diag') ||
    /^(primary|secondary|admit|admitting|principal)?dx\d*$/.test(h) ||
    h.startsWith('dxcode')
  )
    return { systems: ['icd10cm'], modifier: false };
  if (has('hcpcs') && has('cpt')) return { systems: ['hcpcs', 'cpt'], modifier: false };
  if (has('hcpcs')) return { systems: ['hcpcs'], modifier: false };
  if (has('cpt')) return { systems: ['cpt'], modifier: false };
  if (has('cvx') || has('vaccinecode')) return { systems: ['cvx'], modifier: false };
  if (has('loinc')) return { systems: ['loinc'], modifier: false };
  if (has('snomed') || has('sctid') || h === 'sct' || has('conceptid'))
    return { systems: ['snomed'], modifier: false };
  if (has('ndc')) return { systems: ['ndc'], modifier: false };
  if (has('rxnorm') || has('rxcui')) return { systems: ['rxnorm'], modifier: false };
  if (/^(proc|procedure)(code)?\d*$/.test(h) || /^px\d*$/.test(h))
    return { systems: ['hcpcs', 'cpt'], modifier: false };
  return undefined;
}

/**
 * Free-text keywords (upper case) and the systems they name, for {@link systemsForKeyword}. The
 * scanner pre-filters words by their first two and last characters before asking: a keyword added
 * here must keep the `couldBeKeywordAt` test of `findCodes` passing.
 */
export const KEYWORD_SYSTEMS: ReadonlyMap<string, readonly CodeSystem[]> = new Map<
  string,
  readonly CodeSystem[]
>([
  ['CVX', ['cvx']],
  ['CPT', ['cpt']],
  ['HCPCS', ['hcpcs', 'cpt']],
  ['LOINC', ['loinc']],
  ['SNOMED', ['snomed']],
  ['SCTID', ['snomed']],
  ['SNOMEDCT', ['snomed']],
  ['SNOMED-CT', ['snomed']],
  ['NDC', ['ndc']],
  ['RXNORM', ['rxnorm']],
  ['RXCUI', ['rxnorm']],
  ['ICD-10', ['icd10cm']],
  ['ICD10', ['icd10cm']],
  ['ICD-10-CM', ['icd10cm']],
  ['ICD10CM', ['icd10cm']],
  ['ICD-10-PCS', ['icd10pcs']],
  ['ICD10PCS', ['icd10pcs']],
  ['PCS', ['icd10pcs']],
  ['ICD-9', ['icd9cm-dx', 'icd9cm-proc']],
  ['ICD9', ['icd9cm-dx', 'icd9cm-proc']],
  ['ICD-9-CM', ['icd9cm-dx', 'icd9cm-proc']],
  ['ICD9CM', ['icd9cm-dx', 'icd9cm-proc']],
]);

/**
 * The systems a free-text keyword right before a token names (`CVX 150`, `HCPCS J0696`,
 * `LOINC: 2345-7`, `ICD-10-CM E11.9`), or `undefined`. The keyword is compared upper-cased. The
 * list is shared by every caller (do not change it).
 */
export function systemsForKeyword(word: string): readonly CodeSystem[] | undefined {
  return KEYWORD_SYSTEMS.get(word.toUpperCase());
}

/** {@link KEYWORD_SYSTEMS}' keywords by length. */
const KEYWORDS_BY_LENGTH: readonly (readonly string[])[] = ((): string[][] => {
  const by: string[][] = [];
  for (const k of KEYWORD_SYSTEMS.keys()) (by[k.length] ??= []).push(k);
  return by;
})();

/**
 * {@link systemsForKeyword} of `text[start, end)`, compared in place (the scanner asks this of many
 * words and makes no string for them).
 */
export function systemsForKeywordAt(
  text: string,
  start: number,
  end: number,
): readonly CodeSystem[] | undefined {
  const candidates = KEYWORDS_BY_LENGTH[end - start];
  if (candidates === undefined) return undefined;
  for (const k of candidates) {
    let i = 0;
    for (; i < k.length; i++) {
      const c = text.charCodeAt(start + i);
      // keywords are upper-case letters, digits and `-`
      if ((c >= 97 && c <= 122 ? c - 32 : c) !== k.charCodeAt(i)) break;
    }
    if (i === k.length) return KEYWORD_SYSTEMS.get(k);
  }
  return undefined;
}
