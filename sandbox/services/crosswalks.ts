/**
 * IMO Terminology Management – Crosswalks API as document 003 writes it, at the root of the sandbox
 * origin (path prefix `/crosswalks`, the only one the document gives), guarded by IMO bearer tokens
 * (401 without a valid one, like the Download service):
 *
 * - `POST /crosswalks` → 201, the crosswalk (as `GET /crosswalks/{id}` shows it) plus `invalidCodes`
 * - `GET /crosswalks?sourceCodeSystem=&sourceCode=&pageSize=&pageNumber=` → `{total, currentPage,
 *   pageSize, crosswalks}`; the filter keeps crosswalks whose LATEST version has a mapping with that
 *   source system and/or code
 * - `GET /crosswalks/{id}`, `DELETE /crosswalks/{id}` (archive: flagged, kept in state, then absent
 *   from the list and 404 everywhere)
 * - `GET /crosswalks/{id}/versions` (paged, oldest first, as the document's example) and
 *   `GET …/versions/{v}` → `{version, name, description, customAttributes, status, audit…}`
 * - `GET …/versions/{v}/mappings` → `{total, currentPage, pageSize, mappings}`; `total` counts mapping
 *   objects (one per source code and target system), `pageSize` defaults to 10 and is capped at 10
 *   (a larger size answers 10 a page and says `pageSize: 10`)
 * - `POST` / `DELETE …/versions/{v}/mappings` (DELETE takes a JSON body), `PATCH` / `DELETE
 *   …/versions/{v}/attributes`, `PATCH` / `DELETE …/versions/{v}/mappings/{codeIdentifier}/attributes`
 *
 * Pages: `pageNumber` defaults to 1; `pageSize` defaults to 10 and is capped at 100 for crosswalks
 * and versions (the document sets no limit there). A page past the end is 200 with an empty list;
 * a page number or size that is not a positive integer is 400.
 *
 * Version rules (document 003: "updates will only be allowed on the latest version"). Every edit
 * names a version number:
 * - not a version of the crosswalk (or not a positive integer) → 404;
 * - a version that exists but is not the latest → **409** `{error: 'conflict', code: 'STALE_VERSION',
 *   latestVersion, message: "Version 1 is not the latest version of this crosswalk: the latest
 *   version is 3. …"}`;
 * - the latest version is a Draft → **409** `{error: 'conflict', code: 'DRAFT_VERSION', latestVersion,
 *   message: "The latest version of this crosswalk is a Draft. Update it from the IMO user interface or
 *   publish the draft version before updating it through the API."}` (409 rather than 400: the request
 *   is well formed, the crosswalk's state refuses it);
 * - the latest version is published → a NEW version (a copy of the latest with the edit applied,
 *   status `published`, number + 1). Older versions stay readable and unchanged. An edit that changes
 *   nothing (deleting a target that is not there, re-adding an existing target without attributes)
 *   answers 200 and creates no version.
 *
 * Checks on bodies (400 `{error: 'bad_request', message}`; nothing is applied): crosswalk name
 * required ("Crosswalk name is required") and at most 500 characters, description at most 5000,
 * custom attribute key required and at most 250 characters, value at most 5000; a code-system slug
 * that is not in the document's table (cpt2025, icd10cm, loinc, cvx, hcpcs, icd10pcs, rxnorm, ndc,
 * snomedusedition; exact, lower case) is refused. Skip rules as the document says: a mapping without
 * sourceCodeSystem, sourceCode or targetCodeSystem (or without targets) is skipped, a target without
 * targetCode is skipped (a value of the wrong JSON type is a 400 instead, so client bugs show).
 *
 * Codes. `invalidCodes` (create and add; also delete) lists, as sent and without repeats, the source
 * and target codes that are not in the real code sets the sandbox has: ICD-10-CM FY2026 and
 * ICD-10-PCS FY2026 (order files: headers and billable codes), HCPCS 2020 (codes, not modifiers) and
 * CVX (Nov 2020). Other slugs are not checked. Invalid codes are NOT stored: a mapping whose source
 * is invalid is skipped, an invalid target is skipped. Codes are kept as sent and compared
 * canonically: trimmed, upper case, ICD-10-CM without its dot (`E11.9` and `E119` are the same code,
 * both accepted: IMO takes codes as published, and tools strip dots), CVX without leading zeros
 * (`08` = `8`). Displays (`sourceDisplay`, `targetDisplay`) are the code sets' long titles, looked up
 * when a page is served; absent for codes the sandbox does not know. The code sets are read from
 * `sandbox/data` on first need, with the extension's own loaders (see the imports), so starting the
 * sandbox stays quick.
 *
 * Each target has an `identifier` (the `codeIdentifier` of the mapping-attribute endpoints): a UUID
 * derived from the crosswalk and the source/target pair, so it is the same in every version.
 *
 * Seed data (on first use after start and after reset): {@link CROSSWALK_SEEDS}.
 *
 * Rate limits and faults (crosswalk routes only; the generic faults of `faults.ts` apply too):
 * `requestsPerSecond` (token bucket holding one second's worth; over it: 429 with `Retry-After` in
 * whole seconds ≥ 1, and a refused request takes no token) and `rateLimitFraction` (that fraction of
 * otherwise-accepted requests answered 429 with `Retry-After: 1`, drawn from a PRNG seeded with
 * `seed`, so a run is repeatable). Set at start (`startSandbox({crosswalks})`), in process
 * (`sandbox.crosswalks.configure`) or over HTTP (`POST /__sandbox/crosswalks/options`).
 *
 * Persistence (`persistFile`, for `npm start`): the state is loaded from that JSON file when it exists
 * and written after every successful change (temp file + rename). `reset()` deletes the file.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { type SandboxApp, readBody, sendError, sendJson } from '../app';
import type { RouteRequest, Router } from '../router';
import type { ImoService } from './imo';
// The sandbox otherwise shares no code with the extension (eslint.config.mjs). These loaders are the
// exception on purpose: they only turn the public code files into code/title tables (they are tested
// on their own), and the crosswalk client under test does not use them, so the double stays independent
// of what it checks.
// eslint-disable-next-line no-restricted-imports
import { loadSource } from '../../src/core/codes/loadSource';
// eslint-disable-next-line no-restricted-imports
import { identifySource, singleByteCharset } from '../../src/core/codes/sources';
// eslint-disable-next-line no-restricted-imports
import { windows1252FromLatin1 } from '../../src/core/codes/loaders/text';
// eslint-disable-next-line no-restricted-imports
import type { LoadResult } from '../../src/core/codes/loaders/types';

// ---------------------------------------------------------------------------------------------
// Public surface: slugs, seeds, options, state, control

/** Code-system slugs of document 003's table, exactly as requests must spell them. */
export const CROSSWALK_CODE_SYSTEMS = [
  'cpt2025',
  'icd10cm',
  'loinc',
  'cvx',
  'hcpcs',
  'icd10pcs',
  'rxnorm',
  'ndc',
  'snomedusedition',
] as const;
export type CrosswalkCodeSystem = (typeof CROSSWALK_CODE_SYSTEMS)[number];

/** The systems whose codes are checked against real code sets (`invalidCodes`) and get displays. */
export const CHECKED_CODE_SYSTEMS = ['icd10cm', 'icd10pcs', 'hcpcs', 'cvx'] as const;
type CheckedSystem = (typeof CHECKED_CODE_SYSTEMS)[number];

/** The message of the 409 for an edit while the latest version is a Draft (document 003's rule). */
export const DRAFT_VERSION_MESSAGE =
  'The latest version of this crosswalk is a Draft. Update it from the IMO user interface or publish the draft version before updating it through the API.';

/**
 * The seeded crosswalks (present after start and after every reset, in this order):
 * - `conversions`: previous ICD-10-CM code → current code(s), from the CMS conversion table FY2026
 *   (icd10cm → icd10cm), one published version, 2,171 mappings (one per previous code), each target
 *   with an `Effective` attribute (the fiscal year of the change); crosswalk attributes `Source`,
 *   `Effective`.
 * - `diabetes`: icd10cm → hcpcs, three published versions (v1: 4 mappings, v2: 5, v3: 5 with other
 *   targets); target attributes on the test strips.
 * - `vaccines`: cvx → hcpcs, one published version, 12 mappings (two pages), every target with a
 *   `Type` attribute (Administration / Product).
 * - `respiratoryDraft`: icd10cm → hcpcs, v1 published (3 mappings), v2 a Draft (4 mappings): edits
 *   through the API are refused.
 */
