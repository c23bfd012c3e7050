/**
 * What the IMO Crosswalks API (document 003) accepts, checked before anything is sent: field
 * lengths, code-system slugs, and the fields whose absence the server answers not with an error but
 * by silently SKIPPING the mapping or target. We refuse those instead, so nothing is lost silently.
 *
 * Lengths are counted the way a .NET/Java server counts `string.Length`: in UTF-16 code units
 * (JavaScript's `String.length`). A character outside the Basic Multilingual Plane (most emoji)
 * counts as 2, so a text we accept is never longer than the server's limit by its own count.
 */

import type { CustomAttribute, MappingDeletion, NewCrosswalk, NewMapping } from './model';
// `../../core/codes` rather than `../codes`: the ESLint layer rule reads any `../codes` as the
// `codes` feature folder, though from here it is core's own code-system module.
import type { CodeSystem } from '../../core/codes/systems';

/** Field limits of document 003, in UTF-16 code units (see the module comment). */
export const CROSSWALK_LIMITS = {
  /** Crosswalk `name`: required, at most 500. */
  nameMax: 500,
  /** Crosswalk `description`: optional, at most 5000. */
  descriptionMax: 5000,
  /** Custom attribute `key` (crosswalk or target level): required, at most 250. */
  attributeKeyMax: 250,
  /** Custom attribute `value`: optional, at most 5000. */
  attributeValueMax: 5000,
} as const;

/** One code system the API knows, from the "Code systems - licensing" table of document 003. */
export interface CodeSystemSlug {
  /** The value sent in `sourceCodeSystem` / `targetCodeSystem`. */
  readonly slug: string;
  /** The document's human-readable name. */
  readonly name: string;
  /** A separate third-party licence is needed to use the content (CPT: AMA). */
  readonly licenseRequired: boolean;
  /** The local code index's system id for the same codes. */
  readonly localSystem: CodeSystem;
}

/**
 * The slugs of document 003's table, in its order. CPT gets a new slug every year (`cpt2025`,
 * `cpt2026`…); any `cpt` + four digits is accepted as CPT too (see {@link slugInfo}).
 */
export const CODE_SYSTEM_SLUGS: readonly CodeSystemSlug[] = [
  { slug: 'cpt2025', name: 'CPT®-4', licenseRequired: true, localSystem: 'cpt' },
  { slug: 'icd10cm', name: 'ICD-10-CM', licenseRequired: false, localSystem: 'icd10cm' },
  { slug: 'loinc', name: 'LOINC', licenseRequired: false, localSystem: 'loinc' },
  { slug: 'cvx', name: 'HL7 CVX', licenseRequired: false, localSystem: 'cvx' },
  { slug: 'hcpcs', name: 'HCPCS', licenseRequired: false, localSystem: 'hcpcs' },
  { slug: 'icd10pcs', name: 'ICD-10-PCS', licenseRequired: false, localSystem: 'icd10pcs' },
  { slug: 'rxnorm', name: 'RxNorm', licenseRequired: false, localSystem: 'rxnorm' },
  { slug: 'ndc', name: 'National Drug Code NDC', licenseRequired: false, localSystem: 'ndc' },
  { slug: 'snomedusedition', name: 'SNOMED US Edition', licenseRequired: false, localSystem: 'snomed' },
];

/** The CPT slug the document names; the default when a CPT code needs a slug and no year is given. */
export const DEFAULT_CPT_SLUG = 'cpt2025';

/** A yearly CPT slug: `cpt` and a four-digit year. */
const CPT_SLUG = /^cpt(\d{4})$/;

const BY_SLUG: ReadonlyMap<string, CodeSystemSlug> = new Map(CODE_SYSTEM_SLUGS.map((s) => [s.slug, s]));

/**
 * What the API knows about a slug, or `undefined` for a slug it does not accept. Exact match (the
 * API's slugs are lower case); `cpt2026` and other yearly CPT slugs are described like `cpt2025`.
 */
export function slugInfo(slug: string): CodeSystemSlug | undefined {
  const known = BY_SLUG.get(slug);
  if (known) return known;
  const cpt = CPT_SLUG.exec(slug);
  if (cpt) return { slug, name: `CPT®-4 ${cpt[1]}`, licenseRequired: true, localSystem: 'cpt' };
  return undefined;
}

/** Whether the API accepts `slug` as a code system. */
export function isKnownSlug(slug: string): boolean {
  return slugInfo(slug) !== undefined;
}

/** The local index's {@link CodeSystem} for an API slug (`snomedusedition` → `snomed`), or `undefined`. */
export function localSystemOfSlug(slug: string): CodeSystem | undefined {
  return slugInfo(slug)?.localSystem;
}

