/**
 * IMO Terminology Management – Crosswalks API (document 003): crosswalks, their versions, the
 * mappings of a version (at most 10 source-code mapping objects a page), and the edits, which apply
 * to the latest version only: a published latest version gets a new version (number + 1) with the
 * edit applied; a Draft latest version refuses edits through the API ({@link isDraftVersionError});
 * naming an older version is refused too ({@link isStaleVersionError}). An edit's answer does not say
 * which version it created: read the crosswalk again (`get`) before the next edit.
 *
 * Shapes are checked with zod/mini `looseObject`s that produce the types of
 * `core/crosswalks/model.ts`: the fields the extension relies on are required, the other documented
 * ones optional, anything else passes through. `null` in an optional text field is read as absent.
 * Pages come back as the core {@link Page} (`{current_page, total, page_size, items}`), whatever the
 * list is called in the answer (`crosswalks`, `versions`, `mappings`).
 *
 * Retries: reads are retried as usual (429, 5xx, network). Edits (POST/PATCH/DELETE) are retried
 * after a 429 only (`retrySafe: 'rateLimitOnly'`): after a 5xx or a lost connection the server may
 * have applied them, and applying one twice would create two versions or re-add deleted targets.
 *
 * Identifiers are percent-encoded into paths; logs and errors show the path with `{identifier}`-style
 * placeholders (identifiers are not PHI, but a placeholder keeps log lines comparable). Bodies are
 * never logged.
 */
import * as z from 'zod/mini';
import type {
  Crosswalk,
  CrosswalkVersion,
  CustomAttribute,
  Mapping,
  MappingDeletion,
  NewCrosswalk,
  NewMapping,
} from '../core/crosswalks/model';
import { isApiError } from '../core/errors';
import type { Page } from '../core/paging';
import type { HttpClient, HttpMethod, QueryValue } from './http';

/** Path prefix of the Crosswalks API (document 003 gives no other). */
export const CROSSWALKS_PATH = '/crosswalks';

/** The answer of an edit. `invalidCodes` lists the codes the server did not accept ([] when none). */
export interface EditResult {
  message?: string;
  invalidCodes: string[];
}

/** The answer of `POST /crosswalks`: the new crosswalk and the codes it did not accept. */
export interface CreatedCrosswalk extends Crosswalk {
  invalidCodes: string[];
}

/** Paging of a list. `pageNumber` is 1-based; omitted values are the server's defaults. */
export interface PageQuery {
  pageSize?: number;
  pageNumber?: number;
}

