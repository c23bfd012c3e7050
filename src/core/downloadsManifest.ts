/**
 * The downloads manifest (issue 4 §3): one JSON file in the extension's global storage listing every
 * completed download — which product / sub-product / version it came from, where it lies, its size
 * and sha256. The "Downloaded" view shows it and the code index reads it to find the newest local
 * copy of a code set (e.g. ICD-10-CM), so this module is the small typed API both share.
 *
 * Everything here is pure: the caller reads and writes the file. Manifests are immutable values —
 * every change returns a new one.
 */
import * as z from 'zod/mini';

/** The manifest format this code writes. */
export const MANIFEST_SCHEMA_VERSION = 1;

/** A product or sub-product as the Download API names it. */
export interface CatalogRef {
  slug: string;
  name: string;
}

/** A version of a sub-product. */
export interface VersionRef extends CatalogRef {
  /** `effective_date` as the API sends it (`YYYY-MM-DD`), when known. */
  effectiveDate?: string;
}

/** One completed download. */
export interface DownloadRecord {
  product: CatalogRef;
  subProduct: CatalogRef;
  version: VersionRef;
  /** The file name on disk (already sanitised). */
  fileName: string;
  /** Absolute path of the file; the key of the record. */
  path: string;
  /** Size in bytes. */
  size: number;
  /** Lower-case hex sha256 of the file's bytes. */
  sha256: string;
  /** When the download completed, ISO 8601 (`Date.prototype.toISOString`). */
  downloadedAt: string;
  /** The Download API's file `id`, when known. */
  sourceFileId?: string;
}

/** The whole manifest file. */
export interface DownloadsManifest {
  schemaVersion: 1;
  downloads: DownloadRecord[];
}

/** What {@link parseManifest} found. */
export interface ParsedManifest {
  /** The records that could be read (empty when the file was unreadable). */
  manifest: DownloadsManifest;
  /** One sentence per thing that was wrong (for the log; the manifest is still usable). */
  problems: string[];
  /**
   * The file says it was written by a newer version of the extension. Records that look like
   * version 1 were kept, but saving this manifest back would drop what the newer version added, so
   * a caller should not overwrite the file without asking.
   */
  fromNewerVersion: boolean;
}

const ref = z.object({ slug: z.string(), name: z.string() });

const recordSchema = z.object({
  product: ref,
  subProduct: ref,
  version: z.object({ slug: z.string(), name: z.string(), effectiveDate: z.optional(z.string()) }),
  fileName: z.string().check(z.minLength(1)),
  path: z.string().check(z.minLength(1)),
  size: z.number().check(z.int(), z.nonnegative()),
  sha256: z.string().check(z.regex(/^[0-9a-f]{64}$/, 'a sha256 in lower-case hex')),
  downloadedAt: z.string().check(z.refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO date and time')),
  sourceFileId: z.optional(z.string()),
});

const envelopeSchema = z.object({
  schemaVersion: z.number().check(z.int(), z.positive()),
  downloads: z.array(z.unknown()),
});

/** A manifest with no downloads. */
export function emptyManifest(): DownloadsManifest {
  return { schemaVersion: MANIFEST_SCHEMA_VERSION, downloads: [] };
}

/**
 * Reads a manifest file's text. Never throws: a missing (empty) file is an empty manifest; a corrupt
 * file is an empty manifest plus a problem; entries that do not match the schema are skipped, each
 * with a problem; a second entry for the same path replaces the first.
 */
export function parseManifest(text: string): ParsedManifest {
  const problems: string[] = [];
  const empty = (problem: string): ParsedManifest => ({
    manifest: emptyManifest(),
    problems: [problem],
    fromNewerVersion: false,
  });
  if (text.trim() === '') return { manifest: emptyManifest(), problems, fromNewerVersion: false };

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return empty(`The downloads manifest is not valid JSON (${e instanceof Error ? e.message : String(e)}).`);
  }
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) {
    return empty(
      `The downloads manifest has an unexpected shape (${describeIssues(envelope.error.issues)}).`,
    );
  }
  const fromNewerVersion = envelope.data.schemaVersion > MANIFEST_SCHEMA_VERSION;
  if (fromNewerVersion) {
    problems.push(
      `The downloads manifest was written by a newer version of the extension (format ${envelope.data.schemaVersion}); only the entries this version understands are shown.`,
    );
  }

  let manifest = emptyManifest();
  envelope.data.downloads.forEach((entry, index) => {
    const r = recordSchema.safeParse(entry);
    if (r.success) manifest = recordDownload(manifest, r.data);
    else
      problems.push(
        `Entry ${index + 1} of the downloads manifest was skipped (${describeIssues(r.error.issues)}).`,
      );
  });
  return { manifest, problems, fromNewerVersion };
}

/** The manifest as file text (pretty JSON, newline-terminated). */
export function serializeManifest(m: DownloadsManifest): string {
  return `${JSON.stringify(m, null, 2)}\n`;
}

/**
 * A manifest with `r` added. An existing record with the same `path` is replaced (re-downloading a
 * file over itself); the new record goes last. Paths are compared exactly as given.
 */
export function recordDownload(m: DownloadsManifest, r: DownloadRecord): DownloadsManifest {
  return { ...m, downloads: [...m.downloads.filter((d) => d.path !== r.path), r] };
}

/** A manifest without the record for `path` (unchanged when there is none). */
export function removeDownload(m: DownloadsManifest, path: string): DownloadsManifest {
  return { ...m, downloads: m.downloads.filter((d) => d.path !== path) };
}

/**
 * The downloads of one product (and sub-product, when given), newest first: by version effective
 * date descending (records without one last), then by download time descending. `[0]` is the copy
 * the code index should load.
 */
export function latestBy(
  m: DownloadsManifest,
  productSlug: string,
  subProductSlug?: string,
): DownloadRecord[] {
  return m.downloads
    .filter(
      (d) =>
        d.product.slug === productSlug &&
        (subProductSlug === undefined || d.subProduct.slug === subProductSlug),
    )
    .sort((a, b) => {
      const ea = a.version.effectiveDate;
      const eb = b.version.effectiveDate;
      if (ea !== eb) {
        if (ea === undefined) return 1;
        if (eb === undefined) return -1;
        return ea < eb ? 1 : -1;
      }
      return Date.parse(b.downloadedAt) - Date.parse(a.downloadedAt);
    });
}

function describeIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string {
  return issues
    .slice(0, 3)
    .map((i) => `${i.path.length > 0 ? i.path.map(String).join('.') : 'root'}: ${i.message}`)
    .join('; ');
}
