/**
 * Builds the code index from files on disk, or loads it from the persisted cache when the sources
 * have not changed. Shared by the extension (lazily, on first need) and the CLI.
 *
 * Sources: the public-domain sets bundled with the extension (brotli-compressed, with their SHA-256
 * in `sources.json`), downloaded release files (the Releases manifest) and folders the user lists.
 * The cache key is the SHA-256 of every source's kind and content hash; a user file's content hash
 * is remembered next to its size and mtime so an unchanged file is not hashed again.
 */

import { createHash } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';
import { promisify } from 'util';
import * as zlib from 'zlib';
import { CodeIndex } from '../core/codes/codeIndex';
import type { ReleaseDescriptor } from '../core/codes/codeIndex';
import { cacheKeyOf, deserializeIndex, INDEX_CACHE_FORMAT, serializeIndex } from '../core/codes/indexCache';
import type { LoadCounts, LoaderInput, RejectedLine } from '../core/codes/loaders/types';
import { icd9Companion, identifySource, singleByteCharset } from '../core/codes/sources';
import type { SourceId } from '../core/codes/sources';
import type * as LoadSourceModule from '../core/codes/loadSource';
import { readTextIfExists, writeTextAtomic } from './files';

const brotliDecompress = promisify(zlib.brotliDecompress);

/** Bump when a loader's output changes, so caches built by the old loader are rebuilt. */
const LOADERS_VERSION = 1;

/** The manifest the data build writes next to the bundled files (`scripts/build-data.mjs`). */
interface BundledManifest {
  readonly files: readonly {
    readonly name: string;
    /** Path under the data folder, e.g. `icd10pcs/order_addenda_2026.txt` (names the system where the file name does not). */
    readonly path: string;
    readonly file: string;
    readonly sha256: string;
  }[];
}

/** One file the index reads. */
export interface IndexSource {
  /** Absolute path on disk (a `.br` file for bundled sources). */
  readonly path: string;
  /** The publisher's file name, which names its kind and release. */
  readonly name: string;
  readonly id: SourceId;
  /** `bundled`, `download` or `folder`. */
  readonly origin: 'bundled' | 'download' | 'folder';
  /** SHA-256 of the (uncompressed) content, when already known. */
  readonly sha256?: string;
  /** The ICD-9-CM short-title companion of a long-title file. */
  readonly companion?: IndexSource;
}

/** What loading one source reported. */
export interface SourceReport {
  readonly name: string;
  readonly origin: IndexSource['origin'];
  readonly release?: string;
  readonly counts?: LoadCounts;
  readonly rejected?: readonly RejectedLine[];
  /** Set when the file could not be read or parsed; the rest of the index still loads. */
  readonly error?: string;
  readonly ms: number;
}

export interface LoadedIndex {
  readonly index: CodeIndex;
  readonly fromCache: boolean;
  readonly key: string;
  readonly ms: number;
  readonly sources: readonly IndexSource[];
  /** Per-source reports of a build (empty when loaded from the cache). */
  readonly reports: readonly SourceReport[];
  readonly releases: readonly ReleaseDescriptor[];
}

export interface LoadIndexOptions {
  readonly sources: readonly IndexSource[];
  /** Where the cache lives; no cache is read or written when absent. */
  readonly cacheFile?: string;
  /** Ignore an existing cache and rebuild. */
  readonly rebuild?: boolean;
  readonly signal?: AbortSignal;
}

/** The bundled sources described by `<dir>/sources.json`; empty when the folder has none. */
export async function bundledSources(dir: string): Promise<IndexSource[]> {
  const text = await readTextIfExists(path.join(dir, 'sources.json'));
  if (text === undefined) return [];
  const manifest = JSON.parse(text) as BundledManifest;
  return pairCompanions(
    manifest.files.flatMap((f) => {
      const id = identifySource(f.path);
      return id
        ? [{ path: path.join(dir, f.file), name: f.name, id, origin: 'bundled' as const, sha256: f.sha256 }]
        : [];
    }),
  );
}