/** How a read is sent. */
export interface ReadOptions {
  /** Wait out a 429 and retry (default true); `false` rejects with the `rateLimited` error at once. */
  retryRateLimit?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Schemas

const nonEmpty = () => z.string().check(z.minLength(1));
const count = () => z.number().check(z.int(), z.minimum(0));

/** Optional, and `null` is read as absent, so consumers see `T | undefined`. */
function optionalNullable<T extends z.ZodMiniType>(schema: T) {
  return z.optional(
    z.pipe(
      z.nullable(schema),
      z.transform((v): z.output<T> | undefined => v ?? undefined),
    ),
  );
}
const optionalText = () => optionalNullable(z.string());

const attributeSchema = z.looseObject({
  key: z.string(),
  value: optionalText(),
});
const attributesSchema = () => optionalNullable(z.array(attributeSchema));

const audited = {
  createdAt: optionalText(),
  createdBy: optionalText(),
  updatedAt: optionalText(),
  updatedBy: optionalText(),
};

const versionNumber = () => z.number().check(z.int(), z.minimum(1));

const crosswalkSchema = z.looseObject({
  identifier: nonEmpty(),
  name: z.string(),
  description: optionalText(),
  version: versionNumber(),
  customAttributes: attributesSchema(),
  ...audited,
});

const versionSchema = z.looseObject({
  version: versionNumber(),
  name: optionalText(),
  description: optionalText(),
  customAttributes: attributesSchema(),
  status: optionalText(),
  ...audited,
});

const targetSchema = z.looseObject({
  targetCode: z.string(),
  targetDisplay: optionalText(),
  identifier: optionalText(),
  customAttributes: attributesSchema(),
});

const mappingSchema = z.looseObject({
  sourceCode: z.string(),
  sourceDisplay: optionalText(),
  sourceCodeSystem: z.string(),
  targetCodeSystem: z.string(),
  targets: z.array(targetSchema),
});

const invalidCodesSchema = () =>
  z.optional(
    z.pipe(
      z.nullable(z.array(z.string())),
      z.transform((v): string[] => v ?? []),
    ),
  );

const editResultSchema = z.looseObject({
  message: optionalText(),
  invalidCodes: invalidCodesSchema(),
});

const createdSchema = z.looseObject({
  ...crosswalkSchema.shape,
  invalidCodes: invalidCodesSchema(),
});

function pageSchema<K extends string, T extends z.ZodMiniType>(listName: K, item: T) {
  return z.looseObject({
    total: count(),
    currentPage: z.number().check(z.int(), z.minimum(1)),
    pageSize: z.number().check(z.int(), z.minimum(1)),
    ...({ [listName]: z.array(item) } as Record<K, z.ZodMiniArray<T>>),
  });
}

const crosswalkPageSchema = pageSchema('crosswalks', crosswalkSchema);
const versionPageSchema = pageSchema('versions', versionSchema);
const mappingPageSchema = pageSchema('mappings', mappingSchema);

// ---------------------------------------------------------------------------------------------
// Paths

const enc = encodeURIComponent;

/** `/crosswalks/{identifier}`, identifier percent-encoded. */
export function crosswalkPath(identifier: string): string {
  return `${CROSSWALKS_PATH}/${enc(identifier)}`;
}

/** `/crosswalks/{identifier}/versions/{version}`. */
export function crosswalkVersionPath(identifier: string, version: number): string {
  return `${crosswalkPath(identifier)}/versions/${checkVersion(version)}`;
}

function checkVersion(version: number): number {
  if (!Number.isInteger(version) || version < 1)
    throw new RangeError(`version must be an integer >= 1, got ${version}`);
  return version;
}

function pagingQuery(q: PageQuery | undefined): Record<string, QueryValue> {
  const out: Record<string, QueryValue> = {};
  for (const name of ['pageSize', 'pageNumber'] as const) {
    const v = q?.[name];
    if (v === undefined) continue;
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be an integer >= 1, got ${v}`);
    out[name] = v;
  }
  return out;
}

function toPage<T>(p: { total: number; currentPage: number; pageSize: number }, items: T[]): Page<T> {
  return { current_page: p.currentPage, total: p.total, page_size: p.pageSize, items };
}

const LOG = {
  list: CROSSWALKS_PATH,
  one: `${CROSSWALKS_PATH}/{identifier}`,
  versions: `${CROSSWALKS_PATH}/{identifier}/versions`,
  version: `${CROSSWALKS_PATH}/{identifier}/versions/{version}`,
  mappings: `${CROSSWALKS_PATH}/{identifier}/versions/{version}/mappings`,
  attributes: `${CROSSWALKS_PATH}/{identifier}/versions/{version}/attributes`,
  mappingAttributes: `${CROSSWALKS_PATH}/{identifier}/versions/{version}/mappings/{codeIdentifier}/attributes`,
} as const;

// ---------------------------------------------------------------------------------------------
// The client

/**
 * Typed client of the IMO Crosswalks API. Every method rejects with exactly one `ApiError`
 * (`notFound` for an unknown or archived crosswalk, version or code identifier; `badRequest` for a
 * refused body, and for edits refused by the version rules — tell those apart with
 * {@link isDraftVersionError} and {@link isStaleVersionError}; `invalidResponse` for a body that is
 * not JSON or of the wrong shape; `rateLimited`/`server` after the HTTP client's retries; `cancelled`
 * when `signal` fires). A version or page number that is not a positive integer is a programming
 * error: the method rejects with a `RangeError` before any request.
 */
export class CrosswalksClient {
  /** @param http an authenticated IMO client from `createImoApiClient`. */
  constructor(private readonly http: HttpClient) {}

  /**
   * One page of the organisation's crosswalks (archived ones are not listed). With
   * `sourceCodeSystem` (a slug such as `icd10cm`) and/or `sourceCode`, only the crosswalks whose
   * latest version maps that source.
   */
  async list(
    q: PageQuery & { sourceCodeSystem?: string; sourceCode?: string },
    signal?: AbortSignal,
  ): Promise<Page<Crosswalk>> {
    const p = await this.http.request({
      method: 'GET',
      path: CROSSWALKS_PATH,
      logPath: LOG.list,
      query: { sourceCodeSystem: q.sourceCodeSystem, sourceCode: q.sourceCode, ...pagingQuery(q) },
      schema: crosswalkPageSchema,
      signal,
    });
    return toPage(p, p.crosswalks);
  }

  /** One crosswalk: its latest version number and crosswalk-level attributes. */
  async get(identifier: string, signal?: AbortSignal): Promise<Crosswalk> {
    return this.http.request({
      method: 'GET',
      path: crosswalkPath(identifier),
      logPath: LOG.one,
      schema: crosswalkSchema,
      signal,
    });
  }

  /** One page of a crosswalk's versions, in the server's order (oldest first in document 003). */
  async versions(identifier: string, q?: PageQuery, signal?: AbortSignal): Promise<Page<CrosswalkVersion>> {
    const p = await this.http.request({
      method: 'GET',
      path: `${crosswalkPath(identifier)}/versions`,
      logPath: LOG.versions,
      query: pagingQuery(q),
      schema: versionPageSchema,
      signal,
    });
    return toPage(p, p.versions);
  }

  /** One version: name, description, attributes and status (`published` or `draft`). */
  async version(identifier: string, version: number, signal?: AbortSignal): Promise<CrosswalkVersion> {
    return this.http.request({
      method: 'GET',
      path: crosswalkVersionPath(identifier, version),
      logPath: LOG.version,
      schema: versionSchema,
      signal,
    });
  }

  /**
   * One page of a version's mappings. The server answers at most 10 mapping objects a page whatever
   * `pageSize` asks (document 003) and says so in `page_size`: page with the size it answered.
   * With `{retryRateLimit: false}` a 429 rejects at once as `rateLimited` (with its retry-after)
   * instead of being waited out here: for a reader of many pages that paces them itself
   * (`fetchAllMappings`).
   */
  async mappings(
    identifier: string,
    version: number,
    q?: PageQuery,
    signal?: AbortSignal,
    options: ReadOptions = {},
  ): Promise<Page<Mapping>> {
    const p = await this.http.request({
      method: 'GET',
      path: `${crosswalkVersionPath(identifier, version)}/mappings`,
      logPath: LOG.mappings,
      query: pagingQuery(q),
      schema: mappingPageSchema,
      signal,
      retryRateLimit: options.retryRateLimit,
    });
    return toPage(p, p.mappings);
  }

  /** Creates a crosswalk (version 1). Codes the server did not accept are in `invalidCodes`. */
  async create(body: NewCrosswalk, signal?: AbortSignal): Promise<CreatedCrosswalk> {
    const r = await this.edit('POST', CROSSWALKS_PATH, LOG.list, body, createdSchema, signal);
    return { ...r, invalidCodes: r.invalidCodes ?? [] };
  }

  /** Adds mappings (and target-level attributes) to the latest version `version`. */
  async addMappings(
    identifier: string,
    version: number,
    mappings: NewMapping[],
    signal?: AbortSignal,
  ): Promise<EditResult> {
    return this.editResult(
      'POST',
      `${crosswalkVersionPath(identifier, version)}/mappings`,
      LOG.mappings,
      { mappings },
      signal,
    );
  }

  /** Deletes target codes from mappings of the latest version `version`. */
  async deleteTargets(
    identifier: string,
    version: number,
    deletions: MappingDeletion[],
    signal?: AbortSignal,
  ): Promise<EditResult> {
    return this.editResult(
      'DELETE',
      `${crosswalkVersionPath(identifier, version)}/mappings`,
      LOG.mappings,
      { mappings: deletions },
      signal,
    );
  }

  /** Adds or updates crosswalk-level attributes (by key) on the latest version `version`. */
  async setAttributes(
    identifier: string,
    version: number,
    attributes: CustomAttribute[],
    signal?: AbortSignal,
  ): Promise<EditResult> {
    return this.editResult(
      'PATCH',
      `${crosswalkVersionPath(identifier, version)}/attributes`,
      LOG.attributes,
      { customAttributes: attributes },
      signal,
    );
  }

  /** Deletes crosswalk-level attributes by key from the latest version `version`. */
  async deleteAttributes(
    identifier: string,
    version: number,
    keys: string[],
    signal?: AbortSignal,
  ): Promise<EditResult> {
    return this.editResult(
      'DELETE',
      `${crosswalkVersionPath(identifier, version)}/attributes`,
      LOG.attributes,
      { customAttributes: keys },
      signal,
    );
  }

  /**
   * Adds or updates the attributes of one mapping target, named by its `identifier` (the
   * `codeIdentifier` of document 003), on the latest version `version`.
   */
  async setMappingAttributes(
    identifier: string,
    version: number,
    codeIdentifier: string,
    attributes: CustomAttribute[],
    signal?: AbortSignal,
  ): Promise<EditResult> {
    return this.editResult(
      'PATCH',
      `${crosswalkVersionPath(identifier, version)}/mappings/${enc(codeIdentifier)}/attributes`,
      LOG.mappingAttributes,
      { customAttributes: attributes },
      signal,
    );
  }

  /** Deletes attributes by key from one mapping target on the latest version `version`. */
  async deleteMappingAttributes(
    identifier: string,
    version: number,
    codeIdentifier: string,
    keys: string[],
    signal?: AbortSignal,
  ): Promise<EditResult> {
    return this.editResult(
      'DELETE',
      `${crosswalkVersionPath(identifier, version)}/mappings/${enc(codeIdentifier)}/attributes`,
      LOG.mappingAttributes,
      { customAttributes: keys },
      signal,
    );
  }

  /** Archives a crosswalk (not a hard delete): it leaves the list and answers 404 afterwards. */
  async archive(identifier: string, signal?: AbortSignal): Promise<EditResult> {
    return this.editResult('DELETE', crosswalkPath(identifier), LOG.one, undefined, signal);
  }

  private async editResult(
    method: HttpMethod,
    path: string,
    logPath: string,
    body: unknown,
    signal: AbortSignal | undefined,
  ): Promise<EditResult> {
    const r = await this.edit(method, path, logPath, body, editResultSchema, signal);
    return { ...r, invalidCodes: r.invalidCodes ?? [] };
  }

  /** An edit: never repeated after a 5xx or a lost connection, repeated after a 429. */
  private edit<T>(
    method: HttpMethod,
    path: string,
    logPath: string,
    body: unknown,
    schema: z.ZodMiniType<T>,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    return this.http.request({ method, path, logPath, body, schema, signal, retrySafe: 'rateLimitOnly' });
  }
}

// ---------------------------------------------------------------------------------------------
// Version-rule errors

/** An error answer to an edit (4xx other than 401/404/429), with the server's message. */
function refusal(e: unknown): string | undefined {
  if (!isApiError(e) || (e.kind !== 'badRequest' && e.kind !== 'forbidden')) return undefined;
  return e.serverMessage;
}

/**
 * True when an ApiError says the latest version is a Draft (document 003: edits through the API are
 * refused until the draft is published in IMO's UI). Recognised by a 4xx refusal whose message speaks
 * of a Draft (the sandbox answers 409 with the document's wording), as `ApiError` keeps the server's
 * message but not its other fields.
 */
export function isDraftVersionError(e: unknown): boolean {
  const message = refusal(e);
  return message !== undefined && /\bdraft\b/i.test(message);
}

/**
 * True when an ApiError says the version number sent is not the latest one (edits apply to the
 * latest version only): a 4xx refusal that is not the Draft one and whose message says the version is
 * not the latest (the sandbox: 409 "Version 2 is not the latest version of this crosswalk: the latest
 * version is 3. …").
 */
export function isStaleVersionError(e: unknown): boolean {
  const message = refusal(e);
  return (
    message !== undefined &&
    !isDraftVersionError(e) &&
    /\bnot the latest\b|\blatest version is \d+|\bonly (?:be )?allowed on the latest\b/i.test(message)
  );
}
