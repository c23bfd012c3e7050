/**
 * The CLI's code index: bundled sets (found next to the script), `--index` files and folders, the
 * persisted cache, and the `--release` choices.
 */

import { createHash } from 'crypto';
import { existsSync, promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { CodeIndex, ReleaseDescriptor } from '../core/codes/codeIndex';
import { CODE_SYSTEM_LABELS, isCodeSystem, systemsForKeyword } from '../core/codes/systems';
import type { CodeSystem } from '../core/codes/systems';
import { bundledSources, fileSources, loadIndex } from '../node/codeIndexLoader';
import type { IndexSource, LoadedIndex } from '../node/codeIndexLoader';
import { CliError, UsageError } from './args';
import type { IndexOptions } from './args';

/** Where the bundled data is: `dist/data` next to `dist/cli.js`, or `<repo>/dist/data` from source. */
export function bundledDataDir(scriptDir: string): string | undefined {
  const candidates = [path.join(scriptDir, 'data'), path.join(scriptDir, '..', 'dist', 'data')];
  return candidates.find((dir) => existsSync(path.join(dir, 'sources.json')));
}

/**
 * The default cache file: `$CLINICAL_CODER_CACHE`, else `$XDG_CACHE_HOME/clinical-coder/index.json`,
 * else `~/.cache/clinical-coder/index.json`.
 */
export function defaultCacheFile(env: NodeJS.ProcessEnv): string {
  if (env.CLINICAL_CODER_CACHE) return path.resolve(env.CLINICAL_CODER_CACHE);
  const base = env.XDG_CACHE_HOME ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(base, 'clinical-coder', 'index.json');
}

/**
 * The default cache file for a set of sources. The bundled sets alone use `index.json`; another set
 * (`--index`, `--no-bundled`) gets its own file (`index-<hash>.json`) so that runs with and without
 * extra files do not keep rebuilding each other's cache.
 */
function cacheFileFor(base: string, options: IndexOptions, extra: readonly string[]): string {
  if (extra.length === 0 && options.bundled) return base;
  const hash = createHash('sha256')
    .update(JSON.stringify({ bundled: options.bundled, extra: [...extra].sort() }))
    .digest('hex')
    .slice(0, 12);
  const ext = path.extname(base);
  return `${base.slice(0, base.length - ext.length)}-${hash}${ext || '.json'}`;
}

export interface CliIndex extends LoadedIndex {
  /** The cache file used, if any. */
  readonly cacheFile?: string;
  /** Warnings for stderr (unreadable sources, missing bundled data…). */
  readonly warnings: readonly string[];
}

/** Loads the index as the options say. Throws {@link CliError} / {@link UsageError} for bad input. */
export async function loadCliIndex(
  options: IndexOptions,
  scriptDir: string,
  env: NodeJS.ProcessEnv,
): Promise<CliIndex> {
  const warnings: string[] = [];
  const requested = parseReleaseChoices(options.releases);
  const sources: IndexSource[] = [];
  if (options.bundled) {
    const dir = bundledDataDir(scriptDir);
    if (dir) sources.push(...(await bundledSources(dir)));
    else
      warnings.push('the bundled code sets were not found (build them with `node scripts/build-data.mjs`)');
  }
  const files: string[] = [];
  const folders: string[] = [];
  for (const p of options.index) {
    let st: import('fs').Stats;
    try {
      st = await fs.stat(p);
    } catch (e) {
      throw new CliError(`--index ${p}: ${describeIoError(e)}`);
    }
    (st.isDirectory() ? folders : files).push(path.resolve(p));
  }
  if (files.length + folders.length > 0) {
    const found = await fileSources(files, folders, 'folder');
    for (const f of files) {
      if (!found.some((s) => s.path === f || s.companion?.path === f))
        warnings.push(`--index ${path.relative('.', f) || f}: not a release file clinical-coder can read`);
    }
    for (const d of folders) {
      if (!found.some((s) => s.path.startsWith(d + path.sep)))
        warnings.push(`--index ${path.relative('.', d) || d}: no release files found in this folder`);
    }
    sources.push(...found);
  }
  if (sources.length === 0) warnings.push('no code sets loaded: every code will be unknown');

  const cacheFile = options.noCache
    ? undefined
    : options.cache !== undefined
      ? path.resolve(options.cache)
      : cacheFileFor(defaultCacheFile(env), options, [...files, ...folders]);
  const loaded = await loadIndex({ sources, ...(cacheFile ? { cacheFile } : {}), rebuild: options.rebuild });
  for (const r of loaded.reports) if (r.error) warnings.push(`${r.name}: ${r.error}`);
  applyReleaseChoices(loaded.index, requested);
  return { ...loaded, ...(cacheFile ? { cacheFile } : {}), warnings };
}

interface ReleaseChoice {
  readonly raw: string;
  /** `undefined` when only an id was given (`--release icd10cm-FY2025`). */
  readonly systems?: readonly CodeSystem[];
  readonly id: string;
}

/** The systems a `--release`/lookup prefix names: an id (`icd9cm-dx`) or a common name (`ICD-10-CM`, `icd9`). */
export function systemsNamed(name: string): readonly CodeSystem[] | undefined {
  const n = name.trim().toLowerCase();
  if (isCodeSystem(n)) return [n];
  const byKeyword = systemsForKeyword(n);
  if (byKeyword) return n === 'hcpcs' ? ['hcpcs'] : byKeyword;
  for (const [system, label] of Object.entries(CODE_SYSTEM_LABELS) as [CodeSystem, string][]) {
    if (label.toLowerCase() === n) return [system];
  }
  if (n === 'icd9cm-pcs' || n === 'icd9-proc') return ['icd9cm-proc'];
  if (n === 'icd9-dx') return ['icd9cm-dx'];
  if (n === 'snomedct') return ['snomed'];
  return undefined;
}

function parseReleaseChoices(values: readonly string[]): ReleaseChoice[] {
  return values.map((raw) => {
    const eq = raw.indexOf('=');
    if (eq < 0) {
      if (raw.trim() === '') throw new UsageError("'--release' needs SYSTEM=ID");
      return { raw, id: raw.trim() };
    }
    const systems = systemsNamed(raw.slice(0, eq));
    if (!systems) throw new UsageError(`--release ${raw}: unknown code system '${raw.slice(0, eq)}'`);
    const id = raw.slice(eq + 1).trim();
    if (id === '') throw new UsageError(`--release ${raw}: no release id after '='`);
    return { raw, systems, id };
  });
}

/** Sets the active releases; an unknown one is a usage error that lists the loaded releases. */
function applyReleaseChoices(index: CodeIndex, choices: readonly ReleaseChoice[]): void {
  for (const choice of choices) {
    const candidates = choice.systems ? choice.systems.flatMap((s) => index.releases(s)) : index.releases();
    const wanted = choice.id.toLowerCase();
    const release =
      candidates.find((r) => r.id.toLowerCase() === wanted) ??
      candidates.find((r) => r.version.toLowerCase() === wanted);
    if (!release) {
      const list = (candidates.length > 0 ? candidates : index.releases()).map(
        (r) => `  ${r.id}  (${r.label})`,
      );
      const scope = choice.systems
        ? ` of ${choice.systems.map((s) => CODE_SYSTEM_LABELS[s]).join(' / ')}`
        : '';
      throw new CliError(
        `--release ${choice.raw}: no loaded release${scope} has id '${choice.id}'.\n` +
          (list.length > 0
            ? `Loaded releases${candidates.length > 0 ? scope : ''}:\n${list.join('\n')}`
            : 'No releases are loaded.'),
      );
    }
    index.setActive(release.system, release.id);
  }
}

/** A short reason for a failed file operation (`no such file`, `permission denied`…). */
export function describeIoError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'not a directory';
    default:
      return e instanceof Error ? e.message : String(e);
  }
}

/** The releases as the `releases` command shows them. */
export function releaseRows(index: CodeIndex): (ReleaseDescriptor & { active: boolean })[] {
  return index.releases().map((r) => ({ ...r, active: index.activeRelease(r.system)?.id === r.id }));
}