/**
 * Recognised release files among `files` (paths) and inside `folders` (searched two levels deep),
 * in a stable order. Unreadable folders are skipped.
 */
export async function fileSources(
  files: readonly string[],
  folders: readonly string[],
  origin: 'download' | 'folder',
): Promise<IndexSource[]> {
  const found = new Set<string>(files.map((f) => path.resolve(f)));
  const walk = async (dir: string, depth: number): Promise<void> => {
    let entries: import('fs').Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && depth > 0 && !e.name.startsWith('.')) await walk(p, depth - 1);
      else if (e.isFile()) found.add(p);
    }
  };
  for (const folder of folders) await walk(path.resolve(folder), 2);
  const out: IndexSource[] = [];
  for (const p of [...found].sort()) {
    const head = await readHead(p);
    if (head === undefined) continue;
    const id = identifySource(p, head);
    if (id) out.push({ path: p, name: path.basename(p), id, origin });
  }
  return pairCompanions(out);
}

async function readHead(file: string): Promise<string | undefined> {
  let handle: import('fs/promises').FileHandle | undefined;
  try {
    handle = await fs.open(file, 'r');
    const buf = Buffer.alloc(8192);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead).toString('latin1');
  } catch {
    return undefined;
  } finally {
    await handle?.close();
  }
}

/** Attaches ICD-9-CM short-title files to their long-title files and drops them from the list. */
function pairCompanions(sources: IndexSource[]): IndexSource[] {
  const byName = new Map(sources.map((s) => [s.name.toLowerCase(), s]));
  const used = new Set<IndexSource>();
  const out: IndexSource[] = [];
  for (const s of sources) {
    const companionName = icd9Companion(s.name)?.toLowerCase();
    const companion = companionName ? byName.get(companionName) : undefined;
    if (companion) used.add(companion);
    out.push(companion ? { ...s, companion } : s);
  }
  return out.filter((s) => !used.has(s) && !/short/.test(s.id.kind));
}

async function readSource(source: IndexSource): Promise<Buffer> {
  const raw = await fs.readFile(source.path);
  return source.path.endsWith('.br') ? brotliDecompress(raw) : raw;
}

/**
 * The cache text: it holds only characters up to U+00FF (serializeIndex escapes the rest), so it is
 * stored and read as Latin-1, one byte per character, with no UTF-8 decoding.
 */
export function readCacheText(file: string): Promise<string | undefined> {
  return readTextIfExists(file, 'latin1');
}

/**
 * Single-byte files (ASCII, Latin-1, Windows-1252) are decoded natively here, as Latin-1 (a
 * Windows-1252 loader reads the C1 controls as Windows-1252 itself); the others go to their loader
 * as bytes.
 */
export function loaderInput(source: IndexSource, data: Buffer): LoaderInput {
  return singleByteCharset(source.id.kind) === undefined ? data : data.toString('latin1');
}

function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Content hashes of user files, remembered by path, size and mtime (kept next to the cache). */
type HashMemo = Record<string, { size: number; mtimeMs: number; sha256: string }>;

async function contentHash(source: IndexSource, memo: HashMemo, fresh: HashMemo): Promise<string> {
  if (source.sha256) return source.sha256;
  let st: import('fs').Stats;
  try {
    st = await fs.stat(source.path);
  } catch (e) {
    // an unreadable source is reported by the build, it must not stop the whole index
    return `unreadable:${(e as NodeJS.ErrnoException).code ?? String(e)}`;
  }
  const known = memo[source.path];
  let hash: string;
  if (known && known.size === st.size && known.mtimeMs === st.mtimeMs) hash = known.sha256;
  else {
    try {
      hash = sha256(await fs.readFile(source.path));
    } catch (e) {
      return `unreadable:${(e as NodeJS.ErrnoException).code ?? String(e)}`;
    }
  }
  fresh[source.path] = { size: st.size, mtimeMs: st.mtimeMs, sha256: hash };
  return hash;
}

