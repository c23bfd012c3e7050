/**
 * The code index (issue 5, item 3): several releases of each code system side by side, one active
 * release per system, exact lookups (dotted or not), parent chains, billable/header status, the
 * changes each release's addenda state, successors from the ICD-10-CM conversion table and GEM
 * mappings. Pure: it is filled from loader results and from a persisted cache (`indexCache.ts`).
 *
 * Memory: a release is stored as parallel columns (codes, titles, short titles, a flag byte) plus one
 * code → row hash table ({@link CodeRows}), not as one object per code; {@link CodeInfo} objects
 * are made on lookup.
 */

import { canonicalise } from './recognise';
import { CODE_SYSTEM_LABELS } from './systems';
import type { CodeSystem } from './systems';
import { CodeRows } from './loaders/codeRows';
import type { RowLookup } from './loaders/codeRows';
import { columnArray } from './loaders/types';
import type {
  CodeChange,
  CodeConversion,
  CodeMapping,
  LoadResult,
  MappingTarget,
  TextColumn,
} from './loaders/types';

/** A release as the index holds it. */
export interface ReleaseDescriptor {
  /** `<system>-<version>`, e.g. `icd10cm-FY2026`, `hcpcs-2020`. */
  readonly id: string;
  readonly system: CodeSystem;
  /** e.g. `ICD-10-CM FY2026`. */
  readonly label: string;
  /** e.g. `FY2026`, `2020`, `v32`; compared with numeric collation to find the newest. */
  readonly version: string;
  /** First day the release applies to (ISO date), when known: FY2026 → `2025-10-01`. */
  readonly validFrom?: string;
  /** Last day the release applies to (ISO date), when known: FY2026 → `2026-09-30`. */
  readonly validTo?: string;
  /** Where it came from: `bundled`, or a file name. */
  readonly source: string;
  /** Codes in the release. */
  readonly count: number;
}

/** One change of a code, stated by a release's addenda. */
export interface CodeChangeInfo {
  readonly release: ReleaseDescriptor;
  readonly action: CodeChange['action'];
  readonly title: string;
  readonly billable?: boolean;
  readonly previousTitle?: string;
}

/** A code with its title, as shown in lists (parents, successors, mapping targets). */
export interface CodeRef {
  readonly system: CodeSystem;
  /** Canonical key: upper case, no dot (LOINC keeps its hyphen). */
  readonly code: string;
  /** As displayed: dotted for ICD-10-CM and ICD-9-CM. */
  readonly display: string;
  /** Title in the active release (or the newest release that has it), when known. */
  readonly title?: string;
  readonly billable?: boolean;
}

/** A successor from the conversion table. */
export interface SuccessorRef extends CodeRef {
  /** Fiscal year the replacement took effect, e.g. `FY2026`. */
  readonly effective: string;
}

/** Targets of a code in one mapping (GEMs). */
export interface CrosswalkInfo {
  readonly system: CodeSystem;
  /** e.g. `GEM ICD-9-CM → ICD-10-CM (2018)`. */
  readonly label: string;
  readonly noMap: boolean;
  readonly targets: readonly (CodeRef & { readonly approximate: boolean; readonly combination: boolean })[];
}

/** Everything the index knows about one code. */
export interface CodeInfo extends CodeRef {
  readonly title: string;
  readonly short?: string;
  readonly kind: 'code' | 'modifier';
  readonly status?: string;
  readonly validFrom?: string;
  readonly validTo?: string;
  /** The release the title and flags come from: the active one when the code is in it. */
  readonly release: ReleaseDescriptor;
  /** The active release of the system. */
  readonly active: ReleaseDescriptor | undefined;
  /** Whether the active release has the code. */
  readonly inActive: boolean;
  /** Ids of the loaded releases that have the code, oldest first. */
  readonly releases: readonly string[];
  /** Changes stated by the addenda of loaded releases, oldest first. */
  readonly changes: readonly CodeChangeInfo[];
  /**
   * Set when the code is not valid for reporting in the active release although it was before:
   * deleted outright, or turned into a header (FY2026 `G35`).
   */
  readonly retiredIn?: ReleaseDescriptor;
  readonly successors: readonly SuccessorRef[];
  /** Codes this one replaced (conversion table). */
  readonly predecessors: readonly SuccessorRef[];
  /** Nearest first: `E11.65` → `E11.6`, `E11`. */
  readonly parents: readonly CodeRef[];
  readonly crosswalks: readonly CrosswalkInfo[];
}

