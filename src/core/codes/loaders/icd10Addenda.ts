/**
 * Loaders for the ICD-10-CM / ICD-10-PCS addenda files (what changed from the previous fiscal year).
 *
 * Every data row starts with an action padded to 13 characters (`Add:`, `Delete:`, `Revise from:`,
 * `Revise to:`), followed by:
 * - CM order addenda: `flag code(7) short(60) long` (the order layout without the order number);
 * - PCS order addenda: `code(7) short(60) long` (no flag column);
 * - CM codes addenda: `code` padded to 8, then the long title.
 * Each field is separated by one blank and split by position. The files end with a summary block
 * (`Headers`, `  143 additions`…) which is skipped, not rejected.
 */
import { ICD10CM_CODE, ICD10PCS_CODE } from './icd10Order';
import { decodeInput, forEachLine, isBlank, newCounts, Rejections, resolveRelease } from './text';
import type { CodeChange, CodeEntry, LoaderInput, LoaderOptions, LoadResult } from './types';

type Action = 'Add' | 'Delete' | 'Revise from' | 'Revise to';

interface Row {
  readonly code: string;
  readonly title: string;
  readonly short?: string;
  readonly billable?: boolean;
}

const ACTION = /^(Add|Delete|Revise from|Revise to):/;
const SUMMARY = /^\s*(?:[0-9]+\s+\S.*|Headers|Codes|of which)\s*$/;

function parseOrderRest(rest: string): Row | string {
  // Flagged (CM) layout: "F CCCCCCC SHORT… LONG"; unflagged (PCS): "CCCCCCC SHORT… LONG".
  // A code never has a blank as its second character, so "[01] " identifies the flag column.
  const flagged = (rest[0] === '0' || rest[0] === '1') && rest[1] === ' ';
  const o = flagged ? 2 : 0;
  if (rest.length < o + 70) return `row is too short for the order layout (${rest.length + 13} characters)`;
  if (rest[o + 7] !== ' ' || rest[o + 68] !== ' ')
    return 'expected blanks after the code and after the 60-character short title';
  const code = rest.slice(o, o + 7).trimEnd();
  const title = rest.slice(o + 69).trim();
  if (title.length === 0) return 'long title is empty';
  const row: Row = { code, title, short: rest.slice(o + 8, o + 68).trimEnd() };
  return flagged ? { ...row, billable: rest[0] === '1' } : row;
}

function parseCodesRest(rest: string): Row | string {
  if (rest.length < 9 || rest[7] !== ' ') return 'expected a code padded to 8 characters, then the title';
  const title = rest.slice(8).trim();
  if (title.length === 0) return 'title is empty';
  return { code: rest.slice(0, 7).trimEnd(), title };
}

function loadAddenda(
  input: LoaderInput,
  options: LoaderOptions | undefined,
  system: 'icd10cm' | 'icd10pcs',
  label: string,
  shape: RegExp,
  parseRest: (rest: string) => Row | string,
): LoadResult {
  const text = decodeInput(input, 'ascii');
  const counts = newCounts();
  counts.added = 0;
  counts.deleted = 0;
  counts.revised = 0;
  const rejected = new Rejections(counts, options);
  const changes: CodeChange[] = [];
  const entries: CodeEntry[] = [];
  let pending: { row: Row; line: number; text: string } | undefined;
  const dropPending = (): void => {
    if (pending)
      rejected.add(
        pending.line,
        `'Revise from:' ${pending.row.code} has no 'Revise to:' row after it`,
        pending.text,
      );
    pending = undefined;
  };
  counts.lines = forEachLine(text, (line, n) => {
    const m = ACTION.exec(line);
    if (!m) {
      dropPending();
      if (isBlank(line) || SUMMARY.test(line)) counts.skipped++;
      else rejected.add(n, 'not an addenda row (expected Add:, Delete:, Revise from: or Revise to:)', line);
      return;
    }
    const action = m[1] as Action;
    if (line.length > 13 && line[12] !== ' ')
      return rejected.add(n, 'action column is not padded to 13 characters', line);
    const row = parseRest(line.slice(13));
    if (typeof row === 'string') {
      if (action !== 'Revise from') dropPending();
      return rejected.add(n, row, line);
    }
    if (!shape.test(row.code)) return rejected.add(n, `'${row.code}' is not a ${label} code`, line);
    if (action === 'Revise to') {
      if (!pending || pending.row.code !== row.code) {
        dropPending();
        return rejected.add(
          n,
          `'Revise to:' ${row.code} does not follow a 'Revise from:' row for the same code`,
          line,
        );
      }
      const prev = pending.row;
      pending = undefined;
      changes.push({
        action: 'revised',
        code: row.code,
        title: row.title,
        ...(row.short !== undefined ? { short: row.short } : {}),
        ...(row.billable !== undefined ? { billable: row.billable } : {}),
        previousTitle: prev.title,
        ...(prev.short !== undefined ? { previousShort: prev.short } : {}),
        line: n,
      });
      entries.push(row);
      counts.revised++;
      return;
    }
    dropPending();
    if (action === 'Revise from') {
      pending = { row, line: n, text: line };
      return;
    }
    const kind = action === 'Add' ? 'added' : 'deleted';
    changes.push({ action: kind, ...row, line: n });
    if (kind === 'added') entries.push(row);
    counts[kind]++;
  });
  dropPending();
  counts.entries = entries.length;
  counts.changes = changes.length;
  return {
    system,
    release: resolveRelease(options, system, label, 'FY'),
    entries,
    changes,
    counts,
    rejected: rejected.list,
  };
}

/**
 * Loads an ICD-10-CM order addenda file (`icd10cm-order-addenda-2026.txt`). `changes` lists adds,
 * deletes and title revisions (with the previous titles); `entries` holds the added and revised rows
 * with their new titles and billable flags.
 */
export function loadIcd10CmOrderAddenda(input: LoaderInput, options?: LoaderOptions): LoadResult {
  return loadAddenda(input, options, 'icd10cm', 'ICD-10-CM', ICD10CM_CODE, parseOrderRest);
}

/** Loads an ICD-10-CM codes addenda file (`icd10cm-codes-addenda-2026.txt`): billable adds/deletes/revisions. */
export function loadIcd10CmCodesAddenda(input: LoaderInput, options?: LoaderOptions): LoadResult {
  return loadAddenda(input, options, 'icd10cm', 'ICD-10-CM', ICD10CM_CODE, parseCodesRest);
}

/** Loads an ICD-10-PCS order addenda file (`order_addenda_2026.txt`; no flag column). */
export function loadIcd10PcsOrderAddenda(input: LoaderInput, options?: LoaderOptions): LoadResult {
  return loadAddenda(input, options, 'icd10pcs', 'ICD-10-PCS', ICD10PCS_CODE, parseOrderRest);
}