export const CROSSWALK_SEEDS = {
  conversions: {
    identifier: 'c0a1e2d3-2026-4c0d-8e1a-000000000001',
    name: 'ICD-10-CM FY2026 conversions',
  },
  diabetes: {
    identifier: 'c0a1e2d3-2026-4c0d-8e1a-000000000002',
    name: 'Diabetes CM → HCPCS supplies',
  },
  vaccines: {
    identifier: 'c0a1e2d3-2026-4c0d-8e1a-000000000003',
    name: 'CVX vaccines → HCPCS admin',
  },
  respiratoryDraft: {
    identifier: 'c0a1e2d3-2026-4c0d-8e1a-000000000004',
    name: 'Asthma and COPD CM → HCPCS nebulizer supplies',
  },
} as const;

/** What can be changed while the sandbox runs (`configure`, `POST /__sandbox/crosswalks/options`). */
export const crosswalksRuntimeOptionsSchema = z
  .object({
    /**
     * Token-bucket limit on the crosswalk routes, requests per second; the bucket holds one second's
     * worth. null/omitted = unlimited.
     */
    requestsPerSecond: z.number().positive().nullable().optional(),
    /** Fraction (0–1) of otherwise-accepted requests answered 429 `Retry-After: 1`. null/0 = none. */
    rateLimitFraction: z.number().min(0).max(1).nullable().optional(),
    /** Seed of the PRNG behind `rateLimitFraction` (default 1). Setting it restarts the sequence. */
    seed: z.number().int().optional(),
  })
  .strict();
export type CrosswalksRuntimeOptions = z.infer<typeof crosswalksRuntimeOptionsSchema>;

/** `startSandbox({ crosswalks })`. */
export interface CrosswalksOptions extends CrosswalksRuntimeOptions {
  /** Load state from this JSON file when it exists; write it after each change. Default: memory only. */
  persistFile?: string;
  /** Where the code-set files are (default `sandbox/data`). */
  dataDir?: string;
}

/** The options in force. */
export interface ResolvedCrosswalksOptions {
  requestsPerSecond: number | null;
  rateLimitFraction: number | null;
  seed: number;
}

/** `sandbox.state().crosswalks` and `GET /__sandbox/state` → `crosswalks`. */
export interface CrosswalksState {
  /** Crosswalk requests that reached the service (any status, 429 included). */
  requests: number;
  /** `GET …/mappings` pages answered 200. */
  mappingPagesServed: number;
  /** Requests answered 429 by the rate limiter (bucket or fraction). */
  rateLimited: number;
  /** Versions created by edits through the API (not by seeding). */
  versionsCreated: number;
  /** Crosswalks created through the API. */
  created: number;
  /** Crosswalks not archived / archived (0 before the seed is built: it is built on first use). */
  active: number;
  archived: number;
  /** Whether the seed (or the persisted file) has been loaded. */
  loaded: boolean;
}

/** A crosswalk as stored: every version, archived ones included (a copy; for assertions). */
export interface StoredCrosswalkView {
  identifier: string;
  archived: boolean;
  createdAt: string;
  createdBy: string;
  versions: Array<{
    version: number;
    status: 'published' | 'draft';
    name: string;
    description?: string;
    customAttributes: Array<{ key: string; value?: string }>;
    mappings: Array<{
      sourceCode: string;
      sourceCodeSystem: string;
      targetCodeSystem: string;
      targets: Array<{
        targetCode: string;
        identifier: string;
        customAttributes: Array<{ key: string; value?: string }>;
      }>;
    }>;
  }>;
}

/** In-process control of the Crosswalks service (`sandbox.crosswalks`). */
export interface CrosswalksControl {
  /** The options in force (a copy). */
  readonly options: ResolvedCrosswalksOptions;
  /** Changes options; `null` turns a limit off. Reset restores the startup options. */
  configure(patch: CrosswalksRuntimeOptions): void;
  state(): CrosswalksState;
  /**
   * Loads the state now (the seed, or the persisted file) instead of on the first request. The seed
   * reads the conversion table (about 0.2 s); a benchmark calls this before it measures.
   */
  ready(): Promise<void>;
  /** A crosswalk's stored record, archived ones included; undefined when unknown. */
  get(identifier: string): Promise<StoredCrosswalkView | undefined>;
  /**
   * What a user does in IMO's UI: starts a Draft (a copy of the latest published version, number + 1).
   * Resolves to the draft's number. Rejects when the crosswalk is unknown or archived, or its latest
   * version is already a draft.
   */
  startDraft(identifier: string): Promise<number>;
  /** What a user does in IMO's UI: publishes the latest version when it is a Draft (else rejects). */
  publishDraft(identifier: string): Promise<void>;
}

/** What {@link registerCrosswalks} returns: the control plus the hook adding `/__sandbox/crosswalks/*`. */
export interface CrosswalksService extends CrosswalksControl {
  registerControl(control: Router): void;
}

// ---------------------------------------------------------------------------------------------
// Stored state. Versions and mappings are never changed once stored (an edit makes new objects),
// so versions share their unchanged mappings, and the seed is reused across resets.

interface Attr {
  readonly key: string;
  readonly value?: string;
}
interface Target {
  readonly targetCode: string;
  readonly identifier: string;
  readonly customAttributes: readonly Attr[];
}
interface StoredMapping {
  readonly sourceCode: string;
  readonly sourceCodeSystem: string;
  readonly targetCodeSystem: string;
  readonly targets: readonly Target[];
}
interface StoredVersion {
  readonly version: number;
  readonly status: 'published' | 'draft';
  readonly name: string;
  readonly description?: string;
  readonly customAttributes: readonly Attr[];
  readonly createdAt: string;
  readonly createdBy: string;
  readonly updatedAt: string;
  readonly updatedBy: string;
  readonly mappings: readonly StoredMapping[];
}
interface StoredCrosswalk {
  readonly identifier: string;
  readonly createdAt: string;
  readonly createdBy: string;
  archived: boolean;
  /** Oldest first; never empty. */
  versions: StoredVersion[];
}

const NAME_MAX = 500;
const DESCRIPTION_MAX = 5000;
const KEY_MAX = 250;
const VALUE_MAX = 5000;
const MAPPINGS_PAGE_MAX = 10;
const LIST_PAGE_DEFAULT = 10;
const LIST_PAGE_MAX = 100;
const PERSIST_FORMAT = 'clinical-coder-sandbox-crosswalks';
const SEED_USER = 'IMO Sandbox';

const CODE_SET_FILES: Record<CheckedSystem, string> = {
  icd10cm: 'icd10cm/icd10cm-order-2026.txt',
  icd10pcs: 'icd10pcs/icd10pcs_order_2026.txt',
  hcpcs: 'hcpcs/HCPC2020_ANWEB_w_disclaimer.txt',
  cvx: 'cvx/cvx.txt',
};
const CONVERSION_TABLE = 'icd10cm/ICD-10-CM-CONVERSION-TABLE-FY2026.xlsx';

/** An error answer thrown by request handling and sent by the route wrapper. */
class Problem extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}
const badRequest = (message: string): Problem => new Problem(400, 'bad_request', message);
const notFound = (message: string): Problem => new Problem(404, 'not_found', message);