const F_BILLABLE_KNOWN = 1;
const F_BILLABLE = 2;
const F_MODIFIER = 4;

/** One release as columns. Exported for the cache and the search source; not for features. */
export class ReleaseTable {
  private rowMap: RowLookup | undefined;
  constructor(
    readonly descriptor: ReleaseDescriptor,
    readonly codes: string[],
    readonly titles: TextColumn,
    /** `''` when none. */
    readonly shorts: TextColumn,
    readonly flags: Uint8Array,
    /** Sparse per-row extras: status, validity dates. */
    readonly status: ReadonlyMap<number, string>,
    readonly validFrom: ReadonlyMap<number, string>,
    readonly validTo: ReadonlyMap<number, string>,
    /** A prebuilt code → row lookup that agrees with `codes` (from the loader), to skip hashing again. */
    rows?: RowLookup,
  ) {
    if (rows && rows.size === codes.length) this.rowMap = rows;
  }

  /**
   * Code → row. Built on first use when the table came without one (from the cache): a window that
   * never looks up an ICD-9-CM procedure does not hash its codes.
   */
  get rows(): RowLookup {
    this.rowMap ??= CodeRows.of(this.codes);
    return this.rowMap;
  }

  billable(row: number): boolean | undefined {
    const f = this.flags[row]!;
    return f & F_BILLABLE_KNOWN ? (f & F_BILLABLE) !== 0 : undefined;
  }

  isModifier(row: number): boolean {
    return (this.flags[row]! & F_MODIFIER) !== 0;
  }
}

/** Packs a billable/modifier pair into the table's flag byte. */
export function packFlags(billable: boolean | undefined, modifier: boolean): number {
  return (
    (billable === undefined ? 0 : F_BILLABLE_KNOWN | (billable ? F_BILLABLE : 0)) |
    (modifier ? F_MODIFIER : 0)
  );
}

/** Loader system ids → the recognisers' {@link CodeSystem}. */
export function codeSystemOf(loaderSystem: string): CodeSystem | undefined {
  switch (loaderSystem) {
    case 'icd9cm-pcs':
      return 'icd9cm-proc';
    case 'snomedct':
      return 'snomed';
    case 'icd10cm':
    case 'icd10pcs':
    case 'hcpcs':
    case 'cpt':
    case 'icd9cm-dx':
    case 'icd9cm-proc':
    case 'cvx':
    case 'loinc':
    case 'snomed':
    case 'ndc':
    case 'rxnorm':
      return loaderSystem;
    default:
      return undefined;
  }
}

/** Whether a code is already an index key: no lower case letter, dot or blank. */
function isCanonicalKey(code: string): boolean {
  for (let i = 0; i < code.length; i++) {
    const c = code.charCodeAt(i);
    if ((c >= 97 && c <= 122) || c === 46 || c === 32 || c === 9) return false;
  }
  return code.length > 0;
}

/** The index key of a code: upper case, trimmed, dots removed (`e11.65` → `E1165`). */
export function codeKey(code: string): string {
  const t = code.trim().toUpperCase();
  return t.indexOf('.') >= 0 ? t.replace('.', '') : t;
}

/** How a code is shown: dotted for ICD-10-CM and ICD-9-CM, as stored otherwise. */
export function displayCode(system: CodeSystem, key: string): string {
  switch (system) {
    case 'icd10cm':
    case 'icd9cm-dx':
    case 'icd9cm-proc':
      return canonicalise(system, key) ?? key;
    default:
      return key;
  }
}

/** Validity window of a release version: `FY2026` → Oct 2025–Sep 2026; `2020` → the calendar year. */
export function releaseWindow(system: CodeSystem, version: string): { validFrom?: string; validTo?: string } {
  const fy = /^FY(\d{4})$/.exec(version);
  if (fy) {
    const y = Number(fy[1]);
    return { validFrom: `${y - 1}-10-01`, validTo: `${y}-09-30` };
  }
  if (/^\d{4}$/.test(version) && (system === 'hcpcs' || system === 'cpt')) {
    return { validFrom: `${version}-01-01`, validTo: `${version}-12-31` };
  }
  if (system === 'icd9cm-dx' || system === 'icd9cm-proc') return { validTo: '2015-09-30' };
  return {};
}

