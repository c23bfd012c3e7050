/**
 * A crosswalk version as a FHIR R4 `ConceptMap` (https://hl7.org/fhir/R4/conceptmap.html), so it can
 * be loaded into a terminology server or compared with other maps.
 *
 * - Every target gets `equivalence: 'relatedto'`. R4 requires an equivalence on each target, and an
 *   IMO crosswalk says only that a coder linked the two codes, not how they relate; `relatedto`
 *   ("related, exact relationship not known") is the one value that claims nothing more.
 *   `equivalent` or `wider` would be invented.
 * - Custom attributes survive as extensions with our own URL,
 *   {@link CUSTOM_ATTRIBUTE_EXTENSION_URL} (Clinical Coder's namespace, not an HL7 definition): a
 *   complex extension with `key` and `value` sub-extensions (`value` left out when empty: FHIR
 *   strings may not be empty). Crosswalk-level ones sit on the ConceptMap, target-level ones on the
 *   target, with the target's code identifier as {@link CODE_IDENTIFIER_EXTENSION_URL}.
 * - Order is canonical (groups by source then target slug, elements by code, targets by code, then
 *   identifier; attributes by key then value; all ordinal), so two exports of the same data are equal
 *   byte for byte.
 */

import { slugInfo } from './limits';
import type { CrosswalkExport, CustomAttribute, Mapping, MappingTarget } from './model';

/** Our extension for a custom attribute (key/value sub-extensions). Defined by Clinical Coder. */
export const CUSTOM_ATTRIBUTE_EXTENSION_URL =
  'https://clinicalcoder.dev/fhir/StructureDefinition/custom-attribute';

/** Our extension carrying a target's IMO code identifier (`valueString`). Defined by Clinical Coder. */
export const CODE_IDENTIFIER_EXTENSION_URL =
  'https://clinicalcoder.dev/fhir/StructureDefinition/crosswalk-code-identifier';

/** Prefix of the `system` URI of a slug that has no canonical one (never one of the API's slugs). */
export const UNKNOWN_SYSTEM_PREFIX = 'urn:clinicalcoder:code-system:';

/** A FHIR extension as used here (string values or nested extensions). */
export interface FhirExtension {
  url: string;
  valueString?: string;
  extension?: FhirExtension[];
}

/** `ConceptMap.group.element.target` (R4). */
export interface ConceptMapTarget {
  extension?: FhirExtension[];
  code: string;
  display?: string;
  equivalence: 'relatedto';
  comment?: string;
}

/** `ConceptMap.group.element` (R4). */
export interface ConceptMapElement {
  code: string;
  display?: string;
  target?: ConceptMapTarget[];
}

/** `ConceptMap.group` (R4). */
export interface ConceptMapGroup {
  source: string;
  sourceVersion?: string;
  target: string;
  targetVersion?: string;
  element: ConceptMapElement[];
}

/** The parts of an R4 `ConceptMap` this module writes. */
export interface ConceptMap {
  resourceType: 'ConceptMap';
  id: string;
  extension?: FhirExtension[];
  url: string;
  identifier?: { system: string; value: string };
  version: string;
  name: string;
  title: string;
  status: 'draft' | 'active' | 'retired' | 'unknown';
  date?: string;
  description?: string;
  group: ConceptMapGroup[];
}

/** Options of {@link toConceptMap}. */
export interface ConceptMapOptions {
  /** Canonical URL of the map; default `urn:uuid:<identifier>` (see {@link toConceptMap}). */
  url?: string;
}

/** Canonical code-system URIs (HL7 terminology registry) by local system. */
const SYSTEM_URIS: Readonly<Record<string, string>> = {
  icd10cm: 'http://hl7.org/fhir/sid/icd-10-cm',
  icd10pcs: 'http://www.cms.gov/Medicare/Coding/ICD10',
  hcpcs: 'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets',
  cpt: 'http://www.ama-assn.org/go/cpt',
  loinc: 'http://loinc.org',
  cvx: 'http://hl7.org/fhir/sid/cvx',
  rxnorm: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  ndc: 'http://hl7.org/fhir/sid/ndc',
  snomed: 'http://snomed.info/sct',
};

/**
 * The FHIR `system` URI of an API slug (`icd10cm` → `http://hl7.org/fhir/sid/icd-10-cm`; every
 * `cpt<year>` → the CPT URI). A slug the API does not list gets `urn:clinicalcoder:code-system:<slug>`
 * so nothing is dropped.
 */
export function fhirSystemOfSlug(slug: string): string {
  const local = slugInfo(slug)?.localSystem;
  return (local && SYSTEM_URIS[local]) || `${UNKNOWN_SYSTEM_PREFIX}${encodeURIComponent(slug)}`;
}

/** The code-system version a slug implies: the year of a `cpt<year>` slug, otherwise none. */
export function fhirVersionOfSlug(slug: string): string | undefined {
  return /^cpt(\d{4})$/.exec(slug)?.[1];
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A FHIR `id` (`[A-Za-z0-9\-.]{1,64}`) from an identifier: other characters become `-`. */
function fhirId(identifier: string): string {
  const id = identifier.replace(/[^A-Za-z0-9\-.]/g, '-').slice(0, 64);
  return id === '' ? 'crosswalk' : id;
}

/**
 * A computer-friendly `name` (R4 `[A-Z]([A-Za-z0-9_]){0,254}`): accents dropped, words capitalised
 * and joined, anything else removed; leading digits move behind a `Crosswalk` prefix.
 */
export function computerFriendlyName(title: string): string {
  const words = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== '');
  let name = words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
  if (!/^[A-Z]/.test(name)) name = `Crosswalk${name}`;
  return name.slice(0, 255);
}