/** The cache key of a set of sources: changes when any source's content, kind or the format changes. */
export async function sourcesKey(
  sources: readonly IndexSource[],
  memoFile?: string,
): Promise<{ key: string; memo: HashMemo }> {
  const memo = memoFile ? ((await readJson<HashMemo>(memoFile)) ?? {}) : {};
  const fresh: HashMemo = {};
  const parts: string[] = [];
  for (const s of sources) {
    parts.push(`${s.id.kind}:${s.id.system ?? ''}:${s.name}:${await contentHash(s, memo, fresh)}`);
    if (s.companion) parts.push(`+${s.companion.name}:${await contentHash(s.companion, memo, fresh)}`);
  }
  parts.sort();
  return { key: sha256(`${INDEX_CACHE_FORMAT}/${LOADERS_VERSION}\n${parts.join('\n')}`), memo: fresh };
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    const text = await readTextIfExists(file);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  } catch {
    return undefined;
  }
}

/** Builds an index from the sources, in order (later sources of the same release add what earlier lacked). */
export async function buildIndex(
  sources: readonly IndexSource[],
  signal?: AbortSignal,
): Promise<{ index: CodeIndex; reports: SourceReport[] }> {
  const index = new CodeIndex();
  const reports: SourceReport[] = [];
  // The loaders are needed only here (a stale or missing cache): the extension bundle keeps them in a
  // chunk of their own, loaded by this require on first use (esbuild.js, lazyChunks).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { loadSource } = require('../core/codes/loadSource') as typeof LoadSourceModule;
  // order files before code files and addenda, so titles and header rows come from the fullest file
  const rank = (s: IndexSource): number =>
    /addenda|conversion|gem/.test(s.id.kind) ? 2 : /codes/.test(s.id.kind) ? 1 : 0;
  for (const source of [...sources].sort((a, b) => rank(a) - rank(b))) {
    signal?.throwIfAborted();
    const started = performance.now();
    try {
      const bytes = loaderInput(source, await readSource(source));
      const companion = source.companion
        ? loaderInput(source.companion, await readSource(source.companion))
        : undefined;
      const result = loadSource(source.id, bytes, source.name, companion);
      if (!result) continue;
      index.add(result, { source: source.origin === 'bundled' ? 'bundled' : source.name });
      reports.push({
        name: source.name,
        origin: source.origin,
        release: result.release.id,
        counts: result.counts,
        rejected: result.rejected.slice(0, 20),
        ms: performance.now() - started,
      });
    } catch (e) {
      reports.push({
        name: source.name,
        origin: source.origin,
        error: e instanceof Error ? e.message : String(e),
        ms: performance.now() - started,
      });
    }
    // let other work (the editor's, in the extension host) run between files
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { index, reports };
}

/**
 * The index for `sources`: from the cache when its key matches, else built and then cached
 * (atomically; a failed write only costs the next start a rebuild).
 */
export async function loadIndex(options: LoadIndexOptions): Promise<LoadedIndex> {
  const started = performance.now();
  const memoFile = options.cacheFile ? `${options.cacheFile}.hashes.json` : undefined;
  const { key, memo } = await sourcesKey(options.sources, memoFile);
  if (options.cacheFile && !options.rebuild) {
    const text = await readCacheText(options.cacheFile).catch(() => undefined);
    if (text !== undefined && cacheKeyOf(text) === key) {
      try {
        const { index } = deserializeIndex(text);
        return {
          index,
          fromCache: true,
          key,
          ms: performance.now() - started,
          sources: options.sources,
          reports: [],
          releases: index.releases(),
        };
      } catch {
        // a damaged cache is rebuilt below
      }
    }
  }
  const { index, reports } = await buildIndex(options.sources, options.signal);
  if (options.cacheFile) {
    try {
      await writeTextAtomic(options.cacheFile, serializeIndex(index, key), 'latin1');
      if (memoFile) await writeTextAtomic(memoFile, JSON.stringify(memo));
    } catch {
      // read-only storage: the index still works, it is rebuilt next time
    }
  }
  return {
    index,
    fromCache: false,
    key,
    ms: performance.now() - started,
    sources: options.sources,
    reports,
    releases: index.releases(),
  };
}