const collator = new Intl.Collator('en', { numeric: true });

/** Options for {@link CodeIndex.add}. */
export interface AddOptions {
  /** Shown in the release descriptor: `bundled` or a file name. */
  readonly source: string;
}

interface SystemData {
  /** Oldest first. */
  readonly releases: ReleaseTable[];
  active?: string;
  /** release id → code → changes. */
  readonly changes: Map<string, Map<string, CodeChange[]>>;
  /** previous code → successors. */
  readonly successors: Map<string, { code: string; effective: string }[]>;
  /** current code → { previous, effective }. */
  readonly predecessors: Map<string, { previous: readonly string[]; effective: string }>;
  /** mapping label → (source → mapping), with the target system. */
  readonly mappings: Map<string, { target: CodeSystem; bySource: MappingLookup }>;
}

/** What a persisted index holds besides the tables (see `indexCache.ts`). */
export interface IndexExtras {
  readonly changes: { system: CodeSystem; release: string; changes: CodeChange[] }[];
  readonly conversions: { system: CodeSystem; conversions: CodeConversion[] }[];
  /** Mappings in the compact text form of {@link encodeMappings}. */
  readonly mappings: { system: CodeSystem; target: CodeSystem; label: string; encoded: string }[];
}

/** Source code → mapping, decoded on first use. */
interface MappingLookup {
  get(source: string): CodeMapping | undefined;
}

/**
 * Mappings as text, one source per line: `SOURCE<TAB>TARGET FLAGS<TAB>…` where FLAGS are the five GEM
 * flag digits; a no-map source has the single target `-` with its flags. Compact to persist and
 * cheap to load: the lines are only split when a lookup first needs them.
 */
export function encodeMappings(mappings: readonly CodeMapping[]): string {
  const lines: string[] = [];
  for (const m of mappings) {
    const parts = [codeKey(m.source)];
    if (m.targets.length === 0) parts.push(`- ${m.noMap ? '01000' : '00000'}`);
    for (const t of m.targets) {
      parts.push(
        `${t.code} ${+t.approximate}${+t.noMap}${+t.combination}${t.scenario % 10}${t.choiceList % 10}`,
      );
    }
    lines.push(parts.join('\t'));
  }
  return lines.join('\n');
}

class EncodedMappings implements MappingLookup {
  private lines: Map<string, string> | undefined;
  constructor(private readonly encoded: string) {}

  get(source: string): CodeMapping | undefined {
    if (!this.lines) {
      const lines = new Map<string, string>();
      let start = 0;
      const text = this.encoded;
      while (start < text.length) {
        let end = text.indexOf('\n', start);
        if (end < 0) end = text.length;
        const tab = text.indexOf('\t', start);
        if (tab > start && tab < end) lines.set(text.slice(start, tab), text.slice(tab + 1, end));
        start = end + 1;
      }
      this.lines = lines;
    }
    const line = this.lines.get(source);
    if (line === undefined) return undefined;
    const targets: MappingTarget[] = [];
    let noMap = false;
    for (const part of line.split('\t')) {
      const [code = '', f = '00000'] = part.split(' ');
      const flags = {
        approximate: f[0] === '1',
        noMap: f[1] === '1',
        combination: f[2] === '1',
        scenario: Number(f[3] ?? 0),
        choiceList: Number(f[4] ?? 0),
      };
      if (code === '-') noMap = flags.noMap || noMap;
      else targets.push({ code, ...flags });
    }
    return { source, targets, noMap: noMap || (targets.length > 0 && targets.every((t) => t.noMap)) };
  }
}

/** The index. Fill it with {@link add} (loader results) or {@link addTable} (cache), then query. */
export class CodeIndex {
  private readonly systems = new Map<CodeSystem, SystemData>();
  private readonly releaseById = new Map<string, ReleaseTable>();
  private readonly extras: {
    changes: IndexExtras['changes'];
    conversions: IndexExtras['conversions'];
    mappings: IndexExtras['mappings'];
  } = { changes: [], conversions: [], mappings: [] };
  private version = 0;
  private readonly memo = new Map<string, CodeInfo | undefined>();
  private memoVersion = -1;

  /** Changes whenever the content or the active releases change (for caches above the index). */
  get generation(): number {
    return this.version;
  }

