/**
 * Shared helpers for the code-file loaders: decoding bytes with the format's charset, walking lines
 * without copying the whole file, inferring a release from a file name, and collecting rejected lines.
 */
import type { LoadCounts, LoaderInput, LoaderOptions, RejectedLine, ReleaseInfo } from './types';

/** Charsets the reference files use. `ascii` files are decoded with the native UTF-8 decoder (a superset). */
export type SourceCharset = 'ascii' | 'latin1' | 'windows-1252' | 'utf-8';

/**
 * Returns the text of `input`: strings are returned as they are (a leading BOM removed); bytes are
 * decoded with `charset` (`windows-1252` maps 0x80–0x9F to `’`, `€`…; `latin1` maps them to C1 controls;
 * `ascii` is decoded as UTF-8, so a stray non-ASCII byte becomes U+FFFD rather than an error).
 * A `windows-1252` string may be Latin-1-decoded bytes (see `singleByteCharset`): its C1 controls,
 * which decoded Windows-1252 text never holds, are read as the Windows-1252 characters.
 */
export function decodeInput(input: LoaderInput, charset: SourceCharset): string {
  let text: string;
  if (typeof input === 'string') {
    text = charset === 'windows-1252' ? windows1252FromLatin1(input) : input;
  } else if (charset === 'latin1') {
    text = decodeLatin1(input);
  } else if (charset === 'windows-1252') {
    text = decodeWindows1252(input);
  } else {
    // ASCII is a subset of UTF-8, whose decoder is native and fast.
    text = new TextDecoder('utf-8').decode(input);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Decodes ISO-8859-1 exactly (every byte is the code point of the same value). `TextDecoder('latin1')`
 * is not used because the WHATWG encoding standard maps that label to windows-1252.
 */
export function decodeLatin1(bytes: Uint8Array): string {
  const parts: string[] = [];
  const CHUNK = 8192;
  for (let i = 0; i < bytes.length; i += CHUNK) {
    parts.push(String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK) as unknown as number[]));
  }
  return parts.join('');
}

/** Windows-1252 characters for bytes 0x80–0x9F (the five unassigned bytes map to themselves, as in WHATWG). */
const CP1252_HIGH =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

/**
 * Decodes Windows-1252 exactly. Done by hand because Node's `TextDecoder('windows-1252')` decodes
 * as ISO-8859-1 in some versions (0x92 stays U+0092 instead of becoming `’`).
 */
export function decodeWindows1252(bytes: Uint8Array): string {
  return windows1252FromLatin1(decodeLatin1(bytes));
}

/**
 * Re-reads text decoded as ISO-8859-1 as Windows-1252: only 0x80–0x9F differ (`’`, `€`…). Lets a
 * caller with a native Latin-1 decoder (Node's Buffer) skip the JavaScript byte loop.
 */
export function windows1252FromLatin1(text: string): string {
  // One pass that copies nothing when no such byte occurs (a test, then a replace, costs two passes
  // and a full copy; the HCPCS file has a single one in 2.7 MB).
  const high = /[\u0080-\u009f]/g;
  let out = '';
  let last = 0;
  for (let m = high.exec(text); m !== null; m = high.exec(text)) {
    out += text.slice(last, m.index) + CP1252_HIGH[text.charCodeAt(m.index) - 0x80]!;
    last = m.index + 1;
  }
  return last === 0 ? text : out + text.slice(last);
}

/**
 * Calls `fn(line, lineNumber, start)` for every line of `text` (`\n` or `\r\n`; `lineNumber` 1-based,
 * `start` the line's offset in `text`), in linear time. A final empty line after the last newline is
 * not reported. Returns the number of lines.
 */
export function forEachLine(
  text: string,
  fn: (line: string, lineNumber: number, start: number) => void,
): number {
  let start = 0;
  let n = 0;
  const len = text.length;
  while (start < len) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = len;
    const stop = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    n++;
    fn(text.slice(start, stop), n, start);
    start = end + 1;
  }
  return n;
}

/** Returns the release to report: `options.release`, else `<system>-<prefix><year>` from a year in `fileName`. */
export function resolveRelease(
  options: LoaderOptions | undefined,
  system: string,
  systemLabel: string,
  yearPrefix: string,
  fallbackVersion?: string,
): ReleaseInfo {
  if (options?.release) return options.release;
  const year = options?.fileName
    ? /(?:^|[^0-9])((?:19|20)[0-9]{2})(?![0-9])/.exec(options.fileName)?.[1]
    : undefined;
  const version = year !== undefined ? `${yearPrefix}${year}` : fallbackVersion;
  if (version === undefined) return { id: `${system}-unknown`, label: `${systemLabel} (release unknown)` };
  return { id: `${system}-${version}`, label: `${systemLabel} ${version}` };
}

/** `yyyymmdd` → `yyyy-mm-dd`; `undefined` for blanks or anything that is not a plausible date. */
export function isoDate(yyyymmdd: string): string | undefined {
  // by character codes: the HCPCS loader calls this three times per record
  if (yyyymmdd.length !== 8) return undefined;
  for (let i = 0; i < 8; i++) {
    const c = yyyymmdd.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  const m = (yyyymmdd.charCodeAt(4) - 48) * 10 + yyyymmdd.charCodeAt(5) - 48;
  const d = (yyyymmdd.charCodeAt(6) - 48) * 10 + yyyymmdd.charCodeAt(7) - 48;
  if (m < 1 || m > 12 || d < 1 || d > 31) return undefined;
  return `${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)}-${yyyymmdd.slice(6, 8)}`;
}

/** Collects rejected lines (up to a limit) and keeps the exact count in `counts.rejected`. */
export class Rejections {
  readonly list: RejectedLine[] = [];
  private readonly max: number;

  constructor(
    private readonly counts: LoadCounts,
    options?: LoaderOptions,
  ) {
    this.max = options?.maxRejected ?? 1000;
  }

  /** Records that line `line` (1-based) with text `text` was rejected for `reason`. */
  add(line: number, reason: string, text: string): void {
    this.counts.rejected++;
    if (this.list.length < this.max)
      this.list.push({ line, reason, text: text.length > 200 ? text.slice(0, 200) : text });
  }
}

/** Returns fresh counters with the common fields at zero. */
export function newCounts(): LoadCounts {
  return { lines: 0, entries: 0, skipped: 0, rejected: 0 };
}

/** `true` when `s` is empty or only spaces/tabs. */
export function isBlank(s: string): boolean {
  return s.trim().length === 0;
}
