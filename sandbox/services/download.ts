/**
 * IMO Download API as document 001 writes it, at the root of the sandbox origin and guarded by
 * IMO bearer tokens:
 *
 * - `GET /download/v1/products` → `[{id, product_name, product_slug, fields[], menu_options[]}]`
 * - `GET /download/v2/products/{product_slug}/sub-products?page=&page_size=` → a page
 * - `GET /download/v2/products/{p}/sub-products/{s}/versions?page=&page_size=` → a page, newest first
 * - `GET /download/v1/products/{p}/sub-products/{s}/versions/{v}/files` → `[{id, version_id,
 *   file_name, download_url, publish_url: null, file_size}]` (`file_size` is our extension)
 *
 * Pages are `{current_page, total, page_size, items}`: `page` is 1-based, `page_size` defaults to 10
 * and is capped at 100 (the answer says which size was used), `total` counts items. A page past
 * the end is 200 with no items; a page or size that is not a positive integer is 400.
 *
 * `download_url`s are presigned S3-style URLs on the same origin,
 * `/s3/imo-releases/{p}/{org}/{s}/{v}/{file_name}?X-Amz-Algorithm=…&X-Amz-Date=…&X-Amz-Expires=…
 * &X-Amz-Signature=…&response-content-disposition=…`, signed with HMAC-SHA256 (a per-sandbox random
 * secret) over the accepted method set, the path and every other query parameter. They expire
 * `urlTtlSeconds` (300, as documented) after the second in `X-Amz-Date`, on the sandbox clock.
 * Failures answer like S3: an XML `<Error>` body (`AccessDenied` "Request has expired",
 * `SignatureDoesNotMatch`, `MethodNotAllowed`, `InvalidRange`, `NoSuchKey`). No bearer token is
 * needed there. GET (and HEAD) and the documented PUT are accepted unless `presignedMethods` says
 * otherwise. Objects come with `Content-Length`, `ETag` (quoted md5 hex), `Accept-Ranges: bytes`,
 * `Last-Modified`, `x-amz-checksum-sha256` (base64 sha256 of the WHOLE object, also on 206) and
 * `Content-Type`; `Range: bytes=N-`, `bytes=N-M` and `bytes=-N` give 206 (or 416), `If-Range` with a
 * stale ETag or date gives 200 with the whole object.
 *
 * The catalogue serves the real public code sets in `sandbox/data` (streamed from disk; sizes and
 * digests computed once), a sub-product with 60 generated monthly versions (so paging is real), one
 * with none, one whose file names are hostile, and, with `largeFileBytes`, a "Benchmark" product
 * whose file is produced by a deterministic generator as it is sent (never held in memory).
 *
 * Faults of this service (besides the generic ones of `faults.ts`, which also apply to these paths):
 * {@link DownloadFaultSpec}, added in-process with `sandbox.download.addFault()` or over HTTP with
 * `POST /__sandbox/download/faults`. Options can be changed at run time with
 * `sandbox.download.configure()` or `PATCH /__sandbox/download/options`.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate as setImmediateP, setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { type SandboxApp, readBody, sendError, sendJson } from '../app';
import type { RouteRequest, Router } from '../router';
import type { ImoService } from './imo';

// ---------------------------------------------------------------------------------------------
// Options, faults and state (the surface tests and the download engine's tests use)

/** What can be changed while the sandbox runs (`configure`, `PATCH /__sandbox/download/options`). */
export const downloadRuntimeOptionsSchema = z
  .object({
    /** Lifetime of presigned URLs, seconds (default 300, as document 001 says). */
    urlTtlSeconds: z.number().positive().optional(),
    /**
     * Methods a presigned URL accepts (default both). HEAD follows GET. The other method gets 405
     * `MethodNotAllowed`. URLs are signed over this set: changing it invalidates URLs issued before.
     */
    presignedMethods: z
      .array(z.enum(['GET', 'PUT']))
      .min(1)
      .optional(),
    /** Honour `Range` (default true). false: always 200 with the whole object, no `Accept-Ranges`. */
    ranges: z.boolean().optional(),
    /**
     * Token-bucket limit on `/download/*` (not `/s3/`, not `/oauth/token`), requests per second of
     * real time; null/omitted = unlimited. Over the limit: 429, JSON body, `Retry-After` in whole
     * seconds ≥ 1.
     */
    rateLimitPerSecond: z.number().positive().nullable().optional(),
    /** Bucket size (default: `rateLimitPerSecond` rounded up, i.e. one second's worth). */
    rateLimitBurst: z.number().int().positive().nullable().optional(),
  })
  .strict();
export type DownloadRuntimeOptions = z.infer<typeof downloadRuntimeOptionsSchema>;

/** `startSandbox({ download })`. */
export interface DownloadOptions extends DownloadRuntimeOptions {
  /**
   * Adds a "Benchmark" product (`benchmark-20` / `large-file-58` / `generated-66`) with one
   * generated file of this many bytes, streamed from a deterministic generator.
   */
  largeFileBytes?: number;
  /** Where the code-set files are (default `sandbox/data`). */
  dataDir?: string;
}

/** The options in force. */
export interface ResolvedDownloadOptions {
  urlTtlSeconds: number;
  presignedMethods: Array<'GET' | 'PUT'>;
  ranges: boolean;
  rateLimitPerSecond: number | null;
  rateLimitBurst: number | null;
}

const faultMatch = {
  /** Only presigned downloads of the file with exactly this `file_name`. */
  file: z.string().optional(),
  /** Only requests with this path (no query), or paths starting with it with `prefix`. */
  path: z.string().startsWith('/').optional(),
  prefix: z.boolean().optional(),
  /** Only this method (`*` or omitted = any). */
  method: z.string().min(1).optional(),
  /** How many matching requests this fault applies to; omitted = until cleared. */
  times: z.number().int().positive().optional(),
};

/**
 * Faults of the Download service. The first four act on presigned (`/s3/`) downloads and may be
 * combined (one of each type is taken per request); `pageTotal` acts on the two paged endpoints.
 *
 * - `cut`: send the headers and `afterBytes` bytes of the body (or `afterFraction` of it, default
 *   0.5; always fewer than the whole body), then destroy the connection.
 * - `throttle`: send the body at `bytesPerSecond`.
 * - `lieLength`: announce `extraBytes` (default 1024) more in `Content-Length` than is sent, send
 *   the real body, end the response normally and close the connection (`Connection: close`).
 * - `expire`: answer 403 "Request has expired" whatever the clock says.
 * - `pageTotal`: the page's `total` is `total` (default: the true total + 10) while its items stay true.
 */