function sortAttributes(attrs: readonly CustomAttribute[] | undefined): CustomAttribute[] {
  return [...(attrs ?? [])].sort((a, b) => cmp(a.key, b.key) || cmp(a.value ?? '', b.value ?? ''));
}

function attributeExtensions(attrs: readonly CustomAttribute[] | undefined): FhirExtension[] {
  return sortAttributes(attrs).map((a) => {
    const parts: FhirExtension[] = [{ url: 'key', valueString: a.key }];
    if (a.value !== undefined && a.value !== '') parts.push({ url: 'value', valueString: a.value });
    return { url: CUSTOM_ATTRIBUTE_EXTENSION_URL, extension: parts };
  });
}

function conceptTarget(t: MappingTarget): ConceptMapTarget {
  const extension = attributeExtensions(t.customAttributes);
  if (t.identifier) extension.push({ url: CODE_IDENTIFIER_EXTENSION_URL, valueString: t.identifier });
  const out: ConceptMapTarget = { code: t.targetCode, equivalence: 'relatedto' };
  if (t.targetDisplay) out.display = t.targetDisplay;
  // Extensions first, as the FHIR JSON convention orders them.
  return extension.length > 0 ? { extension, ...out } : out;
}

function statusOf(status: string | undefined): ConceptMap['status'] {
  if (status === 'published') return 'active';
  if (status === 'draft') return 'draft';
  return 'unknown';
}

/**
 * The export as an R4 ConceptMap:
 * - `id` from the crosswalk identifier; `url` = `options.url`, else `urn:uuid:<identifier>` when the
 *   identifier is a UUID (as IMO's are), else `urn:clinicalcoder:crosswalk:<identifier>`; the same
 *   value as `identifier` (system `urn:ietf:rfc:3986`);
 * - `version` = the version number as text; `title` = the version's name (else the crosswalk's),
 *   `name` = its {@link computerFriendlyName}; `status` `active` for published, `draft` for draft,
 *   `unknown` otherwise; `date` = `updatedAt`; `description`;
 * - one `group` per (source slug, target slug) with canonical system URIs ({@link fhirSystemOfSlug})
 *   and, for `cpt<year>` slugs, the year as `sourceVersion`/`targetVersion`; one `element` per source
 *   code (mappings with the same source code in a group are merged), each target with
 *   `equivalence: 'relatedto'`. A source code without targets is an element without `target`.
 */
export function toConceptMap(exp: CrosswalkExport, options: ConceptMapOptions = {}): ConceptMap {
  const cw = exp.crosswalk;
  const v = exp.version;
  const identifier = cw.identifier;
  const canonical = UUID.test(identifier)
    ? `urn:uuid:${identifier.toLowerCase()}`
    : `urn:clinicalcoder:crosswalk:${encodeURIComponent(identifier)}`;
  const title = v.name ?? cw.name;

  const groups = new Map<string, { source: string; target: string; elements: Map<string, Mapping[]> }>();
  for (const m of exp.mappings) {
    const gk = JSON.stringify([m.sourceCodeSystem, m.targetCodeSystem]);
    let g = groups.get(gk);
    if (!g) {
      g = { source: m.sourceCodeSystem, target: m.targetCodeSystem, elements: new Map() };
      groups.set(gk, g);
    }
    const list = g.elements.get(m.sourceCode);
    if (list) list.push(m);
    else g.elements.set(m.sourceCode, [m]);
  }

  const group: ConceptMapGroup[] = [...groups.values()]
    .sort((a, b) => cmp(a.source, b.source) || cmp(a.target, b.target))
    .map((g) => {
      const out: ConceptMapGroup = {
        source: fhirSystemOfSlug(g.source),
        target: fhirSystemOfSlug(g.target),
        element: [],
      };
      const sv = fhirVersionOfSlug(g.source);
      const tv = fhirVersionOfSlug(g.target);
      if (sv) out.sourceVersion = sv;
      if (tv) out.targetVersion = tv;
      out.element = [...g.elements.entries()]
        .sort(([a], [b]) => cmp(a, b))
        .map(([code, ms]) => {
          const el: ConceptMapElement = { code };
          const display = ms.find((m) => m.sourceDisplay)?.sourceDisplay;
          if (display) el.display = display;
          const targets = ms
            .flatMap((m) => m.targets ?? [])
            .sort((a, b) => cmp(a.targetCode, b.targetCode) || cmp(a.identifier ?? '', b.identifier ?? ''))
            .map(conceptTarget);
          if (targets.length > 0) el.target = targets;
          return el;
        });
      return out;
    });

  const extension = attributeExtensions(v.customAttributes ?? cw.customAttributes);
  const date = v.updatedAt ?? cw.updatedAt;
  const description = v.description ?? cw.description;
  // Built in the order of the R4 resource definition, so the JSON reads like the spec.
  return {
    resourceType: 'ConceptMap',
    id: fhirId(identifier),
    ...(extension.length > 0 ? { extension } : {}),
    url: options.url ?? canonical,
    identifier: { system: 'urn:ietf:rfc:3986', value: canonical },
    version: String(v.version ?? cw.version),
    name: computerFriendlyName(title),
    title,
    status: statusOf(v.status),
    ...(date ? { date } : {}),
    ...(description ? { description } : {}),
    group,
  };
}

/** {@link toConceptMap} as pretty JSON (2-space indent) with a trailing newline. */
export function conceptMapJson(exp: CrosswalkExport, options: ConceptMapOptions = {}): string {
  return `${JSON.stringify(toConceptMap(exp, options), null, 2)}\n`;
}
