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
  /**
   * Each code's row. Not built for a companion file whose codes so far are, row for row, the main
   * file's (`aligned`): the CMS short file lists the long file's codes in the same order, and
   * pairing them by position saves hashing every code again.
   */
  readonly rows: Map<string, number> | undefined;
  /** Whether `codes` is a prefix of the main file's codes (companion files only). */
  readonly aligned: boolean;
}

function readTitles(
  input: LoaderInput,
  kind: Icd9Kind,
  which: string,
  counts: Record<string, number>,
  rejected: Rejections,
  /** The main file's codes, when this is its companion. */
  main?: readonly string[],
): Titles {
  const text = decodeInput(input, 'latin1');
  const shape = kind === 'diagnoses' ? DX : SG;
  const codes: string[] = [];
  const titles: string[] = [];
  let aligned = main !== undefined;
  let rows: Map<string, number> | undefined = aligned ? undefined : new Map<string, number>();
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
    if (aligned) {
      // the main file's codes are unique, so a code in its place cannot be a duplicate
      if (main![codes.length] === code) {
        codes.push(code);
        titles.push(title);
        return;
      }
      aligned = false;
      rows = new Map<string, number>();
      for (let i = 0; i < codes.length; i++) rows.set(codes[i]!, i);
    }
    rows = rows!;
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
  return { codes, titles, rows, aligned };
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
  const s = short !== undefined ? readTitles(short, kind, 'short', counts, rejected, l.codes) : undefined;
  counts.lines = counts.longLines! + (counts.shortLines ?? 0);
  // the long file's columns and row map are extended in place with the codes only the short file has
  const { codes, titles } = l;
  const rows = l.rows!;
  const longCount = codes.length;
  // the short file's row of each long-file code (-1: none)
  const shortRow = new Int32Array(longCount).fill(-1);
  if (s?.aligned) {
    for (let i = 0; i < s.codes.length; i++) shortRow[i] = i;
  } else if (s) {
    for (let i = 0; i < longCount; i++) shortRow[i] = s.rows!.get(codes[i]!) ?? -1;
  }
  const shorts = new Array<string>(longCount);
  for (let i = 0; i < longCount; i++) {
    const st = shortRow[i]! < 0 ? undefined : s!.titles[shortRow[i]!]!;
    shorts[i] = st === undefined || st === titles[i] ? '' : st;
  }
  if (s) {
    counts.shortOnly = 0;
    // aligned: every short-file code is in its long-file place, so none is short-only
    for (let i = s.aligned ? s.codes.length : 0; i < s.codes.length; i++) {
      const code = s.codes[i]!;
      if (rows.has(code)) continue;
      rows.set(code, codes.length);
      codes.push(code);
      titles.push(s.titles[i]!);
      shorts.push('');
      counts.shortOnly++;
    }
    counts.longOnly = 0;
    for (let i = 0; i < longCount; i++) if (shortRow[i]! < 0) counts.longOnly++;
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
        i < longCount && shortRow[i]! >= 0
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
