/**
 * IMO Download API (document 001): products (v1, a plain array), sub-products and versions (v2,
 * paged `{current_page, total, page_size, items}`), and the files of a version (v1, each with a
 * presigned `download_url` that expires 5 minutes after it is issued, so ask for it just in time).
 *
 * Shapes are checked with zod/mini. Objects are `looseObject`s: the fields the extension relies on
 * are required, the rest of the documented fields are optional, and anything else the server sends
 * passes through untouched (a richer answer is never lost). Field names stay as the server writes
 * them (snake_case). `file_name` is returned exactly as sent, even when empty or hostile
 * (`../../.bashrc`, `/etc/passwd`): sanitising it before it touches the disk is the download
 * engine's job. `download_url` is only checked to be a non-empty string; its scheme and host are
 * checked by whoever fetches it, so one bad file does not hide the others.
 */
import * as z from 'zod/mini';
import type { HttpClient } from './http';

/** `GET /download/v1/products`. */
export const DOWNLOAD_PRODUCTS_PATH = '/download/v1/products';

const nonEmpty = () => z.string().check(z.minLength(1));
const count = () => z.number().check(z.int(), z.minimum(0));

const fieldSchema = z.looseObject({
  id: z.optional(z.string()),
  product_id: z.optional(z.string()),
  field_type_id: z.optional(z.number()),
  field_name: z.optional(z.string()),
  display_order: z.optional(z.number()),
});

const menuOptionSchema = z.looseObject({
  id: z.optional(z.string()),
  product_id: z.optional(z.string()),
  /** Should be an absolute https URL; document 001's own example holds the template `{0}`. */
  url: z.string(),
  /** The action's label, e.g. "Release Notes". */
  option: z.string(),
});

const productSchema = z.looseObject({
  id: nonEmpty(),
  product_name: z.string(),
  product_slug: nonEmpty(),
  fields: z.optional(z.array(fieldSchema)),
  menu_options: z.optional(z.array(menuOptionSchema)),
});

const subProductSchema = z.looseObject({
  id: nonEmpty(),
  sub_product_name: z.string(),
  sub_product_slug: nonEmpty(),
  product_id: z.optional(z.string()),
  organization_id: z.optional(z.string()),
  is_public: z.optional(z.boolean()),
});

/** Optional, and `null` is read as absent, so consumers see `string | undefined`. */
const optionalText = () =>
  z.optional(
    z.pipe(
      z.nullable(z.string()),
      z.transform((v): string | undefined => v ?? undefined),
    ),
  );

const versionSchema = z.looseObject({
  id: nonEmpty(),
  version_name: z.string(),
  version_slug: nonEmpty(),
  sub_product_id: z.optional(z.string()),
  effective_date: optionalText(),
  launch_date: optionalText(),
  created_at: optionalText(),
  created_by: optionalText(),
  updated_at: optionalText(),
  updated_by: optionalText(),
  version_metadata: z.optional(z.array(z.unknown())),
  version_menu_actions: z.optional(z.array(z.unknown())),
});

const releaseFileSchema = z.looseObject({
  id: nonEmpty(),
  version_id: z.optional(z.string()),
  file_name: z.string(),
  download_url: nonEmpty(),
  publish_url: z.optional(z.nullable(z.string())),
  file_size: z.optional(
    z.pipe(
      z.nullable(count()),
      z.transform((v): number | undefined => v ?? undefined),
    ),
  ),
});

function pageSchema<T extends z.ZodMiniType>(item: T) {
  return z.looseObject({
    current_page: z.number().check(z.int(), z.minimum(1)),
    total: count(),
    page_size: z.number().check(z.int(), z.minimum(1)),
    items: z.array(item),
  });
}

const productsSchema = z.array(productSchema);
const subProductPageSchema = pageSchema(subProductSchema);
const versionPageSchema = pageSchema(versionSchema);
const filesSchema = z.array(releaseFileSchema);

/** A product-level field descriptor (`fields[]` of a product); every member optional. */
export type ProductField = z.infer<typeof fieldSchema>;

/** A product action such as "Release Notes": `option` is the label, `url` the link (not always a URL). */
export type MenuOption = z.infer<typeof menuOptionSchema>;

/** A product (`GET /download/v1/products`); choose one by `product_slug`. */
export type Product = z.infer<typeof productSchema>;

/** A sub-product of a product; choose one by `sub_product_slug`. */
export type SubProduct = z.infer<typeof subProductSchema>;

/**
 * A version of a sub-product. The server lists them newest first. Dates are as sent
 * (`YYYY-MM-DD` for `effective_date`/`launch_date`, ISO 8601 timestamps for `created_at`…) and may be
 * missing (`null` from the server is read as missing).
 */
export type Version = z.infer<typeof versionSchema>;