export const downloadFaultSpecSchema = z.discriminatedUnion('type', [
  z.object({
    ...faultMatch,
    type: z.literal('cut'),
    afterBytes: z.number().int().nonnegative().optional(),
    afterFraction: z.number().min(0).max(1).optional(),
  }),
  z.object({ ...faultMatch, type: z.literal('throttle'), bytesPerSecond: z.number().positive() }),
  z.object({
    ...faultMatch,
    type: z.literal('lieLength'),
    extraBytes: z.number().int().positive().optional(),
  }),
  z.object({ ...faultMatch, type: z.literal('expire') }),
  z.object({ ...faultMatch, type: z.literal('pageTotal'), total: z.number().int().nonnegative().optional() }),
]);
export type DownloadFaultSpec = z.infer<typeof downloadFaultSpecSchema>;
type FaultOf<T extends DownloadFaultSpec['type']> = Extract<DownloadFaultSpec, { type: T }>;

/** One presigned download (the last 100 are kept). */
export interface TransferRecord {
  method: string;
  file: string;
  status: number;
  /** The `Range` header as received, when one was sent. */
  range: string | null;
  /** Body bytes written so far. */
  bytes: number;
  outcome: 'sending' | 'completed' | 'cut' | 'lied' | 'aborted';
}

/** `sandbox.state().download` and `GET /__sandbox/state` → `download`. */
export interface DownloadState {
  /** Presigned URLs handed out by the files endpoint. */
  urlsIssued: number;
  /** Presigned GET/PUT requests that started sending a body (200 or 206). */
  downloadsStarted: number;
  /** …that sent every byte they announced. */
  downloadsCompleted: number;
  /** …cut by a `cut` fault. */
  downloadsCut: number;
  /** …abandoned by the client before the end. */
  downloadsAborted: number;
  /** …that ended short of a lying `Content-Length` (`lieLength`). */
  lengthLies: number;
  /** Body bytes sent by presigned downloads. */
  bytesSent: number;
  /**
   * `Range` headers received on presigned URLs, oldest first (last 100), with the status answered
   * (200 when ignored: stale If-Range, malformed, or `ranges: false`).
   */
  rangesRequested: Array<{ file: string; range: string; ifRange: string | null; status: number }>;
  /** Presigned requests refused: expired, bad or missing signature, method not accepted, 416. */
  rejected: { expired: number; signature: number; method: number; range: number };
  /** `/download/*` requests answered 429 by the rate limiter. */
  rateLimited: number;
  /** Active download faults. */
  faults: number;
  transfers: TransferRecord[];
}

/** Where the generated benchmark file is and what it holds. */
export interface LargeFileInfo {
  productSlug: string;
  subProductSlug: string;
  versionSlug: string;
  fileName: string;
  size: number;
  /** Hex digests of the whole file. */
  sha256: string;
  md5: string;
}

/** In-process control of the Download service (`sandbox.download`). */
export interface DownloadControl {
  /** The options in force (a copy). */
  readonly options: ResolvedDownloadOptions;
  /** Changes options; `null` turns the rate limit off. Reset restores the startup options. */
  configure(patch: DownloadRuntimeOptions): void;
  /** Adds a fault (validated); returns its id. */
  addFault(spec: DownloadFaultSpec): number;
  /** Removes one fault, or all. */
  clearFaults(id?: number): void;
  listFaults(): Array<DownloadFaultSpec & { id: number; remaining: number | null }>;
  state(): DownloadState;
  /**
   * The state once every transfer in flight has been accounted for. A client in the same process
   * can read the last byte before the server's own completion callback has run, so tests that
   * check the counters right after a download read them through this.
   */
  settled(): Promise<DownloadState>;
  /**
   * The benchmark file's slugs, size and digests; undefined without `largeFileBytes`. The digests
   * are computed on first use (about 1 s for 512 MiB) and cached; the first download of the file
   * waits for them (its headers carry the ETag and checksum), so a benchmark calls this first.
   */
  largeFile(): Promise<LargeFileInfo | undefined>;
}

/** What {@link registerDownload} returns: the control plus the hook that adds its `/__sandbox/download/*` routes. */
export interface DownloadService extends DownloadControl {
  registerControl(control: Router): void;
}

/** Slugs of the catalogue, for tests. */
export const DOWNLOAD_SLUGS = {
  icd10cm: {
    product: 'icd-10-cm-12',
    codeDescriptions: 'icd-10-cm-code-descriptions-34',
    conversionTable: 'icd-10-cm-conversion-table-35',
    fy2026: 'fy2026-october-2025-93',
    conversionFy2026: 'fy2026-october-2025-94',
  },
  icd10pcs: {
    product: 'icd-10-pcs-13',
    orderFiles: 'icd-10-pcs-order-files-41',
    fy2026: 'fy2026-october-2025-95',
  },
  hcpcs: { product: 'hcpcs-14', annual: 'hcpcs-level-ii-annual-51', y2020: '2020-january-61' },
  cvx: { product: 'cvx-15', vaccines: 'cvx-vaccines-administered-52', nov2020: '2020-november-62' },
  icd9cm: { product: 'icd-9-cm-16', titles: 'icd-9-cm-code-titles-53', v32: 'version-32-october-2014-63' },
  gems: { product: 'gems-17', diagnosis: 'diagnosis-gems-54', fy2018: 'fy2018-october-2017-64' },
  imoCore: {
    product: 'imo-core-18',
    /** 60 generated monthly versions, 2025 October (newest) back to 2020 November. */
    monthly: 'problem-terminology-monthly-55',
    /** No versions at all. */
    empty: 'procedure-terminology-56',
  },
  fixtures: {
    product: 'sandbox-test-fixtures-19',
    hostile: 'hostile-file-names-57',
    hostileVersion: 'hostile-2025-65',
  },
  benchmark: { product: 'benchmark-20', largeFile: 'large-file-58', generated: 'generated-66' },
} as const;

/** `file_name`s of the hostile sub-product. */
export const HOSTILE_FILE_NAMES: readonly string[] = [
  '../../.bashrc',
  '/etc/passwd',
  '',
  '..\\..\\Windows\\win.ini',
  'CON',
  'bell\u0007and\ttab.txt',
];

/** The bucket in presigned paths. */
export const S3_BUCKET = 'imo-releases';
const ORG_ID = '00393482300wD';
const DEFAULT_PAGE_SIZE = 10;
const MAX_PAGE_SIZE = 100;
const KEEP = 100;

// ---------------------------------------------------------------------------------------------
// Blobs: where file bytes come from

interface Digests {
  md5: string;
  sha256: string;
  sha256Base64: string;
}

interface Blob {
  size(): number;
  /** Bytes [start, end). */
  read(start: number, end: number): AsyncIterable<Buffer>;
  digests(): Promise<Digests>;
}