/** A stable UUID (version 5 layout) for a name. */
function stableUuid(name: string): string {
  const h = createHash('sha1').update(`clinical-coder-sandbox:${name}`).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

function isSlug(s: string): s is CrosswalkCodeSystem {
  return (CROSSWALK_CODE_SYSTEMS as readonly string[]).includes(s);
}
function isChecked(s: string): s is CheckedSystem {
  return (CHECKED_CODE_SYSTEMS as readonly string[]).includes(s);
}

/** The comparison key of a code in a system (see the module comment). */
function codeKey(system: string, code: string): string {
  let k = code.trim().toUpperCase();
  if (system === 'icd10cm' && k.length > 4 && k[3] === '.') k = k.slice(0, 3) + k.slice(4);
  if (system === 'cvx' && /^\d+$/.test(k)) k = String(Number(k));
  return k;
}

/** Whether a code is well formed for its checked system before it is looked up (a stray dot is not). */
function wellFormed(system: CheckedSystem, code: string): boolean {
  const t = code.trim().toUpperCase();
  if (system === 'icd10cm') return /^[A-Z][0-9A-Z]{2}(\.?[0-9A-Z]{1,4})?$/.test(t);
  return !t.includes('.');
}

const pairId = (crosswalkId: string, m: MappingKeyed, targetKey: string): string =>
  stableUuid(
    `crosswalk-target:${crosswalkId}:${m.sourceCodeSystem}:${codeKey(m.sourceCodeSystem, m.sourceCode)}:${m.targetCodeSystem}:${targetKey}`,
  );

interface MappingKeyed {
  sourceCode: string;
  sourceCodeSystem: string;
  targetCodeSystem: string;
}
const mappingKey = (m: MappingKeyed): string =>
  `${m.sourceCodeSystem}\u0000${codeKey(m.sourceCodeSystem, m.sourceCode)}\u0000${m.targetCodeSystem}`;

/** `2025-10-01T12:00:00Z`: UTC, whole seconds, as the document writes timestamps. */
function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function dotted(icd10cm: string): string {
  return icd10cm.length > 3 ? `${icd10cm.slice(0, 3)}.${icd10cm.slice(3)}` : icd10cm;
}

// ---------------------------------------------------------------------------------------------
// Code sets

/** Codes of one system and their titles. */
interface CodeSet {
  /** The long title of a code (by {@link codeKey}), '' for a known code without one, undefined when unknown. */
  title(key: string): string | undefined;
}

function codeSetOf(system: CheckedSystem, result: LoadResult): CodeSet {
  if (result.rows && result.columns) {
    const { rows, columns } = result;
    return {
      title: (key) => {
        const i = rows.get(key);
        return i === undefined ? undefined : (columns.titles.at(i) ?? '');
      },
    };
  }
  const map = new Map<string, string>();
  for (const e of result.entries) {
    if (e.kind === 'modifier') continue; // HCPCS modifiers are not codes to map
    map.set(codeKey(system, e.code), e.title);
  }
  return { title: (key) => map.get(key) };
}

async function readCodeFile(dataDir: string, rel: string): Promise<LoadResult> {
  const data = await readFile(path.join(dataDir, rel));
  const id = identifySource(rel, data.subarray(0, 4096).toString('latin1'));
  if (!id) throw new Error(`not a code file the loaders know: ${rel}`);
  // as src/node/codeIndexLoader.ts `loaderInput` decodes
  const charset = singleByteCharset(id.kind);
  const input =
    charset === undefined
      ? data
      : charset === 'windows-1252'
        ? windows1252FromLatin1(data.toString('latin1'))
        : data.toString('latin1');
  const result = loadSource(id, input, rel);
  if (!result) throw new Error(`no loader result for ${rel}`);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Seeds

interface SeedTarget {
  code: string;
  attrs?: Attr[];
}
type SeedMapping = [source: string, targets: Array<string | SeedTarget>];

function seedMappings(
  crosswalkId: string,
  sourceCodeSystem: string,
  targetCodeSystem: string,
  rows: SeedMapping[],
): StoredMapping[] {
  return rows.map(([sourceCode, targets]) => {
    const m = { sourceCode, sourceCodeSystem, targetCodeSystem };
    return {
      ...m,
      targets: targets.map((t) => {
        const { code, attrs } = typeof t === 'string' ? { code: t, attrs: undefined } : t;
        return {
          targetCode: code,
          identifier: pairId(crosswalkId, m, codeKey(targetCodeSystem, code)),
          customAttributes: attrs ?? [],
        };
      }),
    };
  });
}

function seedVersion(
  version: number,
  status: 'published' | 'draft',
  at: string,
  v: { name: string; description?: string; customAttributes: Attr[]; mappings: StoredMapping[] },
): StoredVersion {
  return {
    version,
    status,
    name: v.name,
    description: v.description,
    customAttributes: v.customAttributes,
    createdAt: at,
    createdBy: SEED_USER,
    updatedAt: at,
    updatedBy: SEED_USER,
    mappings: v.mappings,
  };
}

function buildSeed(conversions: LoadResult): StoredCrosswalk[] {
  const S = CROSSWALK_SEEDS;

  // (a) previous code → current code(s), grouped per previous code in table order
  const bySource = new Map<string, Map<string, string>>();
  for (const c of conversions.conversions ?? []) {
    for (const p of c.previous) {
      let targets = bySource.get(p);
      if (!targets) bySource.set(p, (targets = new Map()));
      if (!targets.has(c.code)) targets.set(c.code, c.effective);
    }
  }
  const conversionRows: SeedMapping[] = [...bySource].map(([p, targets]) => [
    dotted(p),
    [...targets].map(([code, effective]) => ({
      code: dotted(code),
      attrs: [{ key: 'Effective', value: effective }],
    })),
  ]);
  const conversionsCw: StoredCrosswalk = {
    identifier: S.conversions.identifier,
    createdAt: '2025-10-01T00:00:00Z',
    createdBy: SEED_USER,
    archived: false,
    versions: [
      seedVersion(1, 'published', '2025-10-01T00:00:00Z', {
        name: S.conversions.name,
        description:
          'Previous ICD-10-CM code → current code assignment, from the ICD-10-CM conversion table FY2026 ' +
          '(October 1, 2025). One mapping per previous code; its targets are the codes that replaced it.',
        customAttributes: [
          { key: 'Source', value: 'CMS ICD-10-CM conversion table FY2026' },
          { key: 'Effective', value: '2025-10-01' },
        ],
        mappings: seedMappings(S.conversions.identifier, 'icd10cm', 'icd10cm', conversionRows),
      }),
    ],
  };

  // (b) diabetes supplies, three published versions
  const strips: SeedTarget = {
    code: 'A4253',
    attrs: [
      { key: 'Quantity limit', value: '100 strips per month (insulin-treated)' },
      { key: 'Category', value: 'Testing supplies' },
    ],
  };
  const lancets: SeedTarget = { code: 'A4259', attrs: [{ key: 'Category', value: 'Testing supplies' }] };
  const dId = S.diabetes.identifier;
  const dm = (rows: SeedMapping[]): StoredMapping[] => seedMappings(dId, 'icd10cm', 'hcpcs', rows);
  const d1 = dm([
    ['E11.9', [strips, lancets, 'E0607']],
    ['E10.9', [strips, lancets, 'A4230']],
    ['E11.65', [strips, lancets]],
    ['Z79.4', ['A4206']],
  ]);
  const d2 = dm([
    ['E11.9', [strips, lancets, 'E0607']],
    ['E10.9', [strips, lancets, 'A4230', 'E0784']],
    ['E11.65', [strips, lancets]],
    ['Z79.4', ['A4206']],
    ['E11.42', ['A5500', 'A5512']],
  ]);
  const d3 = dm([
    ['E11.9', [strips, lancets, 'K0553']],
    ['E10.9', [strips, lancets, 'A4230', 'E0784', 'K0553']],
    ['E11.65', [strips, lancets, 'K0553']],
    ['Z79.4', ['A4206']],
    ['E11.42', ['A5500', 'A5512']],
  ]);
  const dName = S.diabetes.name;
  const dDesc = 'Diabetes diagnoses (ICD-10-CM) to the HCPCS supplies and equipment they commonly justify.';
  const diabetes: StoredCrosswalk = {
    identifier: dId,
    createdAt: '2025-01-15T09:30:00Z',
    createdBy: SEED_USER,
    archived: false,
    versions: [
      seedVersion(1, 'published', '2025-01-15T09:30:00Z', {
        name: dName,
        description: dDesc,
        customAttributes: [{ key: 'Purpose', value: 'DME supply orders' }],
        mappings: d1,
      }),
      seedVersion(2, 'published', '2025-04-01T14:00:00Z', {
        name: dName,
        description: dDesc,
        customAttributes: [
          { key: 'Purpose', value: 'DME supply orders' },
          { key: 'Reviewed', value: '2025-04' },
        ],
        mappings: d2,
      }),
      seedVersion(3, 'published', '2025-09-02T08:15:00Z', {
        name: dName,
        description: dDesc,
        customAttributes: [
          { key: 'Purpose', value: 'DME supply orders' },
          { key: 'Reviewed', value: '2025-09' },
        ],
        mappings: d3,
      }),
    ],
  };

  // (c) vaccines → administration (and product) codes, 12 mappings
  const admin = (code: string): SeedTarget => ({ code, attrs: [{ key: 'Type', value: 'Administration' }] });
  const product = (code: string): SeedTarget => ({ code, attrs: [{ key: 'Type', value: 'Product' }] });
  const vaccines: StoredCrosswalk = {
    identifier: S.vaccines.identifier,
    createdAt: '2025-03-10T11:00:00Z',
    createdBy: SEED_USER,
    archived: false,
    versions: [
      seedVersion(1, 'published', '2025-03-10T11:00:00Z', {
        name: S.vaccines.name,
        description:
          'CVX vaccine codes to the HCPCS Level II administration (and product) codes billed with them.',
        customAttributes: [{ key: 'Payer', value: 'Medicare Part B' }],
        mappings: seedMappings(S.vaccines.identifier, 'cvx', 'hcpcs', [
          ['141', [admin('G0008'), product('Q2038')]],
          ['150', [admin('G0008')]],
          ['158', [admin('G0008')]],
          ['161', [admin('G0008')]],
          ['140', [admin('G0008')]],
          ['135', [admin('G0008')]],
          ['185', [admin('G0008')]],
          ['88', [admin('G0008'), product('Q2039')]],
          ['33', [admin('G0009')]],
          ['133', [admin('G0009')]],
          ['08', [admin('G0010')]],
          ['43', [admin('G0010')]],
        ]),
      }),
    ],
  };

  // (d) latest version is a Draft
  const rId = S.respiratoryDraft.identifier;
  const rm = (rows: SeedMapping[]): StoredMapping[] => seedMappings(rId, 'icd10cm', 'hcpcs', rows);
  const r1: SeedMapping[] = [
    ['J45.909', ['E0570', 'A7003', 'J7613']],
    ['J44.9', ['E0570', 'A7003', 'J7620']],
    ['J44.1', ['E0570', 'J7620']],
  ];
  const rName = S.respiratoryDraft.name;
  const rDesc = 'Asthma and COPD diagnoses to nebulizers, their supplies and inhalation drugs.';
  const respiratory: StoredCrosswalk = {
    identifier: rId,
    createdAt: '2025-06-02T10:00:00Z',
    createdBy: SEED_USER,
    archived: false,
    versions: [
      seedVersion(1, 'published', '2025-06-02T10:00:00Z', {
        name: rName,
        description: rDesc,
        customAttributes: [{ key: 'Owner', value: 'Respiratory therapy' }],
        mappings: rm(r1),
      }),
      seedVersion(2, 'draft', '2025-10-20T16:45:00Z', {
        name: rName,
        description: rDesc,
        customAttributes: [{ key: 'Owner', value: 'Respiratory therapy' }],
        mappings: rm([...r1, ['J45.901', ['E0570', 'A7015']]]),
      }),
    ],
  };

  return [conversionsCw, diabetes, vaccines, respiratory];
}

/** Fresh mutable records over the (immutable, shared) seed versions. */
function cloneRecords(seed: readonly StoredCrosswalk[]): StoredCrosswalk[] {
  return seed.map((c) => ({ ...c, versions: [...c.versions] }));
}

// ---------------------------------------------------------------------------------------------
// Persistence: mappings are pooled so versions that share them are written once

const attrSchema = z.object({ key: z.string(), value: z.string().optional() });
const persistedSchema = z.object({
  format: z.literal(PERSIST_FORMAT),
  formatVersion: z.literal(1),
  mappings: z.array(
    z.object({
      sourceCode: z.string(),
      sourceCodeSystem: z.string(),
      targetCodeSystem: z.string(),
      targets: z.array(
        z.object({ targetCode: z.string(), identifier: z.string(), customAttributes: z.array(attrSchema) }),
      ),
    }),
  ),
  crosswalks: z.array(
    z.object({
      identifier: z.string(),
      createdAt: z.string(),
      createdBy: z.string(),
      archived: z.boolean(),
      versions: z
        .array(
          z.object({
            version: z.number().int().positive(),
            status: z.enum(['published', 'draft']),
            name: z.string(),
            description: z.string().optional(),
            customAttributes: z.array(attrSchema),
            createdAt: z.string(),
            createdBy: z.string(),
            updatedAt: z.string(),
            updatedBy: z.string(),
            mappings: z.array(z.number().int().nonnegative()),
          }),
        )
        .min(1),
    }),
  ),
});

function serialise(records: readonly StoredCrosswalk[]): string {
  const pool: StoredMapping[] = [];
  const index = new Map<StoredMapping, number>();
  const ref = (m: StoredMapping): number => {
    let i = index.get(m);
    if (i === undefined) {
      i = pool.length;
      pool.push(m);
      index.set(m, i);
    }
    return i;
  };
  const crosswalks = records.map((c) => ({
    ...c,
    versions: c.versions.map((v) => ({ ...v, mappings: v.mappings.map(ref) })),
  }));
  return JSON.stringify({ format: PERSIST_FORMAT, formatVersion: 1, mappings: pool, crosswalks });
}

function deserialise(text: string, file: string): StoredCrosswalk[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file} is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const parsed = persistedSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${file} is not a crosswalks state file: ${parsed.error.message}`);
  const pool: StoredMapping[] = parsed.data.mappings;
  return parsed.data.crosswalks.map((c) => ({
    ...c,
    versions: c.versions.map((v) => ({
      ...v,
      mappings: v.mappings.map((i) => {
        const m = pool[i];
        if (!m) throw new Error(`${file}: mapping #${i} is missing`);
        return m;
      }),
    })),
  }));
}

