/**
 * Loaders for the ICD-10-CM / ICD-10-PCS order files and the ICD-10-CM codes file (CDC/NCHS, CMS).
 *
 * Order file layout (1-based columns, fixed width, ASCII, CRLF): `1-5` order number · `6` blank ·
 * `7-13` code without dot, left-justified · `14` blank · `15` `1` billable / `0` header · `16` blank ·
 * `17-76` short title (space-padded to 60) · `77` blank · `78-` long title. Titles are split by
 * position, never by runs of spaces: a short title may fill all 60 columns.
 *
 * Codes file layout: `1-7` code padded to 8 with spaces, long title from column 9 (billable codes only).
 */
import { CodeRows } from './codeRows';
import { decodeInput, forEachLine, isBlank, newCounts, Rejections, resolveRelease } from './text';
import type { CodeEntry, LoadColumns, LoaderInput, LoaderOptions, LoadResult, TextColumn } from './types';

/**
 * Shape of an ICD-10-CM code (no dot): a letter, then 2–6 letters or digits. The second character is
 * not always a digit: FY2026 added the `QA0`–`QA0…` neurodevelopmental category (e.g. `QA00101`).
 */
export const ICD10CM_CODE = /^[A-Z][0-9A-Z]{2,6}$/;
/** Shape of an ICD-10-PCS code or header (no I or O): 7 characters, or 1–6 for header rows. */
export const ICD10PCS_CODE = /^[0-9A-HJ-NP-Z]{1,7}$/;

/** The fields of one order-file line, or the reason it is not one. */
export type OrderLineResult =
  | {
      readonly ok: true;
      readonly order: number;
      readonly code: string;
      readonly billable: boolean;
      readonly short: string;
      readonly title: string;
    }
  | { readonly ok: false; readonly reason: string };

/**
 * Splits one order-file line by position. Works for the CM and PCS layouts alike; the code shape is
 * checked by the caller.
 */
export function parseOrderLine(line: string): OrderLineResult {
  if (line.length < 78)
    return { ok: false, reason: `line is ${line.length} characters; an order-file row has at least 78` };
  for (let i = 0; i < 5; i++) {
    const c = line.charCodeAt(i);
    if (c < 48 || c > 57) return { ok: false, reason: 'order number (columns 1-5) is not 5 digits' };
  }
  if (line[5] !== ' ' || line[13] !== ' ' || line[15] !== ' ' || line[76] !== ' ') {
    return { ok: false, reason: 'expected blanks at columns 6, 14, 16 and 77 (not an order-file row)' };
  }
  const flag = line[14];
  if (flag !== '0' && flag !== '1')
    return { ok: false, reason: `flag (column 15) is '${flag}', expected 0 or 1` };
  const code = line.slice(6, 13).trimEnd();
  const title = line.slice(77).trim();
  if (title.length === 0) return { ok: false, reason: 'long title (column 78 on) is empty' };
  return {
    ok: true,
    order: Number(line.slice(0, 5)),
    code,
    billable: flag === '1',
    short: line.slice(16, 76).trimEnd(),
    title,
  };
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}

/**
 * Whether the line `text[start, stop)` is a well-formed order-file row: digits in columns 1–5, blanks
 * at 6, 14, 16 and 77, flag 0/1 at 15, at least 78 characters. Read in place (no line string).
 */
