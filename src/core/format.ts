/** Small formatting helpers shared by trees, progress and hovers. Pure. */

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** Human-readable size in decimal units (1 KB = 1000 B, as file managers on most systems show). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  let v = bytes;
  let u = 0;
  while (v >= 1000 && u < UNITS.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${v} B` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ${UNITS[u]}`;
}

/** Transfer rate, e.g. "8.4 MB/s". */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

/** Progress text: "12 MB of 50 MB (24%) · 8.4 MB/s"; without a total, just bytes and rate. */
export function formatProgress(received: number, total: number | undefined, bytesPerSecond: number): string {
  const rate = bytesPerSecond > 0 ? ` · ${formatRate(bytesPerSecond)}` : '';
  if (!total) return `${formatBytes(received)}${rate}`;
  const pct = Math.min(100, Math.floor((received / total) * 100));
  return `${formatBytes(received)} of ${formatBytes(total)} (${pct}%)${rate}`;
}

/**
 * Does a version-level filter match? Text matches names and slugs (case-insensitive substring);
 * a date prefix (`2025`, `2025-10`, `2025-10-01`) matches effective/launch dates that start with it;
 * `>=2024-01-01` / `<=2024-12-31` compare dates.
 */
export function matchesFilter(
  filter: string,
  texts: (string | undefined)[],
  dates: (string | undefined)[] = [],
): boolean {
  const f = filter.trim().toLowerCase();
  if (!f) return true;
  const cmp = /^(>=|<=|>|<)\s*(\d{4}(?:-\d{2}(?:-\d{2})?)?)$/.exec(f);
  if (cmp) {
    const [, op, bound] = cmp;
    return dates.some((d) => {
      if (!d) return false;
      const v = d.slice(0, bound.length);
      return op === '>=' ? v >= bound : op === '<=' ? v <= bound : op === '>' ? v > bound : v < bound;
    });
  }
  if (/^\d{4}(-\d{2}){0,2}$/.test(f) && dates.some((d) => d?.startsWith(f))) return true;
  return texts.some((t) => t?.toLowerCase().includes(f));
}
