/**
 * Loader for the CDC CVX code table (`cvx.txt`): pipe-delimited, no header, 7 fields —
 * `code (space-padded) | short description | full vaccine name | notes | status | nonvaccine | last updated (yyyy/mm/dd)`.
 */
import { decodeInput, forEachLine, isBlank, newCounts, Rejections, resolveRelease } from './text';
import type { CodeEntry, LoaderInput, LoaderOptions, LoadResult } from './types';

const STATUSES = new Set(['Active', 'Inactive', 'Never Active', 'Non-US', 'Pending']);

/**
 * Loads a CVX table. `title` is the full vaccine name, `short` the short description, `status` the
 * CDC status; `extra` holds `notes`, `nonvaccine` (`True`/`False`) and `lastUpdated` (ISO date).
 * The release is the newest last-updated date unless given.
 */
export function loadCvx(input: LoaderInput, options?: LoaderOptions): LoadResult {
  const text = decodeInput(input, 'windows-1252');
  const counts = newCounts();
  const rejected = new Rejections(counts, options);
  const entries: CodeEntry[] = [];
  const seen = new Set<string>();
  let newest = '';
  counts.lines = forEachLine(text, (line, n) => {
    if (isBlank(line)) {
      counts.skipped++;
      return;
    }
    const f = line.split('|');
    if (f.length !== 7) return rejected.add(n, `expected 7 pipe-separated fields, found ${f.length}`, line);
    const code = f[0]!.trim();
    if (/^cvx/i.test(code)) {
      counts.skipped++; // a header row, as in some CDC exports
      return;
    }
    if (!/^[0-9]{1,3}$/.test(code)) return rejected.add(n, `'${code}' is not a CVX code (1-3 digits)`, line);
    const status = f[4]!.trim();
    if (!STATUSES.has(status)) return rejected.add(n, `unknown status '${status}'`, line);
    const full = f[2]!.trim();
    const short = f[1]!.trim();
    if (!full && !short) return rejected.add(n, 'both descriptions are empty', line);
    if (seen.has(code)) return rejected.add(n, `duplicate code ${code}`, line);
    seen.add(code);
    const extra: Record<string, string> = { nonvaccine: f[5]!.trim() };
    const notes = f[3]!.trim();
    if (notes) extra.notes = notes;
    const d = /^([0-9]{4})\/([0-9]{2})\/([0-9]{2})$/.exec(f[6]!.trim());
    if (d) {
      extra.lastUpdated = `${d[1]}-${d[2]}-${d[3]}`;
      if (extra.lastUpdated > newest) newest = extra.lastUpdated;
    }
    entries.push({ code, title: full || short, short, status, extra });
    const key = `status:${status}`;
    counts[key] = (counts[key] ?? 0) + 1;
  });
  counts.entries = entries.length;
  const release = resolveRelease(
    options?.release || options?.fileName ? options : undefined,
    'cvx',
    'CVX',
    '',
    newest || undefined,
  );
  return { system: 'cvx', release, entries, counts, rejected: rejected.list };
}