/**
 * The API slug for a local {@link CodeSystem} ("find crosswalks for this code"), or `undefined` for a
 * system the API does not have (ICD-9-CM). CPT slugs are per year: pass `cptYear` to pick one,
 * otherwise {@link DEFAULT_CPT_SLUG}.
 */
export function slugOfLocalSystem(system: CodeSystem, cptYear?: number): string | undefined {
  if (
    system === 'cpt' &&
    cptYear !== undefined &&
    Number.isInteger(cptYear) &&
    cptYear >= 1000 &&
    cptYear <= 9999
  )
    return `cpt${cptYear}`;
  return CODE_SYSTEM_SLUGS.find((s) => s.localSystem === system)?.slug;
}

/** A text for messages: the accepted slugs, comma-separated. */
function slugList(): string {
  return `${CODE_SYSTEM_SLUGS.map((s) => s.slug).join(', ')} (or cpt<year>)`;
}

/** One thing wrong with a request body, found before it is sent. */
export interface ValidationProblem {
  /** Where, as a property path from the validated value: `mappings[3].targets[0].targetCode`. */
  readonly path: string;
  /** A readable sentence for the coder. */
  readonly message: string;
}

/** Problems as lines `path: message`, for a message box or log. */
export function formatProblems(problems: readonly ValidationProblem[]): string {
  return problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('\n');
}

/** Length as the server counts it (UTF-16 code units). */
export function textLength(text: string): number {
  return text.length;
}

function isBlank(v: unknown): boolean {
  return typeof v !== 'string' || v.trim() === '';
}

function join(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base ? `${base}.${key}` : key;
}

/** Checks a required code: present, non-blank, no spaces around it (the server would not trim). */
function checkCode(
  out: ValidationProblem[],
  path: string,
  field: string,
  value: unknown,
  skipped: string,
): void {
  if (isBlank(value)) {
    out.push({ path, message: `${field} is required (the server would skip ${skipped} without one).` });
  } else if (typeof value === 'string' && value.trim() !== value) {
    out.push({ path, message: `${field} "${value}" has spaces at the start or end.` });
  }
}

function checkSlug(
  out: ValidationProblem[],
  path: string,
  field: string,
  value: unknown,
  skipped: string,
): void {
  if (isBlank(value)) {
    out.push({ path, message: `${field} is required (the server would skip ${skipped} without one).` });
  } else if (typeof value === 'string' && !isKnownSlug(value)) {
    out.push({
      path,
      message: `${field} "${value}" is not a code system the API knows; use one of ${slugList()}.`,
    });
  }
}

function checkLength(
  out: ValidationProblem[],
  path: string,
  field: string,
  value: string,
  max: number,
): void {
  const n = textLength(value);
  if (n > max) out.push({ path, message: `${field} is ${n} characters long; at most ${max} are allowed.` });
}

/** Options of {@link validateAttributes} and {@link validateAttributeKeys}. */
export interface AttributeValidationOptions {
  /** Path prefix of the list (default `customAttributes`). */
  path?: string;
  /**
   * Whether an empty list is acceptable. Default `false`: the attribute endpoints (PATCH/DELETE
   * `…/attributes`) require at least one; inside a crosswalk or a mapping target the list is optional.
   */
  allowEmpty?: boolean;
}

/**
 * Checks custom attributes (crosswalk level or target level): each key present and at most 250
 * characters, each value (optional) at most 5000, no key twice in one list (which value would win is
 * not documented).
 */
export function validateAttributes(
  attrs: readonly CustomAttribute[],
  options: AttributeValidationOptions = {},
): ValidationProblem[] {
  const base = options.path ?? 'customAttributes';
  const out: ValidationProblem[] = [];
  if (!Array.isArray(attrs)) return [{ path: base, message: 'customAttributes must be a list.' }];
  if (attrs.length === 0 && options.allowEmpty !== true) {
    return [{ path: base, message: 'At least one custom attribute is required.' }];
  }
  const seen = new Map<string, number>();
  attrs.forEach((a, i) => {
    const p = join(base, i);
    const key: unknown = a?.key;
    if (isBlank(key)) {
      out.push({ path: join(p, 'key'), message: 'The attribute key is required.' });
    } else if (typeof key === 'string') {
      checkLength(out, join(p, 'key'), 'The attribute key', key, CROSSWALK_LIMITS.attributeKeyMax);
      const first = seen.get(key);
      if (first !== undefined) {
        out.push({
          path: join(p, 'key'),
          message: `The key "${key}" is repeated (first at ${join(base, first)}).`,
        });
      } else seen.set(key, i);
    }
    const value: unknown = a?.value;
    if (value !== undefined && value !== null) {
      if (typeof value !== 'string')
        out.push({ path: join(p, 'value'), message: 'The attribute value must be text.' });
      else
        checkLength(out, join(p, 'value'), 'The attribute value', value, CROSSWALK_LIMITS.attributeValueMax);
    }
  });
  return out;
}

