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

/** The codes of one file in file order, their titles, and each code's row. */
interface Titles {
  readonly codes: string[];
  readonly titles: string[];
  readonly rows: Map<string, number>;
}

function readTitles(
  input: LoaderInput,
  kind: Icd9Kind,
  which: string,
  counts: Record<string, number>,
  rejected: Rejections,
): Titles {
  const text = decodeInput(input, 'latin1');
  const shape = kind === 'diagnoses' ? DX : SG;
  const codes: string[] = [];
  const titles: string[] = [];
  const rows = new Map<string, number>();
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
    // one hash of the code: set, and see from the size whether it was already there
    const before = rows.size;
    rows.set(code, codes.length);
    if (rows.size === before) {
      rows.set(code, codes.indexOf(code)); // the first line keeps the code
      return rejected.add(n, `${which} file: duplicate code ${code}`, line);
    }
    codes.push(code);
    titles.push(title);
  });
  return { codes, titles, rows };
}

/**
 * Loads an ICD-9-CM description file, optionally merged with its companion short-title file.
 * `long` gives `title`; `short` (when given) gives `short`; codes only in the short file are kept
 * with the short title as their title and counted in `counts.shortOnly`. Every code in these files is
 * billable (the files list valid codes only). Rejected lines are numbered within their own file.
 * The rows come as columns (long-file codes first, then short-only ones) that the index adopts.
 */
export function loadIcd9Cm(
  long: LoaderInput,
  kind: Icd9Kind,
  short?: LoaderInput,
  options?: LoaderOptions,
): LoadResult {
  const counts = newCounts();
  const rejected = new Rejections(counts, options);
  const l = readTitles(long, kind, 'long', counts, rejected);
  const s = short !== undefined ? readTitles(short, kind, 'short', counts, rejected) : undefined;
  counts.lines = counts.longLines! + (counts.shortLines ?? 0);
  // the long file's columns and row map are extended in place with the codes only the short file has
  const { codes, titles, rows } = l;
  const longCount = codes.length;
  const shorts = new Array<string>(longCount);
  for (let i = 0; i < longCount; i++) {
    const row = s?.rows.get(codes[i]!);
    const st = row === undefined ? undefined : s!.titles[row]!;
    shorts[i] = st === undefined || st === titles[i] ? '' : st;
  }
  if (s) {
    counts.shortOnly = 0;
    for (let i = 0; i < s.codes.length; i++) {
      const code = s.codes[i]!;
      if (rows.has(code)) continue;
      rows.set(code, codes.length);
      codes.push(code);
      titles.push(s.titles[i]!);
      shorts.push('');
      counts.shortOnly++;
    }
    counts.longOnly = 0;
    for (let i = 0; i < longCount; i++) if (!s.rows.has(codes[i]!)) counts.longOnly++;
  }
  const billable = new Uint8Array(codes.length).fill(1);
  let entries: CodeEntry[] | undefined;
  counts.entries = codes.length;
  const system = kind === 'diagnoses' ? 'icd9cm-dx' : 'icd9cm-pcs';
  const label = kind === 'diagnoses' ? 'ICD-9-CM diagnoses' : 'ICD-9-CM procedures';
  const version = options?.fileName ? /CMS([0-9]{2})_/i.exec(options.fileName)?.[1] : undefined;
  const release =
    options?.release ??
    (version
      ? { id: `${system}-v${version}`, label: `${label} v${version}` }
      : resolveRelease(options, system, label, ''));
  return {
    system,
    release,
    get entries(): CodeEntry[] {
      entries ??= codes.map((code, i) =>
        i < longCount && s?.rows.has(code)
          ? { code, title: titles[i]!, short: shorts[i] || titles[i]!, billable: true }
          : i >= longCount
            ? { code, title: titles[i]!, short: titles[i]!, billable: true }
            : { code, title: titles[i]!, billable: true },
      );
      return entries;
    },
    columns: { codes, titles, shorts, billable },
    rows,
    counts,
    rejected: rejected.list,
  };
}