  private data(system: CodeSystem): SystemData {
    let d = this.systems.get(system);
    if (!d) {
      d = {
        releases: [],
        changes: new Map(),
        successors: new Map(),
        predecessors: new Map(),
        mappings: new Map(),
      };
      this.systems.set(system, d);
    }
    return d;
  }

  /**
   * Adds what a loader read. Entries become a release table (merged into a release of the same id:
   * codes it lacks are appended, e.g. the codes file after the order file); addenda changes,
   * conversions and mappings are attached to their system. Returns the release it filled, if any.
   */
  add(result: LoadResult, options: AddOptions): ReleaseDescriptor | undefined {
    const system = codeSystemOf(result.system);
    if (!system) return undefined;
    const version = result.release.id.startsWith(`${result.system}-`)
      ? result.release.id.slice(result.system.length + 1)
      : result.release.id;
    const id = `${system}-${version}`;
    let filled: ReleaseDescriptor | undefined;
    const columns = result.columns;
    if (columns && columns.codes.length > 0 && !this.releaseById.has(id)) {
      // the loader's columns become the table as they are: no copy, no second hash of the codes
      const flags = new Uint8Array(columns.codes.length);
      for (let i = 0; i < flags.length; i++)
        flags[i] = columns.billable[i] ? F_BILLABLE_KNOWN | F_BILLABLE : F_BILLABLE_KNOWN;
      filled = this.addTable(
        new ReleaseTable(
          {
            id,
            system,
            label: this.releaseLabel(result, system, version),
            version,
            ...releaseWindow(system, version),
            source: options.source,
            count: columns.codes.length,
          },
          columns.codes,
          columns.titles,
          columns.shorts,
          flags,
          new Map(),
          new Map(),
          new Map(),
          result.rows,
        ),
      );
    } else if (result.entries.length > 0) {
      const codes: string[] = [];
      const titles: string[] = [];
      const shorts: string[] = [];
      const flags: number[] = [];
      const status = new Map<number, string>();
      const validFrom = new Map<number, string>();
      const validTo = new Map<number, string>();
      const existing = this.releaseById.get(id);
      let rekeyed = false;
      for (const e of result.entries) {
        // loaders return canonical codes (upper case, no dot); only odd ones pay for codeKey
        const key = e.kind === 'modifier' || isCanonicalKey(e.code) ? e.code : codeKey(e.code);
        if (key !== e.code) rekeyed = true;
        if (existing !== undefined && existing.rows.has(key)) continue;
        const row = codes.length;
        codes.push(key);
        titles.push(e.title);
        // most ICD-10-CM short titles equal the long one: keep one copy
        shorts.push(e.short === undefined || e.short === e.title ? '' : e.short);
        flags.push(packFlags(e.billable, e.kind === 'modifier'));
        if (e.status !== undefined) status.set(row, e.status);
        if (e.validFrom !== undefined) validFrom.set(row, e.validFrom);
        if (e.validTo !== undefined) validTo.set(row, e.validTo);
      }
      const label = this.releaseLabel(result, system, version);
      if (existing) {
        filled = this.mergeInto(existing, codes, titles, shorts, flags, status, validFrom, validTo);
      } else {
        const descriptor: ReleaseDescriptor = {
          id,
          system,
          label,
          version,
          ...releaseWindow(system, version),
          source: options.source,
          count: codes.length,
        };
        filled = this.addTable(
          new ReleaseTable(
            descriptor,
            codes,
            titles,
            shorts,
            Uint8Array.from(flags),
            status,
            validFrom,
            validTo,
            // the loader's map is valid only when every entry became a row under its own code
            !rekeyed && codes.length === result.entries.length ? result.rows : undefined,
          ),
        );
      }
    }
    if (result.changes && result.changes.length > 0) this.addChanges(system, id, result.changes);
    if (result.conversions && result.conversions.length > 0) this.addConversions(system, result.conversions);
    if (result.mappings && result.mappings.length > 0) {
      const target: CodeSystem =
        system === 'icd9cm-dx' ? 'icd10cm' : system === 'icd10cm' ? 'icd9cm-dx' : system;
      const year = /(?:FY)?(\d{4})(?!.*\d{4})/.exec(result.release.id)?.[1];
      const label = `GEM ${CODE_SYSTEM_LABELS[system]} → ${CODE_SYSTEM_LABELS[target]}${year ? ` (${year})` : ''}`;
      this.addMappings(system, target, label, result.mappings);
    }
    this.version++;
    return filled;
  }