function isWellFormedRow(text: string, start: number, stop: number): boolean {
  if (stop - start < 78) return false;
  for (let i = start; i < start + 5; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  const flag = text.charCodeAt(start + 14);
  return (
    text.charCodeAt(start + 5) === 32 &&
    text.charCodeAt(start + 13) === 32 &&
    text.charCodeAt(start + 15) === 32 &&
    text.charCodeAt(start + 76) === 32 &&
    (flag === 48 || flag === 49)
  );
}

/**
 * The long or short titles of an order file's rows, read from the file's text when asked: a row keeps
 * only where its line starts and stops, and its title is sliced (and trimmed) on demand. Building the
 * index then costs little more than finding the lines and hashing the codes; rows that were not
 * well-formed keep their parsed titles in `parsed`.
 */
class OrderTitles implements TextColumn {
  constructor(
    private readonly text: string,
    private readonly starts: Int32Array,
    private readonly stops: Int32Array,
    private readonly parsed: ReadonlyMap<number, { title: string; short: string }>,
    private readonly kind: 'title' | 'short',
    readonly length: number,
  ) {}

  at(row: number): string | undefined {
    if (row < 0 || row >= this.length) return undefined;
    const p = this.parsed.get(row);
    if (p) return this.kind === 'title' ? p.title : p.short;
    const { text } = this;
    const start = this.starts[row]!;
    const stop = this.stops[row]!;
    let titleStart = start + 77;
    let titleEnd = stop;
    while (titleStart < stop && text.charCodeAt(titleStart) === 32) titleStart++;
    while (titleEnd > titleStart && isSpace(text.charCodeAt(titleEnd - 1))) titleEnd--;
    if (this.kind === 'title') return text.slice(titleStart, titleEnd);
    let shortEnd = start + 76;
    while (shortEnd > start + 16 && isSpace(text.charCodeAt(shortEnd - 1))) shortEnd--;
    // '' when the short title is the long one (most rows): the index keeps one copy
    const same =
      shortEnd - start - 16 === titleEnd - titleStart &&
      text.startsWith(text.slice(titleStart, titleEnd), start + 16);
    return same ? '' : text.slice(start + 16, shortEnd);
  }
}

function loadOrder(
  input: LoaderInput,
  options: LoaderOptions | undefined,
  system: 'icd10cm' | 'icd10pcs',
  label: string,
): LoadResult {
  const text = decodeInput(input, 'ascii');
  const counts = newCounts();
  counts.billable = 0;
  counts.headers = 0;
  const rejected = new Rejections(counts, options);
  // columns, not one object per code: the index takes them as they are (entries are made on demand)
  const codes: string[] = [];
  const len = text.length;
  // a row is at least 78 characters and a newline: enough room for every row of the file
  const capacity = Math.floor(len / 79) + 1;
  const rows = new CodeRows(codes, capacity);
  const starts = new Int32Array(capacity);
  const stops = new Int32Array(capacity);
  const billable = new Uint8Array(capacity);
  const parsed = new Map<number, { title: string; short: string }>();
  let lines = 0;
  // The file is walked in place: a well-formed row (every row of a CMS file) is checked by position
  // straight in the text, with no line string; the code is the only string made per row (titles
  // are read on demand by OrderTitles). Anything else goes through parseOrderLine, which says why it
  // is not a row.
  for (let start = 0; start < len;) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = len;
    const stop = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    const next = end + 1;
    lines++;
    let code: string;
    let flag: boolean;
    let fields: { title: string; short: string } | undefined;
    if (isWellFormedRow(text, start, stop) && hasTitle(text, start, stop)) {
      let codeEnd = start + 13;
      while (codeEnd > start + 6 && text.charCodeAt(codeEnd - 1) === 32) codeEnd--;
      code = text.slice(start + 6, codeEnd);
      flag = text.charCodeAt(start + 14) === 49;
    } else {
      const line = text.slice(start, stop);
      if (isBlank(line)) {
        counts.skipped++;
        start = next;
        continue;
      }
      const r = parseOrderLine(line);
      if (!r.ok) {
        rejected.add(lines, r.reason, line);
        start = next;
        continue;
      }
      code = r.code;
      flag = r.billable;
      fields = { title: r.title, short: r.short === r.title ? '' : r.short };
    }
    if (!(system === 'icd10cm' ? isCmShape(code) : isPcsShape(code))) {
      rejected.add(lines, `'${code}' is not a ${label} code`, text.slice(start, stop));
      start = next;
      continue;
    }
    // one hash of the code: add it, or learn that an earlier row has it (that row keeps it)
    const row = codes.length;
    if (row >= capacity) {
      rejected.add(lines, 'too many rows', text.slice(start, stop));
      start = next;
      continue;
    }
    codes.push(code);
    if (rows.add(row) >= 0) {
      codes.pop();
      rejected.add(lines, `duplicate code ${code}`, text.slice(start, stop));
      start = next;
      continue;
    }
    starts[row] = start;
    stops[row] = stop;
    if (fields) parsed.set(row, fields);
    billable[row] = flag ? 1 : 0;
    if (flag) counts.billable++;
    else counts.headers++;
    start = next;
  }
  counts.lines = lines;
  counts.entries = codes.length;
  const n = codes.length;
  const titles = new OrderTitles(text, starts, stops, parsed, 'title', n);
  const shorts = new OrderTitles(text, starts, stops, parsed, 'short', n);
  const columns: LoadColumns = { codes, titles, shorts, billable: billable.subarray(0, n) };
  let entries: CodeEntry[] | undefined;
  return {
    system,
    release: resolveRelease(options, system, label, 'FY'),
    get entries(): CodeEntry[] {
      entries ??= codes.map((code, i) => {
        const title = titles.at(i)!;
        return {
          code,
          title,
          short: shorts.at(i) || title,
          billable: billable[i] === 1,
          order: parsed.has(i) ? orderOf(text.slice(starts[i], stops[i])) : orderAt(text, starts[i]!),
        };
      });
      return entries;
    },
    columns,
    rows,
    counts,
    rejected: rejected.list,
  };
}

