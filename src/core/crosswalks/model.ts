/**
 * The data of IMO Terminology Management crosswalks (document 003), as the extension holds it.
 * Field names are the API's own (camelCase). The API client checks answers against these shapes;
 * core (limits, CSV and FHIR export, import, compare) works on them without knowing about HTTP.
 */

/** A key/value pair at crosswalk level or at mapping-target level. `value` may be empty. */
export interface CustomAttribute {
  key: string;
  value?: string;
}

/** Audit fields every crosswalk and version carries (UTC ISO-8601 timestamps). */
export interface Audited {
  createdAt?: string;
  createdBy?: string;
  updatedAt?: string;
  updatedBy?: string;
}

/** One crosswalk as listed or fetched. `version` is its latest version number. */
export interface Crosswalk extends Audited {
  identifier: string;
  name: string;
  description?: string;
  version: number;
  customAttributes?: CustomAttribute[];
}

/** `published` (edits through the API create a new version) or `draft` (edits refused). */
export type VersionStatus = 'published' | 'draft' | (string & {});

/** One version of a crosswalk. */
export interface CrosswalkVersion extends Audited {
  version: number;
  name?: string;
  description?: string;
  customAttributes?: CustomAttribute[];
  status?: VersionStatus;
}

/** One target of a mapping. `identifier` is the code identifier used by the mapping-attribute endpoints. */
export interface MappingTarget {
  targetCode: string;
  targetDisplay?: string;
  identifier?: string;
  customAttributes?: CustomAttribute[];
}

/** One source code and its targets in one target system (a page holds at most 10 of these). */
export interface Mapping {
  sourceCode: string;
  sourceDisplay?: string;
  sourceCodeSystem: string;
  targetCodeSystem: string;
  targets: MappingTarget[];
}

/** A mapping as sent to `POST …/mappings` or in `POST /crosswalks` (no displays or identifiers). */
export interface NewMapping {
  sourceCode: string;
  sourceCodeSystem: string;
  targetCodeSystem: string;
  targets: Array<{ targetCode: string; customAttributes?: CustomAttribute[] }>;
}

/** A deletion as sent to `DELETE …/mappings`. */
export interface MappingDeletion {
  sourceCode: string;
  sourceCodeSystem: string;
  targetCodeSystem: string;
  targetCodes: string[];
}

/** `POST /crosswalks` body. */
export interface NewCrosswalk {
  name: string;
  description?: string;
  customAttributes?: CustomAttribute[];
  mappings?: NewMapping[];
}

/** A crosswalk version with all its mappings, as exported (every page read). */
export interface CrosswalkExport {
  crosswalk: Crosswalk;
  version: CrosswalkVersion;
  mappings: Mapping[];
}