  private releaseLabel(result: LoadResult, system: CodeSystem, version: string): string {
    return result.release.label.startsWith(CODE_SYSTEM_LABELS[system].split(' ')[0]!)
      ? result.release.label
      : `${CODE_SYSTEM_LABELS[system]} ${version}`;
  }

  private mergeInto(
    table: ReleaseTable,
    codes: string[],
    titles: string[],
    shorts: string[],
    flags: number[],
    status: Map<number, string>,
    validFrom: Map<number, string>,
    validTo: Map<number, string>,
  ): ReleaseDescriptor {
    const base = table.codes.length;
    const shift = (m: Map<number, string>, into: ReadonlyMap<number, string>): Map<number, string> => {
      const out = new Map(into);
      for (const [k, v] of m) out.set(k + base, v);
      return out;
    };
    const merged = new ReleaseTable(
      { ...table.descriptor, count: base + codes.length },
      table.codes.concat(codes),
      columnArray(table.titles).concat(titles),
      columnArray(table.shorts).concat(shorts),
      Uint8Array.from([...table.flags, ...flags]),
      shift(status, table.status),
      shift(validFrom, table.validFrom),
      shift(validTo, table.validTo),
    );
    const d = this.data(table.descriptor.system);
    d.releases[d.releases.indexOf(table)] = merged;
    this.releaseById.set(merged.descriptor.id, merged);
    return merged.descriptor;
  }

  /** Adds a whole release table (from the cache). A release with the same id is replaced. */
  addTable(table: ReleaseTable): ReleaseDescriptor {
    const d = this.data(table.descriptor.system);
    const i = d.releases.findIndex((t) => t.descriptor.id === table.descriptor.id);
    if (i >= 0) d.releases.splice(i, 1);
    d.releases.push(table);
    d.releases.sort((a, b) => collator.compare(a.descriptor.version, b.descriptor.version));
    this.releaseById.set(table.descriptor.id, table);
    this.version++;
    return table.descriptor;
  }

  addChanges(system: CodeSystem, releaseId: string, changes: CodeChange[]): void {
    const d = this.data(system);
    let byCode = d.changes.get(releaseId);
    if (!byCode) d.changes.set(releaseId, (byCode = new Map()));
    for (const c of changes) {
      const key = codeKey(c.code);
      const list = byCode.get(key);
      if (list) list.push(c);
      else byCode.set(key, [c]);
    }
    this.extras.changes.push({ system, release: releaseId, changes });
    this.version++;
  }

  addConversions(system: CodeSystem, conversions: CodeConversion[]): void {
    const d = this.data(system);
    for (const c of conversions) {
      const code = codeKey(c.code);
      const previous = c.previous.map(codeKey);
      d.predecessors.set(code, { previous, effective: c.effective });
      for (const p of previous) {
        const list = d.successors.get(p);
        const s = { code, effective: c.effective };
        if (!list) d.successors.set(p, [s]);
        else if (!list.some((x) => x.code === code)) list.push(s);
      }
    }
    this.extras.conversions.push({ system, conversions });
    this.version++;
  }

  /** Adds a mapping (GEMs), as loader results or in the encoded form of {@link encodeMappings}. */
  addMappings(system: CodeSystem, target: CodeSystem, label: string, mappings: CodeMapping[] | string): void {
    const encoded = typeof mappings === 'string' ? mappings : encodeMappings(mappings);
    this.data(system).mappings.set(label, { target, bySource: new EncodedMappings(encoded) });
    this.extras.mappings = this.extras.mappings.filter((m) => m.label !== label);
    this.extras.mappings.push({ system, target, label, encoded });
    this.version++;
  }

  /** What the cache must persist besides the tables. */
  get persistedExtras(): IndexExtras {
    return this.extras;
  }

  /** Every release table, system by system, oldest first. */
  tables(): ReleaseTable[] {
    return [...this.systems.values()].flatMap((d) => d.releases);
  }

  /** The loaded releases, system by system, oldest first. */
  releases(system?: CodeSystem): ReleaseDescriptor[] {
    const list = system ? (this.systems.get(system)?.releases ?? []) : this.tables();
    return list.map((t) => t.descriptor);
  }

