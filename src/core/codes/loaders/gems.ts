/**
 * Loader for the CMS/CDC General Equivalence Mappings (`2018_I9gem.txt` ICD-9-CM → ICD-10-CM,
 * `2018_I10gem.txt` ICD-10-CM → ICD-9-CM): three whitespace-separated columns `source target flags`,
 * codes without dots, target `NoDx` / `NoPCS` when there is no mapping, flags = 5 digits
 * (approximate, no map, combination, scenario, choice list). Codes are upper-cased (the real
 * FY2018 ICD-10 → ICD-9 file has one lower-case target) and counted in `counts.caseNormalised`.
 */
import { decodeInput, forEachLine, isBlank, newCounts, Rejections, resolveRelease } from './text';
import type { CodeMapping, GemFlags, LoaderInput, LoaderOptions, LoadResult, MappingTarget } from './types';

/** Direction of a GEM file. */
export type GemDirection = 'icd9-to-icd10' | 'icd10-to-icd9';

/** Splits the 5-digit GEM flags column; `undefined` when it is not 5 digits. */
export function parseGemFlags(flags: string): GemFlags | undefined {
  if (!/^[01][01][01][0-9][0-9]$/.test(flags)) return undefined;
  return {
    approximate: flags[0] === '1',
    noMap: flags[1] === '1',
    combination: flags[2] === '1',
    scenario: Number(flags[3]),
    choiceList: Number(flags[4]),
  };
}

const CODE = /^[A-Z0-9]{3,7}$/;

/**
 * Loads a GEM file as `mappings` (one per source code, rows in file order). `system` is the source
 * system (`icd9cm-dx` or `icd10cm`); `entries` is empty (GEMs carry no titles).
 */
export function loadGem(input: LoaderInput, direction: GemDirection, options?: LoaderOptions): LoadResult {
  const text = decodeInput(input, 'ascii');
  const counts = newCounts();
  counts.rows = 0;
  counts.noMapRows = 0;
  counts.caseNormalised = 0;
  const rejected = new Rejections(counts, options);
  const bySource = new Map<string, { source: string; targets: MappingTarget[]; noMap: boolean }>();
  counts.lines = forEachLine(text, (line, n) => {
    if (isBlank(line)) {
      counts.skipped++;
      return;
    }
    const f = line.trim().split(/\s+/);
    if (f.length !== 3)
      return rejected.add(n, `expected 3 columns (source target flags), found ${f.length}`, line);
    const [rawSource, rawTarget, flagText] = f as [string, string, string];
    // The real FY2018 I10 GEM has one lower-case target (`T8853XD v5889`): codes are canonicalised.
    const source = rawSource.toUpperCase();
    const target = /^No(Dx|PCS)$/i.test(rawTarget) ? rawTarget : rawTarget.toUpperCase();
    if (source !== rawSource || target !== rawTarget) counts.caseNormalised++;
    if (!CODE.test(source)) return rejected.add(n, `'${source}' is not a code`, line);
    const flags = parseGemFlags(flagText);
    if (!flags) return rejected.add(n, `flags '${flagText}' are not 5 GEM flag digits`, line);
    const none = /^No(Dx|PCS)$/i.test(target);
    if (!none && !CODE.test(target)) return rejected.add(n, `'${target}' is not a code`, line);
    if (none !== flags.noMap)
      return rejected.add(
        n,
        none ? `target ${target} without the no-map flag` : 'no-map flag set on a row with a target',
        line,
      );
    let m = bySource.get(source);
    if (!m) {
      m = { source, targets: [], noMap: false };
      bySource.set(source, m);
    }
    counts.rows++;
    if (none) {
      m.noMap = true;
      counts.noMapRows++;
    } else {
      m.targets.push({ code: target, ...flags });
    }
  });
  const mappings: CodeMapping[] = [...bySource.values()];
  counts.sources = mappings.length;
  counts.targets = new Set(mappings.flatMap((m) => m.targets.map((t) => t.code))).size;
  const system = direction === 'icd9-to-icd10' ? 'icd9cm-dx' : 'icd10cm';
  const release = resolveRelease(
    options,
    `gem-${direction === 'icd9-to-icd10' ? 'i9-i10' : 'i10-i9'}`,
    `GEMs ${direction === 'icd9-to-icd10' ? 'ICD-9-CM → ICD-10-CM' : 'ICD-10-CM → ICD-9-CM'}`,
    'FY',
  );
  return { system, release, entries: [], mappings, counts, rejected: rejected.list };
}
