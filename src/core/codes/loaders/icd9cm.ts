/**
 * Loader for the CMS ICD-9-CM description files (`CMS32_DESC_LONG_DX.txt`, `…_SHORT_DX.txt`,
 * `…_LONG_SG.txt`, `…_SHORT_SG.txt`): one code per line (no dot, padded with spaces to 5 for
 * diagnoses / 4 for procedures), a space, then the title. The long-diagnosis file is ISO-8859-1.
 */
import { decodeInput, forEachLine, isBlank, newCounts, Rejections, resolveRelease } from './text';
import type { CodeEntry, LoaderInput, LoaderOptions, LoadResult } from './types';

/** Which volume a file holds. */
export type Icd9Kind = 'diagnoses' | 'procedures';

const DX = /^(?:[0-9]{3,5}|V[0-9]{2,4}|E[0-9]{3,4})$/;
const SG = /^[0-9]{2,4}$/;

function readTitles(
  input: LoaderInput,
  kind: Icd9Kind,
  which: string,
  counts: Record<string, number>,
  rejected: Rejections,
): Map<string, string> {
  const text = decodeInput(input, 'latin1');
  const shape = kind === 'diagnoses' ? DX : SG;
  const titles = new Map<string, string>();
  counts[`${which}Lines`] = forEachLine(text, (line, n) => {
    if (isBlank(line)) {
      counts.skipped!++;
      return;
    }
    const sp = line.indexOf(' ');
    if (sp < 0) return rejected.add(n, `${which} file: no title after the code`, line);
    const code = line.slice(0, sp);
    const title = line.slice(sp + 1).trim();
    if (!shape.test(code))
      return rejected.add(
        n,
        `${which} file: '${code}' is not an ICD-9-CM ${kind === 'diagnoses' ? 'diagnosis' : 'procedure'} code`,
        line,
      );
    if (!title) return rejected.add(n, `${which} file: title is empty`, line);
    if (titles.has(code)) return rejected.add(n, `${which} file: duplicate code ${code}`, line);
    titles.set(code, title);
  });
  return titles;
}

/**
 * Loads an ICD-9-CM description file, optionally merged with its companion short-title file.
 * `long` gives `title`; `short` (when given) gives `short`; codes only in the short file are kept
 * with the short title as their title and counted in `counts.shortOnly`. Every code in these files is
 * billable (the files list valid codes only). Rejected lines are numbered within their own file.
 */
export function loadIcd9Cm(
  long: LoaderInput,
  kind: Icd9Kind,
  short?: LoaderInput,
  options?: LoaderOptions,
): LoadResult {
  const counts = newCounts();
  const rejected = new Rejections(counts, options);
  const longTitles = readTitles(long, kind, 'long', counts, rejected);
  const shortTitles = short !== undefined ? readTitles(short, kind, 'short', counts, rejected) : undefined;
  counts.lines = counts.longLines! + (counts.shortLines ?? 0);
  const entries: CodeEntry[] = [];
  for (const [code, title] of longTitles) {
    const s = shortTitles?.get(code);
    entries.push(
      s !== undefined ? { code, title, short: s, billable: true } : { code, title, billable: true },
    );
  }
  if (shortTitles) {
    counts.shortOnly = 0;
    counts.longOnly = 0;
    for (const [code, s] of shortTitles) {
      if (!longTitles.has(code)) {
        entries.push({ code, title: s, short: s, billable: true });
        counts.shortOnly++;
      }
    }
    for (const code of longTitles.keys()) if (!shortTitles.has(code)) counts.longOnly++;
  }
  counts.entries = entries.length;
  const system = kind === 'diagnoses' ? 'icd9cm-dx' : 'icd9cm-pcs';
  const label = kind === 'diagnoses' ? 'ICD-9-CM diagnoses' : 'ICD-9-CM procedures';
  const version = options?.fileName ? /CMS([0-9]{2})_/i.exec(options.fileName)?.[1] : undefined;
  const release =
    options?.release ??
    (version
      ? { id: `${system}-v${version}`, label: `${label} v${version}` }
      : resolveRelease(options, system, label, ''));
  return { system, release, entries, counts, rejected: rejected.list };
}