  /** Systems that have at least one release. */
  loadedSystems(): CodeSystem[] {
    return [...this.systems.entries()].filter(([, d]) => d.releases.length > 0).map(([s]) => s);
  }

  table(releaseId: string): ReleaseTable | undefined {
    return this.releaseById.get(releaseId);
  }

  /**
   * Chooses the active release of a system (`undefined` = the newest). Returns false when the id is
   * not a loaded release of that system (the choice is then left unchanged).
   */
  setActive(system: CodeSystem, releaseId: string | undefined): boolean {
    const d = this.data(system);
    if (releaseId !== undefined && !d.releases.some((t) => t.descriptor.id === releaseId)) return false;
    d.active = releaseId;
    this.version++;
    return true;
  }

  /** The active release table of a system: the chosen one, else the newest. */
  activeTable(system: CodeSystem): ReleaseTable | undefined {
    const d = this.systems.get(system);
    if (!d || d.releases.length === 0) return undefined;
    if (d.active !== undefined) {
      const chosen = this.releaseById.get(d.active);
      if (chosen) return chosen;
    }
    return d.releases[d.releases.length - 1];
  }

  activeRelease(system: CodeSystem): ReleaseDescriptor | undefined {
    return this.activeTable(system)?.descriptor;
  }

  /** The loaded release of `system` whose validity window covers `isoDate`, if any. */
  releaseOn(system: CodeSystem, isoDate: string): ReleaseDescriptor | undefined {
    const d = this.systems.get(system);
    if (!d) return undefined;
    for (let i = d.releases.length - 1; i >= 0; i--) {
      const r = d.releases[i]!.descriptor;
      if (r.validFrom !== undefined && r.validFrom > isoDate) continue;
      if (r.validTo !== undefined && r.validTo < isoDate) continue;
      if (r.validFrom === undefined && r.validTo === undefined) continue;
      return r;
    }
    return undefined;
  }

  /** Whether any loaded release of `system` has the code (dotted or not). Fast: for the scanner. */
  has(system: CodeSystem, code: string): boolean {
    const d = this.systems.get(system);
    if (!d) return false;
    const key = codeKey(code);
    for (let i = d.releases.length - 1; i >= 0; i--) if (d.releases[i]!.rows.has(key)) return true;
    return false;
  }

  /** The row of a code in one release. */
  rowIn(releaseId: string, code: string): { table: ReleaseTable; row: number } | undefined {
    const table = this.releaseById.get(releaseId);
    const row = table?.rows.get(codeKey(code));
    return table && row !== undefined ? { table, row } : undefined;
  }

  /** The active release's row of a code: its title, billable flag and so on, without building a {@link CodeInfo}. */
  activeRow(system: CodeSystem, code: string): { table: ReleaseTable; row: number } | undefined {
    const table = this.activeTable(system);
    const row = table?.rows.get(codeKey(code));
    return table && row !== undefined ? { table, row } : undefined;
  }

  /** The changes the addenda of loaded releases state for a code, oldest release first. */
  changesOf(system: CodeSystem, code: string): CodeChangeInfo[] {
    const d = this.systems.get(system);
    if (!d) return [];
    const key = codeKey(code);
    const out: CodeChangeInfo[] = [];
    const ids = [...d.changes.keys()].sort((a, b) => collator.compare(a, b));
    for (const id of ids) {
      const list = d.changes.get(id)!.get(key);
      if (!list) continue;
      const release = this.releaseById.get(id)?.descriptor ?? this.phantomRelease(system, id);
      for (const c of list) {
        out.push({
          release,
          action: c.action,
          title: c.title,
          ...(c.billable !== undefined ? { billable: c.billable } : {}),
          ...(c.previousTitle !== undefined ? { previousTitle: c.previousTitle } : {}),
        });
      }
    }
    return out;
  }

  private phantomRelease(system: CodeSystem, id: string): ReleaseDescriptor {
    const version = id.slice(system.length + 1);
    return {
      id,
      system,
      label: `${CODE_SYSTEM_LABELS[system]} ${version}`,
      version,
      ...releaseWindow(system, version),
      source: 'addenda',
      count: 0,
    };
  }