abstract class BaseBlob implements Blob {
  private cached?: Promise<Digests>;
  abstract size(): number;
  abstract read(start: number, end: number): AsyncIterable<Buffer>;
  digests(): Promise<Digests> {
    this.cached ??= (async () => {
      const md5 = createHash('md5');
      const sha = createHash('sha256');
      let sinceYield = 0;
      for await (const chunk of this.read(0, this.size())) {
        md5.update(chunk);
        sha.update(chunk);
        // generated chunks arrive without I/O: let the server breathe every 8 MiB
        sinceYield += chunk.length;
        if (sinceYield >= 8 * 1024 * 1024) {
          sinceYield = 0;
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
      const digest = sha.digest();
      return {
        md5: md5.digest('hex'),
        sha256: digest.toString('hex'),
        sha256Base64: digest.toString('base64'),
      };
    })();
    // a failed computation (file deleted…) is retried next time
    this.cached.catch(() => (this.cached = undefined));
    return this.cached;
  }
}

/** A file in `sandbox/data`, streamed from disk. */
class DiskBlob extends BaseBlob {
  private bytes?: number;
  constructor(readonly file: string) {
    super();
  }
  size(): number {
    this.bytes ??= statSync(this.file).size;
    return this.bytes;
  }
  async *read(start: number, end: number): AsyncIterable<Buffer> {
    if (end <= start) return;
    yield* createReadStream(this.file, {
      start,
      end: end - 1,
      highWaterMark: 256 * 1024,
    }) as AsyncIterable<Buffer>;
  }
}

/** A small generated file, built on first use. */
class MemoryBlob extends BaseBlob {
  private buffer?: Buffer;
  constructor(private readonly make: () => Buffer) {
    super();
  }
  private get data(): Buffer {
    this.buffer ??= this.make();
    return this.buffer;
  }
  size(): number {
    return this.data.length;
  }
  async *read(start: number, end: number): AsyncIterable<Buffer> {
    if (end > start) yield this.data.subarray(start, end);
  }
}

const GEN_CHUNK = 1024 * 1024;

/**
 * A large deterministic file: 1 MiB blocks of sha256-counter bytes, each stamped with its block
 * number so the content never repeats. Produced block by block as it is read.
 */
class GeneratedBlob extends BaseBlob {
  private base?: Buffer;
  constructor(
    private readonly bytes: number,
    private readonly seed: string,
  ) {
    super();
  }
  size(): number {
    return this.bytes;
  }
  private block(k: number): Buffer {
    if (!this.base) {
      const base = Buffer.allocUnsafe(GEN_CHUNK);
      for (let i = 0; i < GEN_CHUNK / 32; i++) {
        createHash('sha256')
          .update(`${this.seed}:${i}`)
          .digest()
          .copy(base, i * 32);
      }
      this.base = base;
    }
    const len = Math.min(GEN_CHUNK, this.bytes - k * GEN_CHUNK);
    const out = Buffer.allocUnsafe(len);
    this.base.copy(out, 0, 0, len);
    if (len >= 8) {
      out.writeUInt32BE(k >>> 0, 0);
      out.writeUInt32BE((k ^ 0x5a5a5a5a) >>> 0, 4);
    }
    return out;
  }
  async *read(start: number, end: number): AsyncIterable<Buffer> {
    for (let k = Math.floor(start / GEN_CHUNK); k * GEN_CHUNK < end; k++) {
      const blockStart = k * GEN_CHUNK;
      const b = this.block(k);
      yield b.subarray(Math.max(0, start - blockStart), Math.min(b.length, end - blockStart));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The catalogue

interface CatFile {
  id: string;
  name: string;
  blob: Blob;
  contentType: string;
}
interface CatVersion {
  id: string;
  slug: string;
  name: string;
  effectiveDate: string;
  launchDate: string;
  createdAt: string;
  files: CatFile[];
}
interface CatSubProduct {
  id: string;
  slug: string;
  name: string;
  organizationId: string;
  isPublic: boolean;
  /** Newest first. */
  versions: CatVersion[];
}
interface CatProduct {
  id: string;
  slug: string;
  name: string;
  fields: Array<{ name: string; typeId: number }>;
  menu: Array<{ option: string; url: string }>;
  subProducts: CatSubProduct[];
}

/** A stable UUID (version 5 layout) for a name, so ids survive restarts. */
function stableUuid(name: string): string {
  const h = createHash('sha1').update(`clinical-coder-sandbox:${name}`).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

function contentTypeOf(name: string): string {
  const ext = path.extname(name).toLowerCase();
  if (ext === '.txt') return 'text/plain';
  if (ext === '.xlsx') return 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
  if (ext === '.bin') return 'application/octet-stream';
  return 'binary/octet-stream'; // what S3 says when nobody set a type
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

function buildCatalogue(dataDir: string, largeFileBytes: number | undefined): CatProduct[] {
  const disk = (rel: string): { name: string; blob: Blob } => ({
    name: path.basename(rel),
    blob: new DiskBlob(path.join(dataDir, rel)),
  });
  const version = (
    subSlug: string,
    slug: string,
    name: string,
    effectiveDate: string,
    launchDate: string,
    createdAt: string,
    files: Array<{ name: string; blob: Blob }>,
  ): CatVersion => {
    const id = stableUuid(`version:${subSlug}:${slug}`);
    return {
      id,
      slug,
      name,
      effectiveDate,
      launchDate,
      createdAt,
      files: files.map((f) => ({
        id: stableUuid(`file:${id}:${f.name}`),
        name: f.name,
        blob: f.blob,
        contentType: contentTypeOf(f.name),
      })),
    };
  };
  const sub = (slug: string, name: string, versions: CatVersion[], isPublic = true): CatSubProduct => ({
    id: stableUuid(`sub-product:${slug}`),
    slug,
    name,
    organizationId: ORG_ID,
    isPublic,
    versions: [...versions].sort((a, b) => (a.effectiveDate < b.effectiveDate ? 1 : -1)),
  });
  const product = (
    slug: string,
    name: string,
    releaseNotes: string,
    subProducts: CatSubProduct[],
  ): CatProduct => ({
    id: stableUuid(`product:${slug}`),
    slug,
    name,
    fields: [
      { name: 'Library', typeId: 1 },
      { name: 'Code System', typeId: 2 },
    ],
    menu: [{ option: 'Release Notes', url: releaseNotes }],
    subProducts,
  });
  const S = DOWNLOAD_SLUGS;
  const cmsIcd10 = 'https://www.cms.gov/medicare/coding-billing/icd-10-codes';

  const monthly: CatVersion[] = [];
  for (let i = 0; i < 60; i++) {
    const year = 2025 - Math.floor((i + 2) / 12);
    const month = (((9 - i) % 12) + 12) % 12; // 9 = October
    const mm = String(month + 1).padStart(2, '0');
    const effective = `${year}-${mm}-01`;
    const label = `${year} ${MONTHS[month]}`;
    const stamp = `${year}_${mm}`;
    monthly.push(
      version(
        S.imoCore.monthly,
        `${year}-${MONTHS[month].toLowerCase()}-${10 + ((i * 37) % 90)}`,
        label,
        effective,
        effective,
        `${year}-${mm}-01T00:00:00.000000+00:00`,
        [
          { name: `problem_terminology_${stamp}.txt`, blob: new MemoryBlob(() => monthlyFile(stamp, i)) },
          {
            name: `release_notes_${stamp}.txt`,
            blob: new MemoryBlob(() =>
              Buffer.from(
                `Problem Terminology Monthly, ${label}\r\nGenerated by the Clinical Coder sandbox (not IMO content).\r\n`,
              ),
            ),
          },
        ],
      ),
    );
  }

  const catalogue: CatProduct[] = [
    product('icd-10-cm-12', 'ICD-10-CM', cmsIcd10, [
      sub(S.icd10cm.codeDescriptions, 'ICD-10-CM Code Descriptions', [
        version(
          S.icd10cm.codeDescriptions,
          S.icd10cm.fy2026,
          'FY2026 (October 2025)',
          '2025-10-01',
          '2025-07-15',
          '2025-07-15T14:02:11.000000+00:00',
          [
            disk('icd10cm/icd10cm-order-2026.txt'),
            disk('icd10cm/icd10cm-codes-2026.txt'),
            disk('icd10cm/icd10cm-order-addenda-2026.txt'),
            disk('icd10cm/icd10cm-codes-addenda-2026.txt'),
          ],
        ),
      ]),
      sub(S.icd10cm.conversionTable, 'ICD-10-CM Conversion Table', [
        version(
          S.icd10cm.conversionTable,
          S.icd10cm.conversionFy2026,
          'FY2026 (October 2025)',
          '2025-10-01',
          '2025-07-15',
          '2025-07-15T14:05:40.000000+00:00',
          [disk('icd10cm/ICD-10-CM-CONVERSION-TABLE-FY2026.xlsx')],
        ),
      ]),
    ]),
    product('icd-10-pcs-13', 'ICD-10-PCS', cmsIcd10, [
      sub(S.icd10pcs.orderFiles, 'ICD-10-PCS Order Files', [
        version(
          S.icd10pcs.orderFiles,
          S.icd10pcs.fy2026,
          'FY2026 (October 2025)',
          '2025-10-01',
          '2025-07-15',
          '2025-07-15T14:09:02.000000+00:00',
          [disk('icd10pcs/icd10pcs_order_2026.txt'), disk('icd10pcs/order_addenda_2026.txt')],
        ),
      ]),
    ]),
    product(
      'hcpcs-14',
      'HCPCS',
      'https://www.cms.gov/medicare/coding-billing/healthcare-common-procedure-system',
      [
        sub(S.hcpcs.annual, 'HCPCS Level II Annual File', [
          version(
            S.hcpcs.annual,
            S.hcpcs.y2020,
            '2020 January',
            '2020-01-01',
            '2019-11-15',
            '2019-11-15T16:30:00.000000+00:00',
            [
              disk('hcpcs/HCPC2020_ANWEB_w_disclaimer.txt'),
              disk('hcpcs/HCPC2020_README.txt'),
              disk('hcpcs/proc_notes_2020.txt'),
              disk('hcpcs/HCPCS2019_recordlayout.txt'),
            ],
          ),
        ]),
      ],
    ),
    product('cvx-15', 'CVX', 'https://www2a.cdc.gov/vaccines/iis/iisstandards/vaccines.asp?rpt=cvx', [
      sub(S.cvx.vaccines, 'CVX Vaccines Administered', [
        version(
          S.cvx.vaccines,
          S.cvx.nov2020,
          '2020 November',
          '2020-11-16',
          '2020-11-16',
          '2020-11-16T18:00:00.000000+00:00',
          [disk('cvx/cvx.txt')],
        ),
      ]),
    ]),
    product(
      'icd-9-cm-16',
      'ICD-9-CM',
      'https://www.cms.gov/medicare/coding-billing/icd-10-codes/icd-9-cm-diagnosis-procedure-codes-abbreviated-and-full-code-titles',
      [
        sub(S.icd9cm.titles, 'ICD-9-CM Diagnosis and Procedure Code Titles', [
          version(
            S.icd9cm.titles,
            S.icd9cm.v32,
            'Version 32 (October 2014)',
            '2014-10-01',
            '2014-10-01',
            '2014-08-01T12:00:00.000000+00:00',
            [
              disk('icd9cm/CMS32_DESC_LONG_DX.txt'),
              disk('icd9cm/CMS32_DESC_SHORT_DX.txt'),
              disk('icd9cm/CMS32_DESC_LONG_SG.txt'),
              disk('icd9cm/CMS32_DESC_SHORT_SG.txt'),
            ],
          ),
        ]),
      ],
    ),
    product('gems-17', 'GEMs', cmsIcd10, [
      sub(S.gems.diagnosis, 'Diagnosis GEMs (ICD-10-CM / ICD-9-CM)', [
        version(
          S.gems.diagnosis,
          S.gems.fy2018,
          'FY2018 (October 2017)',
          '2017-10-01',
          '2017-08-01',
          '2017-08-01T12:00:00.000000+00:00',
          [disk('gems/2018_I10gem.txt'), disk('gems/2018_I9gem.txt')],
        ),
      ]),
    ]),
    product('imo-core-18', 'IMO Core', 'https://www.imohealth.com/', [
      sub(S.imoCore.monthly, 'Problem Terminology Monthly', monthly),
      sub(S.imoCore.empty, 'Procedure Terminology (coming soon)', []),
    ]),
    {
      ...product('sandbox-test-fixtures-19', 'Sandbox Test Fixtures', '', [
        sub(
          S.fixtures.hostile,
          'Hostile File Names',
          [
            version(
              S.fixtures.hostile,
              S.fixtures.hostileVersion,
              'Hostile names',
              '2025-01-01',
              '2025-01-01',
              '2025-01-01T00:00:00.000000+00:00',
              HOSTILE_FILE_NAMES.map((name) => ({
                name,
                blob: new MemoryBlob(() =>
                  Buffer.from(`hostile fixture, file_name=${JSON.stringify(name)}\n`, 'utf8'),
                ),
              })),
            ),
          ],
          false,
        ),
      ]),
      // document 001's own example: the link is a template, not a URL
      menu: [{ option: 'Release Notes', url: '{0}' }],
    },
  ];
  if (largeFileBytes !== undefined) {
    catalogue.push(
      product('benchmark-20', 'Benchmark', 'https://www.imohealth.com/', [
        sub(S.benchmark.largeFile, 'Large Generated File', [
          version(
            S.benchmark.largeFile,
            S.benchmark.generated,
            'Generated',
            '2025-10-01',
            '2025-10-01',
            '2025-10-01T00:00:00.000000+00:00',
            [{ name: largeFileName(largeFileBytes), blob: new GeneratedBlob(largeFileBytes, 'benchmark') }],
          ),
        ]),
      ]),
    );
  }
  return catalogue;
}

function largeFileName(bytes: number): string {
  return `benchmark-${bytes}.bin`;
}

function monthlyFile(stamp: string, i: number): Buffer {
  const lines = [
    `# Problem Terminology Monthly ${stamp}: generated by the Clinical Coder sandbox (not IMO content)`,
    'TERM_ID|TERM|ICD10CM_CODE',
  ];
  for (let n = 0; n < 24; n++) {
    const id = 100000 + i * 100 + n;
    lines.push(
      `${id}|Generated problem term ${n + 1} (${stamp})|R${String(10 + n).padStart(2, '0')}.${n % 10}`,
    );
  }
  return Buffer.from(lines.join('\r\n') + '\r\n', 'ascii');
}

// ---------------------------------------------------------------------------------------------
// Small helpers

class TokenBucket {
  private tokens: number;
  private last = performance.now();
  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }
  /** 0 when a request may proceed (and uses a token), else ms until the next token. */
  take(): number {
    const t = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.rate);
    this.last = t;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return ((1 - this.tokens) / this.rate) * 1000;
  }
}

class DownloadFaultStore {
  private faults: Array<{ id: number; spec: DownloadFaultSpec; remaining: number }> = [];
  private nextId = 1;

  add(spec: DownloadFaultSpec): number {
    const parsed = downloadFaultSpecSchema.parse(spec);
    const id = this.nextId++;
    this.faults.push({ id, spec: parsed, remaining: parsed.times ?? Infinity });
    return id;
  }
  clear(id?: number): void {
    this.faults = id === undefined ? [] : this.faults.filter((f) => f.id !== id);
  }
  list(): Array<DownloadFaultSpec & { id: number; remaining: number | null }> {
    return this.faults.map((f) => ({
      ...f.spec,
      id: f.id,
      remaining: Number.isFinite(f.remaining) ? f.remaining : null,
    }));
  }
  get size(): number {
    return this.faults.length;
  }
  /** Takes the first matching fault of `type`, using up one of its times. */
  take<T extends DownloadFaultSpec['type']>(
    type: T,
    method: string,
    reqPath: string,
    file?: string,
  ): FaultOf<T> | undefined {
    const f = this.faults.find(
      (x) =>
        x.spec.type === type &&
        x.remaining > 0 &&
        (x.spec.method === undefined || x.spec.method === '*' || x.spec.method.toUpperCase() === method) &&
        (x.spec.path === undefined ||
          (x.spec.prefix ? reqPath.startsWith(x.spec.path) : reqPath === x.spec.path)) &&
        (x.spec.file === undefined || x.spec.file === file),
    );
    if (!f) return undefined;
    f.remaining -= 1;
    if (f.remaining <= 0) this.faults = this.faults.filter((x) => x !== f);
    return f.spec as FaultOf<T>;
  }
}

function xmlEscape(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** An S3-style error: XML body, `x-amz-request-id`, `x-amz-id-2`. */
function sendS3Error(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  extra: Record<string, string> = {},
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const requestId = randomBytes(8).toString('hex').toUpperCase();
  const hostId = randomBytes(48).toString('base64');
  const fields = Object.entries(extra)
    .map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`)
    .join('');
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message>${fields}` +
    `<RequestId>${requestId}</RequestId><HostId>${hostId}</HostId></Error>`;
  res.writeHead(status, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(body),
    'x-amz-request-id': requestId,
    'x-amz-id-2': hostId,
    ...headers,
  });
  res.end(body);
}

/** `20251001T120000Z` for an epoch-ms time. */
function amzDate(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function parseAmzDate(s: string | null): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s ?? '');
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : undefined;
}

/** RFC 3986 encoding (encodeURIComponent leaves `!'()*` alone), as S3 canonical requests do. */
function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

type ParsedRange = { start: number; end: number } | 'unsatisfiable' | undefined;

/**
 * One `bytes=` range against an object of `size` bytes → [start, end). Malformed or multiple
 * ranges → undefined (ignored: the whole object is sent, as S3 does).
 */
export function parseByteRange(header: string, size: number): ParsedRange {
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size };
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? undefined : Number(m[2]);
  if (last !== undefined && last < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: last === undefined ? size : Math.min(last + 1, size) };
}

function waitForDrainOrClose(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Writes `piece`, then destroys the connection once it has been handed to the socket. */
function writeThenCut(res: ServerResponse): (piece: Buffer) => Promise<void> {
  return (piece) =>
    new Promise((resolve) => {
      const cut = (): void => {
        res.socket?.destroy();
        res.destroy();
        resolve();
      };
      res.once('close', resolve);
      res.write(piece, cut);
    });
}

interface PumpPlan {
  /** Destroy the connection after this many body bytes (fewer than the body). */
  cutAfter?: number;
  bytesPerSecond?: number;
  onBytes(n: number): void;
}

/** Streams `chunks` into `res` with back-pressure, honouring throttle and cut faults. */
async function pump(
  res: ServerResponse,
  chunks: AsyncIterable<Buffer>,
  plan: PumpPlan,
): Promise<'completed' | 'cut' | 'aborted'> {
  const started = performance.now();
  const closed = new AbortController();
  const onClose = (): void => closed.abort();
  res.once('close', onClose);
  const slice = plan.bytesPerSecond ? Math.max(1, Math.floor(plan.bytesPerSecond / 20)) : Infinity;
  let sent = 0;
  // Whether every body byte written so far has been handed to the socket. A client that has read
  // Content-Length bytes may close before `end()` finishes: that transfer still completed.
  let flushed = true;
  let lastWrite: Promise<void> = Promise.resolve();
  const bodyDelivered = async (): Promise<boolean> => {
    const closedNow = new Promise<void>((resolve) => {
      if (res.closed) resolve();
      else res.once('close', () => resolve());
    });
    // a write callback still pending when the socket closed is called back with an error next
    await Promise.race([lastWrite, closedNow.then(() => setImmediateP())]);
    return flushed;
  };
  try {
    if (plan.cutAfter === 0) {
      await writeThenCut(res)(Buffer.alloc(0));
      return 'cut';
    }
    for await (const chunk of chunks) {
      let rest = chunk;
      while (rest.length > 0) {
        if (closed.signal.aborted || res.destroyed) return 'aborted';
        let piece = rest.length > slice ? rest.subarray(0, slice) : rest;
        if (plan.cutAfter !== undefined && sent + piece.length >= plan.cutAfter) {
          piece = piece.subarray(0, plan.cutAfter - sent);
          plan.onBytes(piece.length);
          await writeThenCut(res)(piece);
          return 'cut';
        }
        rest = rest.subarray(piece.length);
        sent += piece.length;
        plan.onBytes(piece.length);
        flushed = false;
        let accepted = true;
        lastWrite = new Promise<void>((resolve) => {
          accepted = res.write(piece, (err) => {
            flushed = !err;
            resolve();
          });
        });
        if (!accepted) await waitForDrainOrClose(res);
        if (plan.bytesPerSecond) {
          const due = started + (sent / plan.bytesPerSecond) * 1000 - performance.now();
          if (due > 0) await sleep(due, undefined, { signal: closed.signal }).catch(() => undefined);
        }
      }
    }
    if (closed.signal.aborted || res.destroyed) {
      return (await bodyDelivered()) ? 'completed' : 'aborted';
    }
    await new Promise<void>((resolve) => {
      res.once('close', resolve);
      res.end(resolve);
    });
    return res.writableFinished || (await bodyDelivered()) ? 'completed' : 'aborted';
  } finally {
    res.off('close', onClose);
  }
}

// ---------------------------------------------------------------------------------------------
// The service

function resolveOptions(o: DownloadRuntimeOptions): ResolvedDownloadOptions {
  return {
    urlTtlSeconds: o.urlTtlSeconds ?? 300,
    presignedMethods: [...new Set(o.presignedMethods ?? ['GET', 'PUT'])].sort() as Array<'GET' | 'PUT'>,
    ranges: o.ranges ?? true,
    rateLimitPerSecond: o.rateLimitPerSecond ?? null,
    rateLimitBurst: o.rateLimitBurst ?? null,
  };
}

function emptyState(): Omit<DownloadState, 'faults'> {
  return {
    urlsIssued: 0,
    downloadsStarted: 0,
    downloadsCompleted: 0,
    downloadsCut: 0,
    downloadsAborted: 0,
    lengthLies: 0,
    bytesSent: 0,
    rangesRequested: [],
    rejected: { expired: 0, signature: 0, method: 0, range: 0 },
    rateLimited: 0,
    transfers: [],
  };
}

function pushCapped<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length > KEEP) list.splice(0, list.length - KEEP);
}

/** Registers the Download API and the presigned-object routes. */
export function registerDownload(
  app: SandboxApp,
  imo: ImoService,
  opts: DownloadOptions = {},
): DownloadService {
  const startup = downloadRuntimeOptionsSchema.parse({
    urlTtlSeconds: opts.urlTtlSeconds,
    presignedMethods: opts.presignedMethods,
    ranges: opts.ranges,
    rateLimitPerSecond: opts.rateLimitPerSecond,
    rateLimitBurst: opts.rateLimitBurst,
  });
  if (
    opts.largeFileBytes !== undefined &&
    (!Number.isSafeInteger(opts.largeFileBytes) || opts.largeFileBytes < 0)
  ) {
    throw new RangeError(`largeFileBytes must be a non-negative integer, got ${opts.largeFileBytes}`);
  }
  const dataDir = opts.dataDir ?? path.resolve(__dirname, '..', 'data');
  const catalogue = buildCatalogue(dataDir, opts.largeFileBytes);
  const secret = randomBytes(32);
  const faults = new DownloadFaultStore();
  let options = resolveOptions(startup);
  let bucket: TokenBucket | undefined;
  let stats = emptyState();
  /** Transfers still sending, for {@link DownloadControl.settled}. */
  const inFlight = new Set<Promise<unknown>>();

  const rebuildBucket = (): void => {
    const rate = options.rateLimitPerSecond;
    bucket = rate ? new TokenBucket(rate, options.rateLimitBurst ?? Math.max(1, Math.ceil(rate))) : undefined;
  };
  rebuildBucket();

  app.onReset(() => {
    faults.clear();
    stats = emptyState();
    options = resolveOptions(startup);
    rebuildBucket();
  });
  const state = (): DownloadState => ({
    ...stats,
    rangesRequested: stats.rangesRequested.map((r) => ({ ...r })),
    rejected: { ...stats.rejected },
    transfers: stats.transfers.map((t) => ({ ...t })),
    faults: faults.size,
  });
  app.addState('download', state);

  // ---- the JSON API

  /** Rate limit, then bearer check. Returns true when the request may proceed. */
  const gate = (r: RouteRequest): boolean => {
    const wait = bucket?.take() ?? 0;
    if (wait > 0) {
      stats.rateLimited += 1;
      const seconds = Math.max(1, Math.ceil(wait / 1000));
      sendError(
        r.res,
        429,
        { error: 'too_many_requests', message: 'Too many requests: rate limit exceeded' },
        { 'retry-after': String(seconds) },
      );
      return false;
    }
    return imo.requireBearer(r);
  };

  const findProduct = (r: RouteRequest): CatProduct | undefined => {
    const p = catalogue.find((x) => x.slug === r.params.product);
    if (!p) sendError(r.res, 404, { error: 'not_found', message: `Product not found: ${r.params.product}` });
    return p;
  };
  const findSub = (r: RouteRequest): { p: CatProduct; s: CatSubProduct } | undefined => {
    const p = findProduct(r);
    if (!p) return undefined;
    const s = p.subProducts.find((x) => x.slug === r.params.subProduct);
    if (!s) {
      sendError(r.res, 404, { error: 'not_found', message: `Sub-product not found: ${r.params.subProduct}` });
      return undefined;
    }
    return { p, s };
  };

  const sendPage = (r: RouteRequest, all: unknown[]): void => {
    const parse = (name: string, fallback: number): number | undefined => {
      const raw = r.query.get(name);
      if (raw === null) return fallback;
      return /^\d{1,9}$/.test(raw) && Number(raw) >= 1 ? Number(raw) : undefined;
    };
    const page = parse('page', 1);
    const size = parse('page_size', DEFAULT_PAGE_SIZE);
    if (page === undefined || size === undefined) {
      sendError(r.res, 400, {
        error: 'bad_request',
        message:
          page === undefined ? 'page must be a positive integer' : 'page_size must be a positive integer',
      });
      return;
    }
    const pageSize = Math.min(size, MAX_PAGE_SIZE);
    const items = all.slice((page - 1) * pageSize, page * pageSize);
    const lie = faults.take('pageTotal', r.method, r.path);
    sendJson(r.res, 200, {
      current_page: page,
      total: lie ? (lie.total ?? all.length + 10) : all.length,
      page_size: pageSize,
      items,
    });
  };

  const router = app.router;
  router.get('/download/v1/products', (r) => {
    if (!gate(r)) return;
    sendJson(
      r.res,
      200,
      catalogue.map((p) => ({
        id: p.id,
        product_name: p.name,
        product_slug: p.slug,
        fields: p.fields.map((f, i) => ({
          id: stableUuid(`field:${p.slug}:${f.name}`),
          product_id: p.id,
          field_type_id: f.typeId,
          field_name: f.name,
          display_order: i + 1,
        })),
        menu_options: p.menu.map((m) => ({
          id: stableUuid(`menu:${p.slug}:${m.option}`),
          product_id: p.id,
          url: m.url,
          option: m.option,
        })),
      })),
    );
  });

  router.get('/download/v2/products/:product/sub-products', (r) => {
    if (!gate(r)) return;
    const p = findProduct(r);
    if (!p) return;
    sendPage(
      r,
      p.subProducts.map((s) => ({
        sub_product_name: s.name,
        id: s.id,
        product_id: p.id,
        organization_id: s.organizationId,
        is_public: s.isPublic,
        sub_product_slug: s.slug,
      })),
    );
  });

  router.get('/download/v2/products/:product/sub-products/:subProduct/versions', (r) => {
    if (!gate(r)) return;
    const found = findSub(r);
    if (!found) return;
    sendPage(
      r,
      found.s.versions.map((v) => ({
        effective_date: v.effectiveDate,
        launch_date: v.launchDate,
        id: v.id,
        sub_product_id: found.s.id,
        version_name: v.name,
        created_at: v.createdAt,
        created_by: 'IMO User',
        updated_at: v.createdAt,
        updated_by: 'IMO User',
        version_slug: v.slug,
        version_metadata: [],
        version_menu_actions: [],
      })),
    );
  });

  router.get('/download/v1/products/:product/sub-products/:subProduct/versions/:version/files', (r) => {
    if (!gate(r)) return;
    const found = findSub(r);
    if (!found) return;
    const v = found.s.versions.find((x) => x.slug === r.params.version);
    if (!v) {
      sendError(r.res, 404, { error: 'not_found', message: `Version not found: ${r.params.version}` });
      return;
    }
    // The sandbox is loopback-only, so the Host header names this very server.
    const origin = `http://${r.req.headers.host ?? '127.0.0.1'}`;
    const body = v.files.map((f) => ({
      id: f.id,
      version_id: v.id,
      file_name: f.name,
      download_url: origin + presign(found.p, found.s, v, f),
      publish_url: null,
      file_size: f.blob.size(),
    }));
    stats.urlsIssued += body.length;
    sendJson(r.res, 200, body);
  });

  // ---- presigned URLs

  const objectPath = (p: CatProduct, s: CatSubProduct, v: CatVersion, f: CatFile): string =>
    `/s3/${S3_BUCKET}/${[p.slug, s.organizationId, s.slug, v.slug, f.name].map(rfc3986).join('/')}`;

  const signature = (methods: string[], pathname: string, query: URLSearchParams): string => {
    const canonical = [...query]
      .filter(([k]) => k !== 'X-Amz-Signature')
      .map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`)
      .sort()
      .join('&');
    return createHmac('sha256', secret)
      .update(`${methods.join(',')}\n${pathname}\n${canonical}`)
      .digest('hex');
  };

  /** Path and query of a fresh presigned URL for `f`. */
  const presign = (p: CatProduct, s: CatSubProduct, v: CatVersion, f: CatFile): string => {
    const issued = app.now();
    const pathname = objectPath(p, s, v, f);
    const safeName = [...f.name]
      .map((c) => (c < ' ' || c === '\u007f' || c === '"' || c === '\\' ? '_' : c))
      .join('');
    const query = new URLSearchParams({
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': `ASIASANDBOXEXAMPLE/${amzDate(issued).slice(0, 8)}/us-east-1/s3/aws4_request`,
      'X-Amz-Date': amzDate(issued),
      'X-Amz-Expires': String(options.urlTtlSeconds),
      'X-Amz-SignedHeaders': 'host',
      'response-content-disposition': `attachment; filename="${safeName}"`,
    });
    query.set('X-Amz-Signature', signature(options.presignedMethods, pathname, query));
    // URLSearchParams writes spaces as "+"; S3 URLs use %20.
    return `${pathname}?${query.toString().replace(/\+/g, '%20')}`;
  };

  const findObject = (params: Record<string, string>): { v: CatVersion; f: CatFile } | undefined => {
    const p = catalogue.find((x) => x.slug === params.product);
    const s = p?.subProducts.find((x) => x.slug === params.subProduct && x.organizationId === params.org);
    const v = s?.versions.find((x) => x.slug === params.version);
    const f = v?.files.find((x) => x.name === (params.file ?? ''));
    return v && f ? { v, f } : undefined;
  };

  const serveObject = async (r: RouteRequest): Promise<void> => {
    const { req, res } = r;
    if (r.method === 'PUT') req.resume(); // a body, if any, is ignored
    const asMethod = r.method === 'HEAD' ? 'GET' : (r.method as 'GET' | 'PUT');
    const fileName = r.params.file ?? '';

    if (!options.presignedMethods.includes(asMethod)) {
      stats.rejected.method += 1;
      sendS3Error(
        res,
        405,
        'MethodNotAllowed',
        'The specified method is not allowed against this resource.',
        { Method: r.method, ResourceType: 'OBJECT' },
        { allow: options.presignedMethods.join(', ') },
      );
      return;
    }
    const given = r.query.get('X-Amz-Signature') ?? '';
    const expected = signature(options.presignedMethods, r.path, r.query);
    const same =
      given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
    if (!same) {
      stats.rejected.signature += 1;
      sendS3Error(
        res,
        403,
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      );
      return;
    }
    const issued = parseAmzDate(r.query.get('X-Amz-Date')) ?? 0;
    const ttl = Number(r.query.get('X-Amz-Expires'));
    const expiresAt = issued + ttl * 1000;
    const forced = faults.take('expire', r.method, r.path, fileName);
    if (forced || app.now() >= expiresAt) {
      stats.rejected.expired += 1;
      sendS3Error(res, 403, 'AccessDenied', 'Request has expired', {
        'X-Amz-Expires': String(ttl),
        Expires: new Date(expiresAt).toISOString(),
        ServerTime: new Date(app.now()).toISOString(),
      });
      return;
    }
    const found = findObject(r.params);
    if (!found) {
      sendS3Error(res, 404, 'NoSuchKey', 'The specified key does not exist.', {
        Key: decodeURIComponent(r.path.replace(`/s3/${S3_BUCKET}/`, '')),
      });
      return;
    }
    const { v, f } = found;
    const size = f.blob.size();
    const digests = await f.blob.digests();
    if (res.destroyed) return; // the client left while the digests were computed
    const etag = `"${digests.md5}"`;
    const lastModified = new Date(v.createdAt).toUTCString();
    const headers: Record<string, string> = {
      'content-type': f.contentType,
      etag,
      'last-modified': lastModified,
      'x-amz-checksum-sha256': digests.sha256Base64,
      'x-amz-request-id': randomBytes(8).toString('hex').toUpperCase(),
      'x-amz-server-side-encryption': 'AES256',
    };
    if (options.ranges) headers['accept-ranges'] = 'bytes';
    const disposition = r.query.get('response-content-disposition');
    if (disposition && /^[\t\x20-\x7e]*$/.test(disposition)) headers['content-disposition'] = disposition;

    let start = 0;
    let end = size;
    let status = 200;
    const rangeHeader = req.headers.range;
    if (rangeHeader !== undefined) {
      const rawIfRange: string | string[] | undefined = req.headers['if-range'];
      const ifRange = Array.isArray(rawIfRange) ? rawIfRange[0] : rawIfRange;
      // recorded even when ranges are off, so a test sees the client asked and got 200
      const record = { file: f.name, range: rangeHeader, ifRange: ifRange ?? null, status: 200 };
      pushCapped(stats.rangesRequested, record);
      // If-Range: an ETag (strong comparison; weak never matches) or an HTTP date (exact match).
      const current =
        options.ranges &&
        (ifRange === undefined ||
          (ifRange.trim().startsWith('"') || ifRange.trim().startsWith('W/')
            ? ifRange.trim() === etag
            : Date.parse(ifRange) === Date.parse(lastModified)));
      if (current) {
        const parsed = parseByteRange(rangeHeader, size);
        if (parsed === 'unsatisfiable') {
          record.status = 416;
          stats.rejected.range += 1;
          sendS3Error(
            res,
            416,
            'InvalidRange',
            'The requested range is not satisfiable',
            { RangeRequested: rangeHeader, ActualObjectSize: String(size) },
            { 'content-range': `bytes */${size}` },
          );
          return;
        }
        if (parsed) {
          ({ start, end } = parsed);
          status = 206;
          headers['content-range'] = `bytes ${start}-${end - 1}/${size}`;
        }
      }
      record.status = status;
    }

    const length = end - start;
    const sendsBody = r.method !== 'HEAD';
    const cut = sendsBody ? faults.take('cut', r.method, r.path, f.name) : undefined;
    const throttle = sendsBody ? faults.take('throttle', r.method, r.path, f.name) : undefined;
    const lie = sendsBody ? faults.take('lieLength', r.method, r.path, f.name) : undefined;
    headers['content-length'] = String(length + (lie ? (lie.extraBytes ?? 1024) : 0));
    if (lie) headers.connection = 'close';
    res.writeHead(status, headers);
    if (!sendsBody) {
      res.end();
      return;
    }

    const transfer: TransferRecord = {
      method: r.method,
      file: f.name,
      status,
      range: rangeHeader ?? null,
      bytes: 0,
      outcome: 'sending',
    };
    pushCapped(stats.transfers, transfer);
    stats.downloadsStarted += 1;
    let cutAfter: number | undefined;
    if (cut && length > 0) {
      const wanted = cut.afterBytes ?? Math.floor(length * (cut.afterFraction ?? 0.5));
      cutAfter = Math.min(wanted, length - 1);
    }
    // tracked until the counters below are updated, for `settled()`
    const accounted = (async () => {
      const outcome = await pump(res, f.blob.read(start, end), {
        cutAfter,
        bytesPerSecond: throttle?.bytesPerSecond,
        onBytes: (n) => {
          transfer.bytes += n;
          stats.bytesSent += n;
        },
      });
      if (outcome === 'completed' && lie) {
        transfer.outcome = 'lied';
        stats.lengthLies += 1;
      } else {
        transfer.outcome = outcome;
        if (outcome === 'completed') stats.downloadsCompleted += 1;
        else if (outcome === 'cut') stats.downloadsCut += 1;
        else stats.downloadsAborted += 1;
      }
    })();
    inFlight.add(accounted);
    await accounted.finally(() => inFlight.delete(accounted));
  };

  const objectRoutes = [
    '/s3/' + S3_BUCKET + '/:product/:org/:subProduct/:version/:file',
    // an empty file_name leaves the key ending in "/"
    '/s3/' + S3_BUCKET + '/:product/:org/:subProduct/:version',
  ];
  for (const pattern of objectRoutes) {
    for (const method of ['GET', 'HEAD', 'PUT']) router.add(method, pattern, serveObject);
  }

  // ---- benchmark file

  const largeFile = async (): Promise<LargeFileInfo | undefined> => {
    if (opts.largeFileBytes === undefined) return undefined;
    const S = DOWNLOAD_SLUGS.benchmark;
    const f = catalogue.find((p) => p.slug === S.product)!.subProducts[0].versions[0].files[0];
    const d = await f.blob.digests();
    return {
      productSlug: S.product,
      subProductSlug: S.largeFile,
      versionSlug: S.generated,
      fileName: f.name,
      size: f.blob.size(),
      sha256: d.sha256,
      md5: d.md5,
    };
  };

  // ---- control

  const configure = (patch: DownloadRuntimeOptions): void => {
    const parsed = downloadRuntimeOptionsSchema.parse(patch);
    const merged: DownloadRuntimeOptions = { ...options };
    for (const [k, val] of Object.entries(parsed)) {
      if (val !== undefined) (merged as Record<string, unknown>)[k] = val;
    }
    options = resolveOptions(merged);
    rebuildBucket();
  };

  const registerControl = (control: Router): void => {
    const readJson = async (r: RouteRequest): Promise<unknown> => {
      const raw = (await readBody(r.req)).toString('utf8');
      try {
        return raw.trim() === '' ? undefined : (JSON.parse(raw) as unknown);
      } catch {
        return undefined;
      }
    };
    control.post('/__sandbox/download/faults', async (r) => {
      const parsed = z
        .union([downloadFaultSpecSchema, z.array(downloadFaultSpecSchema)])
        .safeParse(await readJson(r));
      if (!parsed.success) {
        sendJson(r.res, 400, { message: 'invalid download fault spec', issues: parsed.error.issues });
        return;
      }
      const specs = Array.isArray(parsed.data) ? parsed.data : [parsed.data];
      sendJson(r.res, 201, { ids: specs.map((s) => faults.add(s)) });
    });
    control.get('/__sandbox/download/faults', ({ res }) => sendJson(res, 200, { faults: faults.list() }));
    control.delete('/__sandbox/download/faults', ({ res }) => {
      faults.clear();
      res.writeHead(204).end();
    });
    control.get('/__sandbox/download/options', ({ res }) => sendJson(res, 200, options));
    control.patch('/__sandbox/download/options', async (r) => {
      const parsed = downloadRuntimeOptionsSchema.safeParse(await readJson(r));
      if (!parsed.success) {
        sendJson(r.res, 400, { message: 'invalid download options', issues: parsed.error.issues });
        return;
      }
      configure(parsed.data);
      sendJson(r.res, 200, options);
    });
    control.get('/__sandbox/download/large-file', async ({ res }) => {
      const info = await largeFile();
      if (info) sendJson(res, 200, info);
      else sendJson(res, 404, { message: 'the sandbox was started without download.largeFileBytes' });
    });
  };

  return {
    get options() {
      return { ...options, presignedMethods: [...options.presignedMethods] };
    },
    configure,
    addFault: (spec) => faults.add(spec),
    clearFaults: (id) => faults.clear(id),
    listFaults: () => faults.list(),
    state,
    settled: async () => {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      return state();
    },
    largeFile,
    registerControl,
  };
}