/** Checks the keys of a `DELETE …/attributes` body: each present, at most 250 characters, not repeated. */
export function validateAttributeKeys(
  keys: readonly string[],
  options: AttributeValidationOptions = {},
): ValidationProblem[] {
  const base = options.path ?? 'customAttributes';
  if (!Array.isArray(keys)) return [{ path: base, message: 'customAttributes must be a list of keys.' }];
  if (keys.length === 0 && options.allowEmpty !== true) {
    return [{ path: base, message: 'At least one attribute key is required.' }];
  }
  const out: ValidationProblem[] = [];
  const seen = new Map<string, number>();
  keys.forEach((key: unknown, i) => {
    const p = join(base, i);
    if (isBlank(key)) {
      out.push({ path: p, message: 'The attribute key is required.' });
      return;
    }
    const k = key as string;
    checkLength(out, p, 'The attribute key', k, CROSSWALK_LIMITS.attributeKeyMax);
    const first = seen.get(k);
    if (first !== undefined)
      out.push({ path: p, message: `The key "${k}" is repeated (first at ${join(base, first)}).` });
    else seen.set(k, i);
  });
  return out;
}

/** Identity of a (source, target system, target code) triple across a request. */
function pairKey(sourceSystem: string, sourceCode: string, targetSystem: string, targetCode: string): string {
  return JSON.stringify([sourceSystem, sourceCode, targetSystem, targetCode]);
}

/** The source system, source code and target system of a mapping (added or deleted). */
function checkMappingSystems(
  out: ValidationProblem[],
  p: string,
  m: { sourceCodeSystem?: unknown; sourceCode?: unknown; targetCodeSystem?: unknown } | undefined,
): void {
  checkSlug(out, join(p, 'sourceCodeSystem'), 'sourceCodeSystem', m?.sourceCodeSystem, 'this mapping');
  checkCode(out, join(p, 'sourceCode'), 'sourceCode', m?.sourceCode, 'this mapping');
  checkSlug(out, join(p, 'targetCodeSystem'), 'targetCodeSystem', m?.targetCodeSystem, 'this mapping');
}

/**
 * Reports a target code given twice for the same source and target system; `seen` maps each
 * (source system, source code, target system, target code) to the path it first appeared at.
 */
function checkDuplicateTarget(
  out: ValidationProblem[],
  seen: Map<string, string>,
  path: string,
  m: { sourceCodeSystem: string; sourceCode: string; targetCodeSystem: string },
  code: unknown,
): void {
  if (typeof code !== 'string' || code.trim() === '') return;
  const key = pairKey(m.sourceCodeSystem, m.sourceCode, m.targetCodeSystem, code);
  const first = seen.get(key);
  if (first !== undefined) out.push({ path, message: `Target "${code}" is a duplicate of ${first}.` });
  else seen.set(key, path);
}

/**
 * Checks the `mappings` of `POST /crosswalks` or `POST …/mappings`: slugs present and known, source
 * and target codes present (the server would silently skip a mapping or target without one), at
 * least one target per mapping, no target twice (within a mapping or across mappings with the same
 * source and target system), and the targets' custom attributes.
 *
 * @param path path prefix of the list (default `mappings`).
 */
export function validateNewMappings(mappings: readonly NewMapping[], path = 'mappings'): ValidationProblem[] {
  if (!Array.isArray(mappings)) return [{ path, message: 'mappings must be a list.' }];
  const out: ValidationProblem[] = [];
  const seen = new Map<string, string>();
  mappings.forEach((m, i) => {
    const p = join(path, i);
    checkMappingSystems(out, p, m);
    const targets: unknown = m?.targets;
    if (!Array.isArray(targets) || targets.length === 0) {
      out.push({
        path: join(p, 'targets'),
        message: 'At least one target is required (a mapping without targets adds nothing).',
      });
      return;
    }
    m.targets.forEach((t: NewMapping['targets'][number], j: number) => {
      const tp = join(join(p, 'targets'), j);
      checkCode(out, join(tp, 'targetCode'), 'targetCode', t?.targetCode, 'this target');
      checkDuplicateTarget(out, seen, join(tp, 'targetCode'), m, t?.targetCode);
      if (t?.customAttributes !== undefined) {
        out.push(
          ...validateAttributes(t.customAttributes, { path: join(tp, 'customAttributes'), allowEmpty: true }),
        );
      }
    });
  });
  return out;
}