  /** Successors of a code from the conversion table, transitively (A → B → C gives C), newest first. */
  successorsOf(system: CodeSystem, code: string): SuccessorRef[] {
    const d = this.systems.get(system);
    if (!d) return [];
    const out: SuccessorRef[] = [];
    const seen = new Set<string>([codeKey(code)]);
    let frontier = [codeKey(code)];
    for (let depth = 0; depth < 8 && frontier.length > 0; depth++) {
      const next: string[] = [];
      for (const c of frontier) {
        for (const s of d.successors.get(c) ?? []) {
          if (seen.has(s.code)) continue;
          seen.add(s.code);
          // a successor that was itself replaced later is followed; one still current is listed
          // (a code that is only a header in the active release is not current: FY2017 E78.01)
          const row = d.successors.has(s.code) ? this.activeRow(system, s.code) : undefined;
          if (d.successors.has(s.code) && (!row || row.table.billable(row.row) === false)) next.push(s.code);
          else out.push({ ...this.ref(system, s.code), effective: s.effective });
        }
      }
      frontier = next;
    }
    // newest first (stable: the table's order within one year)
    return out.sort((a, b) => collator.compare(b.effective, a.effective));
  }

  /** A code with its active (or newest) title. */
  ref(system: CodeSystem, key: string): CodeRef {
    const found = this.findRow(system, key);
    const display = displayCode(system, key);
    if (!found) return { system, code: key, display };
    const billable = found.table.billable(found.row);
    return {
      system,
      code: key,
      display,
      title: found.table.titles.at(found.row)!,
      ...(billable !== undefined ? { billable } : {}),
    };
  }

  /** The row of a code in the active release, else in the newest release that has it. */
  private findRow(system: CodeSystem, key: string): { table: ReleaseTable; row: number } | undefined {
    const active = this.activeTable(system);
    const row = active?.rows.get(key);
    if (active && row !== undefined) return { table: active, row };
    const d = this.systems.get(system);
    if (!d) return undefined;
    for (let i = d.releases.length - 1; i >= 0; i--) {
      const t = d.releases[i]!;
      const r = t.rows.get(key);
      if (r !== undefined) return { table: t, row: r };
    }
    return undefined;
  }

  /** Parents from the header codes of the release that has the code, nearest first. */
  parentsOf(system: CodeSystem, key: string, table?: ReleaseTable): CodeRef[] {
    // only the ICD code systems are hierarchical by prefix (SNOMED CT or RxNorm ids are not)
    if (system !== 'icd10cm' && system !== 'icd10pcs' && system !== 'icd9cm-dx' && system !== 'icd9cm-proc')
      return [];
    const t = table ?? this.findRow(system, key)?.table;
    if (!t) return [];
    const out: CodeRef[] = [];
    const minimum = system === 'icd9cm-proc' ? 2 : 3;
    for (let n = key.length - 1; n >= minimum; n--) {
      const p = key.slice(0, n);
      const row = t.rows.get(p);
      if (row === undefined) continue;
      const billable = t.billable(row);
      out.push({
        system,
        code: p,
        display: displayCode(system, p),
        title: t.titles.at(row)!,
        ...(billable !== undefined ? { billable } : {}),
      });
    }
    return out;
  }

  /**
   * The billable codes under a header (dotted or not), in the release that has it (the active one,
   * else the newest), in table order, at most `limit`. Rows follow the order file, so a header's
   * descendants are the rows right after it whose key starts with the header's key; the walk stops at
   * the first row that does not. Empty when the code is unknown or has no billable descendant.
   */
  childrenOf(system: CodeSystem, code: string, limit = 50): CodeRef[] {
    const key = codeKey(code);
    const found = this.findRow(system, key);
    if (!found || limit <= 0) return [];
    const { table } = found;
    const out: CodeRef[] = [];
    for (let r = found.row + 1; r < table.codes.length && out.length < limit; r++) {
      const child = table.codes[r]!;
      if (!child.startsWith(key)) break;
      if (table.billable(r) !== true) continue;
      out.push({
        system,
        code: child,
        display: displayCode(system, child),
        title: table.titles.at(r)!,
        billable: true,
      });
    }
    return out;
  }

  /**
   * Everything known about a code of `system` (dotted or not): from the active release when it has
   * the code, else from the newest release that has it, else from an addenda deletion. `undefined`
   * when no loaded source knows the code.
   */
  lookup(system: CodeSystem, code: string): CodeInfo | undefined {
    // hovers ask for the same codes again and again: results are kept until the index changes
    if (this.memoVersion !== this.version) {
      this.memo.clear();
      this.memoVersion = this.version;
    }
    const memoKey = `${system}\u0000${code}`;
    const hit = this.memo.get(memoKey);
    if (hit !== undefined || this.memo.has(memoKey)) return hit;
    const info = this.computeLookup(system, code);
    if (this.memo.size >= 4096) this.memo.clear();
    this.memo.set(memoKey, info);
    return info;
  }