/** {@link ICD10CM_CODE} by character codes (the loader checks every row; a regex costs more). */
function isCmShape(code: string): boolean {
  const n = code.length;
  if (n < 3 || n > 7) return false;
  const c0 = code.charCodeAt(0);
  if (c0 < 65 || c0 > 90) return false;
  for (let i = 1; i < n; i++) {
    const c = code.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90))) return false;
  }
  return true;
}

/** {@link ICD10PCS_CODE} by character codes: 1–7 of 0-9 and A-Z without I and O. */
function isPcsShape(code: string): boolean {
  const n = code.length;
  if (n < 1 || n > 7) return false;
  for (let i = 0; i < n; i++) {
    const c = code.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90 && c !== 73 && c !== 79))) return false;
  }
  return true;
}

/** Whether a well-formed row has a non-blank long title (column 78 on). */
function hasTitle(text: string, start: number, stop: number): boolean {
  for (let i = start + 77; i < stop; i++) if (!isSpace(text.charCodeAt(i))) return true;
  return false;
}

/** The order number (columns 1–5) of the row starting at `start`. */
function orderAt(text: string, start: number): number {
  let order = 0;
  for (let i = start; i < start + 5; i++) order = order * 10 + text.charCodeAt(i) - 48;
  return order;
}

function orderOf(line: string): number {
  const r = parseOrderLine(line);
  return r.ok ? r.order : 0;
}

/** Loads an ICD-10-CM order file (`icd10cm-order-2026.txt`): every code and header, long and short titles. */
export function loadIcd10CmOrder(input: LoaderInput, options?: LoaderOptions): LoadResult {
  return loadOrder(input, options, 'icd10cm', 'ICD-10-CM');
}

/** Loads an ICD-10-PCS order file (`icd10pcs_order_2026.txt`): 7-character codes and 3-character headers. */
export function loadIcd10PcsOrder(input: LoaderInput, options?: LoaderOptions): LoadResult {
  return loadOrder(input, options, 'icd10pcs', 'ICD-10-PCS');
}

/** Loads an ICD-10-CM codes file (`icd10cm-codes-2026.txt`): billable codes with their long titles. */
export function loadIcd10CmCodes(input: LoaderInput, options?: LoaderOptions): LoadResult {
  const text = decodeInput(input, 'ascii');
  const counts = newCounts();
  const rejected = new Rejections(counts, options);
  const entries: CodeEntry[] = [];
  const seen = new Set<string>();
  counts.lines = forEachLine(text, (line, n) => {
    if (isBlank(line)) {
      counts.skipped++;
      return;
    }
    if (line.length < 9 || line[7] !== ' ')
      return rejected.add(n, 'expected a code in columns 1-7, a blank at 8 and a title from 9', line);
    const code = line.slice(0, 7).trimEnd();
    const title = line.slice(8).trim();
    if (!ICD10CM_CODE.test(code)) return rejected.add(n, `'${code}' is not an ICD-10-CM code`, line);
    if (title.length === 0) return rejected.add(n, 'title (column 9 on) is empty', line);
    if (seen.has(code)) return rejected.add(n, `duplicate code ${code}`, line);
    seen.add(code);
    entries.push({ code, title, billable: true });
  });
  counts.entries = entries.length;
  return {
    system: 'icd10cm',
    release: resolveRelease(options, 'icd10cm', 'ICD-10-CM', 'FY'),
    entries,
    counts,
    rejected: rejected.list,
  };
}