/**
 * Checks the `mappings` of `DELETE …/mappings`: slugs and source code as for additions, at least one
 * target code, none blank (the server would skip it) or repeated.
 *
 * @param path path prefix of the list (default `mappings`).
 */
export function validateDeletions(
  deletions: readonly MappingDeletion[],
  path = 'mappings',
): ValidationProblem[] {
  if (!Array.isArray(deletions)) return [{ path, message: 'mappings must be a list.' }];
  const out: ValidationProblem[] = [];
  const seen = new Map<string, string>();
  deletions.forEach((d, i) => {
    const p = join(path, i);
    checkMappingSystems(out, p, d);
    const codes: unknown = d?.targetCodes;
    if (!Array.isArray(codes) || codes.length === 0) {
      out.push({ path: join(p, 'targetCodes'), message: 'At least one target code to delete is required.' });
      return;
    }
    d.targetCodes.forEach((code: string, j: number) => {
      const cp = join(join(p, 'targetCodes'), j);
      checkCode(out, cp, 'The target code', code, 'this target code');
      checkDuplicateTarget(out, seen, cp, d, code);
    });
  });
  return out;
}

/**
 * Checks a `POST /crosswalks` body: name required (not blank) and at most 500 characters,
 * description at most 5000, the crosswalk-level attributes, and the mappings
 * ({@link validateNewMappings}).
 */
export function validateNewCrosswalk(body: NewCrosswalk): ValidationProblem[] {
  const out: ValidationProblem[] = [];
  const name: unknown = body?.name;
  if (isBlank(name)) out.push({ path: 'name', message: 'The crosswalk name is required.' });
  else checkLength(out, 'name', 'The name', name as string, CROSSWALK_LIMITS.nameMax);
  const description: unknown = body?.description;
  if (description !== undefined && description !== null) {
    if (typeof description !== 'string')
      out.push({ path: 'description', message: 'The description must be text.' });
    else checkLength(out, 'description', 'The description', description, CROSSWALK_LIMITS.descriptionMax);
  }
  if (body?.customAttributes !== undefined) {
    out.push(...validateAttributes(body.customAttributes, { path: 'customAttributes', allowEmpty: true }));
  }
  if (body?.mappings !== undefined) out.push(...validateNewMappings(body.mappings, 'mappings'));
  return out;
}

/** What the local code index says about a code: in the system, not in it, or the system is not loaded. */
export type CodeKnowledge = 'valid' | 'invalid' | 'unknownSystem';

/** A code the local index says is not in its system. */
export interface InvalidCode {
  /** `mappings[2].sourceCode` or `mappings[2].targets[1].targetCode`. */
  readonly path: string;
  readonly slug: string;
  readonly code: string;
}

/**
 * The codes of `mappings` the local code index knows to be invalid, with their paths, so the UI can
 * warn before sending (the server would list them under "invalidCodes" afterwards). A code whose
 * system the index does not hold (`unknownSystem`) is not reported: nothing is known about it.
 * Blank codes are left to the validators. Each (slug, code) is asked once.
 *
 * @param knownCode answered by the extension from its local code index; `slug` is the API's slug
 *   (map it with {@link localSystemOfSlug}).
 */
export function checkCodes(
  mappings: readonly NewMapping[],
  knownCode: (slug: string, code: string) => CodeKnowledge,
): InvalidCode[] {
  const cache = new Map<string, CodeKnowledge>();
  const ask = (slug: string, code: string): CodeKnowledge => {
    const key = `${slug}\u0000${code}`;
    let k = cache.get(key);
    if (k === undefined) {
      k = knownCode(slug, code);
      cache.set(key, k);
    }
    return k;
  };
  const out: InvalidCode[] = [];
  mappings.forEach((m, i) => {
    const p = `mappings[${i}]`;
    if (
      !isBlank(m.sourceCode) &&
      !isBlank(m.sourceCodeSystem) &&
      ask(m.sourceCodeSystem, m.sourceCode) === 'invalid'
    ) {
      out.push({ path: `${p}.sourceCode`, slug: m.sourceCodeSystem, code: m.sourceCode });
    }
    (m.targets ?? []).forEach((t, j) => {
      if (isBlank(t.targetCode) || isBlank(m.targetCodeSystem)) return;
      if (ask(m.targetCodeSystem, t.targetCode) === 'invalid') {
        out.push({ path: `${p}.targets[${j}].targetCode`, slug: m.targetCodeSystem, code: t.targetCode });
      }
    });
  });
  return out;
}
