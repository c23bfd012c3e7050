/**
 * Loader for the LOINC table CSV (`LoincTable/Loinc.csv`, licensed; tested on fixtures): comma-
 * separated, every field quoted, a header row naming the columns (`LOINC_NUM`, `COMPONENT`, …,
 * `SHORTNAME`, `LONG_COMMON_NAME`, `STATUS`, …), UTF-8, CRLF; quoted fields may contain commas,
 * `""` and line breaks. Columns are found by name, so releases that add or move columns still load.
 */
import { forEachRecord } from './delimited';
import { decodeInput, newCounts, Rejections, resolveRelease } from './text';
import type { CodeEntry, LoaderInput, LoaderOptions, LoadResult } from './types';

/** LOINC code shape: 1–7 digits, a hyphen, one check digit. */
export const LOINC_CODE = /^[0-9]{1,7}-[0-9]$/;

/** Parts copied to `extra` when present (`CLASS` and the five axes besides the component). */
const PARTS = [
  'COMPONENT',
  'PROPERTY',
  'TIME_ASPCT',
  'SYSTEM',
  'SCALE_TYP',
  'METHOD_TYP',
  'CLASS',
  'DisplayName',
  'VersionLastChanged',
] as const;

/**
 * Loads a LOINC table CSV. `title` = `LONG_COMMON_NAME` (falling back to the fully specified name
 * built from the parts), `short` = `SHORTNAME`, `status` = `STATUS`; the release is taken from
 * options or the highest `VersionLastChanged`.
 */
export function loadLoincCsv(input: LoaderInput, options?: LoaderOptions): LoadResult {
  const text = decodeInput(input, 'utf-8');
  const counts = newCounts();
  const rejected = new Rejections(counts, options);
  const entries: CodeEntry[] = [];
  const seen = new Set<string>();
  let cols: Map<string, number> | undefined;
  let newest = '';
  counts.lines = forEachRecord(text, ',', (r) => {
    const line = r.fields.join(',');
    if (!cols) {
      cols = new Map(r.fields.map((f, i) => [f.trim(), i]));
      counts.skipped++;
      if (!cols.has('LOINC_NUM')) {
        rejected.add(r.line, 'header row has no LOINC_NUM column (not a LOINC table CSV)', line);
        cols = undefined;
        counts.skipped--;
      }
      return;
    }
    if (r.fields.length === 1 && r.fields[0] === '') {
      counts.skipped++;
      return;
    }
    if (r.problem) return rejected.add(r.line, r.problem, line);
    if (r.fields.length < cols.size)
      return rejected.add(r.line, `expected ${cols.size} fields, found ${r.fields.length}`, line);
    const get = (name: string): string => {
      const i = cols!.get(name);
      return i === undefined ? '' : (r.fields[i] ?? '').trim();
    };
    const code = get('LOINC_NUM');
    if (!LOINC_CODE.test(code)) return rejected.add(r.line, `'${code}' is not a LOINC code`, line);
    if (seen.has(code)) return rejected.add(r.line, `duplicate code ${code}`, line);
    const fsn = ['COMPONENT', 'PROPERTY', 'TIME_ASPCT', 'SYSTEM', 'SCALE_TYP', 'METHOD_TYP'].map(get);
    while (fsn.length > 5 && fsn[fsn.length - 1] === '') fsn.pop();
    const title = get('LONG_COMMON_NAME') || fsn.join(':');
    if (!title.replace(/:/g, '')) return rejected.add(r.line, 'no LONG_COMMON_NAME and no parts', line);
    seen.add(code);
    const extra: Record<string, string> = {};
    for (const p of PARTS) {
      const v = get(p);
      if (v) extra[p] = v;
    }
    const version = extra.VersionLastChanged;
    if (version && compareVersions(version, newest) > 0) newest = version;
    const short = get('SHORTNAME');
    const status = get('STATUS');
    entries.push({ code, title, ...(short ? { short } : {}), ...(status ? { status } : {}), extra });
  });
  counts.entries = entries.length;
  const release = resolveRelease(
    options?.release ? options : undefined,
    'loinc',
    'LOINC',
    '',
    newest || undefined,
  );
  return { system: 'loinc', release, entries, counts, rejected: rejected.list };
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
