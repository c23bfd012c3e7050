/**
 * The common shape every code-file loader returns (issue 5, item 2). Loaders are pure: they take the
 * file's text or bytes and report what they read, including the lines they could not use and why.
 */
import type { RowLookup } from './codeRows';

/** Code systems the loaders know. */
export type CodeSystemId =
  | 'icd10cm'
  | 'icd10pcs'
  | 'hcpcs'
  | 'cvx'
  | 'icd9cm-dx'
  | 'icd9cm-pcs'
  | 'snomedct'
  | 'loinc'
  | (string & {});

/** Which release a file belongs to, e.g. `{ id: 'icd10cm-FY2026', label: 'ICD-10-CM FY2026' }`. */
export interface ReleaseInfo {
  /** Stable identifier, `<system>-<version>` (e.g. `icd10cm-FY2026`, `hcpcs-2020`); `<system>-unknown` when not known. */
  readonly id: string;
  /** Human-readable label for pickers and hovers. */
  readonly label: string;
}

/** What a loader accepts: the decoded text, or the raw bytes (decoded with the format's own charset). */
export type LoaderInput = string | Uint8Array;

/** Options every loader accepts. */
export interface LoaderOptions {
  /** Release to report; when absent it is inferred from `fileName` (a 4-digit year) or the content. */
  readonly release?: ReleaseInfo;
  /** The source file's name, used only to infer the release (e.g. `icd10cm-order-2026.txt` → FY2026). */
  readonly fileName?: string;
  /** Most rejected lines kept with their reasons (the count in `counts.rejected` is always exact). Default 1000. */
  readonly maxRejected?: number;
}

/** One code read from a release file. `code` is canonical: upper case, no dot, no padding. */
export interface CodeEntry {
  readonly code: string;
  /** Long title / description (the full text, never the abbreviated one when the format has both). */
  readonly title: string;
  /** Short / abbreviated title, when the format has one. */
  readonly short?: string;
  /** `true` = valid for reporting (billable), `false` = header / category, absent = format does not say. */
  readonly billable?: boolean;
  /** HCPCS: `modifier` for two-character modifiers; otherwise absent (a code). */
  readonly kind?: 'modifier';
  /** Position in the order file (1-based order number), when the format has one. */
  readonly order?: number;
  /** Status as the publisher states it (CVX `Active`/`Inactive`/…, LOINC `ACTIVE`/`DEPRECATED`/…). */
  readonly status?: string;
  /** First day of validity, ISO `yyyy-mm-dd` (HCPCS date added). */
  readonly validFrom?: string;
  /** Last day of validity, ISO `yyyy-mm-dd` (HCPCS termination date). */
  readonly validTo?: string;
  /** Other format-specific fields (HCPCS action code, CVX notes, LOINC parts, SNOMED synonyms…). */
  readonly extra?: Readonly<Record<string, string>>;
}

/** One GEM flag set (the 5-digit flags column). */
export interface GemFlags {
  readonly approximate: boolean;
  readonly noMap: boolean;
  readonly combination: boolean;
  readonly scenario: number;
  readonly choiceList: number;
}

/** One target of a mapping, with the flags of its row. */
export interface MappingTarget extends GemFlags {
  readonly code: string;
}

/** All rows of one source code in a mapping file (GEMs), in file order. */
export interface CodeMapping {
  readonly source: string;
  /** Targets in file order; empty when the source has no mapping (`NoDx` / no-map flag). */
  readonly targets: MappingTarget[];
  /** `true` when the file states that the source has no mapping. */
  readonly noMap: boolean;
}

/** One change stated in an addenda file. Titles are the new ones; `previous*` the ones replaced. */
export interface CodeChange {
  readonly action: 'added' | 'deleted' | 'revised';
  readonly code: string;
  readonly title: string;
  readonly short?: string;
  /** Order-layout addenda only: the billable flag of the row. */
  readonly billable?: boolean;
  /** `revised` only: the title before the revision. */
  readonly previousTitle?: string;
  /** `revised` only: the short title before the revision (order layouts). */
  readonly previousShort?: string;
  /** 1-based line of the row (the `Revise to:` line for revisions). */
  readonly line: number;
}

/**
 * One row of the ICD-10-CM conversion table: the current code and the code(s) it replaced, with the
 * fiscal year the change took effect. Codes are canonical (upper case, no dot).
 */
export interface CodeConversion {
  /** The current code assignment. */
  readonly code: string;
  /** Fiscal year the assignment took effect, e.g. `FY2026` (the table's `Effective` column). */
  readonly effective: string;
  /** The previous code(s) this code replaces, in the table's order. */
  readonly previous: readonly string[];
  /** 1-based row in the sheet. */
  readonly line: number;
}

/** A line the loader could not use. `line` is 1-based; `text` is the line, cut to 200 characters. */
export interface RejectedLine {
  readonly line: number;
  readonly reason: string;
  readonly text: string;
}

/** Counters every loader fills; format-specific counters are added by name. */
export interface LoadCounts {
  /** Lines (or CSV records) in the input. */
  lines: number;
  /** Entries returned. */
  entries: number;
  /** Lines deliberately not read as data (preambles, blank lines, headers, summaries, inactive rows). */
  skipped: number;
  /** Lines rejected (exact, even when `rejected` holds fewer). */
  rejected: number;
  [counter: string]: number;
}

/**
 * A column of strings read by row: an array, or a column that reads each value from the source text
 * only when asked (the order files: a title is a slice of its line, made on demand).
 */
export interface TextColumn {
  readonly length: number;
  at(row: number): string | undefined;
}

/** The values of a column as an array (the column itself when it is one). */
export function columnArray(column: TextColumn): string[] {
  if (Array.isArray(column)) return column as string[];
  const out = new Array<string>(column.length);
  for (let i = 0; i < out.length; i++) out[i] = column.at(i) ?? '';
  return out;
}

/**
 * Entries as parallel columns (large order files): `shorts.at(i)` is `''` when the short title is the
 * long one, `billable[i]` is 1 or 0. Codes are canonical.
 */
export interface LoadColumns {
  readonly codes: string[];
  readonly titles: TextColumn;
  readonly shorts: TextColumn;
  readonly billable: Uint8Array;
}

/** What a loader read. */
export interface LoadResult {
  readonly system: CodeSystemId;
  readonly release: ReleaseInfo;
  readonly entries: CodeEntry[];
  /**
   * Entry index by code, when the loader built one anyway (to find duplicates): the index reuses it
   * instead of hashing every code again. Must agree with `entries`.
   */
  readonly rows?: RowLookup;
  /** The entries as columns, when the loader built them so (the index adopts them without copying). */
  readonly columns?: LoadColumns;
  readonly mappings?: CodeMapping[];
  readonly changes?: CodeChange[];
  readonly conversions?: CodeConversion[];
  readonly counts: LoadCounts;
  readonly rejected: RejectedLine[];
}