  private computeLookup(system: CodeSystem, code: string): CodeInfo | undefined {
    const key = codeKey(code);
    const d = this.systems.get(system);
    if (!d) return undefined;
    const active = this.activeTable(system);
    const found = this.findRow(system, key);
    const changes = this.changesOf(system, key);
    const activeId = active?.descriptor.id;
    let base:
      | {
          release: ReleaseDescriptor;
          title: string;
          short?: string;
          billable?: boolean;
          modifier: boolean;
          status?: string;
          validFrom?: string;
          validTo?: string;
          table?: ReleaseTable;
        }
      | undefined;
    if (found) {
      const { table, row } = found;
      const billable = table.billable(row);
      const short = table.shorts.at(row)!;
      base = {
        release: table.descriptor,
        title: table.titles.at(row)!,
        ...(short !== '' ? { short } : {}),
        ...(billable !== undefined ? { billable } : {}),
        modifier: table.isModifier(row),
        ...optional('status', table.status.get(row)),
        ...optional('validFrom', table.validFrom.get(row)),
        ...optional('validTo', table.validTo.get(row)),
        table,
      };
    } else {
      const deletion = [...changes].reverse().find((c) => c.action === 'deleted');
      if (!deletion) return undefined;
      base = {
        release: deletion.release,
        title: deletion.title,
        ...(deletion.billable !== undefined ? { billable: deletion.billable } : {}),
        modifier: false,
      };
    }
    const inActive = active?.rows.has(key) ?? false;
    const releases = d.releases.filter((t) => t.rows.has(key)).map((t) => t.descriptor.id);
    let retiredIn: ReleaseDescriptor | undefined;
    if (active && activeId !== undefined && (!inActive || base.billable === false)) {
      const deleted = changes.some(
        (c) => c.release.id === activeId && c.action === 'deleted' && c.billable !== false,
      );
      // only releases older than the active one count: a code added later was never retired
      const older = d.releases.slice(0, d.releases.indexOf(active));
      let lastValid = -1;
      for (let i = older.length - 1; i >= 0 && lastValid < 0; i--) {
        const row = older[i]!.rows.get(key);
        // deleted outright: any older row; turned into a header: an older row valid for reporting
        if (row !== undefined && (!inActive || older[i]!.billable(row) !== false)) lastValid = i;
      }
      if (lastValid >= 0) retiredIn = d.releases[lastValid + 1]!.descriptor;
      else if (deleted) retiredIn = active.descriptor;
    }
    const pred = d.predecessors.get(key);
    const predecessors: SuccessorRef[] = pred
      ? pred.previous.map((p) => ({ ...this.ref(system, p), effective: pred.effective }))
      : [];
    const crosswalks: CrosswalkInfo[] = [];
    for (const [label, m] of d.mappings) {
      const mapping = m.bySource.get(key);
      if (!mapping) continue;
      crosswalks.push({
        system: m.target,
        label,
        noMap: mapping.noMap,
        targets: mapping.targets.map((t) => ({
          ...this.ref(m.target, codeKey(t.code)),
          approximate: t.approximate,
          combination: t.combination,
        })),
      });
    }
    return {
      system,
      code: key,
      display: displayCode(system, key),
      title: base.title,
      ...optional('short', base.short),
      ...(base.billable !== undefined ? { billable: base.billable } : {}),
      kind: base.modifier ? 'modifier' : 'code',
      ...optional('status', base.status),
      ...optional('validFrom', base.validFrom),
      ...optional('validTo', base.validTo),
      release: base.release,
      active: active?.descriptor,
      inActive,
      releases,
      changes,
      ...(retiredIn ? { retiredIn } : {}),
      successors: this.successorsOf(system, key),
      predecessors,
      parents: this.parentsOf(system, key, base.table),
      crosswalks,
    };
  }

  /** Total codes over every release. */
  get size(): number {
    let n = 0;
    for (const t of this.releaseById.values()) n += t.codes.length;
    return n;
  }
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