function writeAtomically(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

// ---------------------------------------------------------------------------------------------
// Request bodies

interface AttrInput {
  key: string;
  value?: string;
}
interface TargetInput {
  targetCode: string;
  /** undefined when the request gave none (an existing target keeps its attributes). */
  customAttributes?: AttrInput[];
}
interface MappingInput extends MappingKeyed {
  targets: TargetInput[];
}
interface DeletionInput extends MappingKeyed {
  targetCodes: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A string field: undefined when absent, null or empty; 400 when of another type. */
function optionalString(v: unknown, where: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badRequest(`${where} must be a string`);
  return v.trim() === '' ? undefined : v;
}

function parseAttributes(raw: unknown, where: string): AttrInput[] {
  if (!Array.isArray(raw)) throw badRequest(`${where} must be an array of {key, value} objects`);
  return raw.map((item: unknown, i) => {
    const at = `${where}[${i}]`;
    if (!isObject(item)) throw badRequest(`${at} must be an object with a key and a value`);
    const key = optionalString(item.key, `${at}.key`);
    if (key === undefined) throw badRequest(`Custom attribute key is required (${at}.key)`);
    if (key.length > KEY_MAX)
      throw badRequest(`Custom attribute key must be at most ${KEY_MAX} characters (${at}.key)`);
    if (item.value !== undefined && item.value !== null && typeof item.value !== 'string')
      throw badRequest(`${at}.value must be a string`);
    const value = typeof item.value === 'string' ? item.value : undefined;
    if (value !== undefined && value.length > VALUE_MAX)
      throw badRequest(`Custom attribute value must be at most ${VALUE_MAX} characters (${at}.value)`);
    return value === undefined ? { key } : { key, value };
  });
}

function optionalAttributes(raw: unknown, where: string): AttrInput[] | undefined {
  return raw === undefined || raw === null ? undefined : parseAttributes(raw, where);
}

function slugField(v: unknown, where: string): string | undefined {
  const s = optionalString(v, where);
  if (s !== undefined && !isSlug(s)) {
    throw badRequest(
      `${where}: unknown code system slug "${s}". Use one of: ${CROSSWALK_CODE_SYSTEMS.join(', ')}`,
    );
  }
  return s;
}

/** The head of a mapping, or undefined when the document says to skip it. */
function mappingHead(item: Record<string, unknown>, at: string): MappingKeyed | undefined {
  const sourceCodeSystem = slugField(item.sourceCodeSystem, `${at}.sourceCodeSystem`);
  const targetCodeSystem = slugField(item.targetCodeSystem, `${at}.targetCodeSystem`);
  const sourceCode = optionalString(item.sourceCode, `${at}.sourceCode`);
  if (!sourceCodeSystem || !targetCodeSystem || !sourceCode) return undefined;
  return { sourceCodeSystem, sourceCode: sourceCode.trim(), targetCodeSystem };
}

function parseMappings(raw: unknown): MappingInput[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw badRequest('mappings must be an array');
  const out: MappingInput[] = [];
  raw.forEach((item: unknown, i) => {
    const at = `mappings[${i}]`;
    if (!isObject(item)) throw badRequest(`${at} must be an object`);
    const head = mappingHead(item, at);
    const targetsRaw = item.targets;
    if (targetsRaw !== undefined && targetsRaw !== null && !Array.isArray(targetsRaw))
      throw badRequest(`${at}.targets must be an array`);
    const targets: TargetInput[] = [];
    (Array.isArray(targetsRaw) ? targetsRaw : []).forEach((t: unknown, j) => {
      const tat = `${at}.targets[${j}]`;
      if (!isObject(t)) throw badRequest(`${tat} must be an object`);
      const customAttributes = optionalAttributes(t.customAttributes, `${tat}.customAttributes`);
      const code = optionalString(t.targetCode, `${tat}.targetCode`);
      if (code !== undefined) targets.push({ targetCode: code.trim(), customAttributes });
    });
    if (head && targets.length > 0) out.push({ ...head, targets });
  });
  return out;
}

function parseDeletions(raw: unknown): DeletionInput[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw badRequest('mappings must be an array');
  const out: DeletionInput[] = [];
  raw.forEach((item: unknown, i) => {
    const at = `mappings[${i}]`;
    if (!isObject(item)) throw badRequest(`${at} must be an object`);
    const head = mappingHead(item, at);
    const codesRaw = item.targetCodes;
    if (codesRaw !== undefined && codesRaw !== null && !Array.isArray(codesRaw))
      throw badRequest(`${at}.targetCodes must be an array of codes`);
    const targetCodes: string[] = [];
    (Array.isArray(codesRaw) ? codesRaw : []).forEach((c: unknown, j) => {
      const code = optionalString(c, `${at}.targetCodes[${j}]`);
      if (code !== undefined) targetCodes.push(code.trim());
    });
    if (head && targetCodes.length > 0) out.push({ ...head, targetCodes });
  });
  return out;
}

function parseKeys(raw: unknown): string[] {
  if (raw === undefined || raw === null) throw badRequest('customAttributes is required: an array of keys');
  if (!Array.isArray(raw)) throw badRequest('customAttributes must be an array of keys');
  return raw.map((k: unknown, i) => {
    const key = optionalString(k, `customAttributes[${i}]`);
    if (key === undefined) throw badRequest(`Custom attribute key is required (customAttributes[${i}])`);
    return key;
  });
}

// ---------------------------------------------------------------------------------------------
// Edits (pure: new arrays and objects, the inputs untouched)

/** Upserts `given` into `attrs` by key (exact); returns the same array when nothing changes. */
function upsertAttrs(attrs: readonly Attr[], given: readonly AttrInput[]): readonly Attr[] {
  let out = attrs;
  for (const g of given) {
    const i = out.findIndex((a) => a.key === g.key);
    if (i >= 0 && out[i].value === g.value) continue;
    const next: Attr = g.value === undefined ? { key: g.key } : { key: g.key, value: g.value };
    out = i >= 0 ? out.map((a, j) => (j === i ? next : a)) : [...out, next];
  }
  return out;
}

function removeAttrs(attrs: readonly Attr[], keys: readonly string[]): readonly Attr[] {
  const drop = new Set(keys);
  return attrs.some((a) => drop.has(a.key)) ? attrs.filter((a) => !drop.has(a.key)) : attrs;
}

function addMappings(
  crosswalkId: string,
  base: readonly StoredMapping[],
  adds: readonly MappingInput[],
): { mappings: readonly StoredMapping[]; changed: boolean } {
  const out = [...base];
  const where = new Map<string, number>();
  out.forEach((m, i) => where.set(mappingKey(m), i));
  let changed = false;
  for (const add of adds) {
    const key = mappingKey(add);
    let i = where.get(key);
    if (i === undefined) {
      i = out.length;
      out.push({
        sourceCode: add.sourceCode,
        sourceCodeSystem: add.sourceCodeSystem,
        targetCodeSystem: add.targetCodeSystem,
        targets: [],
      });
      where.set(key, i);
    }
    const m = out[i];
    let targets = m.targets;
    for (const t of add.targets) {
      const tk = codeKey(add.targetCodeSystem, t.targetCode);
      const j = targets.findIndex((x) => codeKey(m.targetCodeSystem, x.targetCode) === tk);
      if (j < 0) {
        targets = [
          ...targets,
          {
            targetCode: t.targetCode,
            identifier: pairId(crosswalkId, m, tk),
            customAttributes: upsertAttrs([], t.customAttributes ?? []),
          },
        ];
      } else if (t.customAttributes) {
        const attrs = upsertAttrs(targets[j].customAttributes, t.customAttributes);
        if (attrs !== targets[j].customAttributes)
          targets = targets.map((x, n) => (n === j ? { ...x, customAttributes: attrs } : x));
      }
    }
    if (targets !== m.targets) {
      out[i] = { ...m, targets };
      changed = true;
    }
  }
  return { mappings: changed ? out : base, changed };
}

function deleteTargets(
  base: readonly StoredMapping[],
  deletions: readonly DeletionInput[],
): { mappings: readonly StoredMapping[]; changed: boolean } {
  const drop = new Map<string, Set<string>>();
  for (const d of deletions) {
    const key = mappingKey(d);
    const set = drop.get(key) ?? new Set<string>();
    for (const c of d.targetCodes) set.add(codeKey(d.targetCodeSystem, c));
    drop.set(key, set);
  }
  let changed = false;
  const out: StoredMapping[] = [];
  for (const m of base) {
    const set = drop.get(mappingKey(m));
    if (!set) {
      out.push(m);
      continue;
    }
    const targets = m.targets.filter((t) => !set.has(codeKey(m.targetCodeSystem, t.targetCode)));
    if (targets.length === m.targets.length) {
      out.push(m);
      continue;
    }
    changed = true;
    if (targets.length > 0) out.push({ ...m, targets });
  }
  return { mappings: changed ? out : base, changed };
}

// ---------------------------------------------------------------------------------------------
// Small helpers

class TokenBucket {
  private tokens: number;
  private last = performance.now();
  constructor(private readonly rate: number) {
    this.tokens = Math.max(1, rate);
  }
  private refill(): void {
    const t = performance.now();
    this.tokens = Math.min(Math.max(1, this.rate), this.tokens + ((t - this.last) / 1000) * this.rate);
    this.last = t;
  }
  /** 0 when a request may proceed (and takes a token), else ms until the next token. */
  take(): number {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return ((1 - this.tokens) / this.rate) * 1000;
  }
  /** Gives back the token of a request refused after all. */
  refund(): void {
    this.tokens = Math.min(Math.max(1, this.rate), this.tokens + 1);
  }
}

/** mulberry32: a small seeded PRNG, [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function resolveOptions(o: CrosswalksRuntimeOptions): ResolvedCrosswalksOptions {
  return {
    requestsPerSecond: o.requestsPerSecond ?? null,
    rateLimitFraction: o.rateLimitFraction ?? null,
    seed: o.seed ?? 1,
  };
}

function viewOf(c: StoredCrosswalk): StoredCrosswalkView {
  return {
    identifier: c.identifier,
    archived: c.archived,
    createdAt: c.createdAt,
    createdBy: c.createdBy,
    versions: c.versions.map((v) => ({
      version: v.version,
      status: v.status,
      name: v.name,
      ...(v.description !== undefined ? { description: v.description } : {}),
      customAttributes: v.customAttributes.map((a) => ({ ...a })),
      mappings: v.mappings.map((m) => ({
        sourceCode: m.sourceCode,
        sourceCodeSystem: m.sourceCodeSystem,
        targetCodeSystem: m.targetCodeSystem,
        targets: m.targets.map((t) => ({
          targetCode: t.targetCode,
          identifier: t.identifier,
          customAttributes: t.customAttributes.map((a) => ({ ...a })),
        })),
      })),
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// The service

/** Registers the Crosswalks API (document 003). */
export function registerCrosswalks(
  app: SandboxApp,
  imo: ImoService,
  opts: CrosswalksOptions = {},
): CrosswalksService {
  const startup = crosswalksRuntimeOptionsSchema.parse({
    requestsPerSecond: opts.requestsPerSecond,
    rateLimitFraction: opts.rateLimitFraction,
    seed: opts.seed,
  });
  const dataDir = opts.dataDir ?? path.resolve(__dirname, '..', 'data');
  const persistFile = opts.persistFile ? path.resolve(opts.persistFile) : undefined;

  let options = resolveOptions(startup);
  let bucket: TokenBucket | undefined;
  let random = prng(options.seed);
  const rebuildLimits = (reseed: boolean): void => {
    bucket = options.requestsPerSecond ? new TokenBucket(options.requestsPerSecond) : undefined;
    if (reseed) random = prng(options.seed);
  };
  rebuildLimits(true);

  const emptyStats = (): Omit<CrosswalksState, 'active' | 'archived' | 'loaded'> => ({
    requests: 0,
    mappingPagesServed: 0,
    rateLimited: 0,
    versionsCreated: 0,
    created: 0,
  });
  let stats = emptyStats();

  // ---- code sets and the seed, read on first need (cached for the life of the sandbox)

  const codeSets = new Map<CheckedSystem, Promise<CodeSet>>();
  const codeSet = (system: CheckedSystem): Promise<CodeSet> => {
    let p = codeSets.get(system);
    if (!p) {
      p = readCodeFile(dataDir, CODE_SET_FILES[system]).then((r) => codeSetOf(system, r));
      p.catch(() => codeSets.delete(system)); // a failed read is tried again next time
      codeSets.set(system, p);
    }
    return p;
  };
  const codeSetsFor = async (systems: Iterable<string>): Promise<Map<string, CodeSet>> => {
    const wanted = [...new Set(systems)].filter(isChecked);
    const sets = await Promise.all(wanted.map((s) => codeSet(s)));
    return new Map(wanted.map((s, i) => [s, sets[i]]));
  };
  let seedPromise: Promise<readonly StoredCrosswalk[]> | undefined;
  const seed = (): Promise<readonly StoredCrosswalk[]> => {
    seedPromise ??= readFile(path.join(dataDir, CONVERSION_TABLE)).then((bytes) => {
      const result = loadSource({ kind: 'icd10cm-conversion' }, bytes, CONVERSION_TABLE);
      if (!result) throw new Error('the conversion table gave no result');
      return buildSeed(result);
    });
    seedPromise.catch(() => (seedPromise = undefined));
    return seedPromise;
  };

  // ---- state

  let records: StoredCrosswalk[] | undefined =
    persistFile && existsSync(persistFile)
      ? deserialise(readFileSync(persistFile, 'utf8'), persistFile)
      : undefined;
  /** Bumped by reset, so a seed that finishes loading after a reset does not land in a stale state. */
  let generation = 0;
  const loaded = async (): Promise<StoredCrosswalk[]> => {
    while (!records) {
      const g = generation;
      const s = await seed();
      if (g === generation && !records) records = cloneRecords(s);
    }
    return records;
  };
  const persist = (): void => {
    if (persistFile && records) writeAtomically(persistFile, serialise(records));
  };

  app.onReset(() => {
    generation += 1;
    records = undefined;
    stats = emptyStats();
    options = resolveOptions(startup);
    rebuildLimits(true);
    if (persistFile) rmSync(persistFile, { force: true });
  });

  const state = (): CrosswalksState => ({
    ...stats,
    active: records?.filter((c) => !c.archived).length ?? 0,
    archived: records?.filter((c) => c.archived).length ?? 0,
    loaded: records !== undefined,
  });
  app.addState('crosswalks', state);

  const who = (): string => app.credentials.IMO_CLIENT_ID ?? 'api-user';
  const latestOf = (c: StoredCrosswalk): StoredVersion => c.versions[c.versions.length - 1];

  // ---- gate: rate limits, then the bearer token

  const gate = (r: RouteRequest): boolean => {
    stats.requests += 1;
    const wait = bucket?.take() ?? 0;
    if (wait > 0) {
      stats.rateLimited += 1;
      sendError(
        r.res,
        429,
        { error: 'too_many_requests', message: 'Too many requests: rate limit exceeded' },
        { 'retry-after': String(Math.max(1, Math.ceil(wait / 1000))) },
      );
      return false;
    }
    const fraction = options.rateLimitFraction ?? 0;
    if (fraction > 0 && random() < fraction) {
      bucket?.refund();
      stats.rateLimited += 1;
      sendError(
        r.res,
        429,
        { error: 'too_many_requests', message: 'Too many requests: rate limit exceeded' },
        { 'retry-after': '1' },
      );
      return false;
    }
    return imo.requireBearer(r);
  };

  /** Wraps a handler: gate, then errors thrown as {@link Problem} become error answers. */
  const route =
    (fn: (r: RouteRequest) => Promise<void>) =>
    async (r: RouteRequest): Promise<void> => {
      if (!gate(r)) return;
      try {
        await fn(r);
      } catch (e) {
        if (!(e instanceof Problem)) throw e;
        sendError(r.res, e.status, { error: e.error, message: e.message, ...e.extra });
      }
    };

  const readJsonObject = async (r: RouteRequest): Promise<Record<string, unknown>> => {
    const raw = (await readBody(r.req)).toString('utf8');
    let json: unknown;
    try {
      json = raw.trim() === '' ? undefined : JSON.parse(raw);
    } catch {
      throw badRequest('The request body is not valid JSON');
    }
    if (!isObject(json)) throw badRequest('The request body must be a JSON object');
    return json;
  };

  const pageParams = (r: RouteRequest, max: number, fallback: number): { page: number; size: number } => {
    const parse = (name: string, dflt: number): number => {
      const raw = r.query.get(name);
      if (raw === null || raw === '') return dflt;
      if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) throw badRequest(`${name} must be a positive integer`);
      return Number(raw);
    };
    const page = parse('pageNumber', 1);
    return { page, size: Math.min(parse('pageSize', fallback), max) };
  };

  const findCrosswalk = (all: StoredCrosswalk[], id: string): StoredCrosswalk => {
    const c = all.find((x) => x.identifier === id && !x.archived);
    if (!c) throw notFound(`Crosswalk not found: ${id}`);
    return c;
  };
  const findVersion = (c: StoredCrosswalk, raw: string): StoredVersion => {
    const n = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
    const v = c.versions.find((x) => x.version === n);
    if (!v) throw notFound(`Version ${raw} of crosswalk ${c.identifier} not found`);
    return v;
  };

  /** The crosswalk and its latest version, when `r` names the latest and it may be edited. */
  const editable = (
    all: StoredCrosswalk[],
    r: RouteRequest,
  ): { c: StoredCrosswalk; latest: StoredVersion } => {
    const c = findCrosswalk(all, r.params.id);
    const v = findVersion(c, r.params.version);
    const latest = latestOf(c);
    if (v.version !== latest.version) {
      throw new Problem(
        409,
        'conflict',
        `Version ${v.version} is not the latest version of this crosswalk: the latest version is ${latest.version}. Updates are only allowed on the latest version.`,
        { code: 'STALE_VERSION', latestVersion: latest.version },
      );
    }
    if (latest.status === 'draft') {
      throw new Problem(409, 'conflict', DRAFT_VERSION_MESSAGE, {
        code: 'DRAFT_VERSION',
        latestVersion: latest.version,
      });
    }
    return { c, latest };
  };

  /** Adds a published version made from `latest` with `change` applied. */
  const commit = (
    c: StoredCrosswalk,
    latest: StoredVersion,
    change: Partial<Pick<StoredVersion, 'mappings' | 'customAttributes'>>,
  ): void => {
    const at = timestamp(app.now());
    c.versions.push({
      ...latest,
      ...change,
      version: latest.version + 1,
      status: 'published',
      createdAt: at,
      createdBy: who(),
      updatedAt: at,
      updatedBy: who(),
    });
    stats.versionsCreated += 1;
    persist();
  };

  /** Codes that are not in the code sets of their (checked) systems, as sent, without repeats. */
  const invalidCodes = async (
    pairs: Array<{ system: string; code: string }>,
  ): Promise<{ list: string[]; isInvalid: (system: string, code: string) => boolean }> => {
    const sets = await codeSetsFor(pairs.map((p) => p.system));
    const isInvalid = (system: string, code: string): boolean => {
      const set = isChecked(system) ? sets.get(system) : undefined;
      if (!set || !isChecked(system)) return false;
      return !wellFormed(system, code) || set.title(codeKey(system, code)) === undefined;
    };
    const list: string[] = [];
    for (const p of pairs) if (isInvalid(p.system, p.code) && !list.includes(p.code)) list.push(p.code);
    return { list, isInvalid };
  };

  /** The mappings to store from a request: invalid sources and targets dropped, and listed. */
  const checkMappings = async (
    mappings: MappingInput[],
  ): Promise<{ valid: MappingInput[]; invalid: string[] }> => {
    const pairs: Array<{ system: string; code: string }> = [];
    for (const m of mappings) {
      pairs.push({ system: m.sourceCodeSystem, code: m.sourceCode });
      for (const t of m.targets) pairs.push({ system: m.targetCodeSystem, code: t.targetCode });
    }
    const { list, isInvalid } = await invalidCodes(pairs);
    const valid: MappingInput[] = [];
    for (const m of mappings) {
      if (isInvalid(m.sourceCodeSystem, m.sourceCode)) continue;
      const targets = m.targets.filter((t) => !isInvalid(m.targetCodeSystem, t.targetCode));
      if (targets.length > 0) valid.push({ ...m, targets });
    }
    return { valid, invalid: list };
  };

  const crosswalkJson = (c: StoredCrosswalk): Record<string, unknown> => {
    const v = latestOf(c);
    return {
      identifier: c.identifier,
      name: v.name,
      version: v.version,
      ...(v.description !== undefined ? { description: v.description } : {}),
      customAttributes: v.customAttributes,
      createdAt: c.createdAt,
      createdBy: c.createdBy,
      updatedAt: v.updatedAt,
      updatedBy: v.updatedBy,
    };
  };
  const versionJson = (v: StoredVersion): Record<string, unknown> => ({
    version: v.version,
    name: v.name,
    ...(v.description !== undefined ? { description: v.description } : {}),
    customAttributes: v.customAttributes,
    status: v.status,
    createdAt: v.createdAt,
    createdBy: v.createdBy,
    updatedAt: v.updatedAt,
    updatedBy: v.updatedBy,
  });
  const withInvalid = (body: Record<string, unknown>, invalid: string[]): Record<string, unknown> =>
    invalid.length > 0 ? { ...body, invalidCodes: invalid } : body;

  // ---- routes

  const router = app.router;

  router.post(
    '/crosswalks',
    route(async (r) => {
      const body = await readJsonObject(r);
      if (body.name !== undefined && body.name !== null && typeof body.name !== 'string')
        throw badRequest('Crosswalk name must be a string');
      const name = typeof body.name === 'string' ? body.name.trim() : '';
      if (name === '') throw badRequest('Crosswalk name is required');
      if (name.length > NAME_MAX) throw badRequest(`Crosswalk name must be at most ${NAME_MAX} characters`);
      const description = optionalString(body.description, 'description');
      if (description !== undefined && description.length > DESCRIPTION_MAX)
        throw badRequest(`Crosswalk description must be at most ${DESCRIPTION_MAX} characters`);
      const attrs = optionalAttributes(body.customAttributes, 'customAttributes') ?? [];
      const { valid, invalid } = await checkMappings(parseMappings(body.mappings));

      const all = await loaded();
      const identifier = randomUUID();
      const at = timestamp(app.now());
      const c: StoredCrosswalk = {
        identifier,
        createdAt: at,
        createdBy: who(),
        archived: false,
        versions: [
          {
            version: 1,
            status: 'published',
            name,
            ...(description !== undefined ? { description } : {}),
            customAttributes: upsertAttrs([], attrs),
            createdAt: at,
            createdBy: who(),
            updatedAt: at,
            updatedBy: who(),
            mappings: addMappings(identifier, [], valid).mappings,
          },
        ],
      };
      all.push(c);
      stats.created += 1;
      persist();
      sendJson(r.res, 201, { ...crosswalkJson(c), invalidCodes: invalid });
    }),
  );

  router.get(
    '/crosswalks',
    route(async (r) => {
      const system = optionalString(r.query.get('sourceCodeSystem'), 'sourceCodeSystem');
      if (system !== undefined && !isSlug(system))
        throw badRequest(
          `sourceCodeSystem: unknown code system slug "${system}". Use one of: ${CROSSWALK_CODE_SYSTEMS.join(', ')}`,
        );
      const code = optionalString(r.query.get('sourceCode'), 'sourceCode')?.trim();
      const { page, size } = pageParams(r, LIST_PAGE_MAX, LIST_PAGE_DEFAULT);
      const all = (await loaded()).filter((c) => {
        if (c.archived) return false;
        if (system === undefined && code === undefined) return true;
        return latestOf(c).mappings.some(
          (m) =>
            (system === undefined || m.sourceCodeSystem === system) &&
            (code === undefined ||
              codeKey(m.sourceCodeSystem, m.sourceCode) === codeKey(m.sourceCodeSystem, code)),
        );
      });
      sendJson(r.res, 200, {
        total: all.length,
        currentPage: page,
        pageSize: size,
        crosswalks: all.slice((page - 1) * size, page * size).map(crosswalkJson),
      });
    }),
  );

  router.get(
    '/crosswalks/:id',
    route(async (r) => {
      sendJson(r.res, 200, crosswalkJson(findCrosswalk(await loaded(), r.params.id)));
    }),
  );

  router.delete(
    '/crosswalks/:id',
    route(async (r) => {
      const c = findCrosswalk(await loaded(), r.params.id);
      c.archived = true;
      persist();
      sendJson(r.res, 200, { message: 'Crosswalk archived successfully.' });
    }),
  );

  router.get(
    '/crosswalks/:id/versions',
    route(async (r) => {
      const c = findCrosswalk(await loaded(), r.params.id);
      const { page, size } = pageParams(r, LIST_PAGE_MAX, LIST_PAGE_DEFAULT);
      sendJson(r.res, 200, {
        total: c.versions.length,
        currentPage: page,
        pageSize: size,
        versions: c.versions.slice((page - 1) * size, page * size).map(versionJson),
      });
    }),
  );

  router.get(
    '/crosswalks/:id/versions/:version',
    route(async (r) => {
      const c = findCrosswalk(await loaded(), r.params.id);
      sendJson(r.res, 200, versionJson(findVersion(c, r.params.version)));
    }),
  );

  router.get(
    '/crosswalks/:id/versions/:version/mappings',
    route(async (r) => {
      const c = findCrosswalk(await loaded(), r.params.id);
      const v = findVersion(c, r.params.version);
      const { page, size } = pageParams(r, MAPPINGS_PAGE_MAX, MAPPINGS_PAGE_MAX);
      const slice = v.mappings.slice((page - 1) * size, page * size);
      const sets = await codeSetsFor(slice.flatMap((m) => [m.sourceCodeSystem, m.targetCodeSystem]));
      const display = (system: string, code: string): string | undefined =>
        sets.get(system)?.title(codeKey(system, code)) || undefined;
      const mappings = slice.map((m) => {
        const src = display(m.sourceCodeSystem, m.sourceCode);
        return {
          sourceCode: m.sourceCode,
          ...(src !== undefined ? { sourceDisplay: src } : {}),
          sourceCodeSystem: m.sourceCodeSystem,
          targetCodeSystem: m.targetCodeSystem,
          targets: m.targets.map((t) => {
            const tgt = display(m.targetCodeSystem, t.targetCode);
            return {
              targetCode: t.targetCode,
              ...(tgt !== undefined ? { targetDisplay: tgt } : {}),
              identifier: t.identifier,
              customAttributes: t.customAttributes,
            };
          }),
        };
      });
      stats.mappingPagesServed += 1;
      sendJson(r.res, 200, { total: v.mappings.length, currentPage: page, pageSize: size, mappings });
    }),
  );

  router.post(
    '/crosswalks/:id/versions/:version/mappings',
    route(async (r) => {
      editable(await loaded(), r);
      const body = await readJsonObject(r);
      const { valid, invalid } = await checkMappings(parseMappings(body.mappings));
      const { c, latest } = editable(await loaded(), r); // again: the state may have moved meanwhile
      const result = addMappings(c.identifier, latest.mappings, valid);
      if (result.changed) commit(c, latest, { mappings: result.mappings });
      sendJson(r.res, 200, withInvalid({ message: 'Target codes added successfully.' }, invalid));
    }),
  );

  router.delete(
    '/crosswalks/:id/versions/:version/mappings',
    route(async (r) => {
      editable(await loaded(), r);
      const body = await readJsonObject(r);
      const deletions = parseDeletions(body.mappings);
      const pairs = deletions.flatMap((d) => [
        { system: d.sourceCodeSystem, code: d.sourceCode },
        ...d.targetCodes.map((code) => ({ system: d.targetCodeSystem, code })),
      ]);
      const { list } = await invalidCodes(pairs);
      const { c, latest } = editable(await loaded(), r);
      const result = deleteTargets(latest.mappings, deletions);
      if (result.changed) commit(c, latest, { mappings: result.mappings });
      sendJson(r.res, 200, withInvalid({ message: 'Target codes deleted successfully.' }, list));
    }),
  );

  router.patch(
    '/crosswalks/:id/versions/:version/attributes',
    route(async (r) => {
      editable(await loaded(), r);
      const body = await readJsonObject(r);
      if (body.customAttributes === undefined || body.customAttributes === null)
        throw badRequest('customAttributes is required');
      const given = parseAttributes(body.customAttributes, 'customAttributes');
      const { c, latest } = editable(await loaded(), r);
      const attrs = upsertAttrs(latest.customAttributes, given);
      if (attrs !== latest.customAttributes) commit(c, latest, { customAttributes: attrs });
      sendJson(r.res, 200, { message: 'Custom attributes modified successfully.' });
    }),
  );

  router.delete(
    '/crosswalks/:id/versions/:version/attributes',
    route(async (r) => {
      editable(await loaded(), r);
      const keys = parseKeys((await readJsonObject(r)).customAttributes);
      const { c, latest } = editable(await loaded(), r);
      const attrs = removeAttrs(latest.customAttributes, keys);
      if (attrs !== latest.customAttributes) commit(c, latest, { customAttributes: attrs });
      sendJson(r.res, 200, { message: 'Custom attributes deleted successfully.' });
    }),
  );

  /** Applies `edit` to the attributes of the target `codeIdentifier` of the latest version. */
  const editTargetAttrs = async (
    r: RouteRequest,
    parse: (body: Record<string, unknown>) => (attrs: readonly Attr[]) => readonly Attr[],
  ): Promise<void> => {
    const findTarget = (latest: StoredVersion): { i: number; j: number } => {
      for (let i = 0; i < latest.mappings.length; i++) {
        const j = latest.mappings[i].targets.findIndex((t) => t.identifier === r.params.codeIdentifier);
        if (j >= 0) return { i, j };
      }
      throw notFound(`Code identifier not found in the latest version: ${r.params.codeIdentifier}`);
    };
    findTarget(editable(await loaded(), r).latest);
    const edit = parse(await readJsonObject(r));
    const { c, latest } = editable(await loaded(), r);
    const { i, j } = findTarget(latest);
    const m = latest.mappings[i];
    const attrs = edit(m.targets[j].customAttributes);
    if (attrs !== m.targets[j].customAttributes) {
      const targets = m.targets.map((t, n) => (n === j ? { ...t, customAttributes: attrs } : t));
      const mappings = latest.mappings.map((x, n) => (n === i ? { ...m, targets } : x));
      commit(c, latest, { mappings });
    }
  };

  router.patch(
    '/crosswalks/:id/versions/:version/mappings/:codeIdentifier/attributes',
    route(async (r) => {
      await editTargetAttrs(r, (body) => {
        if (body.customAttributes === undefined || body.customAttributes === null)
          throw badRequest('customAttributes is required');
        const given = parseAttributes(body.customAttributes, 'customAttributes');
        return (attrs) => upsertAttrs(attrs, given);
      });
      sendJson(r.res, 200, { message: 'Custom attributes modified successfully.' });
    }),
  );

  router.delete(
    '/crosswalks/:id/versions/:version/mappings/:codeIdentifier/attributes',
    route(async (r) => {
      await editTargetAttrs(r, (body) => {
        const keys = parseKeys(body.customAttributes);
        return (attrs) => removeAttrs(attrs, keys);
      });
      sendJson(r.res, 200, { message: 'Custom attributes deleted successfully.' });
    }),
  );

  // ---- control

  const configure = (patch: CrosswalksRuntimeOptions): void => {
    const parsed = crosswalksRuntimeOptionsSchema.parse(patch);
    const merged: CrosswalksRuntimeOptions = { ...options };
    for (const [k, val] of Object.entries(parsed)) {
      if (val !== undefined) (merged as Record<string, unknown>)[k] = val;
    }
    options = resolveOptions(merged);
    rebuildLimits(parsed.seed !== undefined);
  };

  const known = async (identifier: string): Promise<StoredCrosswalk> => {
    const c = (await loaded()).find((x) => x.identifier === identifier && !x.archived);
    if (!c) throw new Error(`unknown crosswalk: ${identifier}`);
    return c;
  };

  const startDraft = async (identifier: string): Promise<number> => {
    const c = await known(identifier);
    const latest = latestOf(c);
    if (latest.status === 'draft') throw new Error(`the latest version of ${identifier} is already a draft`);
    const at = timestamp(app.now());
    c.versions.push({
      ...latest,
      version: latest.version + 1,
      status: 'draft',
      createdAt: at,
      createdBy: 'IMO UI user',
      updatedAt: at,
      updatedBy: 'IMO UI user',
    });
    persist();
    return latest.version + 1;
  };

  const publishDraft = async (identifier: string): Promise<void> => {
    const c = await known(identifier);
    const latest = latestOf(c);
    if (latest.status !== 'draft') throw new Error(`the latest version of ${identifier} is not a draft`);
    c.versions[c.versions.length - 1] = {
      ...latest,
      status: 'published',
      updatedAt: timestamp(app.now()),
      updatedBy: 'IMO UI user',
    };
    persist();
  };

  const registerControl = (control: Router): void => {
    const readJson = async (r: RouteRequest): Promise<unknown> => {
      const raw = (await readBody(r.req)).toString('utf8');
      try {
        return raw.trim() === '' ? {} : (JSON.parse(raw) as unknown);
      } catch {
        return undefined;
      }
    };
    control.get('/__sandbox/crosswalks/options', ({ res }) => sendJson(res, 200, options));
    control.post('/__sandbox/crosswalks/options', async (r) => {
      const parsed = crosswalksRuntimeOptionsSchema.safeParse(await readJson(r));
      if (!parsed.success) {
        sendJson(r.res, 400, { message: 'invalid crosswalks options', issues: parsed.error.issues });
        return;
      }
      configure(parsed.data);
      sendJson(r.res, 200, options);
    });
    const uiAction = (fn: (id: string) => Promise<number | void>) => async (r: RouteRequest) => {
      try {
        const result = await fn(r.params.id);
        sendJson(r.res, 200, { ok: true, ...(typeof result === 'number' ? { version: result } : {}) });
      } catch (e) {
        sendJson(r.res, 409, { message: e instanceof Error ? e.message : String(e) });
      }
    };
    control.post('/__sandbox/crosswalks/:id/draft', uiAction(startDraft));
    control.post('/__sandbox/crosswalks/:id/publish', uiAction(publishDraft));
  };

  return {
    get options() {
      return { ...options };
    },
    configure,
    state,
    ready: async () => {
      await loaded();
    },
    get: async (identifier) => {
      const c = (await loaded()).find((x) => x.identifier === identifier);
      return c ? viewOf(c) : undefined;
    },
    startDraft,
    publishDraft,
    registerControl,
  };
}
