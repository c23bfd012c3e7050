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
import { decodeInput, forEachLine, isBlank, newCounts, Rejections, resolveRelease } from './text';
import type { CodeEntry, LoadColumns, LoaderInput, LoaderOptions, LoadResult } from './types';

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

/** Digits in columns 1–5, blanks at 6, 14, 16 and 77, flag 0/1 at 15, at least 78 characters. */
function isWellFormedRow(line: string): boolean {
  if (line.length < 78) return false;
  for (let i = 0; i < 5; i++) {
    const c = line.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  const flag = line.charCodeAt(14);
  return (
    line.charCodeAt(5) === 32 &&
    line.charCodeAt(13) === 32 &&
    line.charCodeAt(15) === 32 &&
    line.charCodeAt(76) === 32 &&
    (flag === 48 || flag === 49)
  );
}

function loadOrder(
  input: LoaderInput,
  options: LoaderOptions | undefined,
  system: 'icd10cm' | 'icd10pcs',
  label: string,
  shape: RegExp,
): LoadResult {
  const text = decodeInput(input, 'ascii');
  const counts = newCounts();
  counts.billable = 0;
  counts.headers = 0;
  const rejected = new Rejections(counts, options);
  // columns, not one object per code: the index takes them as they are (entries are made on demand)
  const codes: string[] = [];
  const titles: string[] = [];
  const shorts: string[] = [];
  const billables: number[] = [];
  const orders: number[] = [];
  const rows = new Map<string, number>();
  counts.lines = forEachLine(text, (line, n) => {
    // fast path for a well-formed row (every row of a CMS file): the fields by position, each
    // trimmed by index, no intermediate objects; anything else goes through parseOrderLine
    let code: string;
    let title: string;
    let short: string;
    let billable: boolean;
    let order = 0;
    const len = line.length;
    let titleStart = 77;
    let titleEnd = len;
    const wellFormed = isWellFormedRow(line);
    if (wellFormed) {
      while (titleStart < len && line.charCodeAt(titleStart) === 32) titleStart++;
      while (titleEnd > titleStart && isSpace(line.charCodeAt(titleEnd - 1))) titleEnd--;
    }
    if (wellFormed && titleEnd > titleStart) {
      let codeEnd = 13;
      while (codeEnd > 6 && line.charCodeAt(codeEnd - 1) === 32) codeEnd--;
      let shortEnd = 76;
      while (shortEnd > 16 && isSpace(line.charCodeAt(shortEnd - 1))) shortEnd--;
      for (let i = 0; i < 5; i++) order = order * 10 + line.charCodeAt(i) - 48;
      code = line.slice(6, codeEnd);
      billable = line.charCodeAt(14) === 49;
      title = line.slice(titleStart, titleEnd);
      // most short titles are the long title: share the string instead of copying it
      short =
        shortEnd - 16 === titleEnd - titleStart && line.startsWith(title, 16)
          ? title
          : line.slice(16, shortEnd);
    } else {
      if (isBlank(line)) {
        counts.skipped++;
        return;
      }
      const r = parseOrderLine(line);
      if (!r.ok) return rejected.add(n, r.reason, line);
      ({ code, title, short, billable, order } = r);
    }
    if (!shape.test(code)) return rejected.add(n, `'${code}' is not a ${label} code`, line);
    if (rows.has(code)) return rejected.add(n, `duplicate code ${code}`, line);
    rows.set(code, codes.length);
    codes.push(code);
    titles.push(title);
    shorts.push(short === title ? '' : short);
    billables.push(billable ? 1 : 0);
    orders.push(order);
    if (billable) counts.billable++;
    else counts.headers++;
  });
  counts.entries = codes.length;
  const columns: LoadColumns = { codes, titles, shorts, billable: Uint8Array.from(billables) };
  let entries: CodeEntry[] | undefined;
  return {
    system,
    release: resolveRelease(options, system, label, 'FY'),
    get entries(): CodeEntry[] {
      entries ??= codes.map((code, i) => ({
        code,
        title: titles[i]!,
        short: shorts[i] || titles[i]!,
        billable: billables[i] === 1,
        order: orders[i]!,
      }));
      return entries;
    },
    columns,
    rows,
    counts,
    rejected: rejected.list,
  };
}

/** Loads an ICD-10-CM order file (`icd10cm-order-2026.txt`): every code and header, long and short titles. */
export function loadIcd10CmOrder(input: LoaderInput, options?: LoaderOptions): LoadResult {
  return loadOrder(input, options, 'icd10cm', 'ICD-10-CM', ICD10CM_CODE);
}

/** Loads an ICD-10-PCS order file (`icd10pcs_order_2026.txt`): 7-character codes and 3-character headers. */
export function loadIcd10PcsOrder(input: LoaderInput, options?: LoaderOptions): LoadResult {
  return loadOrder(input, options, 'icd10pcs', 'ICD-10-PCS', ICD10PCS_CODE);
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