/**
 * A file of a version. `download_url` is presigned and expires 5 minutes after the list was
 * fetched. `file_size` (bytes) is not in document 001: some servers send it, so it is optional.
 * `file_name` is untrusted text (may be empty or contain path separators). `file_size: null` is
 * read as missing.
 */
export type ReleaseFile = z.infer<typeof releaseFileSchema>;

/**
 * One page of a v2 list. `current_page` is 1-based, `total` is the total number of ITEMS (not
 * pages), `page_size` is the size the server actually used (it may cap the one asked for). A server
 * may send a `total` that disagrees with what it returns: stop paging on an empty page too.
 */
export interface Page<T> {
  current_page: number;
  total: number;
  page_size: number;
  items: T[];
  [extra: string]: unknown;
}

/** `/download/v2/products/{product}/sub-products`, slug URL-encoded. */
export function subProductsPath(productSlug: string): string {
  return `/download/v2/products/${encodeURIComponent(productSlug)}/sub-products`;
}

/** `/download/v2/products/{product}/sub-products/{subProduct}/versions`, slugs URL-encoded. */
export function versionsPath(productSlug: string, subProductSlug: string): string {
  return `${subProductsPath(productSlug)}/${encodeURIComponent(subProductSlug)}/versions`;
}

/** `/download/v1/products/{product}/sub-products/{subProduct}/versions/{version}/files`, slugs URL-encoded. */
export function filesPath(productSlug: string, subProductSlug: string, versionSlug: string): string {
  return (
    `/download/v1/products/${encodeURIComponent(productSlug)}/sub-products/` +
    `${encodeURIComponent(subProductSlug)}/versions/${encodeURIComponent(versionSlug)}/files`
  );
}

/**
 * Typed client of the IMO Download API. Every method rejects with exactly one `ApiError`
 * (`notFound` for an unknown slug, `invalidResponse` for a body that is not JSON or of the wrong
 * shape, `rateLimited`/`server` after the HTTP client's retries, `cancelled` when `signal` fires).
 * Slugs are URL-encoded into the path; logs and errors show the path with `{product}`-style
 * placeholders.
 */
export class DownloadClient {
  /** @param http an authenticated IMO client from `createImoApiClient`. */
  constructor(private readonly http: HttpClient) {}

  /** All products available to the caller (not paged). */
  async listProducts(signal?: AbortSignal): Promise<Product[]> {
    return this.http.request({
      method: 'GET',
      path: DOWNLOAD_PRODUCTS_PATH,
      schema: productsSchema,
      signal,
    });
  }

  /**
   * One page of a product's sub-products.
   * @param page 1-based page number.
   * @param pageSize items per page; omitted = the server's default (10). The server may cap it (100).
   */
  async listSubProducts(
    productSlug: string,
    page: number,
    signal?: AbortSignal,
    pageSize?: number,
  ): Promise<Page<SubProduct>> {
    return this.http.request({
      method: 'GET',
      path: subProductsPath(productSlug),
      logPath: '/download/v2/products/{product}/sub-products',
      query: pagingQuery(page, pageSize),
      schema: subProductPageSchema,
      signal,
    });
  }

  /**
   * One page of a sub-product's versions, newest first.
   * @param page 1-based page number.
   * @param pageSize items per page; omitted = the server's default (10). The server may cap it (100).
   */
  async listVersions(
    productSlug: string,
    subProductSlug: string,
    page: number,
    signal?: AbortSignal,
    pageSize?: number,
  ): Promise<Page<Version>> {
    return this.http.request({
      method: 'GET',
      path: versionsPath(productSlug, subProductSlug),
      logPath: '/download/v2/products/{product}/sub-products/{subProduct}/versions',
      query: pagingQuery(page, pageSize),
      schema: versionPageSchema,
      signal,
    });
  }

  /**
   * The files of a version with freshly presigned download URLs. Call it right before downloading,
   * and again when a URL has expired (S3 answers 403 "Request has expired").
   */
  async listFiles(
    productSlug: string,
    subProductSlug: string,
    versionSlug: string,
    signal?: AbortSignal,
  ): Promise<ReleaseFile[]> {
    return this.http.request({
      method: 'GET',
      path: filesPath(productSlug, subProductSlug, versionSlug),
      logPath: '/download/v1/products/{product}/sub-products/{subProduct}/versions/{version}/files',
      schema: filesSchema,
      signal,
    });
  }
}

function pagingQuery(page: number, pageSize: number | undefined): Record<string, number | undefined> {
  if (!Number.isInteger(page) || page < 1) throw new RangeError(`page must be an integer >= 1, got ${page}`);
  if (pageSize !== undefined && (!Number.isInteger(pageSize) || pageSize < 1)) {
    throw new RangeError(`pageSize must be an integer >= 1, got ${pageSize}`);
  }
  return { page, page_size: pageSize };
}
